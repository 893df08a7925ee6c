//! Iteration: `Iter.Init`, `Iter.Next`, `grownKeyElem`
//! (docs/go-swiss-map.md §11; race window S13, and S8 for the directory).
//!
//! The walk starts at random offsets in the directory and in each table.
//! Keys are always chosen from the table the iterator is on; once that
//! table has been replaced (`index == -1`, a grow or split since), each key
//! is looked up afresh in the live map, through the reader's check, and
//! dropped when it is gone. A small map that became a table since `Init` is
//! handled the same way. If the directory doubled, the iterator's position
//! and offset are shifted by the new bits.

use std::sync::atomic::Ordering::Relaxed;

use super::ctrl::{self, SLOTS};
use super::group::Group;
use super::table::Table;
use super::SwissMap;
use crate::maps::Throw;
use crate::sync::{cover, yield_point, Access, Cover, Site};

/// An iterator over a [`SwissMap`] (Go's `Iter`): yields `(key, elem)`, or
/// a throw after which it ends.
pub struct Iter<'a> {
    /// `it.m`: `None` for an iterator over an empty map, or after a throw.
    m: Option<&'a SwissMap>,
    entry_offset: u64,
    dir_offset: u64,
    /// `clearSeq` at `Init` (Go consults it only for keys that are not equal
    /// to themselves, which `u64` keys never are; kept for fidelity).
    clear_seq: u64,
    global_depth: u8,
    /// −1 for a map that was small at `Init`.
    dir_idx: isize,
    tab: Option<&'a Table>,
    /// The small map's group (small maps only).
    group: Option<&'a Group>,
    entry_idx: u64,
}

impl std::fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("dir_idx", &self.dir_idx)
            .field("entry_idx", &self.entry_idx)
            .field("clear_seq", &self.clear_seq)
            .finish_non_exhaustive()
    }
}

impl SwissMap {
    /// `for k, v := range m` (`Iter.Init`): random offsets; nothing to do
    /// on an empty map.
    pub fn iter(&self) -> Iter<'_> {
        let mut it = Iter {
            m: None,
            entry_offset: 0,
            dir_offset: 0,
            clear_seq: 0,
            global_depth: 0,
            dir_idx: 0,
            tab: None,
            group: None,
            entry_idx: 0,
        };
        // Relaxed: plain loads in Go.
        if self.used.load(Relaxed) == 0 {
            return it;
        }
        if self.dir_len() == 0 {
            it.dir_idx = -1;
            it.group = self.small_group().ok();
        }
        it.m = Some(self);
        it.entry_offset = self.rng.next_u64();
        it.dir_offset = self.rng.next_u64();
        it.global_depth = self.global_depth.load(Relaxed);
        it.clear_seq = self.clear_seq.load(Relaxed);
        it
    }
}

impl<'a> Iter<'a> {
    /// `grownKeyElem`: the key's current elem in the live map, or `None`
    /// when it is gone (the re-lookup runs the reader's check).
    fn grown_key_elem(m: &SwissMap, key: u64) -> Result<Option<u64>, Throw> {
        let _ = yield_point(Site::SwissIterRelookup);
        Ok(m.get_slot(key, Site::SwissAccessChecked)?
            .map(|f| f.group.elem(f.slot)))
    }

    /// `Iter.Next` for a map that was small at `Init`.
    fn next_small(&mut self, m: &'a SwissMap) -> Result<Option<(u64, u64)>, Throw> {
        let g = self.group.ok_or(Throw::Fault)?;
        while self.entry_idx < SLOTS as u64 {
            let k = (self.entry_idx.wrapping_add(self.entry_offset) % SLOTS as u64) as usize;
            self.entry_idx += 1;
            if !ctrl::is_full(ctrl::get(g.ctrls(), k)) {
                continue;
            }
            let key = g.key(k);
            // Relaxed: a plain load in Go.
            let grown = m.dir_len() > 0;
            if grown {
                match Self::grown_key_elem(m, key)? {
                    Some(elem) => return Ok(Some((key, elem))),
                    None => continue,
                }
            }
            return Ok(Some((key, g.elem(k))));
        }
        Ok(None)
    }

