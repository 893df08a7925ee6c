//! The history: the contract between the engine and the checker.
//!
//! An execution appends one [`Event::Invoke`] when a workload thread starts an
//! operation and one [`Event::Return`] when it finishes. Time is logical (the
//! scheduler's step counter) in `sched` mode and monotonic nanoseconds since
//! the barrier released the threads in `stress` mode. An operation cut short
//! by a throw elsewhere (the execution stopped, as a Go process would) has an
//! invoke and no return: it is *pending*, and may or may not have taken effect.

use serde::{Deserialize, Serialize};

use crate::workload::{Op, Ret};

/// One event of a history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// A thread started its `index`-th operation.
    Invoke {
        /// Workload thread.
        thread: u32,
        /// Index of the operation in the thread's stream.
        index: u32,
        /// The operation.
        op: Op,
        /// When.
        time: u64,
    },
    /// The matching operation returned.
    Return {
        /// Workload thread.
        thread: u32,
        /// Index of the operation in the thread's stream.
        index: u32,
        /// What it returned.
        ret: Ret,
        /// When.
        time: u64,
    },
}

/// One operation of a history with its interval: the checker's unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Workload thread.
    pub thread: u32,
    /// Index in the thread's stream.
    pub index: u32,
    /// The operation.
    pub op: Op,
    /// Invoke time.
    pub invoke: u64,
    /// Return time and result; `None` while pending.
    pub ret: Option<(u64, Ret)>,
}

/// A recorded history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Events in the order they happened.
    pub events: Vec<Event>,
}

impl History {
    /// Pairs invokes with returns, in invoke order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut ops: Vec<Operation> = Vec::new();
        let mut open: std::collections::HashMap<(u32, u32), usize> = Default::default();
        for e in &self.events {
            match e {
                Event::Invoke {
                    thread,
                    index,
                    op,
                    time,
                } => {
                    open.insert((*thread, *index), ops.len());
                    ops.push(Operation {
                        thread: *thread,
                        index: *index,
                        op: *op,
                        invoke: *time,
                        ret: None,
                    });
                }
                Event::Return {
                    thread,
                    index,
                    ret,
                    time,
                } => {
                    if let Some(i) = open.remove(&(*thread, *index)) {
                        ops[i].ret = Some((*time, ret.clone()));
                    }
                }
            }
        }
        ops
    }
}
