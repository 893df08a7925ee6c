//! One execution: a [`Request`] → a history, findings and an [`Outcome`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::findings::{check_quiescent, failure_finding, hang_finding, sched_findings};
use super::request::Request;
use super::run_sched;
use super::sched::{Departure, End, SchedConfig, SiteVisit, StrategyKind, Trace};
use super::stress::{self, StressEnd, StressOptions};
use crate::check::{Checked, Finding, FindingKind, Overlap};
use crate::history::History;
use crate::maps::{ChaosMap, Constructor, Semantics};
use crate::scenario::{Expect, Mode, Scenario, Strategy, SwarmChoice};
use crate::seed::{Seed, Stream};
use crate::sync::{Class, Cover};
use crate::workload::{prefill, Workload};

/// The result of one execution.
#[derive(Clone, Debug)]
pub struct Execution {
    /// The scenario run (in the mode it ran in).
    pub scenario: Scenario,
    /// The seed.
    pub seed: Seed,
    /// Every event recorded.
    pub history: History,
    /// Findings: what the engine met (throws, panics, hangs, deadlocks,
    /// races, nondeterminism) or, for a completed execution, what the
    /// checker found. Whether they were expected is [`Execution::outcome`].
    pub findings: Vec<Finding>,
    /// What the checker assumed of the backend, and what it could not
    /// decide.
    pub checked: Check,
    /// Coverage marks.
    pub coverage: BTreeMap<Cover, u64>,
    /// The coverage marks that fired while another thread was mid-op.
    pub interleaved: BTreeMap<Cover, u64>,
    /// The backend's interleaving classes ([`Execution::classes_reached`]).
    pub classes: &'static [Class],
    /// Wall time of the execution.
    pub elapsed: Duration,
    /// What only one mode produces.
    pub detail: ModeDetail,
    /// A `go:` backend's runtime: `go1.26.8, swiss map, built-in target`.
    pub runtime: Option<String>,
    /// Under a swarm scenario, what the seed chose; [`Execution::scenario`]
    /// is the plain scenario of that choice.
    pub swarm: Option<SwarmChoice>,
}

/// What the checker assumed and left undecided in one execution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Check {
    /// What the backend declared about `range`, `clear` and `len`, as
    /// checked.
    pub semantics: Semantics,
    /// Why a check decided nothing within its budget (not a finding).
    pub undecided: Option<String>,
}

/// The part of an [`Execution`] that only one mode produces.
#[derive(Clone, Debug)]
pub enum ModeDetail {
    /// Real threads.
    Stress {
        /// Whether the history stopped recording at the memory bound.
        truncated: bool,
    },
    /// The deterministic scheduler.
    Sched(SchedDetail),
}

/// What a sched execution produced besides its history.
#[derive(Clone, Debug)]
pub struct SchedDetail {
    /// Scheduler steps.
    pub steps: u64,
    /// The schedule and the faults fired: replays the run without the seed.
    pub trace: Trace,
    /// How the scheduler says the execution ended.
    pub end: End,
    /// Every yield-point visit, when [`Request::record_sites`] asked for
    /// them (empty otherwise).
    pub sites: Vec<SiteVisit>,
    /// When the request followed a trace: where the execution stopped
    /// following it.
    pub departure: Option<Departure>,
    /// Yield points reached inside ops ([`crate::engine::sched::SchedReport::inner_points`]).
    pub inner_points: u64,
}

/// Whether an execution met its scenario's expectation, computed in one
/// place ([`Execution::outcome`]) from the findings and [`Expect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// As expected: no finding for `expect = clean`; a throw, or a finding,
    /// for the others.
    Met,
    /// Findings on a scenario that expected none.
    Finding,
    /// The scenario expected a throw or a finding, and it never came.
    Undetected {
        /// What was expected and did not happen.
        message: &'static str,
    },
    /// No finding, but nothing decided either: the step budget ran out
    /// while operations were still completing (sched mode; a larger
    /// `--max-steps` decides it), or a check ran out of its budget.
    Undecided {
        /// Why, in one line, with what raises the budget.
        why: String,
    },
}

impl Execution {
    /// The history's hash (equal on every replay in sched mode).
    pub fn history_hash(&self) -> u64 {
        self.history.hash()
    }

    /// How much the threads overlapped in the history (real time in stress
    /// mode, scheduler steps in sched mode): what a clean verdict is worth.
    /// Computed on demand, O(n log n), so hunts that never show it do not
    /// pay for it.
    pub fn overlap(&self) -> Overlap {
        Overlap::of(&self.history)
    }

    /// The sched-mode part, if it ran under the scheduler.
    pub fn sched(&self) -> Option<&SchedDetail> {
        match &self.detail {
            ModeDetail::Sched(d) => Some(d),
            ModeDetail::Stress { .. } => None,
        }
    }

    /// Scheduler steps (sched mode).
    pub fn steps(&self) -> Option<u64> {
        self.sched().map(|d| d.steps)
    }

