//! Tables (docs/go-swiss-map.md §5): capacity, `growthLeft`, `used`,
//! `localDepth`, `index`, and `uncheckedPutSlot` (§7), the insert that grow,
//! split and `growToTable` use on a table nobody else can see yet.

use std::sync::atomic::{AtomicIsize, AtomicU16, Ordering::Relaxed};

use super::ctrl::{self, ProbeSeq, SLOTS};
use super::group::Group;
use crate::maps::Throw;

/// `maxTableCapacity`: the most slots one table has; a table that would
/// grow beyond it splits instead (§8).
pub(super) const MAX_TABLE_CAPACITY: u16 = 1024;

/// `maxAvgGroupLoad`: 7 of 8 slots may be used.
pub(super) const MAX_AVG_GROUP_LOAD: u16 = 7;

/// A table (Go's `table`).
#[derive(Debug)]
pub(super) struct Table {
    /// `used`: full slots in this table.
    pub(super) used: AtomicU16,
    /// `capacity`: slots, a power of two, 8 ≤ capacity ≤ 1024. Fixed: a
    /// table never changes size, it is replaced.
    pub(super) capacity: u16,
    /// `growthLeft`: inserts left before a rehash, tombstones counted as used.
    pub(super) growth_left: AtomicU16,
    /// `localDepth`: the top hash bits this table's keys share. Fixed.
    pub(super) local_depth: u8,
    /// `index`: the first directory slot naming this table; −1 once the
    /// table was replaced by a grow or split.
    pub(super) index: AtomicIsize,
    /// `groups`: `capacity / 8` groups (`lengthMask` = len − 1).
    pub(super) groups: Box<[Group]>,
}

/// `resetGrowthLeft` (1.24) / `maxGrowthLeft` (1.25+): capacity − 1 up to
/// 8 slots, else capacity·7/8.
pub(super) fn max_growth_left(capacity: u16) -> u16 {
    if capacity <= SLOTS as u16 {
        capacity - 1
    } else {
        capacity * MAX_AVG_GROUP_LOAD / SLOTS as u16
    }
}

impl Table {
    /// `newTable(typ, capacity, index, localDepth)`: capacity raised to 8
    /// and rounded up to a power of two; Go panics above 1024.
    pub(super) fn new(capacity: u64, index: isize, local_depth: u8) -> Table {
        let capacity = capacity.max(SLOTS as u64);
        assert!(
            capacity <= u64::from(MAX_TABLE_CAPACITY),
            "initial table capacity too large"
        );
        let capacity = capacity.next_power_of_two() as u16;
        Table {
            used: AtomicU16::new(0),
            capacity,
            growth_left: AtomicU16::new(max_growth_left(capacity)),
            local_depth,
            index: AtomicIsize::new(index),
            groups: (0..capacity as usize / SLOTS)
                .map(|_| Group::empty())
                .collect(),
        }
    }

    /// `groups.lengthMask`.
    #[inline(always)]
    pub(super) fn length_mask(&self) -> u64 {
        self.groups.len() as u64 - 1
    }

    /// `groups.group(i)` (`i` is always masked, so always in bounds).
    #[inline(always)]
    pub(super) fn group(&self, i: u64) -> &Group {
        &self.groups[(i & self.length_mask()) as usize]
    }

    /// `t.index`.
    #[inline(always)]
    pub(super) fn index(&self) -> isize {
        // Relaxed: a plain load in Go.
        self.index.load(Relaxed)
    }

    /// `tombstones()`: capacity·7/8 − used − growthLeft (wrapping, as Go's
    /// `uint16` arithmetic, so a table broken by a race shows a wild count).
    pub(super) fn tombstones(&self) -> u16 {
        // Relaxed: plain loads in Go.
        (self.capacity * MAX_AVG_GROUP_LOAD / SLOTS as u16)
            .wrapping_sub(self.used.load(Relaxed))
            .wrapping_sub(self.growth_left.load(Relaxed))
    }

    /// `uncheckedPutSlot`: inserts a key known to be absent, into the first
    /// empty-or-deleted slot of its probe. Only for a table nobody else can
    /// reach yet (grow, split, growToTable). Go panics when `growthLeft` is
    /// 0 (only a race can get it there: a racing writer inserted into the
    /// old table while it was copied); a table whose probe finds no free slot
    /// at all would loop for ever in Go and is [`Throw::Fault`] here.
    pub(super) fn unchecked_put_slot(&self, hash: u64, key: u64, elem: u64) -> Result<(), Throw> {
        // Relaxed: plain fields in Go.
        let gl = self.growth_left.load(Relaxed);
        assert!(gl != 0, "invariant failed: growthLeft is unexpectedly 0");
        let mut seq = ProbeSeq::new(ctrl::h1(hash), self.length_mask());
        for _ in 0..self.groups.len() {
            let g = self.group(seq.offset);
            let m = ctrl::match_empty_or_deleted(g.ctrls());
            if m != 0 {
                let i = ctrl::first(m);
                g.set_key(i, key);
                g.set_elem(i, elem);
                self.growth_left.store(gl - 1, Relaxed);
                let used = self.used.load(Relaxed);
                self.used.store(used.wrapping_add(1), Relaxed);
                g.set_ctrl(i, ctrl::h2(hash));
                return Ok(());
            }
            seq = seq.next();
        }
        Err(Throw::Fault)
    }

    /// `table.Clear`: zero every group, mark it empty; `used = 0`;
    /// `resetGrowthLeft`.
    pub(super) fn clear(&self) {
        for g in self.groups.iter() {
            g.zero();
            g.set_empty();
        }
        // Relaxed: plain stores in Go.
        self.used.store(0, Relaxed);
        self.growth_left
            .store(max_growth_left(self.capacity), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_and_growth_left_follow_go() {
        assert_eq!(max_growth_left(8), 7);
        assert_eq!(max_growth_left(16), 14);
        assert_eq!(max_growth_left(1024), 896);
        let t = Table::new(3, 0, 0);
        assert_eq!((t.capacity, t.groups.len()), (8, 1));
        let t = Table::new(17, 0, 0);
        assert_eq!((t.capacity, t.groups.len()), (32, 4));
        assert_eq!(t.tombstones(), 0);
    }

    #[test]
    #[should_panic(expected = "initial table capacity too large")]
    fn above_1024_panics_like_go() {
        let _ = Table::new(1025, 0, 0);
    }
}
