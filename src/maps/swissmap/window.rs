//! The write window: Go's `writing` protocol (docs/go-swiss-map.md §9), and
//! the forced resizes that run inside it.
//!
//! A write checks `writing != 0` on entry, hashes the key, flips the byte
//! with XOR, makes its change, checks `writing == 0` at exit (someone else
//! flipped it) and flips it back. Every step is a plain (Relaxed) load or
//! store, never an atomic read-modify-write: two writers that overlap flip
//! each other's bit away, and XOR makes it likely that both notice (S1).
//!
//! Faults from the engine apply only where this thread owns the window and
//! has not yet read its table from the directory
//! ([`Site::in_swiss_write_window`]: `SwissAssignFlagSet`,
//! `SwissDeleteFlagSet`, `SwissRehashed`): a forced rehash there is the map's
//! own growth at an unlucky moment, and the write that follows sees the new
//! table, as a write after a natural rehash does.

use std::sync::atomic::Ordering::Relaxed;

use super::group::NIL;
use super::table::MAX_TABLE_CAPACITY;
use super::SwissMap;
use crate::maps::Throw;
use crate::sync::{cover, yield_point, Access, Cover, Fault, Shape, Site};

impl SwissMap {
    /// A write's entry check: `writing != 0` → `fatal("concurrent map writes")`.
    #[inline(always)]
    pub(super) fn check_not_writing(&self) -> Result<(), Throw> {
        // Relaxed: a plain load in Go.
        if self.writing.load(Relaxed) != 0 {
            Err(Throw::ConcurrentMapWrites)
        } else {
            Ok(())
        }
    }

    /// `m.writing ^= 1`, as a separate load and store.
    #[inline(always)]
    pub(super) fn toggle_writing(&self) {
        // Relaxed: a plain read-modify-write in Go; lost updates are the model.
        let w = self.writing.load(Relaxed);
        self.writing.store(w ^ 1, Relaxed);
    }

    /// The exit check and flip: `writing == 0` → `fatal("concurrent map
    /// writes")`; else `writing ^= 1`.
    #[inline(always)]
    pub(super) fn finish_writing(&self) -> Result<(), Throw> {
        // Relaxed: a plain load in Go.
        if self.writing.load(Relaxed) == 0 {
            return Err(Throw::ConcurrentMapWrites);
        }
        self.toggle_writing();
        Ok(())
    }

