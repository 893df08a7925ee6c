//! The engine: runs a workload's threads against a backend.
//!
//! - [`execute`]: one execution of a scenario under a seed, in either mode,
//!   with the checker run on what it produced.
//! - [`stress`]: real OS threads (docs/design.md step 3, `stress` mode).
//! - [`sched`]: the deterministic scheduler (`sched` mode). Logical threads
//!   run one at a time on one OS thread as coroutines; a seeded strategy
//!   chooses who runs at every yield point, so a seed replays an execution
//!   exactly, and a recorded [`sched::Trace`] replays it even without the seed.
//! - [`faults`]: the seeded fault injector (step 4), shared by both modes.

mod boundary;
mod execution;
pub mod faults;
pub mod race;
mod run_sched;
pub mod sched;
pub mod stress;

pub use boundary::{Failure, FailureKind};
pub use execution::{
    execute, execute_sched, execute_workload, replay_trace, Execution, Factory, SchedOptions,
};
