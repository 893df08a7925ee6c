//! The human picture of a minimal failure: who did what, in which order, and
//! where the throw or violation happened, readable without the source.
//!
//! Built from a replayed execution ([`crate::engine::Execution`]) whose site
//! log was recorded ([`crate::engine::Request::record_sites`]): the
//! history gives each op's start and return on the scheduler's clock, the
//! site log gives the yield point ([`Site`]) where each thread was switched
//! out. Only what leads to the failure is kept: the ops whose interval
//! overlaps the failing op's (all ops for a finding made at quiescence, when
//! there are few), the points where a thread was paused *inside* one of
//! those ops (a pause between two ops says nothing), and how each ended.
//!
//! ```text
//! step  thread 0                                  thread 1
//!    2  store(3, 0x10000000001)
//!    4  ‖ passed the hashWriting check
//!    5                                            store(5, 0x20000000001)
//!   11                                            → ()
//!   14  ✗ fatal error: concurrent map writes
//! ```

use std::collections::BTreeSet;

use crate::check::Finding;
use crate::engine::sched::SiteVisit;
use crate::engine::Execution;
use crate::history::{Event, Operation};
use crate::op::{Op, Ret};
use crate::sync::Site;

/// What a row of the timeline shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// The thread starts an op.
    Start,
    /// The thread was switched out (or blocked) inside an op.
    Paused,
    /// The thread passed a point that explains a throw (it read or wrote
    /// `hashWriting`) and ran on.
    Passed,
    /// The op returned normally.
    Returned,
    /// The op threw or panicked: where the failure happened.
    Failed,
    /// The op never returned: the execution stopped around it.
    Unfinished,
    /// The fault injector fired a fault at this thread, inside the op.
    Fault,
}

/// One row: a thread's event at a logical time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The scheduler's clock (nanoseconds since the release in stress mode).
    pub step: u64,
    /// The thread.
    pub thread: u32,
    /// The index of the op in the thread's stream.
    pub index: u32,
    /// What happened.
    pub kind: RowKind,
    /// The op it happened in.
    pub op: Op,
    /// The text in the thread's column.
    pub text: String,
    /// For a pause, a fault or a passed point, the clause of the one-line
    /// description.
    pub clause: Option<String>,
}

/// The interleaving of a failure, per thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Number of threads (columns).
    pub threads: u32,
    /// The rows, in execution order.
    pub rows: Vec<Row>,
    /// Ops of the execution left out as unrelated to the failure.
    pub omitted_ops: usize,
    /// Whether steps are scheduler steps (sched) or nanoseconds (stress).
    pub logical: bool,
    /// The finding, as its last line says it.
    pub finding: String,
}

/// Most ops shown for a finding made at quiescence (no failing op).
const MAX_OPS_SHOWN: usize = 16;

/// Puts rows in execution order. At one step, a thread's rows come in the
/// order it does them: an op before the thread's next op, and within an op
/// its start, the points it passed, and how it ended — so a throw at the
/// op's first check never prints before the op starts. An op that never
/// returned is marked where the execution stopped, after whatever happened
/// at that step.
pub(crate) fn sort_rows(rows: &mut [Row]) {
    let rank = |k: &RowKind| match k {
        RowKind::Start => 0,
        RowKind::Fault => 1,
        RowKind::Passed | RowKind::Paused => 2,
        RowKind::Returned | RowKind::Failed => 3,
        RowKind::Unfinished => 4,
    };
    rows.sort_by_key(|r| {
        (
            r.step,
            r.kind == RowKind::Unfinished,
            r.thread,
            r.index,
            rank(&r.kind),
        )
    });
}

