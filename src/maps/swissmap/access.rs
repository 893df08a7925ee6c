//! Lookup: `runtime_mapaccess2_fast64` and `Map.getWithKey`
//! (docs/go-swiss-map.md §2, §4, §7, §9; race windows S2, S3, S5).

use std::sync::atomic::Ordering::Relaxed;

use super::ctrl::{self, ProbeSeq};
use super::group::Group;
use super::SwissMap;
use crate::maps::Throw;
use crate::sync::{yield_point, Access, Site};

/// Where a lookup found its key: the group and slot (Go returns a pointer
/// to the elem; the caller copies it out after the lookup returned).
pub(super) struct Found<'a> {
    pub(super) group: &'a Group,
    pub(super) slot: usize,
}

impl SwissMap {
    /// `v, ok := m[key]` (`runtime_mapaccess2_fast64`): an empty map returns
    /// before the `writing` check (S3); one check, then a probe with no
    /// more (S2); the elem is copied out after the probe (S2, S4).
    pub fn get(&self, key: u64) -> Result<Option<u64>, Throw> {
        let _race = self.note_access(Access::Read);
        match self.get_slot(key, Site::SwissAccessChecked)? {
            Some(f) => {
                let _ = yield_point(Site::SwissAccessValueCopy);
                Ok(Some(f.group.elem(f.slot)))
            }
            None => Ok(None),
        }
    }

    /// The lookup itself, `checked` being the site after its `writing`
    /// check (the iterator's re-lookup, `grownKeyElem`, runs the same check).
    pub(super) fn get_slot(&self, key: u64, checked: Site) -> Result<Option<Found<'_>>, Throw> {
        let _ = yield_point(Site::SwissAccessEntry);
        // Relaxed: plain loads in Go.
        if self.used.load(Relaxed) == 0 {
            return Ok(None);
        }
        if self.writing.load(Relaxed) != 0 {
            return Err(Throw::ConcurrentMapReadAndMapWrite);
        }
        let _ = yield_point(checked);
        if self.dir_len() == 0 {
            // The small map: compare the keys of the full slots, no hash.
            let g = self.small_group()?;
            let mut full = ctrl::match_full(g.ctrls());
            while full != 0 {
                let i = ctrl::first(full);
                if g.key(i) == key {
                    return Ok(Some(Found { group: g, slot: i }));
                }
                full = ctrl::remove_first(full);
            }
            return Ok(None);
        }
        let hash = self.hash(key);
        let (_, t) = self.directory_at(self.directory_index(hash))?;
        // S2, S15: the key is hashed under the seed of now and the table
        // chosen; a write may replace the table or the seed before the probe.
        let _ = yield_point(Site::SwissTableChosen);
        let mut seq = ProbeSeq::new(ctrl::h1(hash), t.length_mask());
        for _ in 0..t.groups.len() {
            let g = t.group(seq.offset);
            let w = g.ctrls();
            let mut m = ctrl::match_h2(w, ctrl::h2(hash));
            while m != 0 {
                let i = ctrl::first(m);
                if g.key(i) == key {
                    return Ok(Some(Found { group: g, slot: i }));
                }
                m = ctrl::remove_first(m);
            }
            if ctrl::match_empty(w) != 0 {
                return Ok(None);
            }
            seq = seq.next();
        }
        // Every group full: Go probes for ever (S10, a hang).
        Err(Throw::Fault)
    }
}
