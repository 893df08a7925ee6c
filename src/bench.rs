//! `chaos bench`: the throughput of several backends under one scenario's
//! mix, threads and keys, side by side — "which map should I use for my
//! mix?".
//!
//! For each [`Experiment`] (one scenario; the `incident` preset has two):
//!
//! 1. The ops are generated once, from the scenario and the seed, by the
//!    workload generator ([`crate::workload::generate`]): every backend and
//!    every repeat runs the very same ops, and no op is generated while the
//!    clock runs.
//! 2. The correctness pass: each backend is hunted clean over a few seeds
//!    of the same scenario ([`crate::hunt::hunt`], the scenario's own mode;
//!    `go:` backends in stress mode, the only one they have). A backend
//!    whose check failed is not measured, and its row says `FAILED:
//!    <finding kind>`: a fast map that is wrong is no answer.
//! 3. The measurement: `repeat` rounds; in each, every backend once, in an
//!    order rotated by one each round, so machine noise falls on all alike.
//!    One measurement builds the map fresh, prefills it, starts one thread
//!    per workload thread, holds them on a spin barrier, and times from the
//!    barrier's release to the last thread's last op. No engine hook is
//!    installed on these threads, so every `chaos::sync` yield point is one
//!    relaxed load and every lock a plain lock. A `go:` backend is measured
//!    inside its Go target (`TARGET bench`, `go/PROTOCOL.md`): the same ops
//!    on goroutines, nothing recorded, timed by the target.
//!
//! A [`Row`] reports the median time over the repeats as ops/s and ns/op,
//! and its spread as the fastest and slowest repeat (min–max) and the
//! interquartile range of the repeats.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::engine::stress::SpinBarrier;
use crate::engine::{self, panic_message};
use crate::hunt::{hunt, HuntLimits, Observer, SeedRange, Shard};
use crate::maps::{ChaosMap, Constructor};
use crate::op::Ret;
use crate::scenario::enum_name;
use crate::scenario::{Expect, Mode, Scenario};
use crate::seed::{sub_seed, Seed};
use crate::workload::{generate, prefill, Workload};

/// Repeats when none are asked for.
pub const DEFAULT_REPEAT: u32 = 7;

/// Seeds of the correctness pass when none are asked for.
pub const DEFAULT_CHECK_SEEDS: u64 = 20;

/// The three designs the incident compared; a backend is one of them when
/// it is the same design (for the preset's "incident" column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// `map` + `sync.Mutex`.
    Mutex,
    /// `map` + `sync.RWMutex`.
    RwMutex,
    /// `sync.Map`.
    SyncMap,
}

impl Design {
    /// The design of the backend called `name`, if it is one of the three.
    pub fn of(name: &str) -> Option<Design> {
        match name {
            "mutex" | "go:mutex" => Some(Design::Mutex),
            "rwmutex" | "swiss-rwmutex" | "go:rwmutex" => Some(Design::RwMutex),
            "syncmap" | "hashtriemap" | "go:syncmap" => Some(Design::SyncMap),
            _ => None,
        }
    }

    /// How Go code spells it.
    pub fn go_name(self) -> &'static str {
        match self {
            Design::Mutex => "map+Mutex",
            Design::RwMutex => "map+RWMutex",
            Design::SyncMap => "sync.Map",
        }
    }
}

/// The incident's figures for one experiment, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IncidentFigures {
    /// `map` + `sync.Mutex`.
    pub mutex_ms: f64,
    /// `map` + `sync.RWMutex`.
    pub rwmutex_ms: f64,
    /// `sync.Map`.
    pub syncmap_ms: f64,
}

impl IncidentFigures {
    /// The figure of `design`.
    pub fn of(&self, design: Design) -> f64 {
        match design {
            Design::Mutex => self.mutex_ms,
            Design::RwMutex => self.rwmutex_ms,
            Design::SyncMap => self.syncmap_ms,
        }
    }
}

/// One scenario to measure every backend under.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// Its name in the report (`scenario` for a user's own; the preset's
    /// `pure-write` and `read-90`).
    pub name: String,
    /// What the incident wrote down for it, if it is one of its two.
    pub incident: Option<IncidentFigures>,
    /// The scenario; its `backend` is replaced by each entrant's.
    pub scenario: Scenario,
}

