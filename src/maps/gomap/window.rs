//! The write window: Go's `hashWriting` protocol, and the faults and forced
//! resizes that run inside it (docs/go-maps.md §3.2 steps 2/4/11, §10, §11).
//!
//! A write checks the flag on entry, toggles it with XOR after hashing, and
//! on exit checks that it is still set before clearing it. All three are
//! plain (Relaxed) loads and stores, never an atomic read-modify-write: two
//! writers that race through the window toggle each other's bit away and
//! both fail the exit check, or lose an update and pass — exactly the
//! best-effort detection Go has. A writer that throws mid-way returns at that
//! point with the flag as it is, as Go's fatal would leave it.
//!
//! Faults from the engine apply only at the sites where this thread owns the
//! window ([`Site::in_gomap_write_window`]): there a forced grow or forced
//! evacuation is just the map's own growth work done at an unlucky moment.

use std::sync::atomic::Ordering::Relaxed;

use super::{bucket_shift, GoMap, HASH_WRITING, ITERATOR};
use crate::maps::Throw;
use crate::sync::Access;
use crate::sync::{cover, Cover, Fault, Shape, Site};

/// Evacuation steps a [`Fault::Evacuate`] runs, wherever it fires (inside a
/// write's window or through [`GoMap::force_resize`] between two ops, on the
/// bare map or on a wrapper's): one old bucket, the one at `nevacuate`, like
/// the progress half of `growWork`. One at a time, so that forced
/// evacuation can stop at every intermediate state a grow passes through.
pub(super) const FORCED_EVACUATION_STEPS: usize = 1;

/// A forced doubling grow from B at or above this is refused when it would
/// leave fewer entries than buckets (load below 1): each doubling allocates
/// 2^(B+1) buckets, and a fault injector forcing them repeatedly would
/// otherwise inflate a small map to gigabytes of empty buckets, and make it
/// too sparse to ever grow overflow chains. Natural grows are never refused.
const FORCED_GROW_FREE_B: u8 = 4;

impl GoMap {
    /// A write's entry check: `hashWriting` set → `fatal("concurrent map writes")`.
    #[inline(always)]
    pub(super) fn check_not_writing(&self) -> Result<(), Throw> {
        // Relaxed: Go's check is a plain load; a stale value misses a race, as in Go.
        if self.flags.load(Relaxed) & HASH_WRITING != 0 {
            Err(Throw::ConcurrentMapWrites)
        } else {
            Ok(())
        }
    }

    /// `h.flags ^= hashWriting`, as a separate load and store so that racing
    /// writers lose each other's updates (docs/go-maps.md §10 item 3).
    #[inline(always)]
    pub(super) fn toggle_writing(&self) {
        self.update_flags(|f| f ^ HASH_WRITING);
    }

    /// The exit check and clear: `hashWriting` clear → `fatal("concurrent
    /// map writes")`; else `h.flags &^= hashWriting` (clear, not toggle).
    #[inline(always)]
    pub(super) fn finish_writing(&self) -> Result<(), Throw> {
        // Relaxed: plain load and store in Go (non-atomic read-modify-write).
        let f = self.flags.load(Relaxed);
        if f & HASH_WRITING == 0 {
            return Err(Throw::ConcurrentMapWrites);
        }
        self.flags.store(f & !HASH_WRITING, Relaxed);
        Ok(())
    }

    /// A plain read-modify-write of `flags` (`h.flags |= …`, `&^=`, `^=`).
    #[inline(always)]
    pub(super) fn update_flags(&self, f: impl FnOnce(u8) -> u8) {
        // Relaxed: Go updates flags with plain loads and stores; lost updates
        // under races are part of the model.
        let old = self.flags.load(Relaxed);
        self.flags.store(f(old), Relaxed);
    }

    /// Applies a fault the engine returned at `site`. Only inside this
    /// thread's write window; elsewhere every fault is ignored. Returns
    /// `true` if a grow started, in which case an assign or delete must redo
    /// its bucket choice (Go's `goto again`).
    ///
    /// [`Fault::WithholdEvacuation`] is not handled here: only `growWork`
    /// knows which of its two evacuations may be skipped.
    #[inline(always)]
    pub(super) fn apply_fault(&self, site: Site, fault: Option<Fault>) -> Result<bool, Throw> {
        match fault {
            None => Ok(false),
            Some(fault) => self.apply_fault_slow(site, fault),
        }
    }

