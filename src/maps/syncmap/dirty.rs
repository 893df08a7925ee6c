//! Dirty's life cycle: `dirtyLocked` builds it from `read.m` (expunging the
//! nil entries), `missLocked` counts slow-path lookups until dirty is
//! promoted to `read`, and the forced promotion and rebuild of the fault
//! injector.

use std::sync::Arc;

use super::{bug, Bug, Locked, ReadOnly, SyncMap};
use crate::maps::gomap::GoMap;
use crate::maps::OpResult;
use crate::sync::{cover, yield_point, Cover, Site};

impl SyncMap {
    /// Dirty, which the caller knows is present (an expunged entry or an
    /// amended `read` imply it); absent is an internal bug (Go: assignment
    /// to entry in nil map).
    pub(super) fn present_dirty(l: &Locked) -> &GoMap {
        l.dirty
            .as_ref()
            .expect("sync.Map invariant: dirty is present here")
    }

    /// Publishes dirty as the new `read` (not amended) and drops dirty.
    /// Returns whether there was a dirty to promote.
    pub(super) fn promote_locked(&self, l: &mut Locked) -> OpResult<bool> {
        let Some(dirty) = l.dirty.take() else {
            return Ok(false);
        };
        let m = match self.bug {
            Bug::LossyPromotion => {
                let seed = self.next_map_seed_locked(l);
                bug::lossy_compacted(&dirty, seed, |h| Ok(self.entry(h)?.load().is_some()))?
            }
            _ => dirty,
        };
        self.read.store(Arc::new(ReadOnly {
            m: Some(Arc::new(m)),
            amended: false,
        }));
        l.misses = 0;
        Ok(true)
    }

    /// A promotion the fault injector asked for (legal wherever `read` is
    /// reloaded afterwards: it is what `missLocked` might have done).
    pub(super) fn force_promote_locked(&self, l: &mut Locked) -> OpResult<bool> {
        let done = self.promote_locked(l)?;
        if done {
            cover(Cover::SyncMapForcedPromotion);
        }
        Ok(done)
    }

    /// `missLocked`: counts a slow-path lookup; promotes once misses reach
    /// `len(dirty)` (the slow path then costs as much as the copy did).
    pub(super) fn miss_locked(&self, l: &mut Locked) -> OpResult<()> {
        l.misses += 1;
        if l.misses < l.dirty.as_ref().map_or(0, GoMap::len) {
            return Ok(());
        }
        let _ = yield_point(Site::SyncMapPromote);
        if self.promote_locked(l)? {
            cover(Cover::SyncMapPromotion);
            cover(Cover::SyncMapMissPromotion);
        }
        Ok(())
    }

    /// `dirtyLocked`: if dirty is nil, rebuilds it from `read.m`, expunging
    /// the nil entries (which are then left out of it).
    fn dirty_locked(&self, l: &mut Locked) -> OpResult<()> {
        if l.dirty.is_some() {
            return Ok(());
        }
        let r = self.read.load();
        let dirty = GoMap::with_hint(r.len(), self.next_map_seed_locked(l));
        if let Some(m) = &r.m {
            for kv in m.iter() {
                let (k, h) = kv?;
                if !self.entry(h)?.try_expunge_locked() {
                    dirty.insert(k, h)?;
                }
            }
        }
        l.dirty = Some(dirty);
        cover(Cover::SyncMapDirtyRebuild);
        Ok(())
    }

    /// Forced rebuild: promote whatever dirty holds, then rebuild dirty from
    /// the new `read`. Both are moves Go makes; `amended` stays false, which
    /// is right since the rebuilt dirty holds no key `read.m` lacks.
    pub(super) fn force_rebuild_dirty_locked(&self, l: &mut Locked) -> OpResult<()> {
        self.promote_locked(l)?;
        self.dirty_locked(l)?;
        cover(Cover::SyncMapForcedRebuild);
        Ok(())
    }

