//! Introspection: counts a test or a report can read at quiescence.

use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;

use super::group::NIL;
use super::table::Table;
use super::SwissMap;

/// A snapshot of a [`SwissMap`]'s shape (exact at quiescence).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `used`: entries.
    pub used: usize,
    /// Whether the map is small (`dirLen == 0`).
    pub small: bool,
    /// Whether anything is allocated (`dirPtr != nil`).
    pub allocated: bool,
    /// `dirLen`.
    pub dir_len: usize,
    /// `globalDepth`.
    pub global_depth: u8,
    /// Distinct tables the directory names.
    pub tables: usize,
    /// Tables ever allocated (live and retired).
    pub tables_allocated: usize,
    /// Groups of the live tables (1 for a small map).
    pub groups: usize,
    /// Slots of the live tables (8 for a small map).
    pub capacity: usize,
    /// Tombstones (`ctrlDeleted` bytes) in the live tables.
    pub tombstones: usize,
    /// Sum of the live tables' `growthLeft`.
    pub growth_left: usize,
    /// Table grows so far.
    pub grows: usize,
    /// Table splits so far.
    pub splits: usize,
    /// Directory doublings so far.
    pub dir_doublings: usize,
    /// Successful `pruneTombstones` runs so far (Go 1.25+ only).
    pub prunes: usize,
    /// `clearSeq`.
    pub clear_seq: u64,
}

impl SwissMap {
    /// The distinct live tables, in directory order (quiescent use only;
    /// an id that does not resolve is skipped).
    pub(super) fn live_tables(&self) -> Vec<(usize, &Table)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for i in 0..self.dir_len() {
            if let Ok((id, t)) = self.directory_at(i) {
                if seen.insert(id) {
                    out.push((id, t));
                }
            }
        }
        out
    }

    /// The map's shape now.
    pub fn stats(&self) -> Stats {
        // Relaxed: statistics, exact at quiescence.
        let mut s = Stats {
            used: self.len(),
            small: self.dir_len() == 0,
            allocated: self.dir_ptr.load(Relaxed) != NIL,
            dir_len: self.dir_len(),
            global_depth: self.global_depth.load(Relaxed),
            tables_allocated: self.tables.len(),
            grows: self.grows.load(Relaxed),
            splits: self.splits.load(Relaxed),
            dir_doublings: self.dir_doublings.load(Relaxed),
            prunes: self.prunes.load(Relaxed),
            clear_seq: self.clear_seq.load(Relaxed),
            ..Stats::default()
        };
        if s.small {
            if s.allocated {
                s.groups = 1;
                s.capacity = 8;
            }
            return s;
        }
        for (_, t) in self.live_tables() {
            s.tables += 1;
            s.groups += t.groups.len();
            s.capacity += usize::from(t.capacity);
            s.growth_left += usize::from(t.growth_left.load(Relaxed));
            s.tombstones += t
                .groups
                .iter()
                .map(|g| {
                    (0..8)
                        .filter(|&i| super::ctrl::get(g.ctrls(), i) == super::ctrl::CTRL_DELETED)
                        .count()
                })
                .sum::<usize>();
        }
        s
    }
}

/// What [`SwissMap::counters`] reads: the O(1) part of [`Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Whether the map is small (`dirLen == 0`).
    pub small: bool,
    /// `dirLen`.
    pub dir_len: usize,
    /// `globalDepth`.
    pub global_depth: u8,
    /// Tables ever allocated.
    pub tables_allocated: usize,
    /// Table grows so far.
    pub grows: usize,
    /// Table splits so far.
    pub splits: usize,
    /// Directory doublings so far.
    pub dir_doublings: usize,
}

/// One live table, as [`SwissMap::table_loads`] lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableLoad {
    /// Allocation order: a later table has a larger id.
    pub id: usize,
    /// `capacity`.
    pub capacity: u16,
    /// `used`.
    pub used: u16,
    /// `growthLeft`.
    pub growth_left: u16,
    /// `localDepth`.
    pub local_depth: u8,
    /// `index`: its first directory slot.
    pub index: isize,
}

impl SwissMap {
    /// The O(1) counters (cheap enough to read after every operation).
    pub fn counters(&self) -> Counters {
        // Relaxed: statistics.
        Counters {
            small: self.dir_len() == 0,
            dir_len: self.dir_len(),
            global_depth: self.global_depth.load(Relaxed),
            tables_allocated: self.tables.len(),
            grows: self.grows.load(Relaxed),
            splits: self.splits.load(Relaxed),
            dir_doublings: self.dir_doublings.load(Relaxed),
        }
    }

    /// The live tables, by allocation order (quiescent use).
    pub fn table_loads(&self) -> Vec<TableLoad> {
        let mut v: Vec<TableLoad> = self
            .live_tables()
            .into_iter()
            .map(|(id, t)| TableLoad {
                id,
                capacity: t.capacity,
                // Relaxed: statistics.
                used: t.used.load(Relaxed),
                growth_left: t.growth_left.load(Relaxed),
                local_depth: t.local_depth,
                index: t.index(),
            })
            .collect();
        v.sort_by_key(|t| t.id);
        v
    }
}