    #[cold]
    #[inline(never)]
    fn apply_fault_slow(&self, site: Site, fault: Fault) -> Result<bool, Throw> {
        if !site.in_gomap_write_window() {
            return Ok(false);
        }
        let Some(fault) = fault.admit(&self.shape()) else {
            return Ok(false);
        };
        match fault {
            Fault::Grow | Fault::SameSizeGrow => {
                let started = self.try_hash_grow(fault == Fault::SameSizeGrow);
                if started {
                    cover(Cover::ForcedGrowMidOp);
                }
                Ok(started)
            }
            Fault::Evacuate => {
                if self.evacuate_steps(FORCED_EVACUATION_STEPS)? > 0 {
                    cover(Cover::ForcedEvacuation);
                }
                Ok(false)
            }
            Fault::WithholdEvacuation | Fault::Promote | Fault::RebuildDirty => Ok(false),
        }
    }

    /// The map's structure as the fault rules read it ([`Shape`]): overflow
    /// chains, whether the next old bucket to evacuate
    /// has a chain, and whether an iterator ever started. Plain reads, as
    /// racy as Go's own; under the scheduler they are exact.
    pub fn shape(&self) -> Shape {
        let stats = self.stats();
        let next_has_overflow = stats.growing
            && self.oldbuckets.load().is_some_and(|old| {
                old.bucket(stats.nevacuate)
                    .is_ok_and(|b| b.overflow().is_some())
            });
        Shape::GoMap {
            overflow: stats.overflow_buckets > 0,
            next_has_overflow,
            // Relaxed: a plain read of flags.
            iterated: self.flags.load(Relaxed) & ITERATOR != 0,
        }
    }

    /// Starts a grow of the given kind under the caller's write window, if
    /// none is running and there is an array to grow. Returns whether it did.
    pub(super) fn try_hash_grow(&self, same_size: bool) -> bool {
        // Relaxed: read under this thread's own write window, like Go's plain reads.
        let b = self.b.load(Relaxed);
        if self.growing() || self.buckets.is_null() {
            return false;
        }
        // Relaxed: read under this thread's own write window.
        let count = self.count.load(Relaxed);
        let new_buckets = bucket_shift(b.wrapping_add(1));
        if !same_size && (new_buckets == 0 || (b >= FORCED_GROW_FREE_B && count < new_buckets)) {
            return false;
        }
        self.hash_grow(same_size);
        true
    }

