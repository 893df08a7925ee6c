//! The engine: what runs a workload's threads against a backend.
//!
//! - [`sched`]: the deterministic scheduler (DESIGN.md step 3, `sched` mode).
//!   Logical threads run one at a time on one OS thread as coroutines; a
//!   seeded strategy chooses who runs at every yield point, so a seed replays
//!   an execution exactly, and a recorded [`sched::Trace`] replays it even
//!   without the seed.
//! - [`faults`]: the seeded fault injector (step 4), shared by the scheduler
//!   and the stress runner.

pub mod faults;
pub mod sched;
