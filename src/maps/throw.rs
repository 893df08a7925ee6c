//! Go-style fatal errors, returned as values.

use serde::{Deserialize, Serialize};

/// A Go runtime fatal error raised by a map operation.
///
/// Go prints `fatal error: <message>` and kills the process; `chaos` returns
/// the throw to the caller instead, and the engine stops the execution the
/// way the process would have stopped. [`Throw::message`] is Go's exact text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Throw {
    /// `concurrent map writes`: a write found `hashWriting` set on entry, or
    /// clear at its exit check.
    ConcurrentMapWrites,
    /// `concurrent map read and map write`: a lookup found `hashWriting` set.
    ConcurrentMapReadAndMapWrite,
    /// `concurrent map iteration and map write`: an iteration step found
    /// `hashWriting` set.
    ConcurrentMapIterationAndMapWrite,
    /// `bad map state`: evacuation met an evacuation mark in a bucket that was
    /// not evacuated (only reachable through a race).
    BadMapState,
    /// `small map with no empty slot (concurrent map writes?)`: a Swiss
    /// map's small-map insert found its group full while `used < 8` (only a
    /// race gets it there; docs/go-swiss-map.md §4, S12).
    SmallMapNoEmptySlot,
    /// Where Go would have faulted (SIGSEGV) inside map code: a racing
    /// operation combined fields of two bucket-array generations and indexed
    /// outside the array. `chaos` bounds-checks and reports it instead.
    Fault,
}

impl Throw {
    /// The text Go prints after `fatal error: `.
    pub fn message(self) -> &'static str {
        match self {
            Throw::ConcurrentMapWrites => "concurrent map writes",
            Throw::ConcurrentMapReadAndMapWrite => "concurrent map read and map write",
            Throw::ConcurrentMapIterationAndMapWrite => "concurrent map iteration and map write",
            Throw::BadMapState => "bad map state",
            Throw::SmallMapNoEmptySlot => "small map with no empty slot (concurrent map writes?)",
            Throw::Fault => "unexpected fault address (signal SIGSEGV: segmentation violation)",
        }
    }
}

impl std::fmt::Display for Throw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fatal error: {}", self.message())
    }
}

impl std::error::Error for Throw {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_gos_exact_text() {
        assert_eq!(
            Throw::ConcurrentMapWrites.to_string(),
            "fatal error: concurrent map writes"
        );
        assert_eq!(
            Throw::ConcurrentMapReadAndMapWrite.message(),
            "concurrent map read and map write"
        );
        assert_eq!(
            Throw::ConcurrentMapIterationAndMapWrite.message(),
            "concurrent map iteration and map write"
        );
    }
}
