//! Workloads: seeded per-thread operation streams.

mod op;

pub use op::{Op, Ret, OP_NAMES};
