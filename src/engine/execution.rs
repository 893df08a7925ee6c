//! One execution: a scenario, a seed, a backend → a history and findings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::boundary::{Failure, FailureKind};
use super::faults::{FaultConfig, FiredFault};
use super::race::Race;
use super::run_sched::{self, SchedRun};
use super::sched::{self, Departure, End, SchedConfig, SiteVisit, StrategyKind, Trace};
use super::stress::{self, StressEnd, StressOptions, StressPosition};
use crate::check::{self, Context, Finding, FindingKind, Quiescent};
use crate::history::History;
use crate::maps::ChaosMap;
use crate::scenario::{Expect, Mode, Scenario, Strategy};
use crate::seed::{Seed, Stream};
use crate::sync::{Access, Cover};
use crate::workload::{generate, prefill_value, Workload};

/// Builds a fresh backend from the seed it must use for its own randomness.
pub type Factory<'a> = &'a dyn Fn(u64) -> Box<dyn ChaosMap>;

/// The result of one execution.
#[derive(Clone, Debug)]
pub struct Execution {
    /// The scenario run.
    pub scenario: Scenario,
    /// The seed.
    pub seed: Seed,
    /// Every event recorded.
    pub history: History,
    /// Whether the history stopped recording at the memory bound.
    pub truncated: bool,
    /// Findings: what the engine met (throws, panics, hangs, deadlocks) or,
    /// for a completed execution, what the checker found.
    pub findings: Vec<Finding>,
    /// Coverage marks.
    pub coverage: BTreeMap<Cover, u64>,
    /// Wall time of the execution.
    pub elapsed: Duration,
    /// Scheduler steps (sched mode).
    pub steps: Option<u64>,
    /// The schedule and the faults fired (sched mode): replays the run
    /// without the seed.
    pub trace: Option<Trace>,
    /// How the scheduler says the execution ended (sched mode).
    pub end: Option<End>,
    /// Every yield-point visit, when [`SchedOptions::record_sites`] asked
    /// for them (sched mode; empty otherwise).
    pub sites: Vec<SiteVisit>,
    /// With [`SchedOptions::follow`]: where the execution stopped following
    /// the recorded trace.
    pub departure: Option<Departure>,
}

/// Where a sched execution takes its choices and faults from besides the
/// seed, and what it records. The default: everything from the seed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SchedOptions {
    /// Replay this trace exactly ([`SchedConfig::replay`]).
    pub replay: Option<Trace>,
    /// Follow this trace until the execution departs from it, then draw from
    /// the seed ([`SchedConfig::follow`]).
    pub follow: Option<Trace>,
    /// Fire these faults by each thread's own visit count, instead of
    /// drawing faults ([`SchedConfig::fault_script`]).
    pub fault_script: Option<Vec<FiredFault>>,
    /// Record every yield-point visit ([`SchedConfig::record_sites`]).
    pub record_sites: bool,
}

impl Execution {
    /// The history's hash (equal on every replay in sched mode).
    pub fn history_hash(&self) -> u64 {
        self.history.hash()
    }

    /// Whether the scenario's expectation was met by these findings.
    pub fn expectation_met(&self) -> bool {
        match self.scenario.expect {
            Expect::Clean => self.findings.is_empty(),
            Expect::Throw => self.findings.iter().any(|f| f.kind == FindingKind::Throw),
            Expect::Finding => self
                .findings
                .iter()
                .any(|f| f.kind != FindingKind::Undetected),
        }
    }
}

/// Runs `scenario` under `seed` against a backend built by `factory`.
pub fn execute(scenario: &Scenario, seed: Seed, factory: Factory<'_>) -> Execution {
    execute_workload(scenario, seed, Arc::new(generate(scenario, seed)), factory)
}

