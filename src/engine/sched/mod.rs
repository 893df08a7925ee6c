//! The deterministic scheduler (docs/design.md step 3, `sched` mode).
//!
//! An [`Executor`] runs the logical threads of one execution one at a time,
//! on the calling OS thread, each as a stackful coroutine. A thread runs
//! until it reaches a yield point ([`crate::sync::yield_point`], a lock
//! acquire) where the [`Strategy`] chooses who runs next, or until it blocks
//! on a scheduler-aware lock held by another thread. Every choice comes from
//! ChaCha8 seeded by [`SchedConfig::seed`], so the same config and bodies
//! give the same [`Trace`] on any machine, and replaying the trace
//! ([`SchedConfig::replay`]) reproduces the execution even where the seed no
//! longer would. Where choices and faults come from is said by two enums,
//! [`Choices`] and [`Faults`], with no precedence between options.
//!
//! ```
//! use std::cell::Cell;
//! use chaos::engine::sched::{End, Executor, SchedConfig};
//! use chaos::sync::yield_now;
//!
//! let counter = Cell::new(0);
//! let increment = || {
//!     let seen = counter.get();
//!     yield_now("between read and write"); // the race window
//!     counter.set(seen + 1);
//! };
//! let mut executor = Executor::new();
//! let mut run = |cfg: &SchedConfig| {
//!     counter.set(0);
//!     let threads: Vec<Box<dyn FnOnce() + '_>> = vec![Box::new(increment), Box::new(increment)];
//!     let report = executor.run(cfg, threads);
//!     assert_eq!(report.end, End::Completed);
//!     (report.trace, counter.get())
//! };
//! // A random walk loses the update with odds 1/2 per seed.
//! let seed = (0..64).find(|&seed| run(&SchedConfig::new(seed)).1 == 1).unwrap();
//!
//! // The seed reproduces it, and so does the trace alone.
//! let (trace, lost) = run(&SchedConfig::new(seed));
//! let replay = SchedConfig::replay(trace.clone());
//! assert_eq!(run(&replay), (trace, lost));
//! ```

mod executor;
mod strategy;
mod switch;
mod threadset;
mod trace;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::engine::faults::{FaultConfig, FiredFault};
use crate::sync::{Cover, ResourceId, Site};

pub use executor::{current_thread, logical_time, stop_execution, tearing_down, Executor};
pub use strategy::{
    DepartureCell, FollowStrategy, PctStrategy, RandomStrategy, ReplayStrategy, Strategy,
};
pub use trace::Trace;

/// Which strategy chooses the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StrategyKind {
    /// Random walk: every decision uniform among the runnable threads.
    Random,
    /// Probabilistic Concurrency Testing with the given bug depth.
    Pct {
        /// Bug depth `d`: PCT places `d − 1` priority change points.
        depth: u32,
        /// The number of contended decisions (more than one thread runnable)
        /// over which change points are drawn: an estimate of an execution's
        /// length. PCT's guarantee needs it at least the real count; far
        /// above, change points fall after the end and are wasted. `0` means
        /// [`SchedConfig::max_steps`]. A fixed number rather than "the
        /// previous execution's length" so that one seed replays alone.
        horizon: u64,
    },
}

/// Where an execution's scheduling choices come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Choices {
    /// Drawn from [`SchedConfig::seed`] by [`SchedConfig::strategy`].
    #[default]
    Seeded,
    /// Exactly these, in order; an execution that cannot make them (a
    /// recorded choice not runnable, or choices left over at the end) ends
    /// [`End::Diverged`].
    Replay(Vec<u32>),
    /// These until the execution departs from them (a recorded choice not
    /// runnable, or the list running out), then drawn as [`Choices::Seeded`].
    /// Never diverges: where it departed is [`SchedReport::departure`].
    Follow(Vec<u32>),
}

