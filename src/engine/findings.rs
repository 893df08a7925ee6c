//! From how an execution ended to its findings: a throw or panic, a hang,
//! a deadlock, the step limit, a divergence, a race, or what the checker
//! finds at quiescence.

use std::collections::BTreeMap;

use super::boundary::{Failure, FailureKind};
use super::race::Race;
use super::run_sched::SchedRun;
use super::sched;
use super::stress::StressPosition;
use crate::check::{self, Checked, Context, Finding, FindingKind, Quiescent};
use crate::history::History;
use crate::maps::ChaosMap;
use crate::scenario::Scenario;
use crate::sync::Access;
use crate::workload::prefill_value;

/// Findings of a sched execution, from how the scheduler says it ended.
pub(super) fn sched_findings(scenario: &Scenario, run: &SchedRun, map: &dyn ChaosMap) -> Checked {
    let backend = scenario.backend.as_str();
    let step = Some(run.report.steps);
    let positions = || {
        run.report
            .positions
            .iter()
            .map(|p| {
                let at = match (p.finished, p.last_site) {
                    (true, _) => "finished".to_string(),
                    (false, Some(site)) => format!("at {}", site.phrase()),
                    (false, None) => "not started".to_string(),
                };
                let blocked = if p.blocked_on.is_some() {
                    ", blocked on a lock"
                } else {
                    ""
                };
                format!("thread {} {at}{blocked}", p.thread)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let unfinished = run
        .report
        .positions
        .iter()
        .find(|p| !p.finished)
        .map(|p| p.thread as u32);
    let mut findings = Vec::new();
    let mut undecided = None;
    if let Some((thread, message)) = run.report.panics.first() {
        // A panic that escaped a body (the op loop catches backend panics).
        findings.push(Finding {
            kind: FindingKind::Panic,
            message: message.clone(),
            backend: backend.into(),
            thread: Some(*thread as u32),
            op: None,
            step,
            detail: String::new(),
        });
    }
    match &run.report.end {
        sched::End::Completed if findings.is_empty() => {
            let checked = check_quiescent(scenario, &run.history, map);
            findings = checked.findings;
            undecided = checked.undecided;
        }
        sched::End::Completed => {}
        sched::End::Stopped { .. } => {
            if let Some(f) = &run.failure {
                findings.insert(0, failure_finding(f, backend, step));
            }
        }
        sched::End::Deadlock => findings.push(Finding {
            kind: FindingKind::Deadlock,
            message: "every unfinished thread is blocked".into(),
            backend: backend.into(),
            thread: unfinished,
            op: None,
            step,
            detail: positions(),
        }),
        // The budget ran out. No op completing anywhere for a window of
        // steps is a livelock; ops still completing means the run was only
        // longer than its budget: undecided, not a finding
        // ([`super::Outcome::Undecided`]).
        sched::End::StepLimit => {
            let steps = run.report.steps;
            let window = scenario.livelock_window();
            let last_return = run
                .history
                .events
                .iter()
                .rev()
                .find_map(|e| match e {
                    crate::history::Event::Return { time, .. } => Some(*time),
                    _ => None,
                })
                .unwrap_or(0);
            if steps.saturating_sub(last_return) >= window {
                findings.push(Finding {
                    kind: FindingKind::StepLimit,
                    message: "no operation completed for a long stretch: a livelock or a thread that never finishes".into(),
                    backend: backend.into(),
                    thread: unfinished,
                    op: None,
                    step,
                    detail: format!(
                        "no op returned in the last {} of {steps} steps (the livelock window is {window}; --max-steps raises the budget); {}",
                        steps - last_return,
                        positions()
                    ),
                });
            }
        }
        sched::End::Diverged { step, detail } => findings.push(Finding {
            kind: FindingKind::Nondeterminism,
            message: "the execution diverged from its recorded schedule".into(),
            backend: backend.into(),
            thread: None,
            op: None,
            step: Some(*step),
            detail: detail.clone(),
        }),
    }
    if let Some(race) = &run.race {
        // After what stopped the run (it is what the user saw first), before
        // what the checker found (the race is their likely cause).
        let at = usize::from(
            matches!(run.report.end, sched::End::Stopped { .. }) && !findings.is_empty(),
        );
        let caught = findings.iter().any(|f| f.kind == FindingKind::Throw);
        findings.insert(
            at.min(findings.len()),
            race_finding(race, &run.history, backend, caught),
        );
        undecided = None;
    }
    Checked {
        findings,
        undecided,
    }
}

fn race_finding(race: &Race, history: &History, backend: &str, caught: bool) -> Finding {
    let what = |a: Access| match a {
        Access::Read => "read",
        Access::Write => "write",
    };
    let both_writes = race.first.1 == Access::Write && race.second.1 == Access::Write;
    // The op each thread was in when they overlapped: its last invoke so far.
    let op_of = |thread: u32| {
        history.events.iter().rev().find_map(|e| match e {
            crate::history::Event::Invoke {
                thread: t,
                index,
                time,
                ..
            } if *t == thread && *time <= race.step => Some(*index),
            _ => None,
        })
    };
    let (t1, t2) = (race.first.0, race.second.0);
    Finding {
        kind: FindingKind::Race,
        message: if both_writes {
            "concurrent write and write to one Go map".into()
        } else {
            "concurrent read and write to one Go map".into()
        },
        backend: backend.to_string(),
        thread: Some(t2),
        op: op_of(t2),
        step: Some(race.step),
        detail: format!(
            "thread {t2} op {} began a {} while thread {t1} op {} was in a {}, with no lock between them; {}",
            op_of(t2).map_or("?".into(), |o| o.to_string()),
            what(race.second.1),
            op_of(t1).map_or("?".into(), |o| o.to_string()),
            what(race.first.1),
            if caught {
                "Go's runtime check caught it too"
            } else {
                "missed by Go's runtime check: silent-corruption risk"
            }
        ),
    }
}

/// Reads the quiescent state off `map` and runs the checker.
///
/// The contents are read key by key with `load`, not with `range`: range is
/// itself under test (the history checks it), and a broken iterator must not
/// make intact writes look lost. Only keys that some op names or the prefill
/// wrote are read: any other key holding a value would be one nobody wrote,
/// which the history's range results already show.
pub(super) fn check_quiescent(
    scenario: &Scenario,
    history: &History,
    map: &dyn ChaosMap,
) -> Checked {
    let mut keys: std::collections::BTreeSet<u64> = history
        .events
        .iter()
        .filter_map(|e| match e {
            crate::history::Event::Invoke { op, .. } => op.key(),
            crate::history::Event::Return { .. } => None,
        })
        .collect();
    keys.extend(0..scenario.prefill);
    let mut contents = BTreeMap::new();
    let mut readable = true;
    for k in keys {
        // A backend that panics here is a finding, as anywhere else; it must
        // not bring the engine down.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| map.load(k))) {
            Ok(Ok(Some(v))) => {
                contents.insert(k, v);
            }
            Ok(Ok(None)) => {}
            Ok(Err(_)) => readable = false,
            Err(p) => {
                return Checked {
                    findings: vec![Finding {
                        kind: FindingKind::Panic,
                        message: super::panic_message(&*p),
                        backend: scenario.backend.clone(),
                        thread: None,
                        op: None,
                        step: None,
                        detail: format!("while the engine read key {k} at quiescence"),
                    }],
                    undecided: None,
                }
            }
        }
    }
    // `len` at quiescence, where every backend's must be exact.
    let len = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| map.len())) {
        Ok(Some(Ok(n))) => Some(n),
        _ => None,
    };
    let quiescent = Quiescent {
        contents: readable.then_some(contents),
        violations: map.check_invariants(),
        len,
    };
    check_at_quiescence(scenario, history, &quiescent, map.semantics())
}

