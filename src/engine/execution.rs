//! One execution: a scenario, a seed, a backend → a history and findings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::stress::{self, StressEnd, StressOptions};
use crate::check::{self, Context, Finding, FindingKind, Quiescent};
use crate::history::History;
use crate::maps::ChaosMap;
use crate::scenario::{Expect, Mode, Scenario};
use crate::seed::{Seed, Stream};
use crate::sync::Cover;
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
    /// What the engine found directly (throws, panics, hangs, deadlocks);
    /// the checker adds its own.
    pub findings: Vec<Finding>,
    /// Coverage marks.
    pub coverage: BTreeMap<Cover, u64>,
    /// Wall time of the execution.
    pub elapsed: Duration,
    /// Scheduler steps (sched mode).
    pub steps: Option<u64>,
}

impl Execution {
    /// The history's hash (meaningful for replay in sched mode).
    pub fn history_hash(&self) -> u64 {
        self.history.hash()
    }

    /// Whether the scenario's expectation was met by these findings.
    pub fn expectation_met(&self) -> bool {
        match self.scenario.expect {
            Expect::Clean => self.findings.is_empty(),
            Expect::Throw => self.findings.iter().any(|f| f.kind == FindingKind::Throw),
        }
    }
}

/// Runs `scenario` under `seed` against a backend built by `factory`.
pub fn execute(scenario: &Scenario, seed: Seed, factory: Factory<'_>) -> Execution {
    execute_workload(scenario, seed, Arc::new(generate(scenario, seed)), factory)
}

/// Runs an explicit `workload` (a repro's script) instead of the one the
/// seed generates; the seed still drives the backend, scheduler and faults.
pub fn execute_workload(
    scenario: &Scenario,
    seed: Seed,
    workload: Arc<Workload>,
    factory: Factory<'_>,
) -> Execution {
    let map: Arc<dyn ChaosMap> = Arc::from(factory(seed.derive(Stream::Backend)));
    for k in 0..scenario.prefill {
        // The prefill runs before any thread starts: single-threaded, it
        // cannot throw on a correct backend; a backend that does is reported
        // by the run itself.
        let _ = map.store(k, prefill_value(k));
    }
    match scenario.mode {
        Mode::Stress | Mode::Sched => {
            let opts = StressOptions {
                seed,
                perturb: scenario.perturb,
                timeout: Duration::from_millis(scenario.timeout_ms),
                record: true,
            };
            let run = stress::run(map.clone(), workload, &opts);
            let mut findings = stress_findings(&run.end, &scenario.backend);
            if run.end == StressEnd::Completed && !run.truncated {
                findings = check_quiescent(scenario, &run.history, &*map);
            }
            Execution {
                scenario: scenario.clone(),
                seed,
                history: run.history,
                truncated: run.truncated,
                findings,
                coverage: run.coverage,
                elapsed: run.elapsed,
                steps: None,
            }
        }
    }
}

/// Reads the quiescent state off `map` and runs the checker.
fn check_quiescent(scenario: &Scenario, history: &History, map: &dyn ChaosMap) -> Vec<Finding> {
    let mut contents = BTreeMap::new();
    let read = map.range(&mut |k, v| {
        contents.insert(k, v);
        true
    });
    let quiescent = Quiescent {
        contents: read.is_ok().then_some(contents),
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

fn stress_findings(end: &StressEnd, backend: &str) -> Vec<Finding> {
    let finding = |kind, message: String, thread, op, detail: String| Finding {
        kind,
        message,
        backend: backend.to_string(),
        thread,
        op,
        step: None,
        detail,
    };
    match end {
        StressEnd::Completed => vec![],
        StressEnd::Throw { thread, op, throw } => vec![finding(
            FindingKind::Throw,
            throw.message().to_string(),
            Some(*thread),
            Some(*op),
            format!("fatal error: {}", throw.message()),
        )],
        StressEnd::Panic {
            thread,
            op,
            message,
        } => vec![finding(
            FindingKind::Panic,
            message.clone(),
            Some(*thread),
            Some(*op),
            String::new(),
        )],
        StressEnd::Hang { positions } => {
            let at: Vec<String> = positions
                .iter()
                .filter(|p| !p.finished)
                .map(|p| format!("thread {} in op {}", p.thread, p.op))
                .collect();
            vec![finding(
                FindingKind::Hang,
                "threads still running when the watchdog fired".into(),
                positions.iter().find(|p| !p.finished).map(|p| p.thread),
                positions.iter().find(|p| !p.finished).map(|p| p.op),
                at.join("; "),
            )]
        }
    }
}
