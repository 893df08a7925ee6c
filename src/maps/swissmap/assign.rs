//! Assign: `runtime_mapassign_fast64` and the caller's value store,
//! `putSlotSmallFast64`, `growToSmall`, `growToTable` (docs/go-swiss-map.md
//! §4, §7, §9; race windows S1, S4, S5, S9, S10, S12).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::ctrl::{self, ProbeSeq, CTRL_DELETED, SLOTS};
use super::group::{Group, NIL};
use super::table::Table;
use super::{depth_to_shift, GoVersion, SwissMap};
use crate::maps::Throw;
use crate::sync::{yield_point, Access, Site};

impl SwissMap {
    /// `m[key] = value`: entry check; hash; `writing ^= 1`; small-map or
    /// table insert (promoting a small map of 8 entries first, even for an
    /// update); exit check; `writing ^= 1`; then, outside the window, the
    /// value store (S4).
    pub fn insert(&self, key: u64, value: u64) -> Result<(), Throw> {
        let _race = self.note_access(Access::Write);
        self.check_not_writing()?;
        let hash = self.hash(key);
        let _ = yield_point(Site::SwissAssignChecked);
        self.toggle_writing();
        self.apply_fault(Site::SwissAssignFlagSet, hash)?;
        let (g, i) = self.assign_slot(hash, key)?;
        let _ = yield_point(Site::SwissAssignExit);
        self.finish_writing()?;
        let _ = yield_point(Site::SwissAssignValue);
        g.set_elem(i, value);
        Ok(())
    }

    /// The body of the write window: the slot `key` now occupies.
    fn assign_slot(&self, hash: u64, key: u64) -> Result<(&Group, usize), Throw> {
        // Relaxed: plain loads in Go.
        if self.dir_ptr.load(Relaxed) == NIL {
            self.grow_to_small();
        }
        if self.dir_len() == 0 {
            if self.used.load(Relaxed) < SLOTS as u64 {
                return self.put_slot_small(hash, key);
            }
            self.grow_to_table()?;
        }
        self.put_slot_table(hash, key)
    }

    /// `growToSmall`: one group, all empty.
    pub(super) fn grow_to_small(&self) {
        let id = self.smalls.alloc(Group::empty());
        // Relaxed: a plain store in Go; the arena publishes the group.
        self.dir_ptr.store(id, Relaxed);
    }

    /// `putSlotSmallFast64`: update in place, or take the first free slot;
    /// none free with `used < 8` is Go's second race detector.
    fn put_slot_small(&self, hash: u64, key: u64) -> Result<(&Group, usize), Throw> {
        let g = self.small_group()?;
        let w = g.ctrls();
        let mut m = ctrl::match_h2(w, ctrl::h2(hash));
        while m != 0 {
            let i = ctrl::first(m);
            if g.key(i) == key {
                return Ok((g, i));
            }
            m = ctrl::remove_first(m);
        }
        let m = ctrl::match_empty_or_deleted(w);
        if m == 0 {
            return Err(Throw::SmallMapNoEmptySlot);
        }
        let i = ctrl::first(m);
        let _ = yield_point(Site::SwissSmallSlotChosen);
        g.set_key(i, key);
        g.set_ctrl(i, ctrl::h2(hash));
        self.add_used(1);
        Ok((g, i))
    }

    /// `growToTable`: a table of 16 slots gets the 8 entries, then a
    /// directory of one entry is published: `dirPtr`, then `dirLen = 1`,
    /// then `globalDepth` and `globalShift` (S5 between the first two).
    pub(super) fn grow_to_table(&self) -> Result<(), Throw> {
        let tab = Table::new(2 * SLOTS as u64, 0, 0);
        let g = self.small_group()?;
        for i in 0..SLOTS {
            if !g.is_full(i) {
                continue;
            }
            let (k, e) = (g.key(i), g.elem(i));
            tab.unchecked_put_slot(self.hash(k), k, e)?;
        }
        let tid = self.tables.alloc(tab);
        let dir = self.dirs.alloc(Box::new([AtomicUsize::new(tid)]));
        // Relaxed: plain stores in Go, in Go's order.
        self.dir_ptr.store(dir, Relaxed);
        let _ = yield_point(Site::SwissGrowToTable);
        self.dir_len.store(1, Relaxed);
        self.global_depth.store(0, Relaxed);
        self.global_shift.store(depth_to_shift(0), Relaxed);
        Ok(())
    }

    /// The table half of `runtime_mapassign_fast64` (`outer:` loop): probe
    /// for the key, remembering the first tombstone; at the first group
    /// whose first free slot is empty, insert into that tombstone
    /// (`growthLeft++` first, so the decrement nets to zero) or the empty
    /// slot; with `growthLeft == 0` rehash and start again from the
    /// directory (S9).
    fn put_slot_table(&self, hash: u64, key: u64) -> Result<(&Group, usize), Throw> {
        loop {
            let (_, t) = self.directory_at(self.directory_index(hash))?;
            let _ = yield_point(Site::SwissTableChosen);
            let mut seq = ProbeSeq::new(ctrl::h1(hash), t.length_mask());
            let mut first_deleted: Option<(&Group, usize)> = None;
            let mut probed = 0;
            loop {
                if probed == t.groups.len() {
                    // No empty slot anywhere: Go probes for ever (S10).
                    return Err(Throw::Fault);
                }
                probed += 1;
                let g = t.group(seq.offset);
                let w = g.ctrls();
                let mut m = ctrl::match_h2(w, ctrl::h2(hash));
                while m != 0 {
                    let i = ctrl::first(m);
                    if g.key(i) == key {
                        return Ok((g, i));
                    }
                    m = ctrl::remove_first(m);
                }
                // Go's `_fast64` test (not table.PutSlot's): the group's
                // first free slot decides. A tombstone there is remembered
                // and the probe goes on, even if an empty slot follows it
                // in the group (which only a race can arrange: a group
                // that holds a tombstone has no empty slot, see
                // `tombstone-beside-empty`).
                let free = ctrl::match_empty_or_deleted(w);
                if free == 0 {
                    seq = seq.next();
                    continue;
                }
                let i = ctrl::first(free);
                if ctrl::get(w, i) == CTRL_DELETED {
                    if first_deleted.is_none() {
                        first_deleted = Some((g, i));
                    }
                    seq = seq.next();
                    continue;
                }
                // An empty slot: the end of the probe sequence.
                // Relaxed: plain read-modify-writes in Go (S10).
                let (g, i) = match first_deleted {
                    Some(d) => {
                        let gl = t.growth_left.load(Relaxed);
                        t.growth_left.store(gl.wrapping_add(1), Relaxed);
                        d
                    }
                    None => (g, i),
                };
                // Go 1.25+: with no room left, first try to remove
                // tombstones no probe needs.
                if self.version == GoVersion::Go125 && t.growth_left.load(Relaxed) == 0 {
                    self.prune_tombstones(t);
                }
                let gl = t.growth_left.load(Relaxed);
                if gl > 0 {
                    g.set_key(i, key);
                    let _ = yield_point(Site::SwissInsertSlot);
                    g.set_ctrl(i, ctrl::h2(hash));
                    let gl = t.growth_left.load(Relaxed);
                    let _ = yield_point(Site::SwissCounters);
                    t.growth_left.store(gl.wrapping_sub(1), Relaxed);
                    let used = t.used.load(Relaxed);
                    t.used.store(used.wrapping_add(1), Relaxed);
                    self.add_used(1);
                    return Ok((g, i));
                }
                self.rehash(t)?;
                break;
            }
            self.apply_fault(Site::SwissRehashed, hash)?;
        }
    }
}
