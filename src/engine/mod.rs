//! The engine: what runs a workload's threads against a backend.
//!
//! - [`faults`]: the seeded fault injector (step 4), shared by the scheduler
//!   and the stress runner.

pub mod faults;