    /// `nextDirIdx`: skip the other directory slots of the same table.
    fn next_dir_idx(&mut self, m: &SwissMap) -> Result<(), Throw> {
        let tab = self.tab.ok_or(Throw::Fault)?;
        let entries = m.entries_of(tab)?;
        self.dir_idx = self.dir_idx.wrapping_add(entries as isize);
        self.tab = None;
        self.entry_idx = 0;
        Ok(())
    }

    /// `Iter.Next` for a table map.
    fn next_table(&mut self, m: &'a SwissMap) -> Result<Option<(u64, u64)>, Throw> {
        // Relaxed: plain loads in Go.
        let gd = m.global_depth.load(Relaxed);
        if self.global_depth != gd {
            let orders = u32::from(gd.wrapping_sub(self.global_depth));
            self.dir_idx = self.dir_idx.checked_shl(orders).unwrap_or(0);
            self.dir_offset = self.dir_offset.checked_shl(orders).unwrap_or(0);
            self.global_depth = gd;
        }
        while self.dir_idx < m.dir_len() as isize {
            let tab = match self.tab {
                Some(t) => t,
                None => {
                    let mask = (m.dir_len() as u64).wrapping_sub(1);
                    let dir_idx = (self.dir_idx as u64).wrapping_add(self.dir_offset) & mask;
                    let (_, new_tab) = m.directory_at(dir_idx as usize)?;
                    let index = new_tab.index();
                    if index != dir_idx as isize {
                        // The random start fell inside a run of slots of
                        // one table: shift the offset so that the walk
                        // starts at that table's first slot.
                        let diff = (dir_idx as isize).wrapping_sub(index);
                        self.dir_offset = self.dir_offset.wrapping_sub(diff as u64);
                    }
                    let _ = yield_point(Site::SwissIterTableChosen);
                    self.tab = Some(new_tab);
                    new_tab
                }
            };
            let entry_mask = u64::from(tab.capacity) - 1;
            while self.entry_idx <= entry_mask {
                let entry = self.entry_idx.wrapping_add(self.entry_offset) & entry_mask;
                self.entry_idx += 1;
                let slot = (entry as usize) & (SLOTS - 1);
                let g = tab.group(entry >> 3);
                if !ctrl::is_full(ctrl::get(g.ctrls(), slot)) {
                    continue;
                }
                let key = g.key(slot);
                let grown = tab.index() == -1;
                if grown {
                    cover(Cover::SwissIterAcrossGrow);
                    match Self::grown_key_elem(m, key)? {
                        Some(elem) => return Ok(Some((key, elem))),
                        None => continue,
                    }
                }
                return Ok(Some((key, g.elem(slot))));
            }
            self.next_dir_idx(m)?;
        }
        Ok(None)
    }

    fn step(&mut self, m: &'a SwissMap) -> Result<Option<(u64, u64)>, Throw> {
        // Relaxed: a plain load in Go.
        if m.writing.load(Relaxed) != 0 {
            return Err(Throw::ConcurrentMapIterationAndMapWrite);
        }
        let _ = yield_point(Site::SwissIterChecked);
        if self.dir_idx < 0 {
            self.next_small(m)
        } else {
            self.next_table(m)
        }
    }
}

impl Iterator for Iter<'_> {
    type Item = Result<(u64, u64), Throw>;

    /// `Iter.Next`: one `writing` check per call.
    fn next(&mut self) -> Option<Self::Item> {
        let m = self.m?;
        let _race = m.note_access(Access::Read);
        match self.step(m) {
            Ok(Some(kv)) => Some(Ok(kv)),
            Ok(None) => {
                self.m = None;
                None
            }
            Err(t) => {
                self.m = None;
                Some(Err(t))
            }
        }
    }
}
