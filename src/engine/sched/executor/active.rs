//! The execution running on this OS thread, and the free functions through
//! which bodies ask it for the time, the running thread, or a stop.

use std::cell::RefCell;
use std::rc::Rc;

use super::driver::Exec;
use super::state::Phase;

thread_local! {
    /// The execution running on this OS thread, for the free functions below.
    static ACTIVE: RefCell<Option<Rc<Exec>>> = const { RefCell::new(None) };
}

/// Marks an execution as running on this OS thread until dropped.
pub(super) struct Active;

impl Active {
    pub(super) fn enter(exec: Rc<Exec>) -> Self {
        ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            assert!(
                a.is_none(),
                "Executor::run called from inside a running execution"
            );
            *a = Some(exec);
        });
        Active
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.borrow_mut().take());
    }
}

fn with_active<R>(f: impl FnOnce(&Exec) -> R) -> Option<R> {
    ACTIVE.with(|a| a.borrow().as_deref().map(f))
}

/// The logical time of the execution running on this OS thread: its step
/// counter, for history timestamps. `None` outside an execution.
pub fn logical_time() -> Option<u64> {
    with_active(|e| e.state.borrow().step)
}

/// True while the execution on this OS thread unwinds its suspended
/// threads at the end (corosensei's forced unwind). A body that catches
/// panics must let such an unwind through (`resume_unwind`): it is not a
/// panic of the code it ran, and catching it records an op that never
/// returned as one that panicked.
pub fn tearing_down() -> bool {
    with_active(|e| e.state.borrow().phase == Phase::TearingDown).unwrap_or(false)
}

/// The logical thread running now, when called from a body. `None` outside
/// an execution.
pub fn current_thread() -> Option<usize> {
    with_active(|e| e.state.borrow().current).flatten()
}

/// Ends the running execution from inside a body (a Go-style throw): no other
/// logical thread runs again; the calling body continues until it returns
/// (yield points return at once, without a switch); threads left suspended
/// are unwound at the end, dropping their lock guards. The report's end is
/// [`End::Stopped`]. A no-op outside an execution, and after the first call.
///
/// [`End::Stopped`]: crate::engine::sched::End::Stopped
pub fn stop_execution() {
    with_active(|e| {
        let mut st = e.state.borrow_mut();
        if st.phase == Phase::Running && st.stopped_by.is_none() {
            st.stopped_by = st.current;
        }
    });
}