/// Where an execution's faults come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Faults {
    /// Drawn from [`SchedConfig::seed`] at these rates.
    Seeded(FaultConfig),
    /// Exactly these, at their recorded (global) visit indices; the first
    /// whose visit comes at another site or thread makes the execution
    /// diverge. Exact replay of a trace.
    Replay(Vec<FiredFault>),
    /// These, exactly, until the execution departs from its recording, then
    /// drawn at these rates: `chaos replay --continue`.
    Follow(Vec<FiredFault>, FaultConfig),
    /// Each at its own thread's visit (`op`, `in_op`) when the site matches,
    /// skipped otherwise, whatever the interleaving: the script minimiser
    /// keeps a fault script this way while it re-searches schedules.
    ByThread(Vec<FiredFault>),
}

impl Default for Faults {
    fn default() -> Self {
        Faults::Seeded(FaultConfig::default())
    }
}

/// Everything that fixes one execution's schedule, besides the bodies.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedConfig {
    /// Seeds the strategy and, on separate streams, the fault injector.
    pub seed: u64,
    /// How seeded decisions are made.
    pub strategy: StrategyKind,
    /// Decisions after which the execution ends with [`End::StepLimit`]
    /// (a livelock or a hang).
    pub max_steps: u64,
    /// Where the scheduling choices come from.
    pub choices: Choices,
    /// Where the faults come from.
    pub faults: Faults,
    /// Record every yield-point visit in [`SchedReport::sites`] (off by
    /// default: exploration does not pay for it; replay turns it on to print
    /// a timeline).
    pub record_sites: bool,
}

impl SchedConfig {
    /// Random walk from `seed`, no faults, 1,000,000 steps at most.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            strategy: StrategyKind::Random,
            max_steps: 1_000_000,
            choices: Choices::Seeded,
            faults: Faults::default(),
            record_sites: false,
        }
    }

    /// Replays `trace` exactly: its choices and its faults.
    pub fn replay(trace: Trace) -> Self {
        Self::default().replaying(trace)
    }

    /// This configuration, replaying `trace` exactly: its choices and its
    /// faults (the seed, strategy and rates then do not matter).
    pub fn replaying(self, trace: Trace) -> Self {
        Self {
            choices: Choices::Replay(trace.choices),
            faults: Faults::Replay(trace.faults),
            ..self
        }
    }

    /// This configuration, following `trace`'s choices and faults until the
    /// execution departs from it, then drawing both as it would have: with
    /// its strategy, and its fault rates if it drew faults (none otherwise).
    pub fn following(self, trace: Trace) -> Self {
        let rates = match &self.faults {
            Faults::Seeded(rates) | Faults::Follow(_, rates) => *rates,
            Faults::Replay(_) | Faults::ByThread(_) => FaultConfig::default(),
        };
        Self {
            choices: Choices::Follow(trace.choices),
            faults: Faults::Follow(trace.faults, rates),
            ..self
        }
    }

    /// This configuration, firing `faults` each at its own thread's visit
    /// ([`Faults::ByThread`]) instead of drawing them.
    pub fn faults_by_thread(self, faults: Vec<FiredFault>) -> Self {
        Self {
            faults: Faults::ByThread(faults),
            ..self
        }
    }
}

impl Default for SchedConfig {
    fn default() -> Self {
        Self::new(0)
    }
}

/// What an execution tells a watchdog on another OS thread
/// ([`Executor::set_heartbeat`]): how many yield points it has reached,
/// and which logical thread it resumed last (the one running now).
#[derive(Debug, Default)]
pub struct Heartbeat {
    beats: AtomicU64,
    running: AtomicUsize,
}

impl Heartbeat {
    /// A yield point was reached. Relaxed: a watchdog only needs to see the
    /// count change eventually.
    pub(crate) fn beat(&self) {
        self.beats.fetch_add(1, Ordering::Relaxed);
    }

    /// Logical thread `t` is about to run.
    pub(crate) fn resume(&self, t: usize) {
        self.running.store(t, Ordering::Relaxed);
        self.beat();
    }