impl Timeline {
    /// The timeline of `finding` in `exec`.
    pub fn build(exec: &Execution, finding: &Finding) -> Timeline {
        let ops = exec.history.operations();
        let keep = relevant_ops(&ops, finding);
        let logical = exec.scenario.mode == crate::scenario::Mode::Sched;
        let end = exec.steps().unwrap_or(u64::MAX);
        let mut rows = Vec::new();
        for &i in &keep {
            let o = &ops[i];
            rows.push(Row {
                step: o.invoke,
                thread: o.thread,
                index: o.index,
                kind: RowKind::Start,
                op: o.op,
                text: o.op.to_string(),
                clause: None,
            });
            let until = o.ret.as_ref().map_or(end, |r| r.0);
            for v in exec
                .sched()
                .map_or(&[][..], |d| &d.sites)
                .iter()
                .filter(|v| {
                    v.thread == o.thread && (o.invoke..until).contains(&v.step) && v.fault.is_some()
                })
            {
                let fault = v.fault.expect("filtered");
                rows.push(Row {
                    step: v.step,
                    thread: o.thread,
                    index: o.index,
                    kind: RowKind::Fault,
                    op: o.op,
                    text: format!("⚡ forced {} here", fault.phrase()),
                    clause: Some(format!(
                        "thread {} {} gets a forced {} where it {}",
                        o.thread,
                        o.op.short(),
                        fault.phrase(),
                        v.site.phrase()
                    )),
                });
            }
            for (v, paused) in visits(
                exec.sched().map_or(&[][..], |d| &d.sites),
                o.thread,
                o.invoke,
                until,
            ) {
                let phrase = if v.blocked {
                    "waits for a lock".to_string()
                } else {
                    v.site.phrase()
                };
                let (kind, mark) = if paused {
                    (RowKind::Paused, '‖')
                } else {
                    (RowKind::Passed, '·')
                };
                rows.push(Row {
                    step: v.step,
                    thread: o.thread,
                    index: o.index,
                    kind,
                    op: o.op,
                    text: format!("{mark} {phrase}"),
                    clause: Some(format!("thread {} {} {phrase}", o.thread, o.op.short())),
                });
            }
            match &o.ret {
                Some((t, ret @ (Ret::Throw(_) | Ret::Panic(_)))) => rows.push(Row {
                    step: *t,
                    thread: o.thread,
                    index: o.index,
                    kind: RowKind::Failed,
                    op: o.op,
                    text: format!("✗ {}", ret),
                    clause: None,
                }),
                Some((t, ret)) => rows.push(Row {
                    step: *t,
                    thread: o.thread,
                    index: o.index,
                    kind: RowKind::Returned,
                    op: o.op,
                    text: format!("→ {}", ret),
                    clause: None,
                }),
                None => rows.push(Row {
                    step: until.min(end),
                    thread: o.thread,
                    index: o.index,
                    kind: RowKind::Unfinished,
                    op: o.op,
                    text: "… never returned (the execution stopped)".into(),
                    clause: None,
                }),
            }
        }
        sort_rows(&mut rows);
        Timeline {
            threads: history_threads(exec).max(exec.scenario.threads),
            rows,
            omitted_ops: ops.len() - keep.len(),
            logical,
            finding: format!("{}: {}", finding.kind, finding.message),
        }
    }