    /// The trace that replays the execution (sched mode).
    pub fn trace(&self) -> Option<&Trace> {
        self.sched().map(|d| &d.trace)
    }

    /// Whether the history stopped recording at the memory bound (stress).
    pub fn truncated(&self) -> bool {
        matches!(self.detail, ModeDetail::Stress { truncated: true })
    }

    /// Whether the findings meet the scenario's expectation.
    pub fn outcome(&self) -> Outcome {
        let threw = || self.findings.iter().any(|f| f.kind == FindingKind::Throw);
        let out_of_steps = self.sched().is_some_and(|d| d.end == End::StepLimit);
        if self.findings.is_empty() {
            if out_of_steps {
                let budget = self.scenario.step_budget();
                return Outcome::Undecided {
                    why: format!(
                        "the step budget ({budget} steps) ran out while operations were still completing: raise it, e.g. --max-steps {}",
                        budget.saturating_mul(4)
                    ),
                };
            }
            if let Some(why) = &self.checked.undecided {
                return Outcome::Undecided { why: why.clone() };
            }
        }
        match self.scenario.expect {
            Expect::Clean if self.findings.is_empty() => Outcome::Met,
            Expect::Clean => Outcome::Finding,
            Expect::Throw if threw() => Outcome::Met,
            Expect::Throw => Outcome::Undetected {
                message: "expected a throw; the race went undetected",
            },
            Expect::Finding if !self.findings.is_empty() => Outcome::Met,
            Expect::Finding => Outcome::Undetected {
                message: "expected a finding; the known bug went undetected",
            },
        }
    }

    /// Whether the scenario's expectation was met.
    pub fn expectation_met(&self) -> bool {
        self.outcome() == Outcome::Met
    }

    /// An undetected expectation stated as a finding, for the reports that
    /// list it beside the others (it is never in [`Execution::findings`]).
    pub fn undetected(&self) -> Option<Finding> {
        let Outcome::Undetected { message } = self.outcome() else {
            return None;
        };
        Some(Finding {
            kind: FindingKind::Undetected,
            message: message.into(),
            backend: self.scenario.backend.clone(),
            thread: None,
            op: None,
            step: self.steps(),
            detail: format!(
                "{} ops ran to completion without it",
                self.history.operations().len()
            ),
        })
    }

    /// The first finding about the backend: what a shrink, a repro or a
    /// hunt's report is made of. Not the engine's own note that the same
    /// seed gave another history (a fact about determinism, not a bug to
    /// shrink).
    pub fn first_bug(&self) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|f| f.kind != FindingKind::Nondeterminism)
    }

    /// What a report should warn about, one line each: a sched execution
    /// whose ops held no scheduling point at all interleaved whole ops
    /// only, which says little about the code inside them.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.whole_ops_only() {
            out.push(WHOLE_OPS_ONLY.to_string());
        }
        out
    }

    /// The backend's interleaving classes this execution reached: each
    /// class's mark fired while another thread was mid-op.
    pub fn classes_reached(&self) -> impl Iterator<Item = &'static Class> + '_ {
        self.classes
            .iter()
            .filter(|c| self.interleaved.get(&c.mark).is_some_and(|&n| n > 0))
    }

    /// Sched mode, two threads or more: no op reached a scheduling point,
    /// so the scheduler could only interleave whole ops.
    pub fn whole_ops_only(&self) -> bool {
        let ran_ops = self.scenario.threads >= 2 && self.history.events.len() > 2;
        ran_ops && self.sched().is_some_and(|d| d.inner_points == 0)
    }

    /// The findings, then the undetected expectation if there is one: what
    /// a report lists.
    pub fn reported_findings(&self) -> Vec<Finding> {
        let mut all = self.findings.clone();
        all.extend(self.undetected());
        all
    }
}

/// The warning of an execution whose ops reached no scheduling point
/// ([`Execution::whole_ops_only`]).
pub const WHOLE_OPS_ONLY: &str = "only whole ops were interleaved: no op reached a scheduling point; take its locks and atomics from chaos::sync (or mark race windows with chaos::sync::yield_now) to explore inside them";

/// Runs `scenario` under `seed` against a backend built by `build`: the
/// plain run of [`Request::new`].
pub fn execute(scenario: &Scenario, seed: Seed, build: &Constructor<'_>) -> Execution {
    run(&Request::new(scenario, seed, build))
}