    /// Before adding a key to dirty: make sure dirty exists and `read` says
    /// it is amended.
    pub(super) fn amend_locked(&self, l: &mut Locked, r: &ReadOnly) -> OpResult<()> {
        if !r.amended {
            self.dirty_locked(l)?;
            self.read.store(Arc::new(ReadOnly {
                m: r.m.clone(),
                amended: true,
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    use std::rc::Rc;

    use crate::maps::gomap::GoMap;
    use crate::maps::syncmap::SyncMap;
    use crate::maps::ChaosMap;
    use crate::sync::{install, Cover, Fault, Hook, Site};

    /// Records coverage marks; answers `fault` at `SyncMapLocked`.
    #[derive(Default)]
    struct Recorder {
        marks: RefCell<BTreeSet<Cover>>,
        fault: Option<Fault>,
    }
    impl Hook for Recorder {
        fn yield_point(&self, site: Site) -> Option<Fault> {
            self.fault.filter(|_| site.in_syncmap_locked())
        }
        fn cover(&self, mark: Cover) {
            self.marks.borrow_mut().insert(mark);
        }
    }

    fn state(m: &SyncMap) -> (bool, Option<usize>, usize) {
        let g = m.mu.lock();
        (
            m.read.load().amended,
            g.dirty.as_ref().map(GoMap::len),
            g.misses,
        )
    }

    #[test]
    fn misses_reaching_len_dirty_promote() {
        let rec = Rc::new(Recorder::default());
        let _h = install(rec.clone());
        let m = SyncMap::new(1);
        for k in 0..3 {
            m.store(k, k + 10).unwrap();
        }
        assert_eq!(state(&m), (true, Some(3), 0));
        // Two slow-path misses stay below len(dirty) = 3 ...
        assert_eq!(m.load(100).unwrap(), None);
        assert_eq!(m.load(0).unwrap(), Some(10)); // found in dirty: still a miss
        assert_eq!(state(&m), (true, Some(3), 2));
        assert!(!rec.marks.borrow().contains(&Cover::SyncMapPromotion));
        // ... the third reaches it: dirty becomes read.
        assert_eq!(m.load(101).unwrap(), None);
        assert_eq!(state(&m), (false, None, 0));
        assert!(rec.marks.borrow().contains(&Cover::SyncMapPromotion));
        // Now served from read without the lock, and without misses.
        assert_eq!(m.load(2).unwrap(), Some(12));
        assert_eq!(m.load(100).unwrap(), None);
        assert_eq!(state(&m), (false, None, 0));
        assert!(m.check_invariants().is_empty());
    }

    #[test]
    fn delete_rebuild_expunges_and_store_unexpunges_into_dirty() {
        let rec = Rc::new(Recorder::default());
        let _h = install(rec.clone());
        let m = SyncMap::new(2);
        m.store(1, 10).unwrap();
        assert!(m.force_resize(Fault::Promote).unwrap());
        m.delete(1).unwrap(); // fast path: the entry in read.m becomes nil
        m.store(2, 20).unwrap(); // new key: dirtyLocked expunges key 1's entry
        {
            let g = m.mu.lock();
            let r = m.read.load();
            let (_, e) = m.read_lookup(&r, 1).unwrap().unwrap();
            assert!(e.is_expunged());
            assert_eq!(g.dirty.as_ref().unwrap().get(1).unwrap(), None);
        }
        assert!(rec.marks.borrow().contains(&Cover::SyncMapExpunge));
        assert!(m.check_invariants().is_empty());
        m.store(1, 11).unwrap(); // fast path fails on expunged; slow path unexpunges
        assert!(rec.marks.borrow().contains(&Cover::SyncMapUnexpunge));
        assert!(m.check_invariants().is_empty());
        assert!(m.force_resize(Fault::Promote).unwrap());
        assert_eq!(m.load(1).unwrap(), Some(11));
        assert_eq!(m.load(2).unwrap(), Some(20));
    }

    #[test]
    fn forced_faults_at_the_lock_keep_the_contents() {
        for fault in [Fault::Promote, Fault::RebuildDirty] {
            let rec = Rc::new(Recorder {
                fault: Some(fault),
                ..Default::default()
            });
            let _h = install(rec.clone());
            let m = SyncMap::new(3);
            let mut model = std::collections::HashMap::new();
            for k in 0..60 {
                m.store(k, k).unwrap();
                model.insert(k, k);
                if k % 3 == 0 {
                    m.delete(k / 2).unwrap();
                    model.remove(&(k / 2));
                }
                assert_eq!(m.load(k + 1).unwrap(), None); // a miss: takes the lock
            }
            for k in 0..60 {
                assert_eq!(
                    m.load(k).unwrap(),
                    model.get(&k).copied(),
                    "{fault:?} key {k}"
                );
            }
            assert_eq!(m.check_invariants(), vec![]);
            let want = match fault {
                Fault::Promote => Cover::SyncMapForcedPromotion,
                _ => Cover::SyncMapForcedRebuild,
            };
            assert!(rec.marks.borrow().contains(&want), "{fault:?}");
        }
    }
}
