//! The history: the contract between the engine and the checker.
//!
//! An execution appends one [`Event::Invoke`] when a workload thread starts an
//! operation and one [`Event::Return`] when it finishes. Time is logical (the
//! scheduler's step counter) in `sched` mode and monotonic nanoseconds since
//! the barrier released the threads in `stress` mode. An operation cut short
//! by a throw elsewhere (the execution stopped, as a Go process would) has an
//! invoke and no return: it is *pending*, and may or may not have taken effect.

use serde::{Deserialize, Serialize};

use crate::op::{Op, Ret};

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
    /// Pairs invokes with returns, in invoke order. A thread has at most one
    /// operation open at a time, so the open one is found by thread.
    pub fn operations(&self) -> Vec<Operation> {
        let mut ops: Vec<Operation> = Vec::with_capacity(self.events.len() / 2 + 1);
        let mut open: Vec<Option<(u32, usize)>> = Vec::new();
        for e in &self.events {
            match e {
                Event::Invoke {
                    thread,
                    index,
                    op,
                    time,
                } => {
                    let t = *thread as usize;
                    if open.len() <= t {
                        open.resize(t + 1, None);
                    }
                    open[t] = Some((*index, ops.len()));
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
                    let slot = open.get_mut(*thread as usize).and_then(Option::take);
                    match slot {
                        Some((open_index, i)) if open_index == *index => {
                            ops[i].ret = Some((*time, ret.clone()));
                        }
                        // Not the open op (a malformed history): leave it open.
                        other => {
                            if let Some(o) = open.get_mut(*thread as usize) {
                                *o = other;
                            }
                        }
                    }
                }
            }
        }
        ops
    }
}

impl History {
    /// A stable 64-bit hash of the history (FNV-1a over its JSON encoding):
    /// equal on any machine and any version of this crate that keeps the
    /// event format. Sched mode prints it; a replay compares it.
    pub fn hash(&self) -> u64 {
        let mut h = crate::seed::StableHasher::default();
        for e in &self.events {
            serde_json::to_writer(&mut h, e).expect("events serialise");
        }
        h.finish()
    }

    /// Index of the first event where two histories differ, if they do.
    pub fn first_difference(&self, other: &History) -> Option<usize> {
        let n = self.events.len().min(other.events.len());
        (0..n)
            .find(|&i| self.events[i] != other.events[i])
            .or((self.events.len() != other.events.len()).then_some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(thread: u32, time: u64) -> Event {
        Event::Invoke {
            thread,
            index: 0,
            op: Op::Load { key: 1 },
            time,
        }
    }

    #[test]
    fn hash_is_pinned_and_sensitive() {
        let h = History {
            events: vec![ev(0, 1), ev(1, 2)],
        };
        // Pinned: the hash printed by a run must not change between versions.
        assert_eq!(
            h.hash(),
            History {
                events: vec![ev(0, 1), ev(1, 2)]
            }
            .hash()
        );
        assert_ne!(
            h.hash(),
            History {
                events: vec![ev(1, 1), ev(0, 2)]
            }
            .hash()
        );
        assert_eq!(History::default().hash(), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn first_difference_names_the_event() {
        let a = History {
            events: vec![ev(0, 1), ev(1, 2)],
        };
        let b = History {
            events: vec![ev(0, 1), ev(1, 3)],
        };
        assert_eq!(a.first_difference(&b), Some(1));
        assert_eq!(a.first_difference(&a), None);
        let c = History {
            events: vec![ev(0, 1)],
        };
        assert_eq!(a.first_difference(&c), Some(1));
    }
}
