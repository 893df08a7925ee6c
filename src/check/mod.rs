//! The checker: turns an execution's history into findings.
//!
//! The engine reports what it meets on the way (throws, panics, hangs,
//! deadlocks) and stops there, as a Go process would. When an execution
//! completes, [`check_completed`] looks for what did not crash:
//!
//! 1. for a single-thread run, exact agreement with the sequential [`Model`];
//! 2. otherwise: the write that certainly took effect last on each key must
//!    be there at quiescence (a lost write, named); then linearizability of
//!    the history, per key; then the quiescent contents must be a state some
//!    linearization ends in (a lost write);
//! 3. for a backend that declares an atomic `Clear` or an exact `len`, one
//!    linearization of the whole map ([`linearizability::check_whole`]);
//! 4. the backend's structural invariants at quiescence;
//! 5. its `len` at quiescence against its contents (every backend's must be
//!    exact there).
//!
//! What the checker could not decide within its budget is said beside the
//! findings ([`Checked::undecided`]), never turned into one.
//!
//! The first failing check gives the finding; later checks would only
//! restate it. What users rely on (the results they saw) comes before the
//! backend's internal structure, so a broken structure that no result has
//! shown yet is reported last.
//!
//! [`overlap`] is no check: it measures how much the threads of a history
//! ran at the same time, which is what a clean verdict is worth.

mod finding;
pub mod linearizability;
mod model;
pub mod overlap;

pub use finding::{Finding, FindingKind, Signature};
pub use model::Model;
pub use overlap::Overlap;

use std::collections::BTreeMap;

use crate::history::{History, Operation};
use crate::maps::{Key, Semantics, Value, Violation};
use crate::op::Ret;

/// What the engine read off the backend once every thread had finished.
#[derive(Clone, Debug, Default)]
pub struct Quiescent {
    /// The contents of every key read (None if reading them failed).
    pub contents: Option<BTreeMap<Key, Value>>,
    /// Structural invariant violations.
    pub violations: Vec<Violation>,
    /// What the backend's `len` said (None: it has none, or it threw).
    pub len: Option<usize>,
}

/// What the checker found, and what it could not decide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// The findings.
    pub findings: Vec<Finding>,
    /// Why a check that ran out of its budget decided nothing (not a
    /// finding; the run is then neither clean nor failing).
    pub undecided: Option<String>,
}

/// What the checker needs to know besides the history.
pub struct Context<'a> {
    /// The backend's name (part of every signature).
    pub backend: &'a str,
    /// What the backend promises about `range`, `clear` and `len`.
    pub semantics: Semantics,
    /// Each key's value before the threads started (the prefill).
    pub initial: &'a dyn Fn(Key) -> Option<Value>,
    /// Keys that hold a value before the threads start.
    pub prefilled: &'a [Key],
    /// Number of workload threads.
    pub threads: u32,
    /// How much each key's linearizability search may spend.
    pub budget: linearizability::Budget,
}

