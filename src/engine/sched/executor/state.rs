//! The execution's scheduling state: the thread table, the runnable and
//! blocked sets kept as threads block, wake and finish, the site log, and
//! each scheduling decision (where a deadlock or the step limit ends the
//! execution).

use crate::engine::faults::FaultInjector;
use crate::engine::sched::strategy::{DepartureCell, Strategy};
use crate::engine::sched::threadset::ThreadSet;
use crate::engine::sched::{End, SiteVisit};
use crate::sync::{Cover, ResourceId, Site};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Bodies run and decisions are made.
    Running,
    /// The execution ended; suspended coroutines are being unwound and no
    /// switch may happen.
    TearingDown,
}

/// What a report says about a thread (the scheduling-relevant state lives in
/// `State::runnable` and `State::blocked_on`).
#[derive(Clone, Debug, Default)]
pub(super) struct ThreadState {
    pub(super) last_site: Option<Site>,
    pub(super) finished: bool,
    pub(super) yields: u64,
    /// Yield points inside ops (every site but the op boundary).
    pub(super) inner_yields: u64,
}

pub(super) struct State {
    pub(super) phase: Phase,
    /// Logical time: decisions made, plus yield points the stopping thread
    /// passed after `stop_execution`.
    pub(super) step: u64,
    pub(super) max_steps: u64,
    /// The thread the driver resumes (or resumed last); `None` before the
    /// first decision and after the last.
    pub(super) current: Option<usize>,
    /// Set by the hook before it suspends: who the driver resumes next
    /// (`None`: the execution ends).
    pub(super) next: Option<usize>,
    pub(super) threads: Vec<ThreadState>,
    /// Invariant: exactly the threads that are neither finished nor blocked.
    /// Maintained as threads block, wake and finish.
    pub(super) runnable: ThreadSet,
    /// `runnable` as a sorted list, for the strategy; rebuilt at a decision
    /// only if `runnable` changed since (a plain yield changes nothing).
    pub(super) runnable_list: Vec<usize>,
    pub(super) runnable_list_stale: bool,
    /// `blocked_on[t]`: the lock thread `t` waits for.
    pub(super) blocked_on: Vec<Option<ResourceId>>,
    /// Invariant: exactly the threads `t` with `blocked_on[t].is_some()`, so
    /// a release visits only the waiting threads (usually none).
    pub(super) blocked: ThreadSet,
    /// Threads whose body has not returned.
    pub(super) unfinished: usize,
    pub(super) strategy: Box<dyn Strategy>,
    pub(super) injector: Option<FaultInjector>,
    pub(super) choices: Vec<u32>,
    /// Indexed by the `Cover` discriminant.
    pub(super) coverage: Vec<Option<(Cover, u64)>>,
    /// The marks of `coverage` that fired while another thread was mid-op
    /// (its last yield point inside an op), indexed the same way.
    pub(super) interleaved: Vec<Option<(Cover, u64)>>,
    pub(super) end: Option<End>,
    pub(super) stopped_by: Option<usize>,
    pub(super) panics: Vec<(usize, String)>,
    /// The yield-point log, when recording.
    pub(super) sites: Option<Vec<SiteVisit>>,
    /// Following a recording: where the execution departed from it.
    pub(super) departure: Option<DepartureCell>,
}

impl State {
    /// The state before the first decision: `n` threads, all runnable; no
    /// fault injector, no site log, not following a recording.
    pub(super) fn new(n: usize, max_steps: u64, strategy: Box<dyn Strategy>) -> State {
        State {
            phase: Phase::Running,
            step: 0,
            max_steps,
            current: None,
            next: None,
            threads: vec![ThreadState::default(); n],
            runnable: ThreadSet::full(n),
            runnable_list: Vec::with_capacity(n),
            runnable_list_stale: true,
            blocked_on: vec![None; n],
            blocked: ThreadSet::empty(n),
            unfinished: n,
            strategy,
            injector: None,
            choices: Vec::new(),
            coverage: Vec::new(),
            interleaved: Vec::new(),
            end: None,
            stopped_by: None,
            panics: Vec::new(),
            sites: None,
            departure: None,
        }
    }

    /// Appends a visit to the site log, when recording.
    pub(super) fn log_site(&mut self, t: usize, site: Site, blocked: bool) {
        let step = self.step;
        if let Some(sites) = &mut self.sites {
            sites.push(SiteVisit {
                step,
                thread: t as u32,
                site,
                blocked,
                fault: None,
            });
        }
    }

    /// Makes one scheduling decision: the thread to run next, or `None` when
    /// the execution ends here (`self.end` then says why).
    pub(super) fn decide(&mut self, running: Option<usize>) -> Option<usize> {
        if cfg!(debug_assertions) {
            self.check_invariants(running);
        }
        if self.runnable_list_stale {
            self.runnable.collect_into(&mut self.runnable_list);
            self.runnable_list_stale = false;
        }
        if self.runnable_list.is_empty() {
            self.end = Some(if self.unfinished > 0 {
                End::Deadlock
            } else {
                End::Completed
            });
            return None;
        }
        if self.step >= self.max_steps {
            self.end = Some(End::StepLimit);
            return None;
        }
        let index = self.choices.len() as u64;
        match self.strategy.next_thread(&self.runnable_list, running) {
            Ok(t) if self.runnable.contains(t) => {
                self.step += 1;
                self.choices.push(t as u32);
                Some(t)
            }
            Ok(t) => {
                self.end = Some(End::Diverged {
                    step: index,
                    detail: format!(
                        "the strategy chose thread {t}, which is not runnable (runnable {:?})",
                        self.runnable_list
                    ),
                });
                None
            }
            Err(detail) => {
                self.end = Some(End::Diverged {
                    step: index,
                    detail,
                });
                None
            }
        }
    }
}

impl State {
    /// Thread `t` (running) waits for `resource`.
    pub(super) fn block(&mut self, t: usize, resource: ResourceId) {
        // Only the running thread blocks, and it is runnable.
        debug_assert!(self.blocked_on[t].is_none());
        debug_assert!(
            self.runnable.contains(t),
            "thread {t} blocks but is not runnable"
        );
        self.blocked_on[t] = Some(resource);
        self.blocked.insert(t);
        self.runnable.remove(t);
        self.runnable_list_stale = true;
    }

    /// Threads waiting for `resource` may run again (they retry the lock).
    pub(super) fn wake(&mut self, resource: ResourceId) {
        if self.blocked.is_empty() {
            return;
        }
        let (blocked_on, runnable) = (&mut self.blocked_on, &mut self.runnable);
        let woken = self.blocked.remove_where(|t| {
            let wake = blocked_on[t] == Some(resource);
            if wake {
                blocked_on[t] = None;
                runnable.insert(t);
            }
            wake
        });
        if woken > 0 {
            self.runnable_list_stale = true;
        }
    }

    /// Thread `t`'s body returned.
    pub(super) fn finish(&mut self, t: usize) {
        // Only a resumed thread returns: it was runnable, and finishes once.
        debug_assert!(
            self.runnable.contains(t),
            "thread {t} returned but was not runnable"
        );
        self.threads[t].finished = true;
        self.unfinished -= 1;
        self.runnable.remove(t);
        self.runnable_list_stale = true;
    }
}
