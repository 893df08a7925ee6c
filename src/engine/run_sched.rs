//! A workload under the deterministic scheduler.
//!
//! Each workload thread becomes one logical thread. History timestamps are
//! the scheduler's step counter, so the history — and its hash — is a pure
//! function of (scenario, seed, backend). A throw or panic records the
//! failure and calls [`sched::stop_execution`]: no other logical thread runs
//! again, as no goroutine runs after Go's fatal error.
//!
//! The execution runs on a scheduler thread of its own (one per calling
//! thread, kept for the next execution, so coroutine stacks are reused)
//! while the caller watches its [`Heartbeat`]: a logical thread that blocks
//! the one OS thread outside `chaos::sync` — on a `std` lock another logical
//! thread holds across a scheduling point, say — would otherwise hang the
//! caller forever. After [`sched::STALL`] with no yield point the caller
//! abandons the execution ([`End::Stalled`]) and the blocked thread, and the
//! next execution gets a fresh scheduler thread.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::boundary::{apply_boundary_fault, Failure};
use super::race::{Race, RaceObserver};
use super::sched::{self, End, Executor, Heartbeat, SchedConfig, SchedReport};
use crate::history::{Event, History};
use crate::maps::ChaosMap;
use crate::op::Ret;
use crate::sync::{yield_point, Site};
use crate::workload::Workload;

/// What a sched execution produced.
pub struct SchedRun {
    /// The history, in step order.
    pub history: History,
    /// The first throw or panic, if any.
    pub failure: Option<Failure>,
    /// The scheduler's report (end, steps, trace, coverage, positions).
    pub report: SchedReport,
    /// The first unsynchronised overlap of two Go-map accesses, if any.
    pub race: Option<Race>,
}

thread_local! {
    /// One executor per OS thread, so coroutine stacks are reused across
    /// executions (allocating them is most of a small execution's cost).
    static EXECUTOR: RefCell<Option<Executor>> = const { RefCell::new(None) };
    /// This thread's scheduler thread: where its executions run.
    static WORKER: RefCell<Option<mpsc::Sender<Job>>> = const { RefCell::new(None) };
}

/// One execution, sent to a scheduler thread.
type Job = Box<dyn FnOnce() + Send>;

/// How often the caller looks at the heartbeat while it waits.
const WATCH: Duration = Duration::from_millis(50);

/// Runs `workload` on `map` under the deterministic scheduler, on this
/// thread's scheduler thread; abandons it as [`End::Stalled`] when the
/// scheduler's OS thread reaches no yield point for [`sched::STALL`].
pub fn run(map: Arc<dyn ChaosMap>, workload: Arc<Workload>, cfg: &SchedConfig) -> SchedRun {
    let heartbeat = Arc::new(Heartbeat::default());
    let ops: Arc<Vec<AtomicU32>> =
        Arc::new(workload.threads.iter().map(|_| AtomicU32::new(0)).collect());
    let (done, result) = mpsc::sync_channel(1);
    let job: Job = {
        let (cfg, heartbeat, ops) = (cfg.clone(), heartbeat.clone(), ops.clone());
        Box::new(move || {
            let run = run_here(map, &workload, &cfg, heartbeat, &ops);
            // The caller may have given up on this execution: then nobody listens.
            let _ = done.send(run);
        })
    };
    submit(job);
    let (mut seen, mut quiet_since) = (heartbeat.beats(), Instant::now());
    loop {
        match result.recv_timeout(WATCH) {
            Ok(run) => return run,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The job itself panicked (not a backend: bodies catch theirs).
                WORKER.with(|w| w.borrow_mut().take());
                panic!("the scheduler's thread panicked (its message is above)");
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let beats = heartbeat.beats();
                if beats != seen {
                    (seen, quiet_since) = (beats, Instant::now());
                } else if quiet_since.elapsed() >= sched::STALL {
                    // Leave the blocked thread behind; the next execution
                    // gets a new one.
                    WORKER.with(|w| w.borrow_mut().take());
                    let thread = heartbeat.running();
                    let op = ops.get(thread).map_or(0, |o| o.load(Ordering::Relaxed));
                    return SchedRun {
                        history: History::default(),
                        failure: None,
                        report: SchedReport {
                            steps: beats,
                            trace: Default::default(),
                            end: End::Stalled { thread, op },
                            coverage: Default::default(),
                            positions: Vec::new(),
                            panics: Vec::new(),
                            sites: Vec::new(),
                            departure: None,
                            inner_points: 0,
                        },
                        race: None,
                    };
                }
            }
        }
    }
}

