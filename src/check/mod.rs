//! The checker: turns an execution into findings.

mod finding;
pub mod linearizability;

pub use finding::{Finding, FindingKind, Signature};
