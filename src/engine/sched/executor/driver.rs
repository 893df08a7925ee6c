//! The driver loop: one execution's shared state, the bodies it resumes one
//! at a time, the report as the execution stands, and the teardown that
//! unwinds what is left suspended.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use corosensei::CoroutineResult;

use super::state::{Phase, State};
use crate::engine::sched::strategy::DepartureCell;
use crate::engine::sched::switch::{CoroutineRef, Slot};
use crate::engine::sched::{End, Heartbeat, SchedReport, ThreadPosition, Trace};

/// How a body ended.
pub(super) enum ThreadExit {
    Returned,
    Panicked(String),
}

/// One execution's shared state: the hook every body calls into.
pub(super) struct Exec {
    pub(super) state: RefCell<State>,
    pub(super) slots: Vec<Slot>,
    /// Beaten at every yield point; names the thread resumed.
    pub(super) heartbeat: Option<Arc<Heartbeat>>,
}

impl Exec {
    pub(super) fn run_body(&self, body: Box<dyn FnOnce() + '_>) -> ThreadExit {
        match panic::catch_unwind(AssertUnwindSafe(body)) {
            Ok(()) => ThreadExit::Returned,
            Err(payload) => {
                if self.state.borrow().phase == Phase::TearingDown {
                    // corosensei's forced unwind (or a panic during it): it
                    // must reach the coroutine's root.
                    panic::resume_unwind(payload);
                }
                ThreadExit::Panicked(crate::engine::panic_message(&*payload))
            }
        }
    }

    /// The driver loop: resumes the chosen thread until the execution ends.
    pub(super) fn drive(&self, threads: &mut [CoroutineRef<'_, '_, ThreadExit>]) {
        let mut st = self.state.borrow_mut();
        let mut next = st.decide(None);
        st.current = next;
        drop(st);
        while let Some(t) = next {
            if let Some(h) = &self.heartbeat {
                h.resume(t);
            }
            let result = threads[t].resume(());
            let mut st = self.state.borrow_mut();
            next = match result {
                CoroutineResult::Yield(()) => st.next.take(),
                CoroutineResult::Return(exit) => {
                    st.finish(t);
                    if let ThreadExit::Panicked(message) = exit {
                        st.panics.push((t, message));
                    }
                    if st.stopped_by.is_some() {
                        None
                    } else {
                        st.decide(Some(t))
                    }
                }
            };
            // Set before resuming: the hook of the resumed body reads it.
            st.current = next;
        }
    }

    /// The report, as the execution stands (before unwinding anything).
    pub(super) fn report(&self) -> SchedReport {
        let mut st = self.state.borrow_mut();
        let decisions = st.choices.len() as u64;
        let mut end = match (st.end.take(), st.stopped_by) {
            (Some(e @ End::Diverged { .. }), _) => e,
            (_, Some(by)) => End::Stopped { by },
            (Some(e), None) => e,
            (None, None) => unreachable!("the driver stops only when the execution ended"),
        };
        let strategy_end = st.strategy.end(decisions);
        if !matches!(end, End::Diverged { .. }) {
            if let Err(detail) = strategy_end {
                end = End::Diverged {
                    step: decisions,
                    detail,
                };
            } else if let Some((f, visits)) = st
                .injector
                .as_ref()
                .and_then(|i| i.pending().first().map(|f| (*f, i.visits())))
            {
                end = End::Diverged {
                    step: decisions,
                    detail: format!(
                        "the recorded fault {:?} at yield-point visit {} (thread {}, {:?}) \
                         was never reached: the execution ended after {visits} visits",
                        f.fault, f.at, f.thread, f.site
                    ),
                };
            }
        }
        let positions = st
            .threads
            .iter()
            .enumerate()
            .map(|(thread, th)| ThreadPosition {
                thread,
                last_site: th.last_site,
                blocked_on: st.blocked_on[thread],
                finished: th.finished,
                yields: th.yields,
            })
            .collect();
        let faults = st
            .injector
            .as_ref()
            .map(|i| i.fired().to_vec())
            .unwrap_or_default();
        SchedReport {
            inner_points: st.threads.iter().map(|th| th.inner_yields).sum(),
            steps: st.step,
            trace: Trace {
                choices: std::mem::take(&mut st.choices),
                faults,
            },
            end,
            coverage: st
                .coverage
                .iter()
                .flatten()
                .copied()
                .collect::<BTreeMap<_, _>>(),
            interleaved: st
                .interleaved
                .iter()
                .flatten()
                .copied()
                .collect::<BTreeMap<_, _>>(),
            positions,
            panics: Vec::new(),
            sites: st.sites.take().unwrap_or_default(),
            departure: st.departure.as_ref().and_then(DepartureCell::get),
        }
    }

    /// Unwinds every unfinished coroutine so that what its stack holds
    /// (lock guards above all) is dropped.
    pub(super) fn teardown(&self, threads: &mut [CoroutineRef<'_, '_, ThreadExit>]) {
        self.state.borrow_mut().phase = Phase::TearingDown;
        for (t, co) in threads.iter_mut().enumerate() {
            if co.done() {
                continue;
            }
            self.state.borrow_mut().current = Some(t);
            let unwound = panic::catch_unwind(AssertUnwindSafe(|| co.force_unwind()));
            let mut st = self.state.borrow_mut();
            st.current = None;
            if let Err(payload) = unwound {
                let message = crate::engine::panic_message(&*payload);
                st.panics.push((
                    t,
                    format!("while unwinding the suspended thread: {message}"),
                ));
            }
        }
    }

    /// Suspends thread `t` (which the caller checked runs here) back to the
    /// driver. Returns when the driver resumes it; unwinds if the driver
    /// tears it down instead.
    pub(super) fn park(&self, t: usize) {
        let suspended = self.slots[t].suspend();
        debug_assert!(suspended, "park called off thread {t}'s coroutine");
    }

    /// The running thread, if the hook was called from its body (not from
    /// the driver, nor from an unstarted thread being dropped).
    pub(super) fn running_here(&self, st: &State) -> Option<usize> {
        st.current.filter(|&t| self.slots[t].is_here())
    }
}
