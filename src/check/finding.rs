//! Findings and their signatures.
//!
//! A finding is a result, not an error: the engine returns it inside the
//! outcome. Its [`Signature`] (kind + message + backend) is what the shrinker
//! compares to decide that a smaller run "still fails the same way", so the
//! message must not carry run-specific detail (values, addresses, step
//! counts); those go into `detail`.
//!
//! A panic's message is the only one chaos does not write: it is the
//! backend's own text, which often carries numbers (`the len is 3 but the
//! index is 5`). The finding keeps it whole, for display; its signature uses
//! it normalised ([`normalise_panic_message`]: `0x…` hex numbers become
//! `0xN`, every other run of digits `N`).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::maps::registry::FindingClass;

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

/// A mutant's expected class (in `maps`, which knows no findings) read as
/// the findings that show it.
impl FindingClass {
    /// The finding kinds that count as this class, the one it names first:
    /// a lost write may show first as the broken count
    /// ([`FindingKind::Invariant`]), and a hang under the scheduler as a
    /// deadlock or the step limit.
    pub fn kinds(self) -> &'static [FindingKind] {
        use FindingKind as K;
        match self {
            FindingClass::Throw => &[K::Throw],
            FindingClass::Linearizability => &[K::Linearizability],
            FindingClass::LostWrite => &[K::LostWrite, K::Invariant],
            FindingClass::Invariant => &[K::Invariant],
            FindingClass::Deadlock => &[K::Deadlock],
            FindingClass::Hang => &[K::Hang, K::Deadlock, K::StepLimit],
        }
    }
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
    /// A one-line message (part of the signature): Go's throw text, the
    /// invariant's name, the panic message — whole here; the signature
    /// takes a panic message's numbers out (`0x1f` → `0xN`, `17` → `N`).
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

/// The identity of a failure for "fails the same way": kind, message (a
/// panic's normalised), backend.
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
    /// A panic's message goes in normalised: `panic: index out of bounds:
    /// the len is N but the index is N [mymap]`.
    pub fn signature(&self) -> Signature {
        let message = match self.kind {
            FindingKind::Panic => normalise_panic_message(&self.message),
            _ => Cow::Borrowed(self.message.as_str()),
        };
        Signature(format!("{}: {} [{}]", self.kind, message, self.backend))
    }
}

/// A panic message with its run-specific numbers taken out, for a
/// signature: `0x` followed by hex digits becomes `0xN`, every other run of
/// decimal digits `N`. Everything else is kept, so two panics share a
/// signature exactly when their messages differ only in numbers.
pub(crate) fn normalise_panic_message(message: &str) -> Cow<'_, str> {
    if !message.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        if !c.is_ascii_digit() {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let hex = rest
            .strip_prefix("0x")
            .map(|h| h.len() - h.trim_start_matches(|c: char| c.is_ascii_hexdigit()).len())
            .filter(|&digits| digits > 0);
        if let Some(digits) = hex {
            out.push_str("0xN");
            rest = &rest[2 + digits..];
        } else {
            out.push('N');
            rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        }
    }
    Cow::Owned(out)
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

    #[test]
    fn panic_messages_are_normalised_in_the_signature_only() {
        let n = |m| normalise_panic_message(m).into_owned();
        assert_eq!(
            n("index out of bounds: the len is 3 but the index is 17"),
            "index out of bounds: the len is N but the index is N"
        );
        assert_eq!(
            n("bad bucket 0x7ffd5e3a1C20 at slot 12, step 0"),
            "bad bucket 0xN at slot N, step N"
        );
        assert_eq!(n("0x at 0xg: 1.5e-3 u64"), "Nx at Nxg: N.Ne-N uN");
        assert_eq!(n("état 42 ünïcode"), "état N ünïcode");
        assert!(matches!(
            normalise_panic_message("attempt to subtract with overflow"),
            Cow::Borrowed(_)
        ));

        let panic = |message: &str| Finding {
            kind: FindingKind::Panic,
            message: message.into(),
            backend: "mymap".into(),
            thread: Some(0),
            op: Some(2),
            step: None,
            detail: String::new(),
        };
        let a = panic("slot 3 of bucket 0x1f is torn");
        let b = panic("slot 5 of bucket 0xa0 is torn");
        assert_eq!(a.signature(), b.signature());
        assert_eq!(
            a.signature().0,
            "panic: slot N of bucket 0xN is torn [mymap]"
        );
        assert_ne!(
            a.signature(),
            panic("slot 3 of bucket 0x1f is gone").signature()
        );
        // The finding keeps the whole message, for display.
        assert_eq!(a.message, "slot 3 of bucket 0x1f is torn");
        assert_eq!(
            a.to_string(),
            "panic: slot 3 of bucket 0x1f is torn (thread 0, op 2)"
        );
        // Other kinds' messages go in as they are.
        let throw = Finding {
            kind: FindingKind::Throw,
            message: "a message with 2 numbers 0x3".into(),
            ..a.clone()
        };
        assert_eq!(
            throw.signature().0,
            "throw: a message with 2 numbers 0x3 [mymap]"
        );
    }
}
