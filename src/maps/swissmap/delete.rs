//! Delete: `Map.Delete`, `deleteSmall`, `table.Delete`
//! (docs/go-swiss-map.md §4, §7, §9; race windows S1, S11, S15).

use std::sync::atomic::Ordering::Relaxed;

use super::ctrl::{self, ProbeSeq, CTRL_DELETED, CTRL_EMPTY};
use super::{GoVersion, SwissMap};
use crate::maps::Throw;
use crate::sync::{yield_point, Access, Site};

impl SwissMap {
    /// `delete(m, key)`: nothing (and no check) on an empty map; entry
    /// check; hash; `writing ^= 1`; small or table delete; a new seed when
    /// `used` reached 0 (S15); exit check; `writing ^= 1`.
    pub fn remove(&self, key: u64) -> Result<(), Throw> {
        let _race = self.note_access(Access::Write);
        // Relaxed: a plain load in Go.
        if self.used.load(Relaxed) == 0 {
            return Ok(());
        }
        self.check_not_writing()?;
        let hash = self.hash(key);
        let _ = yield_point(Site::SwissDeleteChecked);
        self.toggle_writing();
        self.apply_fault(Site::SwissDeleteFlagSet, hash)?;
        if self.dir_len() == 0 {
            self.delete_small(hash, key)?;
        } else if self.table_delete(hash, key)? && self.version == GoVersion::Go125 {
            // Relaxed: a plain store in Go.
            self.tombstone_possible.store(true, Relaxed);
        }
        // Relaxed: a plain load in Go.
        if self.used.load(Relaxed) == 0 {
            let _ = yield_point(Site::SwissDeleteReseed);
            self.reseed();
        }
        let _ = yield_point(Site::SwissDeleteExit);
        self.finish_writing()
    }

    /// `deleteSmall`: clear the elem (a `uint64` key has no pointers, so Go
    /// leaves it), control byte straight to `ctrlEmpty` (a small map never
    /// holds a tombstone).
    fn delete_small(&self, hash: u64, key: u64) -> Result<(), Throw> {
        let g = self.small_group()?;
        let mut m = ctrl::match_h2(g.ctrls(), ctrl::h2(hash));
        while m != 0 {
            let i = ctrl::first(m);
            if g.key(i) == key {
                self.add_used(-1);
                // The key has no pointers, so Go leaves it; the elem is
                // always cleared (go.dev/issue/25936).
                g.set_elem(i, 0);
                g.set_ctrl(i, CTRL_EMPTY);
                return Ok(());
            }
            m = ctrl::remove_first(m);
        }
        Ok(())
    }

    /// `table.Delete`: on a hit, `t.used--`, `m.used--`, clear the elem;
    /// `ctrlEmpty` (and `growthLeft++`) if the group still has an empty
    /// slot, else a tombstone (S11 between the test and the store).
    /// Returns whether it wrote a tombstone (1.25+'s return value).
    fn table_delete(&self, hash: u64, key: u64) -> Result<bool, Throw> {
        let (_, t) = self.directory_at(self.directory_index(hash))?;
        let _ = yield_point(Site::SwissTableChosen);
        let mut seq = ProbeSeq::new(ctrl::h1(hash), t.length_mask());
        for _ in 0..t.groups.len() {
            let g = t.group(seq.offset);
            let w = g.ctrls();
            let mut m = ctrl::match_h2(w, ctrl::h2(hash));
            while m != 0 {
                let i = ctrl::first(m);
                if g.key(i) == key {
                    // Relaxed: plain read-modify-writes in Go (S10).
                    let used = t.used.load(Relaxed);
                    t.used.store(used.wrapping_sub(1), Relaxed);
                    self.add_used(-1);
                    // Key kept (no pointers), elem cleared, as in Go.
                    g.set_elem(i, 0);
                    let has_empty = ctrl::match_empty(g.ctrls()) != 0;
                    let _ = yield_point(Site::SwissDeleteDecide);
                    if has_empty {
                        g.set_ctrl(i, CTRL_EMPTY);
                        let gl = t.growth_left.load(Relaxed);
                        t.growth_left.store(gl.wrapping_add(1), Relaxed);
                        return Ok(false);
                    }
                    g.set_ctrl(i, CTRL_DELETED);
                    return Ok(true);
                }
                m = ctrl::remove_first(m);
            }
            if ctrl::match_empty(w) != 0 {
                return Ok(false);
            }
            seq = seq.next();
        }
        // Every group full: Go probes for ever (S10).
        Err(Throw::Fault)
    }
}