/// How an entrant's map is made.
#[derive(Clone, Copy)]
pub enum Subject<'a> {
    /// In this process, by its constructor.
    Local(&'a Constructor<'a>),
    /// A `go:NAME` backend, in its Go target process.
    Go,
}

/// One backend to measure.
#[derive(Clone)]
pub struct Entrant<'a> {
    /// Its backend name.
    pub name: String,
    /// How its map is made.
    pub subject: Subject<'a>,
}

/// How a bench runs.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Measurements of each backend (at least 1).
    pub repeat: u32,
    /// Seeds of the correctness pass (0: no check; the rows say so).
    pub check_seeds: u64,
    /// The seed of the ops; the check runs seeds `seed..seed + check_seeds`.
    pub seed: Seed,
}

/// What the correctness pass said of one backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckResult {
    /// Every seed clean.
    Passed {
        /// Seeds run.
        seeds: u64,
        /// In which mode.
        mode: Mode,
    },
    /// A seed had a finding: the backend is not measured.
    Failed {
        /// The finding's kind (`throw`, `linearizability`, ...).
        kind: String,
        /// Its message.
        message: String,
        /// The lowest failing seed.
        seed: u64,
        /// In which mode.
        mode: Mode,
    },
    /// No seed decided (every step budget ran out).
    Undecided {
        /// Seeds run.
        seeds: u64,
    },
    /// No check was asked for (`--check-seeds 0`).
    Skipped,
}

/// One backend's line of an experiment.
#[derive(Clone, Debug)]
pub struct Row {
    /// The backend.
    pub backend: String,
    /// The correctness pass.
    pub check: CheckResult,
    /// One wall time per repeat, in the order measured.
    pub samples: Vec<Duration>,
    /// Why the measurement stopped, if it did: a throw, a panic or a hang
    /// while measuring, or a Go target that could not run it.
    pub measure_error: Option<String>,
    /// The incident's figure for this backend's design, if the experiment
    /// is one of the incident's and the backend one of its three designs.
    pub incident_ms: Option<f64>,
}

/// A duration's quantile `q` (0 to 1) over sorted samples, interpolated.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    let f = at - lo as f64;
    let ns = sorted[lo].as_nanos() as f64 * (1.0 - f) + sorted[hi].as_nanos() as f64 * f;
    Duration::from_nanos(ns.round() as u64)
}

impl Row {
    fn sorted(&self) -> Option<Vec<Duration>> {
        if self.samples.is_empty() || self.measure_error.is_some() {
            return None;
        }
        let mut s = self.samples.clone();
        s.sort();
        Some(s)
    }

    /// The median wall time, if the backend was measured.
    pub fn median(&self) -> Option<Duration> {
        self.sorted().map(|s| quantile(&s, 0.5))
    }

    /// The fastest and the slowest repeat.
    pub fn min_max(&self) -> Option<(Duration, Duration)> {
        self.sorted().map(|s| (s[0], s[s.len() - 1]))
    }

    /// The first and third quartiles of the repeats (interpolated).
    pub fn quartiles(&self) -> Option<(Duration, Duration)> {
        self.sorted()
            .map(|s| (quantile(&s, 0.25), quantile(&s, 0.75)))
    }

    /// Whether the check failed or the measurement did: the row is marked
    /// and carries no figures.
    pub fn failed(&self) -> bool {
        matches!(self.check, CheckResult::Failed { .. }) || self.measure_error.is_some()
    }

    /// The check column: `ok (20 sched seeds)`, `FAILED: throw (seed 3)`,
    /// `FAILED while measuring: ...`, `undecided`, `unchecked`.
    pub fn status(&self) -> String {
        if let Some(e) = &self.measure_error {
            return format!("FAILED while measuring: {e}");
        }
        match &self.check {
            CheckResult::Passed { seeds, mode } => {
                let s = if *seeds == 1 { "" } else { "s" };
                format!("ok ({seeds} {} seed{s})", enum_name(mode))
            }
            CheckResult::Failed {
                kind, seed, mode, ..
            } => {
                format!("FAILED: {kind} ({} seed {seed})", enum_name(mode))
            }
            CheckResult::Undecided { seeds } => format!(
                "undecided ({seeds} seed{})",
                if *seeds == 1 { "" } else { "s" }
            ),
            CheckResult::Skipped => "unchecked".into(),
        }
    }
}