/// Runs an explicit `workload` (a repro's script) instead of the one the
/// seed generates; the seed still drives the backend, scheduler and faults.
///
/// In sched mode an execution with findings is run a second time and the
/// two histories compared before the findings are reported: a mismatch
/// (hidden randomness, time, or real locks in the backend) is itself a
/// finding, first in the list, naming the first event where they part.
pub fn execute_workload(
    scenario: &Scenario,
    seed: Seed,
    workload: Arc<Workload>,
    factory: Factory<'_>,
) -> Execution {
    let opts = SchedOptions::default();
    let mut exec = run_once(scenario, seed, workload.clone(), factory, &opts);
    if scenario.mode == Mode::Sched && !exec.findings.is_empty() {
        let again = run_once(scenario, seed, workload, factory, &opts);
        if let Some(i) = exec.history.first_difference(&again.history) {
            exec.findings.insert(
                0,
                Finding {
                    kind: FindingKind::Nondeterminism,
                    message: "the same scenario and seed gave a different history".into(),
                    backend: scenario.backend.clone(),
                    thread: None,
                    op: None,
                    step: None,
                    detail: format!(
                        "histories part at event {i}: {:?} then {:?}; the backend has randomness, time or real locks the scheduler does not control",
                        exec.history.events.get(i),
                        again.history.events.get(i)
                    ),
                },
            );
        }
    }
    let undetected = match scenario.expect {
        Expect::Throw if !exec.findings.iter().any(|f| f.kind == FindingKind::Throw) => {
            Some("expected a throw; the race went undetected")
        }
        Expect::Finding if exec.findings.is_empty() => {
            Some("expected a finding; the known bug went undetected")
        }
        _ => None,
    };
    if let Some(message) = undetected {
        exec.findings.push(Finding {
            kind: FindingKind::Undetected,
            message: message.into(),
            backend: scenario.backend.clone(),
            thread: None,
            op: None,
            step: exec.steps,
            detail: format!(
                "{} ops ran to completion without it",
                exec.history.operations().len()
            ),
        });
    }
    exec
}

/// Replays a recorded schedule (`trace`) of `workload` exactly, in sched
/// mode: every scheduling choice and fault comes from the trace, not the seed.
pub fn replay_trace(
    scenario: &Scenario,
    seed: Seed,
    workload: Arc<Workload>,
    trace: Trace,
    factory: Factory<'_>,
) -> Execution {
    let opts = SchedOptions {
        replay: Some(trace),
        ..SchedOptions::default()
    };
    execute_sched(scenario, seed, workload, &opts, factory)
}

/// Runs `workload` once in sched mode (whatever the scenario's mode), with
/// choices and faults taken as `opts` says. Unlike [`execute_workload`] it
/// does not run a failing execution twice: a caller that replays or follows
/// a trace compares histories itself.
pub fn execute_sched(
    scenario: &Scenario,
    seed: Seed,
    workload: Arc<Workload>,
    opts: &SchedOptions,
    factory: Factory<'_>,
) -> Execution {
    let scenario = Scenario {
        mode: Mode::Sched,
        ..scenario.clone()
    };
    run_once(&scenario, seed, workload, factory, opts)
}

/// The scheduler configuration a scenario asks for.
fn sched_config(
    scenario: &Scenario,
    seed: Seed,
    faults: FaultConfig,
    opts: &SchedOptions,
) -> SchedConfig {
    let strategy = match scenario.strategy {
        Strategy::Random => StrategyKind::Random,
        Strategy::Pct => StrategyKind::Pct {
            depth: scenario.depth,
            // PCT spreads its change points over the expected length of the
            // execution; about eight scheduling points per op is typical of
            // the built-in backends.
            horizon: (u64::from(scenario.threads) * u64::from(scenario.ops) * 8).max(1),
        },
    };
    SchedConfig {
        seed: seed.derive(Stream::Scheduler),
        strategy,
        max_steps: scenario.max_steps,
        faults,
        replay: opts.replay.clone(),
        follow: opts.follow.clone(),
        fault_script: opts.fault_script.clone(),
        record_sites: opts.record_sites,
    }
}

