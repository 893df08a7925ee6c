//! Growth (docs/go-swiss-map.md §8): `rehash`, `grow` (double a table up
//! to 1024 slots), `split` (two tables of 1024 by the next top hash bit),
//! `installTableSplit` (doubling the directory when the table's local depth
//! is the global depth) and `replaceTable`. Race windows S6, S7, S8.
//!
//! Everything here runs inside a writer's window. The new tables are built
//! where no one else can see them; the directory is then updated slot by
//! slot with plain stores in Go's order, a yield point between steps, so a
//! racing reader sees every intermediate state Go's would.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::ctrl::SLOTS;
use super::group::NIL;
use super::table::{Table, MAX_TABLE_CAPACITY};
use super::{local_depth_mask, SwissMap, SwissMutation};
use crate::maps::Throw;
use crate::sync::{cover, yield_point, Cover, Site};

impl SwissMap {
    /// `table.rehash`: double the capacity up to 1024, else split. There is
    /// no same-size rehash (Go 1.24).
    pub(super) fn rehash(&self, t: &Table) -> Result<(), Throw> {
        cover(Cover::Grow);
        let new_capacity = 2 * u64::from(t.capacity);
        if new_capacity <= u64::from(MAX_TABLE_CAPACITY) {
            self.grow(t, new_capacity)
        } else {
            self.split(t)
        }
    }

    /// Calls `f(hash, key, elem)` for every full slot of `t`.
    fn for_each_full(
        &self,
        t: &Table,
        mut f: impl FnMut(u64, u64, u64) -> Result<(), Throw>,
    ) -> Result<(), Throw> {
        for g in t.groups.iter() {
            for j in 0..SLOTS {
                if !g.is_full(j) {
                    continue;
                }
                let (k, e) = (g.key(j), g.elem(j));
                f(self.hash(k), k, e)?;
            }
        }
        Ok(())
    }

    /// `table.grow`: a new table with the same `index` and `localDepth`
    /// gets every full slot (each key hashed again); `replaceTable`; then
    /// the old table is marked `index = -1`. The old groups stay as they
    /// are, readable by whoever still holds them.
    fn grow(&self, t: &Table, new_capacity: u64) -> Result<(), Throw> {
        let nt = Table::new(new_capacity, t.index(), t.local_depth);
        self.for_each_full(t, |h, k, e| nt.unchecked_put_slot(h, k, e))?;
        let id = self.tables.alloc(nt);
        self.replace_table(id)?;
        let _ = yield_point(Site::SwissReplaceTable);
        // Relaxed: a plain store in Go.
        t.index.store(-1, Relaxed);
        // Relaxed: a statistic of ours, not a Go field.
        self.grows.fetch_add(1, Relaxed);
        cover(Cover::SwissGrow);
        Ok(())
    }

    /// `table.split`: `left` and `right`, each of capacity 1024 and local
    /// depth + 1; a key goes left when `hash & localDepthMask(depth) == 0`.
    fn split(&self, t: &Table) -> Result<(), Throw> {
        let depth = t.local_depth.wrapping_add(1);
        let left = Table::new(u64::from(MAX_TABLE_CAPACITY), -1, depth);
        let right = Table::new(u64::from(MAX_TABLE_CAPACITY), -1, depth);
        // The deliberate bug (`SplitUsesOldDepthBit`): the mask of the old
        // depth, a bit every key of `t` shares (none at depth 0), so every
        // entry lands on one side.
        let mask = if self.mutation == Some(SwissMutation::SplitUsesOldDepthBit) {
            local_depth_mask(t.local_depth)
        } else {
            local_depth_mask(depth)
        };
        self.for_each_full(t, |h, k, e| {
            if h & mask == 0 {
                left.unchecked_put_slot(h, k, e)
            } else {
                right.unchecked_put_slot(h, k, e)
            }
        })?;
        let (l, r) = (self.tables.alloc(left), self.tables.alloc(right));
        self.install_table_split(t, l, r)?;
        let _ = yield_point(Site::SwissReplaceTable);
        // Relaxed: a plain store in Go; a statistic of ours.
        t.index.store(-1, Relaxed);
        self.splits.fetch_add(1, Relaxed);
        cover(Cover::SwissSplit);
        Ok(())
    }

    /// `installTableSplit`: double the directory first if `old` uses every
    /// bit it has (tables' `index` updated in place, then `globalDepth++`,
    /// `globalShift--`, and only then `dirPtr` and `dirLen`: S8); then
    /// install `left` at `old.index` and `right` after it (S7 between them).
    fn install_table_split(&self, old: &Table, l: usize, r: usize) -> Result<(), Throw> {
        // Relaxed throughout: plain loads and stores in Go.
        let global_depth = self.global_depth.load(Relaxed);
        if old.local_depth == global_depth {
            let n = self.dir_len();
            let new_dir: Box<[AtomicUsize]> = (0..2 * n).map(|_| AtomicUsize::new(NIL)).collect();
            for i in 0..n {
                let (id, t) = self.directory_at(i)?;
                new_dir[2 * i].store(id, Relaxed);
                new_dir[2 * i + 1].store(id, Relaxed);
                if t.index() == i as isize {
                    t.index.store(2 * i as isize, Relaxed);
                }
            }
            let _ = yield_point(Site::SwissDirectoryDouble);
            self.global_depth
                .store(global_depth.wrapping_add(1), Relaxed);
            let shift = self.global_shift.load(Relaxed);
            self.global_shift.store(shift.wrapping_sub(1), Relaxed);
            let _ = yield_point(Site::SwissDirectoryDouble);
            let dir = self.dirs.alloc(new_dir);
            self.dir_ptr.store(dir, Relaxed);
            let _ = yield_point(Site::SwissDirectoryDouble);
            self.dir_len.store(2 * n, Relaxed);
            cover(Cover::SwissDirectoryGrow);
            self.dir_doublings.fetch_add(1, Relaxed);
        }
        let left = self.tables.at(l)?;
        let right = self.tables.at(r)?;
        left.index.store(old.index(), Relaxed);
        self.replace_table(l)?;
        let _ = yield_point(Site::SwissSplitInstall);
        let entries = self.entries_of(left)?;
        right
            .index
            .store(left.index().wrapping_add(entries as isize), Relaxed);
        self.replace_table(r)
    }

    /// `1 << (globalDepth - localDepth)`: the directory slots a table
    /// fills; a local depth above the global one (torn state) is a fault.
    pub(super) fn entries_of(&self, t: &Table) -> Result<usize, Throw> {
        // Relaxed: a plain load in Go.
        let gd = self.global_depth.load(Relaxed);
        gd.checked_sub(t.local_depth)
            .and_then(|d| 1usize.checked_shl(u32::from(d)))
            .ok_or(Throw::Fault)
    }

    /// `replaceTable`: point the table's `1 << (globalDepth - localDepth)`
    /// directory slots from its `index` on at it.
    fn replace_table(&self, id: usize) -> Result<(), Throw> {
        let nt = self.tables.at(id)?;
        let entries = self.entries_of(nt)?;
        for i in 0..entries {
            if i > 0 {
                let _ = yield_point(Site::SwissReplaceTable);
            }
            let slot = nt.index().wrapping_add(i as isize);
            self.directory_set(usize::try_from(slot).map_err(|_| Throw::Fault)?, id)?;
        }
        Ok(())
    }
}