    /// The timeline as text: one column per thread.
    pub fn render(&self) -> String {
        const MAX_WIDTH: usize = 44;
        let n = self.threads as usize;
        let mut width = vec![8usize; n];
        for r in &self.rows {
            let w = &mut width[r.thread as usize];
            *w = (*w).max(r.text.chars().count().min(MAX_WIDTH));
        }
        let step_w = self
            .rows
            .iter()
            .map(|r| r.step.to_string().len())
            .max()
            .unwrap_or(1)
            .max(4);
        let clock = if self.logical { "step" } else { "ns" };
        let mut out = String::new();
        let mut line = format!("{clock:>step_w$}");
        for (t, w) in width.iter().enumerate() {
            line.push_str(&format!("  {:<w$}", format!("thread {t}")));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        for r in &self.rows {
            let mut line = format!("{:>step_w$}", r.step);
            for (t, w) in width.iter().enumerate() {
                let cell = if t == r.thread as usize {
                    truncate(&r.text, MAX_WIDTH)
                } else {
                    String::new()
                };
                line.push_str(&format!("  {cell:<w$}"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if self.omitted_ops > 0 {
            out.push_str(&format!(
                "({} other ops left out: they do not overlap the failing one)\n",
                self.omitted_ops
            ));
        }
        out
    }

    /// One line saying what happens. For a throw or panic: every point
    /// where a thread read or wrote `hashWriting` or got a forced fault (the
    /// steps that cause it), the pauses between them while few, and the
    /// failure. For a finding made at quiescence: the ops as they returned,
    /// the waits and faults, and the finding. Clauses that explain nothing
    /// are the first left out, each run of them shown as `…`.
    pub fn describe(&self) -> String {
        const MAX_CLAUSES: usize = 8;
        // (clause, whether it explains the failure)
        let mut clauses: Vec<(String, bool)> = Vec::new();
        if self.rows.iter().any(|r| r.kind == RowKind::Failed) {
            for r in &self.rows {
                match r.kind {
                    RowKind::Passed | RowKind::Fault => {
                        clauses.extend(r.clause.clone().map(|c| (c, true)))
                    }
                    RowKind::Paused => {
                        let key =
                            r.text.contains("hashWriting") || r.text.contains("waits for a lock");
                        clauses.extend(r.clause.clone().map(|c| (c, key)));
                    }
                    RowKind::Failed => clauses.push((
                        format!(
                            "thread {} {} throws: {}",
                            r.thread,
                            r.op.short(),
                            r.text.trim_start_matches("✗ ")
                        ),
                        true,
                    )),
                    _ => {}
                }
            }
        } else {
            for r in &self.rows {
                match r.kind {
                    RowKind::Returned if r.text == "→ ()" => {
                        clauses.push((format!("thread {} {}", r.thread, r.op), false));
                    }
                    RowKind::Returned => {
                        clauses.push((format!("thread {} {} {}", r.thread, r.op, r.text), false))
                    }
                    RowKind::Paused if r.text.contains("waits for a lock") => {
                        clauses.extend(r.clause.clone().map(|c| (c, true)));
                    }
                    RowKind::Fault => clauses.extend(r.clause.clone().map(|c| (c, true))),
                    _ => {}
                }
            }
            // The ops that led to a quiescent finding are the last ones.
            let n = clauses.len();
            for (i, c) in clauses.iter_mut().enumerate() {
                c.1 |= i + MAX_CLAUSES / 2 >= n;
            }
            clauses.push((self.finding.clone(), true));
        }
        shorten(clauses, MAX_CLAUSES).join("; ")
    }
}

/// At most `max` clauses: the ones that explain nothing go first (from the
/// earliest), then the earliest of the rest; each run of left-out clauses
/// becomes one `…`.
fn shorten(clauses: Vec<(String, bool)>, max: usize) -> Vec<String> {
    let mut keep: Vec<bool> = vec![true; clauses.len()];
    let mut kept = clauses.len();
    for pass_key in [false, true] {
        for (i, c) in clauses.iter().enumerate() {
            if kept <= max {
                break;
            }
            // Never the last clause: the failure itself.
            if c.1 == pass_key && keep[i] && i + 1 < clauses.len() {
                keep[i] = false;
                kept -= 1;
            }
        }
    }
    let mut out = Vec::new();
    for (i, (c, _)) in clauses.into_iter().enumerate() {
        if keep[i] {
            out.push(c);
        } else if out.last().is_none_or(|l: &String| l != "…") {
            out.push("…".into());
        }
    }
    out
}

/// Threads that appear in the history.
fn history_threads(exec: &Execution) -> u32 {
    exec.history
        .events
        .iter()
        .map(|e| match e {
            Event::Invoke { thread, .. } | Event::Return { thread, .. } => thread + 1,
        })
        .max()
        .unwrap_or(0)
}

/// Indices (into `ops`) of the ops that lead to `finding`.
fn relevant_ops(ops: &[Operation], finding: &Finding) -> Vec<usize> {
    let failing = ops.iter().position(|o| {
        Some(o.thread) == finding.thread
            && Some(o.index) == finding.op
            && matches!(o.ret, Some((_, Ret::Throw(_) | Ret::Panic(_))))
    });
    let Some(f) = failing else {
        // A finding at quiescence: all ops if few, else the last ones.
        let from = ops.len().saturating_sub(MAX_OPS_SHOWN);
        return (from..ops.len()).collect();
    };
    let (lo, hi) = interval(&ops[f]);
    let overlapping: BTreeSet<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            let (a, b) = interval(o);
            a <= hi && lo <= b
        })
        .map(|(i, _)| i)
        .collect();
    overlapping.into_iter().collect()
}

fn interval(o: &Operation) -> (u64, u64) {
    (o.invoke, o.ret.as_ref().map_or(u64::MAX, |r| r.0))
}

/// The visits of `thread` inside an op that runs from `from` to `until`
/// worth a row, each with whether the thread was paused there: where it was
/// switched out (the next visit is another thread's) or blocked, and every
/// point where it read or wrote `hashWriting`, paused or not.
fn visits(sites: &[SiteVisit], thread: u32, from: u64, until: u64) -> Vec<(SiteVisit, bool)> {
    sites
        .iter()
        .enumerate()
        .filter(|(_, v)| v.thread == thread && (from..until).contains(&v.step))
        .filter_map(|(i, v)| {
            let paused = v.blocked
                // A pause between two ops, or at a lock it then took at
                // once, says nothing about the interleaving inside ops.
                || (!matches!(v.site, Site::OpBoundary | Site::LockAcquire | Site::LockRelease)
                    && sites.get(i + 1).is_some_and(|n| n.thread != thread));
            (paused || v.site.touches_hash_writing()).then_some((*v, paused))
        })
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_site_has_a_phrase_and_ops_print_readably() {
        for site in [Site::AssignChecked, Site::OpBoundary, Site::User("w")] {
            assert!(!site.phrase().is_empty());
        }
        assert_eq!(Site::User("my window").phrase(), "reached `my window`");
        assert_eq!(
            Op::Store {
                key: 3,
                value: 0x100_0000_0001
            }
            .to_string(),
            "store(3, 0x10000000001)"
        );
        assert_eq!(Op::Range { limit: 0 }.to_string(), "range()");
        assert_eq!(Op::Delete { key: 9 }.short(), "delete(9)");
    }
}