/// One experiment's results.
#[derive(Clone, Debug)]
pub struct ExperimentReport {
    /// Its name.
    pub name: String,
    /// Its scenario (the backend field is the first entrant's).
    pub scenario: Scenario,
    /// Whether it is one of the incident's (its rows carry the figures).
    pub incident: Option<IncidentFigures>,
    /// One row per backend, in the order asked for.
    pub rows: Vec<Row>,
}

impl ExperimentReport {
    /// Ops of one measurement: threads × ops per thread.
    pub fn total_ops(&self) -> u64 {
        u64::from(self.scenario.threads) * u64::from(self.scenario.ops)
    }

    /// The lowest median of the rows measured.
    pub fn fastest(&self) -> Option<Duration> {
        self.rows.iter().filter_map(Row::median).min()
    }

    /// `row`'s median over the fastest one's (1.0 for the fastest).
    pub fn ratio(&self, row: &Row) -> Option<f64> {
        let fastest = self.fastest()?.as_nanos().max(1) as f64;
        row.median().map(|m| m.as_nanos() as f64 / fastest)
    }

    /// Operations per second at `elapsed` for one measurement.
    pub fn ops_per_sec(&self, elapsed: Duration) -> f64 {
        self.total_ops() as f64 / elapsed.as_secs_f64().max(1e-12)
    }

    /// Nanoseconds per operation at `elapsed` (wall time over all ops).
    pub fn ns_per_op(&self, elapsed: Duration) -> f64 {
        elapsed.as_nanos() as f64 / self.total_ops().max(1) as f64
    }
}

/// A whole bench's results.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// The preset run, if one.
    pub preset: Option<String>,
    /// One per experiment.
    pub experiments: Vec<ExperimentReport>,
    /// How it ran.
    pub repeat: u32,
    /// Seeds of the correctness pass.
    pub check_seeds: u64,
    /// The seed of the ops.
    pub seed: Seed,
    /// Lines for the reader (e.g. why the `go:` rows were skipped).
    pub notes: Vec<String>,
}

/// `scenario` for the backend `name`: expected clean; a `go:` backend in
/// stress mode with no forced resizes (what its target can do).
pub fn scenario_for(scenario: &Scenario, name: &str) -> Scenario {
    let mut s = scenario.clone();
    s.backend = name.to_string();
    s.expect = Expect::Clean;
    if s.is_go() {
        s.mode = Mode::Stress;
        s.resize_rate = 0.0;
        s.evacuate_rate = 0.0;
        s.promote_rate = 0.0;
    } else {
        s.go_target = None;
    }
    s
}

/// Hunts `entrant` clean over the settings' seeds of `scenario`.
pub fn check(scenario: &Scenario, entrant: &Entrant<'_>, settings: &Settings) -> CheckResult {
    if settings.check_seeds == 0 {
        return CheckResult::Skipped;
    }
    let s = scenario_for(scenario, &entrant.name);
    let build: &Constructor<'_> = match entrant.subject {
        Subject::Local(build) => build,
        Subject::Go => &engine::go::IN_TARGET,
    };
    let range = SeedRange {
        start: settings.seed.0,
        end: settings.seed.0.saturating_add(settings.check_seeds),
    };
    let interrupt = AtomicBool::new(false);
    let report = hunt(
        &s,
        range,
        Shard::default(),
        HuntLimits {
            stop_at_first: true,
            time_budget: None,
            jobs: None,
        },
        build,
        Observer {
            progress: &|_| {},
            new_signature: &mut |_| {},
            interrupt: &interrupt,
        },
    );
    if let Some(exec) = report.found.first() {
        let finding = exec.first_bug().or(exec.findings.first());
        return CheckResult::Failed {
            kind: finding.map_or("finding".into(), |f| f.kind.name().to_string()),
            message: finding.map(|f| f.message.clone()).unwrap_or_default(),
            seed: exec.seed.0,
            mode: s.mode,
        };
    }
    if report.all_undecided() {
        return CheckResult::Undecided {
            seeds: report.executed,
        };
    }
    CheckResult::Passed {
        seeds: report.executed,
        mode: s.mode,
    }
}

/// A fresh map from `build` and `seed`, prefilled as the scenario says.
pub fn prefilled(scenario: &Scenario, build: &Constructor<'_>, seed: u64) -> Box<dyn ChaosMap> {
    let map = build(seed);
    prefill(&*map, scenario.prefill);
    map
}

