//! Clear: `Map.Clear`, `clearSmall`, `table.Clear` (docs/go-swiss-map.md
//! §10, Go 1.24; race window S14).

use std::sync::atomic::Ordering::Relaxed;

use super::SwissMap;
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
        if self.used.load(Relaxed) == 0 {
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
                let _ = yield_point(Site::SwissClearWiping);
                t.clear();
                last = Some(id);
            }
            self.used.store(0, Relaxed);
            let seq = self.clear_seq.load(Relaxed);
            self.clear_seq.store(seq.wrapping_add(1), Relaxed);
        }
        self.reseed();
        let _ = yield_point(Site::SwissClearExit);
        self.finish_writing()
    }
}