/// The checker on a completed history, with the map as it was read at
/// quiescence and what its backend declares.
pub(super) fn check_at_quiescence(
    scenario: &Scenario,
    history: &History,
    quiescent: &Quiescent,
    semantics: crate::maps::Semantics,
) -> Checked {
    let prefilled: Vec<u64> = (0..scenario.prefill).collect();
    let prefill = scenario.prefill;
    let initial = move |k: u64| (k < prefill).then(|| prefill_value(k));
    let cx = Context {
        backend: &scenario.backend,
        semantics,
        initial: &initial,
        prefilled: &prefilled,
        threads: scenario.threads,
        budget: Default::default(),
    };
    check::check_completed(history, quiescent, &cx)
}

pub(super) fn failure_finding(f: &Failure, backend: &str, step: Option<u64>) -> Finding {
    let (kind, message, detail) = match &f.what {
        FailureKind::Throw(t) => (
            FindingKind::Throw,
            t.message().to_string(),
            format!("fatal error: {}", t.message()),
        ),
        FailureKind::Panic(m) => (FindingKind::Panic, m.clone(), String::new()),
    };
    Finding {
        kind,
        message,
        backend: backend.to_string(),
        thread: Some(f.thread),
        op: Some(f.op),
        step,
        detail,
    }
}

pub(super) fn hang_finding(positions: &[StressPosition], backend: &str) -> Finding {
    let first = positions.iter().find(|p| !p.finished);
    let at: Vec<String> = positions
        .iter()
        .filter(|p| !p.finished)
        .map(|p| format!("thread {} in op {}", p.thread, p.op))
        .collect();
    let stuck: Vec<String> = positions
        .iter()
        .filter(|p| p.stuck)
        .map(|p| p.thread.to_string())
        .collect();
    let mut detail = at.join("; ");
    if !stuck.is_empty() {
        detail.push_str(&format!(
            "; thread {} could not be stopped: blocked outside chaos::sync (a std lock, \
             or a loop with no yield point?), it stays until the process exits",
            stuck.join(", ")
        ));
    }
    Finding {
        kind: FindingKind::Hang,
        message: "threads still running when the watchdog fired".into(),
        backend: backend.to_string(),
        thread: first.map(|p| p.thread),
        op: first.map(|p| p.op),
        step: None,
        detail,
    }
}