/// Runs one execution as `request` says.
///
/// With [`Request::recheck`] (the plain run), a sched execution with
/// findings is run a second time and the two histories compared before the
/// findings are reported: a mismatch (hidden randomness, time, or real locks
/// in the backend) is itself a finding, first in the list, naming the first
/// event where they part.
///
/// A swarm scenario runs as the plain scenario its seed chooses
/// ([`Scenario::for_seed`]); the execution's scenario is that plain one.
pub fn run(request: &Request<'_>) -> Execution {
    if let Some(choice) = request.scenario.swarm_choice(request.seed) {
        let plain = choice.apply(request.scenario);
        let mut exec = run(&request.resolved(&plain));
        exec.swarm = Some(choice);
        return exec;
    }
    let workload = request.ops();
    let mut exec = run_once(request, workload.clone());
    if request.recheck && request.mode == Mode::Sched && !exec.findings.is_empty() {
        let again = run_once(request, workload);
        if let Some(i) = exec.history.first_difference(&again.history) {
            exec.findings.insert(
                0,
                Finding {
                    kind: FindingKind::Nondeterminism,
                    message: "the same scenario and seed gave a different history".into(),
                    backend: request.scenario.backend.clone(),
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
    exec
}

/// The scheduler configuration a request asks for.
fn sched_config(request: &Request<'_>) -> SchedConfig {
    let (scenario, sched) = (request.scenario, &request.scenario.sched);
    let strategy = match sched.strategy {
        Strategy::Random => StrategyKind::Random,
        Strategy::Pct => StrategyKind::Pct {
            depth: sched.depth,
            // PCT spreads its change points over the expected length of the
            // execution; about eight scheduling points per op is typical of
            // the built-in backends.
            horizon: (u64::from(scenario.threads) * u64::from(scenario.ops) * 8).max(1),
        },
    };
    SchedConfig {
        seed: request.seed.derive(Stream::Scheduler),
        strategy,
        max_steps: scenario.step_budget(),
        choices: request.choices.clone(),
        faults: request.faults.clone(),
        record_sites: request.record_sites,
    }
}

fn run_once(request: &Request<'_>, workload: Arc<Workload>) -> Execution {
    let scenario = Scenario {
        mode: request.mode,
        ..request.scenario.clone()
    };
    let seed = request.seed;
    if scenario.is_go() {
        // A Go target runs the workload in its own process, on real
        // threads whatever the request's mode (the scenario refuses sched).
        let run = super::go::run(&scenario, seed, &workload);
        return Execution {
            scenario: Scenario {
                mode: Mode::Stress,
                ..scenario
            },
            seed,
            history: run.history,
            findings: run.checked.findings,
            checked: Check {
                semantics: run.semantics,
                undecided: run.checked.undecided,
            },
            coverage: BTreeMap::new(),
            interleaved: BTreeMap::new(),
            classes: &[],
            elapsed: run.elapsed,
            detail: ModeDetail::Stress { truncated: false },
            runtime: run.runtime,
            swarm: None,
        };
    }
    let map: Arc<dyn ChaosMap> = Arc::from((request.build)(seed.derive(Stream::Backend)));
    prefill(&*map, scenario.prefill);
    let backend = scenario.backend.as_str();
    let semantics = map.semantics();
    let classes = map.interleaving_classes();
    let found = |f: Finding| Checked {
        findings: vec![f],
        undecided: None,
    };
    match scenario.mode {
        Mode::Stress => {
            let opts = StressOptions {
                seed,
                perturb: scenario.stress.perturb,
                timeout: Duration::from_millis(scenario.stress.timeout_ms),
                record: true,
                stamping: Default::default(),
                faults: super::request::rates(&scenario),
            };
            let run = stress::run(map.clone(), workload, &opts);
            let checked = match &run.end {
                StressEnd::Completed if !run.truncated => {
                    check_quiescent(&scenario, &run.history, &*map)
                }
                StressEnd::Completed => Checked::default(),
                StressEnd::Failed(f) => found(failure_finding(f, backend, None)),
                StressEnd::Hang { positions } => found(hang_finding(positions, backend)),
            };
            Execution {
                scenario: scenario.clone(),
                seed,
                history: run.history,
                findings: checked.findings,
                checked: Check {
                    semantics,
                    undecided: checked.undecided,
                },
                coverage: run.coverage,
                interleaved: run.interleaved,
                classes,
                elapsed: run.elapsed,
                detail: ModeDetail::Stress {
                    truncated: run.truncated,
                },
                runtime: None,
                swarm: None,
            }
        }
        Mode::Sched => {
            let started = Instant::now();
            let cfg = sched_config(request);
            let what = format!("backend {}, seed {}", scenario.backend, seed);
            let mut run = run_sched::run(map.clone(), &workload, &cfg, what);
            let checked = sched_findings(&scenario, &run, &*map);
            let sites = std::mem::take(&mut run.report.sites);
            Execution {
                scenario: scenario.clone(),
                seed,
                history: run.history,
                findings: checked.findings,
                checked: Check {
                    semantics,
                    undecided: checked.undecided,
                },
                coverage: run.report.coverage,
                interleaved: run.report.interleaved,
                classes,
                elapsed: started.elapsed(),
                detail: ModeDetail::Sched(SchedDetail {
                    inner_points: run.report.inner_points,
                    steps: run.report.steps,
                    end: run.report.end,
                    departure: run.report.departure,
                    trace: run.report.trace,
                    sites,
                }),
                runtime: None,
                swarm: None,
            }
        }
    }
}
