//! Workloads: seeded per-thread operation streams.

mod gen;
mod op;

pub use gen::{
    generate, prefill_value, thread_ops, value_for, writer_of, Workload, PREFILL_THREAD,
};
pub use op::{Op, Ret, OP_NAMES};
