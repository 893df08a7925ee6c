//! The engine: runs a workload's threads against a backend.
//!
//! - [`run`]: one execution, as a [`Request`] says (the plain run of a
//!   scenario under a seed, or a replay, a follow, a fault script), with the
//!   checker run on what it produced; [`execute`] is the plain run.
//! - [`stress`]: real OS threads (docs/design.md step 3, `stress` mode),
//!   stamped by [`clock`].
//! - [`sched`]: the deterministic scheduler (`sched` mode). Logical threads
//!   run one at a time on one OS thread as coroutines; a seeded strategy
//!   chooses who runs at every yield point, so a seed replays an execution
//!   exactly, and a recorded [`sched::Trace`] replays it even without the seed.
//!   [`stall`] watches it: a backend that blocks its one OS thread outside
//!   `chaos::sync` ends the process with one line, never a silent hang.
//! - [`faults`]: the seeded fault injector (step 4), shared by both modes.
//! - [`go`]: a `go:` backend's run in a Go target process, on the real Go
//!   runtime (stress mode).

mod boundary;
pub mod clock;
mod execution;
pub mod faults;
mod findings;
pub mod go;
pub mod race;
mod request;
mod run_sched;
pub mod sched;
pub mod stall;
pub mod stress;

pub use boundary::{panic_message, Failure, FailureKind};
pub use execution::{execute, run, Execution, ModeDetail, Outcome, SchedDetail, WHOLE_OPS_ONLY};
pub use request::Request;
