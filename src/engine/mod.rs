//! The engine: runs a workload against a backend, in stress or sched mode.

mod execution;
pub mod stress;

pub use execution::{execute, execute_workload, Execution, Factory};