    /// Yield points reached so far.
    pub fn beats(&self) -> u64 {
        self.beats.load(Ordering::Relaxed)
    }

    /// The logical thread running (the one resumed last).
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum End {
    /// Every thread returned (normally or by a panic, see
    /// [`SchedReport::panics`]).
    Completed,
    /// Thread `by` called [`stop_execution`] (a Go-style throw): it ran on
    /// until its body returned, blocked, or reached
    /// [`SchedConfig::max_steps`], and no other thread ran again.
    Stopped {
        /// The stopping thread.
        by: usize,
    },
    /// Some threads had not finished and none could run: each is blocked on
    /// a lock (see [`SchedReport::positions`]).
    Deadlock,
    /// [`SchedConfig::max_steps`] decisions were made and threads still ran:
    /// a livelock or a hang.
    StepLimit,
    /// A replay could not follow its trace: the bodies did something else at
    /// decision `step` than when the trace was recorded.
    Diverged {
        /// Index of the decision (in [`Trace::choices`]) that could not be
        /// replayed, or the number of decisions made when the execution ended
        /// early.
        step: u64,
        /// What differed.
        detail: String,
    },
}

/// How long the scheduler's OS thread may reach no yield point before the
/// process stops with [`crate::engine::stall`]'s one line.
pub const STALL: std::time::Duration = std::time::Duration::from_secs(1);

/// Where an execution that followed a recorded trace
/// ([`Choices::Follow`]) stopped following it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    /// The decision (index in [`Trace::choices`]) at which it departed.
    pub step: u64,
    /// What the recording expected and what happened instead.
    pub detail: String,
}

/// One yield-point visit, recorded when [`SchedConfig::record_sites`] is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SiteVisit {
    /// The logical time of the visit (history events carry the same clock).
    pub step: u64,
    /// The visiting logical thread.
    pub thread: u32,
    /// Where it was.
    pub site: Site,
    /// True when the thread did not pass a yield point but found a lock
    /// held and blocked (`site` is then [`Site::LockAcquire`]).
    pub blocked: bool,
    /// The fault the injector fired at this visit, if any.
    pub fault: Option<crate::sync::Fault>,
}

/// Where one logical thread stood when the execution ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadPosition {
    /// The logical thread.
    pub thread: usize,
    /// The last yield point it reached.
    pub last_site: Option<Site>,
    /// The lock it was blocked on. A lock's address: it names the lock within
    /// one execution and is not stable across runs.
    pub blocked_on: Option<ResourceId>,
    /// Whether its body returned (normally or by a panic).
    pub finished: bool,
    /// Yield points it reached.
    pub yields: u64,
}

/// What one execution did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SchedReport {
    /// The logical time at the end: decisions made, plus the yield points the
    /// stopping thread passed after [`stop_execution`].
    pub steps: u64,
    /// What replays this execution.
    pub trace: Trace,
    /// How it ended.
    pub end: End,
    /// Coverage marks counted during the execution.
    pub coverage: BTreeMap<Cover, u64>,
    /// The coverage marks that fired while another thread was mid-op.
    pub interleaved: BTreeMap<Cover, u64>,
    /// Every thread's position at the end (before suspended threads were
    /// unwound).
    pub positions: Vec<ThreadPosition>,
    /// Bodies that panicked, in order: thread and panic message. The others
    /// ran on.
    pub panics: Vec<(usize, String)>,
    /// Every yield-point visit in order, when [`SchedConfig::record_sites`]
    /// is on (empty otherwise).
    pub sites: Vec<SiteVisit>,
    /// With [`Choices::Follow`]: where the execution stopped following
    /// the recorded trace (`None`: it followed it to the end).
    pub departure: Option<Departure>,
    /// Yield points reached inside ops, every thread's together (every
    /// site but the boundary between two ops). Zero means the scheduler
    /// could only interleave whole ops.
    pub inner_points: u64,
}