    /// A yield point at `site` inside this thread's write window; a
    /// [`Fault::Grow`] the engine returns there rehashes the table `hash`
    /// picks now (or promotes a small map). Other faults mean nothing here.
    #[inline(always)]
    pub(super) fn apply_fault(&self, site: Site, hash: u64) -> Result<(), Throw> {
        match yield_point(site) {
            Some(Fault::Grow) if site.in_swiss_write_window() => {
                if self.forced_rehash(Some(hash))? {
                    cover(Cover::ForcedGrowMidOp);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Rehashes a table now: the one `hash` picks, or with `None` one the
    /// map's random source picks. A small map is promoted to a table
    /// instead; a map with nothing allocated is left alone; a rehash the
    /// fault rules drop ([`Shape`]: a table of 64 slots or more, under a
    /// quarter full and short of half its split size, which a forced rehash
    /// would only inflate) is refused. Returns whether anything was done.
    pub(super) fn forced_rehash(&self, hash: Option<u64>) -> Result<bool, Throw> {
        // Relaxed: plain loads under this thread's own window.
        if self.dir_ptr.load(Relaxed) == NIL {
            return Ok(false);
        }
        let dir_len = self.dir_len();
        if dir_len == 0 {
            self.grow_to_table()?;
            return Ok(true);
        }
        let idx = match hash {
            Some(h) => self.directory_index(h),
            None => (self.rng.next_u64() as usize) & (dir_len - 1),
        };
        let (_, t) = self.directory_at(idx)?;
        let shape = Shape::Swiss {
            capacity: u64::from(t.capacity),
            used: u64::from(t.used.load(Relaxed)),
            max_capacity: u64::from(MAX_TABLE_CAPACITY),
        };
        if Fault::Grow.admit(&shape).is_none() {
            return Ok(false);
        }
        self.rehash(t)?;
        Ok(true)
    }

    /// The fault injector's resize hook: [`Fault::Grow`] is a write
    /// operation (Go's checks and `writing` flips) that rehashes a table now
    /// — grows it, or splits it at 1024 slots, doubling the directory when
    /// needed — or promotes a small map. Other faults do nothing: a Swiss
    /// map has no same-size grow and no incremental evacuation.
    pub fn force_resize(&self, fault: Fault) -> Result<bool, Throw> {
        if fault != Fault::Grow {
            return Ok(false);
        }
        self.force_grow()
    }

    /// [`SwissMap::force_resize`]`(Fault::Grow)`.
    pub fn force_grow(&self) -> Result<bool, Throw> {
        let _race = self.note_access(Access::Write);
        self.check_not_writing()?;
        self.toggle_writing();
        let done = self.forced_rehash(None)?;
        self.finish_writing()?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Arc;

    use super::*;
    use crate::sync::testing::on_site;
    use crate::sync::{install, Hook};

    #[test]
    fn checks_sit_where_go_puts_them() {
        let m = SwissMap::new(1);
        // Empty map: lookup, delete, clear, len and iteration return early,
        // without any check, even with a writer's flag set (S3).
        m.writing.store(1, Relaxed);
        assert_eq!(m.get(1), Ok(None));
        assert_eq!(m.remove(1), Ok(()));
        assert_eq!(m.clear(), Ok(()));
        assert!(m.iter().next().is_none());
        // Assign has no empty-map shortcut.
        assert_eq!(m.insert(1, 1), Err(Throw::ConcurrentMapWrites));
        m.writing.store(0, Relaxed);
        m.insert(1, 1).unwrap();
        m.writing.store(1, Relaxed);
        assert_eq!(m.get(1), Err(Throw::ConcurrentMapReadAndMapWrite));
        assert_eq!(m.insert(2, 2), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.remove(1), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.clear(), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.force_grow(), Err(Throw::ConcurrentMapWrites));
        let mut it = m.iter();
        assert_eq!(
            it.next(),
            Some(Err(Throw::ConcurrentMapIterationAndMapWrite))
        );
        assert_eq!(it.next(), None, "an iterator ends after its throw");
        assert_eq!(m.len(), 1, "len never checks");
        assert_eq!(
            m.writing.load(Relaxed),
            1,
            "a throw on entry leaves the flag"
        );
        m.writing.store(0, Relaxed);
        assert_eq!(m.get(1), Ok(Some(1)));
        assert!(m.check_invariants().is_empty());
    }

    #[test]
    fn two_writers_in_the_window_both_notice_through_xor() {
        // S1: writer B runs a whole write between A's check and A's flip.
        // B's write is clean; A's flip sets the flag, A's exit flips it
        // back: no throw. But if B is *inside* when A flips, both exit
        // checks see 0 — here B flips in A's window and never flips back.
        let m = Arc::new(SwissMap::new(2));
        let _g = install(on_site(&m, Site::SwissAssignChecked, |m| {
            m.toggle_writing()
        }));
        assert_eq!(m.insert(1, 1), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.writing.load(Relaxed), 0);
    }

    #[test]
    fn the_value_is_stored_after_the_window_closes() {
        // S4: a reader between the assign's exit and its value store sees
        // the key with its previous value (zero for a new key), no throw.
        let m = Arc::new(SwissMap::new(3));
        m.insert(7, 70).unwrap();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let hook = on_site(&m, Site::SwissAssignValue, move |m| {
            s.borrow_mut().push((m.get(7), m.get(8)));
        });
        let _g = install(hook.clone());
        m.insert(7, 71).unwrap();
        hook.fired.set(false);
        m.insert(8, 80).unwrap();
        assert_eq!(
            *seen.borrow(),
            vec![(Ok(Some(70)), Ok(None)), (Ok(Some(71)), Ok(Some(0)))]
        );
    }

    #[test]
    fn readers_and_iterators_inside_the_window_are_caught() {
        let m = Arc::new(SwissMap::new(4));
        for k in 0..20 {
            m.insert(k, k).unwrap();
        }
        let seen = Rc::new(RefCell::new(None));
        let s = seen.clone();
        let _g = install(on_site(&m, Site::SwissDeleteDecide, move |m| {
            *s.borrow_mut() = Some((m.get(1), m.iter().next()));
        }));
        m.remove(1).unwrap();
        assert_eq!(
            *seen.borrow(),
            Some((
                Err(Throw::ConcurrentMapReadAndMapWrite),
                Some(Err(Throw::ConcurrentMapIterationAndMapWrite))
            ))
        );
    }

    #[test]
    fn a_small_map_overfilled_by_a_race_throws_gos_second_detector() {
        // S12: another "writer" fills the group between this writer's slot
        // choice and its store; used stays below 8 for a later insert.
        let m = Arc::new(SwissMap::new(5));
        m.insert(100, 1).unwrap();
        let _g = install(on_site(&m, Site::SwissSmallSlotChosen, |m| {
            let g = m.small_group().unwrap();
            for i in 0..8 {
                g.set_ctrl(i, 0x01);
            }
        }));
        m.insert(1, 1).unwrap();
        assert_eq!(m.insert(2, 2), Err(Throw::SmallMapNoEmptySlot));
        assert_eq!(
            Throw::SmallMapNoEmptySlot.message(),
            "small map with no empty slot (concurrent map writes?)"
        );
    }

    /// Answers `Fault::Grow` at every write-window site.
    struct GrowEverywhere;

    impl Hook for GrowEverywhere {
        fn yield_point(&self, site: Site) -> Option<Fault> {
            site.in_swiss_write_window().then_some(Fault::Grow)
        }
    }

    #[test]
    fn forced_growth_mid_op_keeps_the_map_correct() {
        let m = SwissMap::new(6);
        let _g = install(Rc::new(GrowEverywhere));
        for k in 0..3000 {
            m.insert(k, k * 2).unwrap();
            if k % 3 == 0 {
                m.remove(k / 2).unwrap();
            }
        }
        assert_eq!(m.check_invariants(), vec![]);
        let s = m.stats();
        assert!(s.splits > 0 && s.grows > 0, "{s:?}");
        let mut model = std::collections::HashMap::new();
        for k in 0..3000u64 {
            model.insert(k, k * 2);
            if k % 3 == 0 {
                model.remove(&(k / 2));
            }
        }
        for k in 0..3000 {
            assert_eq!(m.get(k), Ok(model.get(&k).copied()), "key {k}");
        }
        assert_eq!(m.len(), model.len());
    }

    #[test]
    fn force_resize_promotes_grows_splits_and_refuses_empty_inflation() {
        let m = SwissMap::new(7);
        assert_eq!(m.force_resize(Fault::Grow), Ok(false), "nothing allocated");
        m.insert(1, 1).unwrap();
        assert_eq!(m.force_resize(Fault::SameSizeGrow), Ok(false));
        assert_eq!(m.force_resize(Fault::Grow), Ok(true));
        assert!(!m.stats().small);
        // 16 → 32 → 64: then 1 entry in 64 slots is refused.
        assert_eq!(m.force_resize(Fault::Grow), Ok(true));
        assert_eq!(m.force_resize(Fault::Grow), Ok(true));
        assert_eq!(m.force_resize(Fault::Grow), Ok(false));
        assert_eq!(m.stats().capacity, 64);
        for k in 2..=300 {
            m.insert(k, k).unwrap();
        }
        // 300 entries: capacity 512 (a 256-slot table holds 224).
        assert_eq!(m.stats().capacity, 512);
        assert_eq!(m.force_resize(Fault::Grow), Ok(true));
        assert_eq!(m.force_resize(Fault::Grow), Ok(true));
        let s = m.stats();
        assert_eq!((s.tables, s.dir_len, s.splits), (2, 2, 1), "{s:?}");
        assert_eq!(m.check_invariants(), vec![]);
        for k in 1..=300 {
            assert_eq!(m.get(k), Ok(Some(k)));
        }
    }
}
