//! Workloads: seeded per-thread operation streams.

mod gen;

pub use crate::op::{Op, Ret, OP_NAMES};
pub use gen::{
    generate, prefill, prefill_value, thread_ops, value_for, writer_of, Workload, PREFILL_THREAD,
};
