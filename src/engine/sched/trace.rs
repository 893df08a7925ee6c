//! The trace: every scheduling choice and every fault of one execution.

use serde::{Deserialize, Serialize};

use crate::engine::faults::FiredFault;

/// What replays one execution exactly, with or without its seed: the thread
/// chosen at each scheduling decision, and the faults that fired.
///
/// A repro file stores it. Replaying it against the same bodies must make
/// the same decisions among the same runnable threads; when it cannot, the
/// replay ends with [`End::Diverged`](super::End::Diverged) naming the
/// decision, which means the bodies (or the backend) are not deterministic
/// under the scheduler: hidden randomness, time, real locks, or code that
/// changed since the trace was recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trace {
    /// The thread chosen at each scheduling decision, in order. Decision `i`
    /// is the `i`-th step of the execution.
    pub choices: Vec<u32>,
    /// The faults that fired, in order, each with the yield-point visit at
    /// which it fired.
    pub faults: Vec<FiredFault>,
}

impl Trace {
    /// Number of scheduling decisions.
    pub fn len(&self) -> usize {
        self.choices.len()
    }

    /// True when no decision was recorded.
    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }

    /// Number of context switches: decisions that chose a different thread
    /// than the previous one.
    pub fn switches(&self) -> usize {
        self.choices.windows(2).filter(|w| w[0] != w[1]).count()
    }
}