/// One measurement of `map` running `workload`: one OS thread per
/// workload thread, released together; the wall time from the release to
/// the last thread's last op. A throw or panic stops the measurement
/// (`Err` says which, on one line); so does a run longer than `timeout`,
/// whose threads are then left behind (a backend that passed its check
/// does not hang).
pub fn measure(
    map: Arc<dyn ChaosMap>,
    workload: &Arc<Workload>,
    timeout: Duration,
) -> Result<Duration, String> {
    let threads = workload.threads.len();
    let line = Arc::new(SpinBarrier::default());
    let (tx, rx) = mpsc::channel::<(Instant, Result<(), String>)>();
    let mut handles = Vec::with_capacity(threads);
    for t in 0..threads {
        let (map, workload, line, tx) = (map.clone(), workload.clone(), line.clone(), tx.clone());
        let handle = std::thread::Builder::new()
            .name(format!("chaos-bench-{t}"))
            .spawn(move || {
                line.arrive_and_wait();
                let ran = catch_unwind(AssertUnwindSafe(|| {
                    for op in &workload.threads[t] {
                        match op.apply(&*map) {
                            Ret::Throw(t) => return Err(format!("throw: {t}")),
                            r => drop(std::hint::black_box(r)),
                        }
                    }
                    Ok(())
                }));
                let end = Instant::now();
                let ran = ran.unwrap_or_else(|p| Err(format!("panic: {}", panic_message(&*p))));
                let _ = tx.send((end, ran));
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        handles.push(handle);
    }
    drop(tx);
    let start = line.release_when(threads);
    let deadline = start + timeout;
    let mut last = start;
    for _ in 0..threads {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok((end, Ok(()))) => last = last.max(end),
            Ok((_, Err(e))) => return Err(e),
            Err(_) => {
                return Err(format!(
                    "hang: still running after {} ms",
                    timeout.as_millis()
                ))
            }
        }
    }
    // Every thread has sent its end: join them, so that their exit (and
    // the map's drop, by whichever holds it last) is over before the next
    // measurement starts, not a load on it.
    for h in handles {
        let _ = h.join();
    }
    Ok(last - start)
}

/// One measurement of an entrant under `scenario` (already for it: see
/// [`scenario_for`]); `map_seed` seeds its map.
fn measure_entrant(
    scenario: &Scenario,
    entrant: &Entrant<'_>,
    workload: &Arc<Workload>,
    map_seed: u64,
) -> Result<Duration, String> {
    match entrant.subject {
        Subject::Local(build) => {
            let map: Arc<dyn ChaosMap> = Arc::from(prefilled(scenario, build, map_seed));
            measure(
                map,
                workload,
                Duration::from_millis(scenario.stress.timeout_ms),
            )
        }
        Subject::Go => engine::go::bench(scenario, workload),
    }
}

/// Runs every experiment over every entrant: the check first, then the
/// measurements, round-robin. `progress` hears one line per stage.
pub fn bench(
    experiments: &[Experiment],
    entrants: &[Entrant<'_>],
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Vec<ExperimentReport> {
    experiments
        .iter()
        .map(|exp| {
            let workload = Arc::new(generate(&exp.scenario, settings.seed));
            let mut rows: Vec<Row> = entrants
                .iter()
                .map(|e| {
                    progress(&format!("{}: checking {}", exp.name, e.name));
                    Row {
                        backend: e.name.clone(),
                        check: check(&exp.scenario, e, settings),
                        samples: Vec::new(),
                        measure_error: None,
                        incident_ms: exp.incident.zip(Design::of(&e.name)).map(|(f, d)| f.of(d)),
                    }
                })
                .collect();
            let n = entrants.len();
            for r in 0..settings.repeat {
                progress(&format!(
                    "{}: measuring, round {} of {}",
                    exp.name,
                    r + 1,
                    settings.repeat
                ));
                for i in 0..n {
                    let at = (i + r as usize) % n;
                    let row = &mut rows[at];
                    if matches!(row.check, CheckResult::Failed { .. })
                        || row.measure_error.is_some()
                    {
                        continue;
                    }
                    let s = scenario_for(&exp.scenario, &entrants[at].name);
                    let map_seed = sub_seed(settings.seed.0, u64::from(r));
                    match measure_entrant(&s, &entrants[at], &workload, map_seed) {
                        Ok(d) => row.samples.push(d),
                        Err(e) => row.measure_error = Some(e),
                    }
                }
            }
            ExperimentReport {
                name: exp.name.clone(),
                scenario: exp.scenario.clone(),
                incident: exp.incident,
                rows,
            }
        })
        .collect()
}

/// The incident's two experiments over `base` (whose mode, rates and
/// timeout they keep): (a) `pure-write`: 100 threads × 100 stores, keys
/// `0..10,000`, each thread a run of 100 consecutive keys from a seeded
/// start (the `sequential` distribution); (b) `read-90`: 100 threads × 100
/// ops of `load=90,store=10` over the 10,000 keys, prefilled.
///
/// The incident's goroutines most plausibly each wrote their own block of
/// 100 keys, 10,000 distinct pairs; ours write runs of 100 distinct keys
/// too, but the runs start at seeded places and overlap by chance (about
/// 63% of the 10,000 keys are written), so some stores update a key rather
/// than insert it.
pub fn incident(base: &Scenario) -> Vec<Experiment> {
    let write = Scenario {
        threads: 100,
        ops: 100,
        keys: 10_000,
        distribution: crate::scenario::Distribution::Sequential,
        mix: "store=100".parse().expect("literal mix"),
        prefill: 0,
        ..base.clone()
    };
    let read = Scenario {
        distribution: crate::scenario::Distribution::Uniform,
        mix: "load=90,store=10".parse().expect("literal mix"),
        prefill: 10_000,
        ..write.clone()
    };
    vec![
        Experiment {
            name: "pure-write".into(),
            incident: Some(IncidentFigures {
                mutex_ms: 38.9,
                rwmutex_ms: 41.7,
                syncmap_ms: 82.3,
            }),
            scenario: write,
        },
        Experiment {
            name: "read-90".into(),
            incident: Some(IncidentFigures {
                mutex_ms: 95.2,
                rwmutex_ms: 63.5,
                syncmap_ms: 12.1,
            }),
            scenario: read,
        },
    ]
}

/// The preset names `--preset` takes.
pub const PRESETS: &[&str] = &["incident"];

/// The backends a bench compares when none are named: the correct
/// built-ins of the three designs first, then the other correct ones.
pub const DEFAULT_BACKENDS: &[&str] = &[
    "mutex",
    "rwmutex",
    "syncmap",
    "swiss-rwmutex",
    "hashtriemap",
    "sharded",
];

/// The `go:` backends of the incident preset, when a toolchain is found.
pub const INCIDENT_GO_BACKENDS: &[&str] = &["go:mutex", "go:rwmutex", "go:syncmap"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::registry;

    #[test]
    fn quantiles_interpolate() {
        let d = |n| Duration::from_nanos(n);
        let s = [d(10), d(20), d(30), d(40)];
        assert_eq!(quantile(&s, 0.5), d(25));
        assert_eq!(quantile(&s, 0.0), d(10));
        assert_eq!(quantile(&s, 1.0), d(40));
        assert_eq!(quantile(&[d(7)], 0.75), d(7));
    }

    #[test]
    fn a_throwing_backend_is_measured_as_failed_not_crashed() {
        let s = Scenario {
            threads: 4,
            ops: 2_000,
            keys: 64,
            mix: "store=100".parse().unwrap(),
            ..Scenario::default()
        };
        let w = Arc::new(generate(&s, Seed(1)));
        let gomap = registry::lookup("gomap").unwrap();
        let mutex = registry::lookup("mutex").unwrap();
        // An unlocked Go map's race throws (best effort: a few tries).
        let threw = (0..20).any(|i| {
            let m: Arc<dyn ChaosMap> = Arc::from(prefilled(&s, gomap.constructor(), i));
            measure(m, &w, Duration::from_secs(10)).is_err_and(|e| e.starts_with("throw:"))
        });
        assert!(threw);
        let m: Arc<dyn ChaosMap> = Arc::from(prefilled(&s, mutex.constructor(), 1));
        assert!(measure(m, &w, Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn the_incident_preset_is_two_experiments_of_ten_thousand_ops() {
        let e = incident(&Scenario::default());
        assert_eq!(e.len(), 2);
        for x in &e {
            assert_eq!(
                u64::from(x.scenario.threads) * u64::from(x.scenario.ops),
                10_000
            );
            x.scenario.check().unwrap();
        }
        assert_eq!(Design::of("go:syncmap"), Some(Design::SyncMap));
        assert_eq!(e[1].incident.unwrap().of(Design::SyncMap), 12.1);
    }
}
