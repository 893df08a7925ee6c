//! What both runners do between two operations and when one fails.

use crate::maps::{ChaosMap, Throw};
use crate::op::Ret;
use crate::sync::Fault;

/// The first throw or panic of an execution: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Workload thread.
    pub thread: u32,
    /// Op index in that thread's stream.
    pub op: u32,
    /// What happened.
    pub what: FailureKind,
}

/// A throw or a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// A Go-style fatal error.
    Throw(Throw),
    /// A panic, with its message.
    Panic(String),
}

impl Failure {
    /// The failure an op's result stands for, if it is one.
    pub fn of(ret: &Ret, thread: u32, op: u32) -> Option<Failure> {
        let what = match ret {
            Ret::Throw(t) => FailureKind::Throw(*t),
            Ret::Panic(m) => FailureKind::Panic(m.clone()),
            _ => return None,
        };
        Some(Failure { thread, op, what })
    }
}

/// Applies a fault the injector chose at an op boundary through the
/// backend's own resize hook. A throw from it (a raw Go map raced by another
/// thread's write) is that thread's failure, before op `op`.
pub fn apply_boundary_fault(
    map: &dyn ChaosMap,
    fault: Fault,
    thread: u32,
    op: u32,
) -> Result<(), Failure> {
    // Withholding evacuation is a decision inside a write; between two ops
    // there is nothing to withhold.
    if fault == Fault::WithholdEvacuation {
        return Ok(());
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| map.force_resize(fault))) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(t)) => Err(Failure {
            thread,
            op,
            what: FailureKind::Throw(t),
        }),
        // A suspended thread unwound at the end of a sched execution.
        Err(p) if super::sched::tearing_down() => std::panic::resume_unwind(p),
        Err(p) => Err(Failure {
            thread,
            op,
            what: FailureKind::Panic(panic_message(&*p)),
        }),
    }
}

/// The text of a panic payload: the one reading of a caught panic in the
/// crate, wherever a backend or a body panicked.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}