/// Sends `job` to this thread's scheduler thread, starting one if there is
/// none (or the last one died).
fn submit(job: Job) {
    WORKER.with(|w| {
        let mut w = w.borrow_mut();
        let job = match w.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("chaos-sched".into())
            // Ends when its caller's thread ends (the sender drops) or after
            // a job it was abandoned in, if that ever returns.
            .spawn(move || rx.into_iter().for_each(|job| job()))
            .expect("spawning the scheduler's thread");
        tx.send(job).expect("a new scheduler thread receives");
        *w = Some(tx);
    });
}

/// Runs `workload` on `map` under the deterministic scheduler, on this OS
/// thread.
fn run_here(
    map: Arc<dyn ChaosMap>,
    workload: &Workload,
    cfg: &SchedConfig,
    heartbeat: Arc<Heartbeat>,
    at_op: &[AtomicU32],
) -> SchedRun {
    let capacity = 2 * workload.threads.iter().map(Vec::len).sum::<usize>();
    let events: RefCell<Vec<Event>> = RefCell::new(Vec::with_capacity(capacity));
    let failure: RefCell<Option<Failure>> = RefCell::new(None);
    let bodies: Vec<Box<dyn FnOnce() + '_>> = workload
        .threads
        .iter()
        .enumerate()
        .map(|(t, ops)| {
            let (map, events, failure) = (map.clone(), &events, &failure);
            let at = &at_op[t];
            Box::new(move || {
                let t = t as u32;
                let now = || sched::logical_time().unwrap_or(0);
                for (i, op) in ops.iter().enumerate() {
                    let i = i as u32;
                    at.store(i, Ordering::Relaxed);
                    if let Some(fault) = yield_point(Site::OpBoundary) {
                        if let Err(f) = apply_boundary_fault(&*map, fault, t, i) {
                            failure.borrow_mut().get_or_insert(f);
                            sched::stop_execution();
                            return;
                        }
                    }
                    events.borrow_mut().push(Event::Invoke {
                        thread: t,
                        index: i,
                        op: *op,
                        time: now(),
                    });
                    // No borrow is held here: `apply` yields to other threads.
                    let ret = match catch_unwind(AssertUnwindSafe(|| op.apply(&*map))) {
                        Ok(ret) => ret,
                        // The executor unwinding this suspended thread at the
                        // end: the op never returned, it did not panic.
                        Err(p) if sched::tearing_down() => std::panic::resume_unwind(p),
                        Err(p) => Ret::Panic(super::panic_message(&*p)),
                    };
                    let failed = Failure::of(&ret, t, i);
                    events.borrow_mut().push(Event::Return {
                        thread: t,
                        index: i,
                        ret,
                        time: now(),
                    });
                    if let Some(f) = failed {
                        failure.borrow_mut().get_or_insert(f);
                        sched::stop_execution();
                        return;
                    }
                }
            }) as Box<dyn FnOnce() + '_>
        })
        .collect();
    let observer = Rc::new(RaceObserver::default());
    let guard = crate::sync::observe(observer.clone());
    let report = EXECUTOR.with(|cell| {
        let mut fresh = Executor::new();
        let mut slot = cell.try_borrow_mut();
        let executor = match slot.as_mut() {
            Ok(slot) => slot.get_or_insert_with(Executor::new),
            // A nested execution (a backend that runs the engine) gets its own.
            Err(_) => &mut fresh,
        };
        executor.set_heartbeat(Some(heartbeat));
        let report = executor.run(cfg, bodies);
        executor.set_heartbeat(None);
        report
    });
    drop(guard);
    let race = Rc::try_unwrap(observer)
        .ok()
        .and_then(RaceObserver::into_race);
    SchedRun {
        history: History {
            events: events.into_inner(),
        },
        failure: failure.into_inner(),
        report,
        race,
    }
}