/// The findings of a completed execution (see the module docs for the order).
pub fn check_completed(history: &History, quiescent: &Quiescent, cx: &Context<'_>) -> Checked {
    let finding = |kind, message: String, op: Option<&Operation>, detail: String| Finding {
        kind,
        message,
        backend: cx.backend.to_string(),
        thread: op.map(|o| o.thread),
        op: op.map(|o| o.index),
        step: op.map(|o| o.invoke),
        detail,
    };
    let found = |f: Finding| Checked {
        findings: vec![f],
        undecided: None,
    };
    let ops = history.operations();
    // What the searches could not decide, one line each.
    let mut undecided: Vec<String> = Vec::new();
    let observed = if cx.threads == 1 {
        check_sequential(&ops, quiescent, cx)
    } else {
        check_concurrent(&ops, quiescent, cx, &mut undecided)
    };
    if let Some((kind, message, op, detail)) = observed {
        return found(finding(kind, message, op.map(|i| &ops[i]), detail));
    }
    // The whole-map search only ever runs for a clear or a len: the
    // prefilled map (up to 2^20 keys) is built only then.
    if cx.threads > 1
        && ops
            .iter()
            .any(|o| matches!(o.op, crate::op::Op::Clear | crate::op::Op::Len))
    {
        let initial: BTreeMap<Key, Value> = cx
            .prefilled
            .iter()
            .filter_map(|&k| (cx.initial)(k).map(|v| (k, v)))
            .collect();
        match linearizability::check_whole(
            &ops,
            cx.semantics,
            &initial,
            linearizability::WholeBudget::default(),
        ) {
            linearizability::Whole::Violation(ce) => {
                let detail = format!(
                    "{}; ops involved: {}",
                    ce.summary,
                    describe_ops(&ops, &ce.ops)
                );
                return found(finding(
                    FindingKind::Linearizability,
                    "no linearization of the whole map".into(),
                    ce.ops.last().map(|&i| &ops[i]),
                    detail,
                ));
            }
            linearizability::Whole::Undecided(why) => undecided.push(why),
            linearizability::Whole::NotNeeded | linearizability::Whole::Linearizable => {}
        }
    }
    if let Some(v) = quiescent.violations.first() {
        let more = quiescent.violations.len() - 1;
        let more = if more > 0 {
            format!(" (+{more} more violations)")
        } else {
            String::new()
        };
        return found(finding(
            FindingKind::Invariant,
            v.invariant.to_string(),
            None,
            format!("{}{more}", v.detail),
        ));
    }
    // After the invariants: a broken structure (a wrong count) names the
    // cause of a wrong `len`; this catches maps without such checks.
    if let (Some(len), Some(contents)) = (quiescent.len, &quiescent.contents) {
        if len != contents.len() {
            return found(finding(
                FindingKind::Linearizability,
                "len disagrees with the contents at quiescence".into(),
                None,
                format!(
                    "len returned {len} with every op done, but the map holds {} keys",
                    contents.len()
                ),
            ));
        }
    }
    Checked {
        findings: Vec::new(),
        undecided: summarize(undecided),
    }
}

/// The first line of what was left undecided, and how many more.
fn summarize(mut undecided: Vec<String>) -> Option<String> {
    let more = undecided.len().checked_sub(1)?;
    let mut first = undecided.swap_remove(0);
    if more > 0 {
        first.push_str(&format!(" (+{more} more undecided)"));
    }
    Some(first)
}

/// A finding's parts: kind, stable message, index of the op it points at, detail.
type Observed = Option<(FindingKind, String, Option<usize>, String)>;

/// One thread: every result must be exactly the sequential model's.
fn check_sequential(ops: &[Operation], quiescent: &Quiescent, cx: &Context<'_>) -> Observed {
    let mut model = Model::new(
        cx.prefilled
            .iter()
            .filter_map(|&k| (cx.initial)(k).map(|v| (k, v)))
            .collect(),
    );
    for (i, o) in ops.iter().enumerate() {
        let Some((_, got)) = &o.ret else { break };
        if matches!(got, Ret::Throw(_) | Ret::Panic(_)) {
            break;
        }
        if !model.agrees(&o.op, got) {
            let want = model.clone().apply(&o.op);
            return Some((
                FindingKind::ModelMismatch,
                format!("{} disagrees with the sequential model", o.op.name()),
                Some(i),
                format!(
                    "{} returned {}; a sequential map returns {}",
                    o.op, got, want
                ),
            ));
        }
        model.apply(&o.op);
    }
    match &quiescent.contents {
        Some(contents) if *contents != model.map => Some((
            FindingKind::LostWrite,
            "contents at quiescence differ from the sequential model".into(),
            None,
            describe_difference(&model.map, contents),
        )),
        _ => None,
    }
}

