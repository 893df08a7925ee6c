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
    /// What happened.
    pub kind: RowKind,
    /// The op it happened in.
    pub op: Op,
    /// The text in the thread's column.
    pub text: String,
    /// For a pause, the clause of the one-line description.
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
                    kind: RowKind::Fault,
                    op: o.op,
                    text: format!("⚡ forced {fault:?} here"),
                    clause: Some(format!(
                        "thread {} {} gets a forced {fault:?} where it {}",
                        o.thread,
                        o.op.short(),
                        v.site.phrase()
                    )),
                });
            }
            for v in pauses(
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
                rows.push(Row {
                    step: v.step,
                    thread: o.thread,
                    kind: RowKind::Paused,
                    op: o.op,
                    text: format!("‖ {phrase}"),
                    clause: Some(format!("thread {} {} {phrase}", o.thread, o.op.short())),
                });
            }
            match &o.ret {
                Some((t, ret @ (Ret::Throw(_) | Ret::Panic(_)))) => rows.push(Row {
                    step: *t,
                    thread: o.thread,
                    kind: RowKind::Failed,
                    op: o.op,
                    text: format!("✗ {}", ret),
                    clause: None,
                }),
                Some((t, ret)) => rows.push(Row {
                    step: *t,
                    thread: o.thread,
                    kind: RowKind::Returned,
                    op: o.op,
                    text: format!("→ {}", ret),
                    clause: None,
                }),
                None => rows.push(Row {
                    step: until.min(end),
                    thread: o.thread,
                    kind: RowKind::Unfinished,
                    op: o.op,
                    text: "… never returned (the execution stopped)".into(),
                    clause: None,
                }),
            }
        }
        // Execution order; at one step a return comes before a start, which
        // comes before a pause (the order in which a thread does them).
        let rank = |k: &RowKind| match k {
            RowKind::Returned | RowKind::Failed => 0,
            RowKind::Start => 1,
            RowKind::Fault => 2,
            RowKind::Paused => 3,
            RowKind::Unfinished => 4,
        };
        rows.sort_by_key(|r| (r.step, rank(&r.kind), r.thread));
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

    /// One line saying what happens: for a throw or panic, the pauses that
    /// set it up and the failure; for a finding made at quiescence, the ops
    /// as they returned and the finding. The last few clauses only.
    pub fn describe(&self) -> String {
        const MAX_CLAUSES: usize = 6;
        let mut clauses: Vec<String> = Vec::new();
        if self.rows.iter().any(|r| r.kind == RowKind::Failed) {
            for r in &self.rows {
                match r.kind {
                    RowKind::Paused | RowKind::Fault => clauses.extend(r.clause.clone()),
                    RowKind::Failed => clauses.push(format!(
                        "thread {} {} throws: {}",
                        r.thread,
                        r.op.short(),
                        r.text.trim_start_matches("✗ ")
                    )),
                    _ => {}
                }
            }
        } else {
            for r in &self.rows {
                match r.kind {
                    RowKind::Returned if r.text == "→ ()" => {
                        clauses.push(format!("thread {} {}", r.thread, r.op));
                    }
                    RowKind::Returned => {
                        clauses.push(format!("thread {} {} {}", r.thread, r.op, r.text))
                    }
                    RowKind::Paused if r.text.contains("waits for a lock") => {
                        clauses.extend(r.clause.clone());
                    }
                    RowKind::Fault => clauses.extend(r.clause.clone()),
                    _ => {}
                }
            }
            clauses.push(self.finding.clone());
        }
        if clauses.len() > MAX_CLAUSES {
            let cut = clauses.len() - MAX_CLAUSES;
            clauses.drain(..cut);
            clauses.insert(0, "…".into());
        }
        clauses.join("; ")
    }
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

/// The visits at which `thread` was switched out (the next visit is another
/// thread's) or blocked, inside an op that runs from `from` to `until`.
fn pauses(sites: &[SiteVisit], thread: u32, from: u64, until: u64) -> Vec<SiteVisit> {
    sites
        .iter()
        .enumerate()
        .filter(|(i, v)| {
            v.thread == thread
                && (from..until).contains(&v.step)
                && (v.blocked
                    // A pause between two ops, or at a lock it then took at
                    // once, says nothing about the interleaving inside ops.
                    || (!matches!(v.site, Site::OpBoundary | Site::LockAcquire | Site::LockRelease)
                        && sites.get(i + 1).is_some_and(|n| n.thread != thread)))
        })
        .map(|(_, v)| *v)
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
