//! A workload under the deterministic scheduler.
//!
//! Each workload thread becomes one logical thread. History timestamps are
//! the scheduler's step counter, so the history — and its hash — is a pure
//! function of (scenario, seed, backend). A throw or panic records the
//! failure and calls [`sched::stop_execution`]: no other logical thread runs
//! again, as no goroutine runs after Go's fatal error. The execution is
//! watched ([`super::stall`]): a backend that blocks this OS thread outside
//! `chaos::sync` ends the process with one line instead of hanging it.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::boundary::{apply_boundary_fault, Failure};
use super::race::{Race, RaceObserver};
use super::sched::{self, Executor, Heartbeat, SchedConfig, SchedReport};
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
}

/// Runs `workload` on `map` under the deterministic scheduler; `what`
/// names the run (backend and seed) should it stall.
pub fn run(
    map: Arc<dyn ChaosMap>,
    workload: &Workload,
    cfg: &SchedConfig,
    what: String,
) -> SchedRun {
    let heartbeat = Arc::new(Heartbeat::default());
    let at_op: Arc<[AtomicU32]> = workload.threads.iter().map(|_| AtomicU32::new(0)).collect();
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
    let watch = super::stall::watch(heartbeat.clone(), at_op.clone(), what);
    let report = EXECUTOR.with(|cell| {
        let mut nested = None;
        let mut slot = cell.try_borrow_mut();
        let executor = match slot.as_mut() {
            Ok(slot) => slot.get_or_insert_with(Executor::new),
            // A nested execution (a backend that runs the engine) gets its own.
            Err(_) => nested.insert(Executor::new()),
        };
        executor.set_heartbeat(Some(heartbeat));
        let report = executor.run(cfg, bodies);
        executor.set_heartbeat(None);
        report
    });
    drop(watch);
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