/// Several threads: a vanished last write, then linearizability per key,
/// then the quiescent contents against every linearization — one pass
/// ([`linearizability::check_all`]).
fn check_concurrent(
    ops: &[Operation],
    quiescent: &Quiescent,
    cx: &Context<'_>,
    undecided: &mut Vec<String>,
) -> Observed {
    let (failure, ce) = match linearizability::check_all_within(
        ops,
        cx.semantics,
        cx.initial,
        cx.prefilled,
        quiescent.contents.as_ref(),
        &cx.budget,
    ) {
        Ok(checked) => {
            undecided.extend(checked.undecided.iter().map(|u| u.to_string()));
            return None;
        }
        Err(e) => e,
    };
    let (kind, message) = match failure {
        linearizability::Failure::NotLinearizable => (
            FindingKind::Linearizability,
            "no linearization of the history",
        ),
        linearizability::Failure::LastWriteLost => (
            FindingKind::LostWrite,
            "the last write to a key is missing at quiescence",
        ),
        linearizability::Failure::LostWrite => (
            FindingKind::LostWrite,
            "an acknowledged write is missing at quiescence",
        ),
    };
    let detail = format!(
        "{}; ops involved: {}",
        ce.summary,
        describe_ops(ops, &ce.ops)
    );
    Some((kind, message.into(), ce.ops.last().copied(), detail))
}

/// `t1#4 store(3, 0x…) → ()`, for the ops a counterexample names.
fn describe_ops(ops: &[Operation], which: &[usize]) -> String {
    which
        .iter()
        .take(8)
        .map(|&i| {
            let o = &ops[i];
            let (ret, until) = match &o.ret {
                Some((t, r)) => (r.to_string(), t.to_string()),
                None => ("pending".into(), String::new()),
            };
            format!(
                "t{}#{} {} → {ret} [{}..{until}]",
                o.thread, o.index, o.op, o.invoke,
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_difference(want: &BTreeMap<Key, Value>, got: &BTreeMap<Key, Value>) -> String {
    let mut diffs = Vec::new();
    for (k, v) in want {
        match got.get(k) {
            None => diffs.push(format!("key {k}: {v:#x} missing")),
            Some(g) if g != v => diffs.push(format!("key {k}: {g:#x} instead of {v:#x}")),
            _ => {}
        }
    }
    for (k, g) in got {
        if !want.contains_key(k) {
            diffs.push(format!("key {k}: {g:#x} should be absent"));
        }
    }
    let n = diffs.len();
    diffs.truncate(4);
    format!(
        "{}{}",
        diffs.join("; "),
        if n > 4 {
            format!(" (+{} more)", n - 4)
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Event;
    use crate::op::Op;

    /// Two threads storing to one key one after the other, then reading it.
    fn history() -> History {
        let mut h = History::default();
        let mut time = 0;
        let mut ev = |thread, index, op: Op, ret: Ret| {
            time += 1;
            h.events.push(Event::Invoke {
                thread,
                index,
                op,
                time,
            });
            time += 1;
            h.events.push(Event::Return {
                thread,
                index,
                ret,
                time,
            });
        };
        ev(0, 0, Op::Store { key: 1, value: 5 }, Ret::Unit);
        ev(1, 0, Op::Store { key: 1, value: 6 }, Ret::Unit);
        ev(0, 1, Op::Load { key: 1 }, Ret::Value(Some(6)));
        h
    }

    #[test]
    fn a_key_out_of_budget_is_undecided_not_clean_nor_a_finding() {
        let none = |_| None;
        let mut cx = Context {
            backend: "rwmutex",
            semantics: Semantics::default(),
            initial: &none,
            prefilled: &[],
            threads: 2,
            budget: linearizability::Budget::default(),
        };
        let quiescent = Quiescent {
            contents: Some([(1, 6)].into()),
            violations: Vec::new(),
            len: Some(1),
        };
        let h = history();
        assert_eq!(check_completed(&h, &quiescent, &cx), Checked::default());
        cx.budget.steps = 1;
        let checked = check_completed(&h, &quiescent, &cx);
        assert!(checked.findings.is_empty(), "{checked:?}");
        let why = checked.undecided.expect("undecided");
        assert!(why.contains("key 1 ran out of its 1 steps"), "{why}");
    }
}
