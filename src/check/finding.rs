//! Findings and their signatures.
//!
//! A finding is a result, not an error: the engine returns it inside the
//! outcome. Its [`Signature`] (kind + message + backend) is what the shrinker
//! compares to decide that a smaller run "still fails the same way", so the
//! message must not carry run-specific detail (values, addresses, step
//! counts); those go into `detail`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The class of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A Go-style fatal error (`concurrent map writes`, ...).
    Throw,
    /// A panic inside the backend.
    Panic,
    /// Stress mode: the watchdog fired before the threads finished.
    Hang,
    /// Sched mode: every unfinished logical thread is blocked.
    Deadlock,
    /// Sched mode: the step limit ran out (a livelock).
    StepLimit,
    /// A structural invariant of the backend is broken.
    Invariant,
    /// The history has no linearisation against a sequential map.
    Linearizability,
    /// A write acknowledged before quiescence is missing at quiescence.
    LostWrite,
    /// Two unsynchronised accesses to one Go map overlapped, one a write.
    Race,
    /// Re-running the same scenario and seed gave a different history.
    Nondeterminism,
    /// A single-thread run disagreed with the sequential model.
    ModelMismatch,
    /// The scenario expected a throw (or a finding) and none came: the race,
    /// or the known bug, went undetected in this execution.
    Undetected,
}

impl FindingKind {
    /// The kind's name as printed and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Throw => "throw",
            FindingKind::Panic => "panic",
            FindingKind::Hang => "hang",
            FindingKind::Deadlock => "deadlock",
            FindingKind::StepLimit => "step-limit",
            FindingKind::Invariant => "invariant",
            FindingKind::Linearizability => "linearizability",
            FindingKind::LostWrite => "lost-write",
            FindingKind::Race => "race",
            FindingKind::Nondeterminism => "nondeterminism",
            FindingKind::ModelMismatch => "model-mismatch",
            FindingKind::Undetected => "undetected",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the checker reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The class.
    pub kind: FindingKind,
    /// A stable one-line message (part of the signature): Go's throw text,
    /// the invariant's name, the panic message with numbers kept out.
    pub message: String,
    /// The backend it was found on.
    pub backend: String,
    /// The workload thread where it happened, if one.
    pub thread: Option<u32>,
    /// The op index in that thread's stream, if one.
    pub op: Option<u32>,
    /// The scheduler step (sched mode) where it happened, if known.
    pub step: Option<u64>,
    /// Run-specific detail: values, positions, the ops involved.
    pub detail: String,
}

/// The identity of a failure for "fails the same way": kind, message, backend.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Signature(pub String);

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Finding {
    /// This finding's signature, e.g. `throw: concurrent map writes [gomap]`.
    pub fn signature(&self) -> Signature {
        Signature(format!(
            "{}: {} [{}]",
            self.kind, self.message, self.backend
        ))
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(t) = self.thread {
            write!(f, " (thread {t}")?;
            if let Some(op) = self.op {
                write!(f, ", op {op}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_ignores_run_specific_detail() {
        let a = Finding {
            kind: FindingKind::Throw,
            message: "concurrent map writes".into(),
            backend: "gomap".into(),
            thread: Some(1),
            op: Some(3),
            step: Some(40),
            detail: "x".into(),
        };
        let b = Finding {
            thread: Some(0),
            op: Some(0),
            step: None,
            detail: "y".into(),
            ..a.clone()
        };
        assert_eq!(a.signature(), b.signature());
        assert_eq!(a.signature().0, "throw: concurrent map writes [gomap]");
        assert_ne!(
            a.signature(),
            Finding {
                backend: "rwmutex".into(),
                ..a.clone()
            }
            .signature()
        );
    }
}
