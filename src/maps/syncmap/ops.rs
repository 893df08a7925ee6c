//! The operations: each tries its lock-free fast path on `read` first, then
//! takes `mu`, reloads `read` and decides (`docs/go-maps.md` §8.2–§8.8).

use std::sync::Arc;

use super::entry::Entry;
use super::{Bug, ReadOnly, SyncMap};
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::{cover, yield_point, Cover, Fault, Site};

impl SyncMap {
    /// Lookup shared by Load, LoadAndDelete and CompareAndDelete: `read.m`,
    /// then (if amended) dirty under `mu`, counting a miss either way. With
    /// `remove`, a key found only in dirty is also deleted from dirty.
    fn find_entry(&self, key: Key, remove: bool) -> OpResult<Option<&Entry>> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            return Ok(Some(e));
        }
        if !r.amended {
            return Ok(None);
        }
        let mut g = self.lock()?;
        let r = self.read.load();
        let mut e = self.read_lookup(&r, key)?.map(|(_, e)| e);
        if e.is_none() && r.amended {
            e = self.dirty_lookup_locked(&g, key)?.map(|(_, e)| e);
            if remove {
                Self::present_dirty(&g).remove(key)?;
            }
            self.miss_locked(&mut g)?;
        }
        Ok(e)
    }
}

impl ChaosMap for SyncMap {
    /// §8.2.
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.find_entry(key, false)?.and_then(Entry::load))
    }

    /// §8.3: `Store` is `Swap` with the result discarded.
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.swap(key, value).map(drop)
    }

    /// §8.6: `Delete` is `LoadAndDelete` with the result discarded.
    fn delete(&self, key: Key) -> OpResult<()> {
        self.load_and_delete(key).map(drop)
    }

    /// §8.5.
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            if let Some(res) = e.try_load_or_store(value) {
                return Ok(res);
            }
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        const NOT_EXPUNGED: &str = "under mu, an entry in dirty or just unexpunged is not expunged";
        if let Some((h, e)) = self.read_lookup(&r, key)? {
            if e.unexpunge_locked() {
                Self::present_dirty(&g).insert(key, h)?;
            }
            Ok(e.try_load_or_store(value).expect(NOT_EXPUNGED))
        } else if let Some((_, e)) = self.dirty_lookup_locked(&g, key)? {
            let res = e.try_load_or_store(value).expect(NOT_EXPUNGED);
            self.miss_locked(&mut g)?;
            Ok(res)
        } else {
            self.amend_locked(&mut g, &r)?;
            let h = self.new_entry_locked(&g, value);
            Self::present_dirty(&g).insert(key, h)?;
            Ok((value, false))
        }
    }

    /// §8.6.
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.find_entry(key, true)?.and_then(Entry::delete))
    }

    /// §8.4.
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            if let Some(previous) = e.try_swap(value) {
                return Ok(previous);
            }
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        if let Some((h, e)) = self.read_lookup(&r, key)? {
            // The bug of `mutant-expunged-store`: the entry leaves the
            // expunged state but is not put back into dirty.
            if e.unexpunge_locked() && self.bug != Bug::ExpungedStore {
                Self::present_dirty(&g).insert(key, h)?;
            }
            Ok(e.swap_locked(value))
        } else if let Some((_, e)) = self.dirty_lookup_locked(&g, key)? {
            // No miss counted: Swap never needed read to find dirty's keys faster.
            Ok(e.swap_locked(value))
        } else {
            self.amend_locked(&mut g, &r)?;
            let h = self.new_entry_locked(&g, value);
            Self::present_dirty(&g).insert(key, h)?;
            Ok(None)
        }
    }

    /// §8.7. Never un-expunges and never adds a key.
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            return Ok(e.try_compare_and_swap(old, new));
        }
        if !r.amended {
            return Ok(false);
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            Ok(e.try_compare_and_swap(old, new))
        } else if let Some((_, e)) = self.dirty_lookup_locked(&g, key)? {
            let swapped = e.try_compare_and_swap(old, new);
            // The set of keys did not change: count a miss so that a steady
            // state of such calls ends in a promotion.
            self.miss_locked(&mut g)?;
            Ok(swapped)
        } else {
            Ok(false)
        }
    }

    /// §8.7. False when there is no current value.
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        Ok(self
            .find_entry(key, false)?
            .is_some_and(|e| e.compare_and_delete(old)))
    }

    /// §8.8; not a snapshot (see the module docs).
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        // Owned, not a guard: the walk may be long and `f` may call back in.
        let mut r = self.read.load_full();
        let _ = yield_point(Site::SyncMapReadLoaded);
        if r.amended {
            let mut g = self.lock()?;
            r = self.read.load_full();
            if r.amended {
                self.promote_locked(&mut g)?;
                cover(Cover::SyncMapPromotion);
                r = self.read.load_full();
            }
        }
        let Some(m) = &r.m else { return Ok(()) };
        for kv in m.iter() {
            let (k, h) = kv?;
            if let Some(v) = self.entry(h)?.load() {
                if !f(k, v) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// §8.8 (Go 1.23). Old entries are left alone: an operation that already
    /// loaded the old `read` may still succeed on one, linearising before
    /// the Clear.
    fn clear(&self) -> OpResult<()> {
        let r = self.load_read();
        if r.len() == 0 && !r.amended {
            return Ok(());
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        if r.len() > 0 || r.amended {
            self.read.store(Arc::new(ReadOnly::default()));
        }
        if let Some(d) = &g.dirty {
            // Emptied, but kept: a present dirty with amended == false is fine.
            d.clear()?;
        }
        // Don't promote the freshly emptied dirty on the next miss.
        g.misses = 0;
        Ok(())
    }

    /// `sync.Map` has no `len`.
    fn len(&self) -> Option<OpResult<usize>> {
        None
    }

    /// All under `mu`: `Promote` promotes dirty now, `RebuildDirty` promotes
    /// and rebuilds dirty, and `Grow`/`SameSizeGrow`/`Evacuate` act on the
    /// dirty map (the only one ever written; nothing to do without one).
    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        let mut g = self.mu.lock();
        match fault {
            Fault::Promote => self.force_promote_locked(&mut g),
            Fault::RebuildDirty => self.force_rebuild_dirty_locked(&mut g).map(|()| true),
            Fault::Grow | Fault::SameSizeGrow | Fault::Evacuate | Fault::WithholdEvacuation => {
                match &g.dirty {
                    None => Ok(false),
                    Some(d) => d.force_resize(fault),
                }
            }
        }
    }
    /// §8.10, plus both inner maps' own invariants. Taken under `mu`.
    fn interleaving_classes(&self) -> &'static [crate::sync::Class] {
        crate::sync::SYNCMAP_CLASSES
    }

    fn check_invariants(&self) -> Vec<Violation> {
        self.invariant_violations()
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::WeakConsistent
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::maps::syncmap::SyncMap;
    use crate::maps::ChaosMap;

    #[test]
    fn range_callback_may_call_back_in_and_new_keys_are_not_visited() {
        let m = SyncMap::new(5);
        for k in 0..10 {
            m.store(k, k).unwrap();
        }
        let mut seen = BTreeSet::new();
        m.range(&mut |k, v| {
            assert_eq!(k, v);
            seen.insert(k);
            m.store(k + 100, k).unwrap(); // a new key, into dirty: not this walk's
            m.delete(k).unwrap();
            true
        })
        .unwrap();
        assert_eq!(seen, (0..10).collect());
        assert_eq!(m.load(3).unwrap(), None);
        assert_eq!(m.load(103).unwrap(), Some(3));
        assert_eq!(m.check_invariants(), vec![]);
    }
}
