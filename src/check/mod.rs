//! The checker: turns an execution into findings.

mod finding;

pub use finding::{Finding, FindingKind, Signature};