    /// Runs up to `steps` progress evacuations (`evacuate(nevacuate)`),
    /// stopping when the grow finishes. Returns how many old buckets were
    /// actually moved.
    pub(super) fn evacuate_steps(&self, steps: usize) -> Result<usize, Throw> {
        let mut moved = 0;
        for _ in 0..steps {
            if !self.growing() {
                break;
            }
            // Relaxed: read under this thread's own write window.
            if self.evacuate(self.nevacuate.load(Relaxed))? {
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// The fault injector's resize hook, as every backend built on a Go map
    /// calls it (the bare map between two ops; a wrapper under its own
    /// lock): a forced grow ([`GoMap::force_grow`]) or
    /// `FORCED_EVACUATION_STEPS` (one) of evacuation
    /// ([`GoMap::force_evacuate`]), each a write operation with Go's checks.
    /// `Ok(true)` if anything was done. The faults that mean nothing to a
    /// plain Go map (`sync.Map`'s, and withholding evacuation, which only a
    /// write in progress can do) do nothing.
    pub fn force_resize(&self, fault: Fault) -> Result<bool, Throw> {
        let Some(fault) = fault.admit(&self.shape()) else {
            return Ok(false);
        };
        match fault {
            Fault::Grow => self.force_grow(false),
            Fault::SameSizeGrow => self.force_grow(true),
            Fault::Evacuate => self
                .force_evacuate(FORCED_EVACUATION_STEPS)
                .map(|moved| moved > 0),
            Fault::WithholdEvacuation | Fault::Promote | Fault::RebuildDirty => Ok(false),
        }
    }

    /// A write operation that starts a grow now (the fault injector's resize
    /// hook): entry check, XOR set, `hashGrow` if not growing, exit check,
    /// clear. `Ok(true)` if a grow started. Nothing starts on a map whose
    /// array is not yet allocated, and a doubling from B ≥ 4 is refused when
    /// the doubled array would have more buckets than the map has entries.
    pub fn force_grow(&self, same_size: bool) -> Result<bool, Throw> {
        let _race = self.note_access(Access::Write);
        self.check_not_writing()?;
        self.toggle_writing();
        let started = self.try_hash_grow(same_size);
        self.finish_writing()?;
        Ok(started)
    }

    /// A write operation that runs up to `steps` progress evacuations of a
    /// grow in progress (the `evacuate(nevacuate)` half of `growWork`).
    /// Returns the number of old buckets evacuated (0 when not growing).
    pub fn force_evacuate(&self, steps: usize) -> Result<usize, Throw> {
        let _race = self.note_access(Access::Write);
        self.check_not_writing()?;
        self.toggle_writing();
        let moved = self.evacuate_steps(steps)?;
        self.finish_writing()?;
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Arc;

    use super::*;
    use crate::sync::install;
    use crate::sync::testing::on_site;

    #[test]
    fn checks_sit_where_go_puts_them() {
        let m = GoMap::new(1);
        // Empty map: lookup, delete, clear, len and iteration return early,
        // without any check, even with a writer's flag set.
        m.flags.store(HASH_WRITING, Relaxed);
        assert_eq!(m.get(1), Ok(None));
        assert_eq!(m.remove(1), Ok(()));
        assert_eq!(m.clear(), Ok(()));
        assert_eq!(m.len(), 0);
        assert!(m.iter().next().is_none());
        // Assign has no empty-map shortcut.
        assert_eq!(m.insert(1, 1), Err(Throw::ConcurrentMapWrites));

        m.flags.store(0, Relaxed);
        m.insert(1, 1).unwrap();
        m.flags.store(HASH_WRITING, Relaxed);
        assert_eq!(m.get(1), Err(Throw::ConcurrentMapReadAndMapWrite));
        assert_eq!(m.insert(2, 2), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.remove(1), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.clear(), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.force_grow(false), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.force_evacuate(1), Err(Throw::ConcurrentMapWrites));
        let mut it = m.iter();
        assert_eq!(
            it.next(),
            Some(Err(Throw::ConcurrentMapIterationAndMapWrite))
        );
        assert_eq!(it.next(), None, "an iterator ends after its throw");
        assert_eq!(m.len(), 1, "len never checks");
        // A throw on entry leaves the other writer's flag alone.
        assert_eq!(m.flags.load(Relaxed) & HASH_WRITING, HASH_WRITING);
        m.flags.fetch_and(!HASH_WRITING, Relaxed);
        assert_eq!(m.get(1), Ok(Some(1)));
        assert!(m.check_invariants().is_empty());
    }

    #[test]
    fn two_writers_inside_the_window_cancel_each_others_flag() {
        // Writer B passed its entry check and set the flag while writer A was
        // between its own check and its XOR: A's XOR clears B's bit, and A's
        // exit check finds the flag clear (Go #26703).
        let m = Arc::new(GoMap::new(2));
        let hook = on_site(&m, Site::AssignChecked, |m| m.toggle_writing());
        let _g = install(hook);
        assert_eq!(m.insert(1, 1), Err(Throw::ConcurrentMapWrites));
        assert_eq!(m.flags.load(Relaxed) & HASH_WRITING, 0);
    }

    #[test]
    fn the_value_is_stored_after_the_window_closes() {
        // A reader between the assign's exit and its value store sees the key
        // with its previous value (or zero for a new key), and no throw.
        let m = Arc::new(GoMap::new(3));
        m.insert(7, 70).unwrap();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let hook = on_site(&m, Site::AssignValue, move |m| {
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
        assert_eq!((m.get(7), m.get(8)), (Ok(Some(71)), Ok(Some(80))));
    }

    #[test]
    fn a_reader_inside_the_window_is_caught() {
        let m = Arc::new(GoMap::new(4));
        m.insert(1, 1).unwrap();
        let seen = Rc::new(RefCell::new(None));
        let s = seen.clone();
        let _g = install(on_site(&m, Site::DeleteSlotCleared, move |m| {
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
    fn hash0_is_reseeded_when_a_delete_empties_the_map_and_on_clear() {
        let m = GoMap::new(5);
        let h0 = m.hash0.load(Relaxed);
        m.insert(1, 1).unwrap();
        m.insert(2, 2).unwrap();
        m.remove(1).unwrap();
        assert_eq!(m.hash0.load(Relaxed), h0);
        m.remove(2).unwrap();
        let h1 = m.hash0.load(Relaxed);
        assert_ne!(h1, h0);
        m.insert(3, 3).unwrap();
        m.clear().unwrap();
        assert_ne!(m.hash0.load(Relaxed), h1);
        // Clear of an empty map returns before touching anything.
        let h2 = m.hash0.load(Relaxed);
        m.clear().unwrap();
        assert_eq!(m.hash0.load(Relaxed), h2);
    }
}
