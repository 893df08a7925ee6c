//! `tophash`: the one byte per slot that says what the slot holds (docs/go-maps.md §1.1, §2).
//!
//! A full slot stores the top 8 bits of its key's hash, lifted into
//! `MIN_TOP_HASH..=255`, so that the values below `MIN_TOP_HASH` are free to
//! mean "empty" (two flavours) or "evacuated" (three flavours). Searches
//! compare this byte before touching the key; evacuation writes its progress
//! into it.

use std::fmt;

/// The control byte of one bucket slot.
///
/// Reserved values (Go's names): `emptyRest` 0, `emptyOne` 1, `evacuatedX` 2,
/// `evacuatedY` 3, `evacuatedEmpty` 4. Full slots hold `minTopHash` (5) or more.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Tophash(pub(crate) u8);

impl Tophash {
    /// `emptyRest`: this slot is empty and so is every later slot of the
    /// chain (its bucket's later slots and all its overflow buckets).
    /// Searches stop here. Zeroed buckets are all `emptyRest`.
    pub(crate) const EMPTY_REST: Tophash = Tophash(0);
    /// `emptyOne`: this slot is empty; later slots may be full.
    pub(crate) const EMPTY_ONE: Tophash = Tophash(1);
    /// `evacuatedX`: old bucket only — the entry moved to the X (low) half.
    pub(crate) const EVACUATED_X: Tophash = Tophash(2);
    /// `evacuatedY`: old bucket only — the entry moved to the Y (high) half.
    /// `EVACUATED_X.0 + 1`, so `EVACUATED_X.0 + use_y` picks the mark.
    pub(crate) const EVACUATED_Y: Tophash = Tophash(3);
    /// `evacuatedEmpty`: old bucket only — the slot was empty when its bucket
    /// was evacuated.
    pub(crate) const EVACUATED_EMPTY: Tophash = Tophash(4);
    /// `minTopHash`: the smallest tophash of a full slot.
    pub(crate) const MIN_TOP_HASH: u8 = 5;

    /// `tophash(hash)`: the hash's top byte, lifted past the reserved values.
    #[inline(always)]
    pub(crate) fn from_hash(hash: u64) -> Tophash {
        let top = (hash >> 56) as u8;
        if top < Self::MIN_TOP_HASH {
            Tophash(top + Self::MIN_TOP_HASH)
        } else {
            Tophash(top)
        }
    }

    /// `isEmpty`: `emptyRest` or `emptyOne`.
    #[inline(always)]
    pub(crate) fn is_empty(self) -> bool {
        self.0 <= Self::EMPTY_ONE.0
    }

    /// A full slot: `>= minTopHash`.
    #[inline(always)]
    pub(crate) fn is_full(self) -> bool {
        self.0 >= Self::MIN_TOP_HASH
    }

    /// One of the three evacuation marks (2..=4). `evacuated(bucket)` is this
    /// predicate applied to the head bucket's slot 0.
    #[inline(always)]
    pub(crate) fn is_evacuated_mark(self) -> bool {
        self.0 > Self::EMPTY_ONE.0 && self.0 < Self::MIN_TOP_HASH
    }

    /// `evacuatedX` or `evacuatedY`: the slot's entry lives on in the new array.
    #[inline(always)]
    pub(crate) fn is_moved(self) -> bool {
        self == Self::EVACUATED_X || self == Self::EVACUATED_Y
    }
}

impl fmt::Debug for Tophash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::EMPTY_REST => f.write_str("emptyRest"),
            Self::EMPTY_ONE => f.write_str("emptyOne"),
            Self::EVACUATED_X => f.write_str("evacuatedX"),
            Self::EVACUATED_Y => f.write_str("evacuatedY"),
            Self::EVACUATED_EMPTY => f.write_str("evacuatedEmpty"),
            Tophash(t) => write!(f, "full({t:#04x})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_tophash_never_collides_with_markers() {
        for top in 0..=255u64 {
            let t = Tophash::from_hash(top << 56 | 0x00ff_ffff_ffff_ffff);
            assert!(t.is_full(), "{top}: {t:?}");
            assert!(!t.is_empty() && !t.is_evacuated_mark());
        }
        assert_eq!(Tophash::from_hash(0), Tophash(5));
        assert_eq!(Tophash::from_hash(4 << 56), Tophash(9));
        assert_eq!(Tophash::from_hash(5 << 56), Tophash(5));
    }

    #[test]
    fn markers_classify_like_go() {
        assert!(Tophash::EMPTY_REST.is_empty() && Tophash::EMPTY_ONE.is_empty());
        assert!(!Tophash::EVACUATED_EMPTY.is_empty());
        for t in [
            Tophash::EVACUATED_X,
            Tophash::EVACUATED_Y,
            Tophash::EVACUATED_EMPTY,
        ] {
            assert!(t.is_evacuated_mark() && !t.is_full());
        }
        assert!(Tophash::EVACUATED_X.is_moved() && Tophash::EVACUATED_Y.is_moved());
        assert!(!Tophash::EVACUATED_EMPTY.is_moved());
        // The low bit of the mark encodes the half (Go throws "bad evacuatedN" otherwise).
        assert_eq!(Tophash::EVACUATED_X.0 ^ 1, Tophash::EVACUATED_Y.0);
    }

    #[test]
    fn debug_names_the_reserved_values() {
        assert_eq!(format!("{:?}", Tophash::EMPTY_REST), "emptyRest");
        assert_eq!(format!("{:?}", Tophash::EVACUATED_Y), "evacuatedY");
        assert_eq!(format!("{:?}", Tophash(0xab)), "full(0xab)");
    }
}
