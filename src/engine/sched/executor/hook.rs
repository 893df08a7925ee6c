//! The scheduler's side of the [`Hook`]: a body's yield point, contended
//! lock, lock release and coverage mark, each taken on the body's own
//! coroutine stack, where the thread is switched out if another runs next.

use super::driver::Exec;
use super::state::Phase;
use crate::engine::sched::strategy::DepartureCell;
use crate::engine::sched::End;
use crate::sync::{Blocking, Cover, Fault, Hook, ResourceId, Site};

impl Hook for Exec {
    fn yield_point(&self, site: Site) -> Option<Fault> {
        if let Some(h) = &self.heartbeat {
            h.beat();
        }
        let mut st = self.state.borrow_mut();
        let t = self.running_here(&st)?;
        if st.phase == Phase::TearingDown {
            drop(st);
            // A destructor running during the unwind must not switch. Not
            // panicking means the body caught the forced unwind and went on:
            // suspending again restarts the unwind.
            if !std::thread::panicking() {
                self.park(t);
            }
            return None;
        }
        let th = &mut st.threads[t];
        th.last_site = Some(site);
        th.yields += 1;
        if site != Site::OpBoundary {
            th.inner_yields += 1;
        }
        st.log_site(t, site, false);

        if st.stopped_by.is_some() {
            // Only the stopping thread runs now; it still advances the clock.
            if st.step >= st.max_steps {
                // A stopped thread that hangs: end here (still `Stopped`).
                st.next = None;
                drop(st);
                self.park(t);
            } else {
                st.step += 1;
            }
            return None;
        }

        let departed_before = st.departure.as_ref().is_some_and(DepartureCell::is_set);
        let (fault, departed_now, mismatch) = match st.injector.as_mut() {
            None => (None, None, None),
            Some(injector) => {
                if departed_before {
                    injector.depart();
                }
                let fault = injector.decide_by(t, site);
                let mismatch = injector.mismatch().map(str::to_owned);
                (fault, injector.take_departure(), mismatch)
            }
        };
        if let (Some(fault), Some(sites)) = (fault, &mut st.sites) {
            if let Some(visit) = sites.last_mut() {
                visit.fault = Some(fault);
            }
        }
        if let (Some(detail), Some(cell)) = (departed_now, &st.departure) {
            cell.set(st.choices.len() as u64, detail);
        }
        if let Some(detail) = mismatch {
            st.end = Some(End::Diverged {
                step: st.choices.len() as u64,
                detail,
            });
            st.next = None;
            drop(st);
            self.park(t);
            return None;
        }
        match st.decide(Some(t)) {
            Some(u) if u == t => fault,
            next => {
                st.next = next;
                drop(st);
                self.park(t);
                fault
            }
        }
    }

    fn blocked_on(&self, resource: ResourceId) -> Blocking {
        let mut st = self.state.borrow_mut();
        let Some(t) = self.running_here(&st) else {
            // Not a body (an unstarted thread's closure being dropped):
            // nothing to switch to, behave like a plain lock.
            return Blocking::Wait;
        };
        if st.phase == Phase::TearingDown {
            drop(st);
            if std::thread::panicking() {
                // A destructor of a thread being unwound wants a lock another
                // suspended thread holds: it can never be released, and a
                // panic here would be a double panic. Say why, then stop.
                eprintln!(
                    "chaos: thread {t} blocks on a scheduler lock while being unwound at the \
                     end of an execution; the lock is held by a suspended thread. Aborting."
                );
                std::process::abort();
            }
            self.park(t);
            return Blocking::Retry;
        }
        st.log_site(t, Site::LockAcquire, true);
        st.block(t, resource);
        st.next = if st.stopped_by.is_some() {
            // The stopping thread cannot go on and nobody else may run.
            None
        } else {
            st.decide(Some(t))
        };
        drop(st);
        self.park(t);
        Blocking::Retry
    }

    fn released(&self, resource: ResourceId) {
        self.state.borrow_mut().wake(resource);
    }

    fn cover(&self, mark: Cover) {
        let mut st = self.state.borrow_mut();
        let i = mark as usize;
        if st.coverage.len() <= i {
            st.coverage.resize(i + 1, None);
            st.interleaved.resize(i + 1, None);
        }
        st.coverage[i].get_or_insert((mark, 0)).1 += 1;
        // Another thread is mid-op when it is parked at a yield point
        // inside an op (not between two ops, not done).
        let here = self.running_here(&st);
        let other_mid_op = st.threads.iter().enumerate().any(|(t, th)| {
            Some(t) != here && !th.finished && th.last_site.is_some_and(|s| s != Site::OpBoundary)
        });
        if other_mid_op {
            st.interleaved[i].get_or_insert((mark, 0)).1 += 1;
        }
    }
}
