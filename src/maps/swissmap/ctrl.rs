//! Control bytes and the matching on a group's 64-bit control word
//! (docs/go-swiss-map.md §3), the H1/H2 split of a hash (§2) and the
//! triangular probe sequence over groups (§6). Pure functions on `u64`s:
//! Go's portable (non-SIMD) versions, where a match is 0x80 in the slot's
//! byte and byte `i` of the word is slot `i` (little-endian).

/// `abi.SwissMapGroupSlots`: slots per group.
pub(super) const SLOTS: usize = 8;

/// `ctrlEmpty`: the slot is empty (and ends a probe).
pub(super) const CTRL_EMPTY: u8 = 0b1000_0000;
/// `ctrlDeleted`: a tombstone: the slot is free but does not end a probe.
pub(super) const CTRL_DELETED: u8 = 0b1111_1110;
/// `bitsetEmpty`: a control word of eight `ctrlEmpty` bytes.
pub(super) const BITSET_EMPTY: u64 = 0x8080_8080_8080_8080;

const BITSET_LSB: u64 = 0x0101_0101_0101_0101;
const BITSET_MSB: u64 = 0x8080_8080_8080_8080;

/// `h1(h)`: the 57 high bits, which pick the first group of a probe.
#[inline(always)]
pub(super) fn h1(hash: u64) -> u64 {
    hash >> 7
}

/// `h2(h)`: the 7 low bits, kept in a full slot's control byte.
#[inline(always)]
pub(super) fn h2(hash: u64) -> u8 {
    (hash & 0x7f) as u8
}

/// `ctrlGroup.get(i)`.
#[inline(always)]
pub(super) fn get(word: u64, i: usize) -> u8 {
    (word >> (8 * i)) as u8
}

/// `ctrlGroup.set(i, c)` as a value: `word` with byte `i` replaced.
#[inline(always)]
pub(super) fn with(word: u64, i: usize, c: u8) -> u64 {
    (word & !(0xff << (8 * i))) | (u64::from(c) << (8 * i))
}

/// `matchH2`: the slots whose byte may be `h` (false positives possible
/// beside a real match, never on an empty or deleted byte).
#[inline(always)]
pub(super) fn match_h2(word: u64, h: u8) -> u64 {
    let v = word ^ BITSET_LSB.wrapping_mul(u64::from(h));
    (v.wrapping_sub(BITSET_LSB) & !v) & BITSET_MSB
}

/// `matchEmpty`: bit 7 set and bit 1 clear.
#[inline(always)]
pub(super) fn match_empty(word: u64) -> u64 {
    (word & !(word << 6)) & BITSET_MSB
}

/// `matchEmptyOrDeleted`: bit 7 set.
#[inline(always)]
pub(super) fn match_empty_or_deleted(word: u64) -> u64 {
    word & BITSET_MSB
}

/// `matchFull`: bit 7 clear.
#[inline(always)]
pub(super) fn match_full(word: u64) -> u64 {
    !word & BITSET_MSB
}

/// `bitset.first()`: the slot of the lowest match (`bits != 0`).
#[inline(always)]
pub(super) fn first(bits: u64) -> usize {
    bits.trailing_zeros() as usize / 8
}

/// `bitset.removeFirst()`.
#[inline(always)]
pub(super) fn remove_first(bits: u64) -> u64 {
    bits & bits.wrapping_sub(1)
}

/// Whether a control byte marks a full slot (`ctrl & ctrlEmpty == 0`).
#[inline(always)]
pub(super) fn is_full(c: u8) -> bool {
    c & CTRL_EMPTY == 0
}

/// `probeSeq`: group offsets h1, h1+1, h1+3, h1+6, … modulo the group
/// count; over a power-of-two count it visits every group exactly once in
/// its first `groups` steps (§6).
#[derive(Clone, Copy, Debug)]
pub(super) struct ProbeSeq {
    mask: u64,
    /// The group to look at now.
    pub(super) offset: u64,
    index: u64,
}

impl ProbeSeq {
    /// `makeProbeSeq(h1, mask)`.
    pub(super) fn new(h1: u64, mask: u64) -> ProbeSeq {
        ProbeSeq {
            mask,
            offset: h1 & mask,
            index: 0,
        }
    }

    /// `probeSeq.next()`.
    pub(super) fn next(self) -> ProbeSeq {
        let index = self.index + 1;
        ProbeSeq {
            mask: self.mask,
            offset: (self.offset + index) & self.mask,
            index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_follows_the_control_bytes() {
        let mut w = BITSET_EMPTY;
        w = with(w, 0, 0x12);
        w = with(w, 3, CTRL_DELETED);
        w = with(w, 5, 0x12);
        assert_eq!(get(w, 3), CTRL_DELETED);
        let m = match_h2(w, 0x12);
        assert_eq!(first(m), 0);
        assert_eq!(first(remove_first(m)), 5);
        assert_eq!(match_full(w), (0x80) | (0x80 << 40));
        let e = match_empty(w);
        assert_eq!(e & (0x80 << 24), 0, "a tombstone is not empty");
        assert_eq!(first(e), 1);
        assert_eq!(first(match_empty_or_deleted(w)), 1);
        assert_eq!(match_empty(with(BITSET_EMPTY, 7, 0)).count_ones(), 7);
        assert_eq!(
            match_h2(BITSET_EMPTY, 0),
            0,
            "no false match on empty bytes"
        );
        assert_eq!(h1(0xff), 1);
        assert_eq!(h2(0xff), 0x7f);
    }

    #[test]
    fn the_probe_visits_every_group_once() {
        for groups in [1u64, 2, 4, 128] {
            let mut seen = vec![false; groups as usize];
            let mut p = ProbeSeq::new(12345, groups - 1);
            for _ in 0..groups {
                assert!(!seen[p.offset as usize]);
                seen[p.offset as usize] = true;
                p = p.next();
            }
            assert!(seen.iter().all(|&s| s));
        }
    }
}
