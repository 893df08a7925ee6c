//! Clear: `Map.Clear`, `clearSmall`, `table.Clear` (docs/go-swiss-map.md
//! §10; race window S14). Go 1.25+ differences: a map with no entries but
//! possible tombstones is still cleared, tables with neither entries nor
//! tombstones are skipped, and `tombstonePossible` is reset.

use std::sync::atomic::Ordering::Relaxed;

use super::{GoVersion, SwissMap};
use crate::maps::Throw;
use crate::sync::{yield_point, Access, Site};

impl SwissMap {
    /// `clear(m)`: nothing (and no check) on an empty map; entry check;
    /// `writing ^= 1`; zero the small group, or every distinct table once
    /// (the directory keeps its size and no table is released); `used = 0`;
    /// `clearSeq++`; a new seed; exit check; `writing ^= 1`.
    pub fn clear(&self) -> Result<(), Throw> {
        let _race = self.note_access(Access::Write);
        // Relaxed: plain loads and stores in Go.
        // Go 1.25+ goes on when tombstones may remain, to wipe them too.
        let tombstones = self.version == GoVersion::Go125 && self.tombstone_possible.load(Relaxed);
        if self.used.load(Relaxed) == 0 && !tombstones {
            return Ok(());
        }
        self.check_not_writing()?;
        let _ = yield_point(Site::SwissClearChecked);
        self.toggle_writing();
        if self.dir_len() == 0 {
            let _ = yield_point(Site::SwissClearWiping);
            let g = self.small_group()?;
            g.zero();
            g.set_empty();
            self.used.store(0, Relaxed);
            let seq = self.clear_seq.load(Relaxed);
            self.clear_seq.store(seq.wrapping_add(1), Relaxed);
        } else {
            let mut last = None;
            for i in 0..self.dir_len() {
                let (id, t) = self.directory_at(i)?;
                if last == Some(id) {
                    continue;
                }
                last = Some(id);
                // Go 1.25+ skips a table with neither entries nor tombstones.
                if self.version == GoVersion::Go125
                    && t.used.load(Relaxed) == 0
                    && t.tombstones() == 0
                {
                    continue;
                }
                let _ = yield_point(Site::SwissClearWiping);
                t.clear();
            }
            self.used.store(0, Relaxed);
            let seq = self.clear_seq.load(Relaxed);
            self.clear_seq.store(seq.wrapping_add(1), Relaxed);
        }
        if self.version == GoVersion::Go125 {
            self.tombstone_possible.store(false, Relaxed);
        }
        self.reseed();
        let _ = yield_point(Site::SwissClearExit);
        self.finish_writing()
    }
}