fn run_once(
    scenario: &Scenario,
    seed: Seed,
    workload: Arc<Workload>,
    factory: Factory<'_>,
    opts: &SchedOptions,
) -> Execution {
    let map: Arc<dyn ChaosMap> = Arc::from(factory(seed.derive(Stream::Backend)));
    for k in 0..scenario.prefill {
        // The prefill runs before any thread starts: single-threaded, it
        // cannot throw on a correct backend.
        let _ = map.store(k, prefill_value(k));
    }
    let faults = FaultConfig {
        resize_rate: scenario.resize_rate,
        evacuate_rate: scenario.evacuate_rate,
        promote_rate: scenario.promote_rate,
    };
    let backend = scenario.backend.as_str();
    match scenario.mode {
        Mode::Stress => {
            let opts = StressOptions {
                seed,
                perturb: scenario.perturb,
                timeout: Duration::from_millis(scenario.timeout_ms),
                record: true,
                faults,
            };
            let run = stress::run(map.clone(), workload, &opts);
            let findings = match &run.end {
                StressEnd::Completed if !run.truncated => {
                    check_quiescent(scenario, &run.history, &*map)
                }
                StressEnd::Completed => Vec::new(),
                StressEnd::Failed(f) => vec![failure_finding(f, backend, None)],
                StressEnd::Hang { positions } => vec![hang_finding(positions, backend)],
            };
            Execution {
                scenario: scenario.clone(),
                seed,
                history: run.history,
                truncated: run.truncated,
                findings,
                coverage: run.coverage,
                elapsed: run.elapsed,
                steps: None,
                trace: None,
                end: None,
                sites: Vec::new(),
                departure: None,
            }
        }
        Mode::Sched => {
            let started = Instant::now();
            let cfg = sched_config(scenario, seed, faults, opts);
            let mut run = run_sched::run(map.clone(), &workload, &cfg);
            let findings = sched_findings(scenario, &run, &*map);
            let sites = std::mem::take(&mut run.report.sites);
            Execution {
                scenario: scenario.clone(),
                seed,
                history: run.history,
                truncated: false,
                findings,
                coverage: run.report.coverage,
                elapsed: started.elapsed(),
                steps: Some(run.report.steps),
                end: Some(run.report.end),
                departure: run.report.departure,
                trace: Some(run.report.trace),
                sites,
            }
        }
    }
}

/// Findings of a sched execution, from how the scheduler says it ended.
fn sched_findings(scenario: &Scenario, run: &SchedRun, map: &dyn ChaosMap) -> Vec<Finding> {
    let backend = scenario.backend.as_str();
    let step = Some(run.report.steps);
    let positions = || {
        run.report
            .positions
            .iter()
            .map(|p| {
                let at = match (p.finished, p.last_site) {
                    (true, _) => "finished".to_string(),
                    (false, Some(site)) => format!("at {site:?}"),
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
            findings = check_quiescent(scenario, &run.history, map);
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
        sched::End::StepLimit => findings.push(Finding {
            kind: FindingKind::StepLimit,
            message: "the step limit ran out: a livelock or a thread that never finishes".into(),
            backend: backend.into(),
            thread: unfinished,
            op: None,
            step,
            detail: positions(),
        }),
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
    }
    findings
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
fn check_quiescent(scenario: &Scenario, history: &History, map: &dyn ChaosMap) -> Vec<Finding> {
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
                return vec![Finding {
                    kind: FindingKind::Panic,
                    message: super::stress::panic_message(&*p),
                    backend: scenario.backend.clone(),
                    thread: None,
                    op: None,
                    step: None,
                    detail: format!("while the engine read key {k} at quiescence"),
                }]
            }
        }
    }
    let quiescent = Quiescent {
        contents: readable.then_some(contents),
        violations: map.check_invariants(),
    };
    let prefilled: Vec<u64> = (0..scenario.prefill).collect();
    let prefill = scenario.prefill;
    let initial = move |k: u64| (k < prefill).then(|| prefill_value(k));
    let cx = Context {
        backend: &scenario.backend,
        semantics: map.range_semantics(),
        initial: &initial,
        prefilled: &prefilled,
        threads: scenario.threads,
    };
    check::check_completed(history, &quiescent, &cx)
}

fn failure_finding(f: &Failure, backend: &str, step: Option<u64>) -> Finding {
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

fn hang_finding(positions: &[StressPosition], backend: &str) -> Finding {
    let first = positions.iter().find(|p| !p.finished);
    let at: Vec<String> = positions
        .iter()
        .filter(|p| !p.finished)
        .map(|p| format!("thread {} in op {}", p.thread, p.op))
        .collect();
    Finding {
        kind: FindingKind::Hang,
        message: "threads still running when the watchdog fired".into(),
        backend: backend.to_string(),
        thread: first.map(|p| p.thread),
        op: first.map(|p| p.op),
        step: None,
        detail: at.join("; "),
    }
}
