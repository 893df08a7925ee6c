//! `mutex`: one plain lock around a Go map — the other textbook fix for
//! "concurrent map writes", and the simplest correct wrapper.
//!
//! Go equivalent:
//!
//! ```go
//! type Map struct { mu sync.Mutex; m map[uint64]uint64 }
//! ```
//!
//! Locking protocol: every operation, reads included, takes the one lock
//! once and does all its work under it: `Load`, each write, each composite
//! operation (`LoadOrStore`, `Swap`, `CompareAndSwap`, ...: a load and a
//! store with nothing between them), `Range` (the whole walk: a
//! snapshot), `Clear` and `len`. The composite operations are
//! [`crate::maps::locked`]'s, the ones every wrapper of a Go map shares.
//! The lock owns the map ([`Mutex<GoMap>`]), so no path reaches it
//! unlocked. Readers exclude each other, unlike `rwmutex`'s: what `chaos
//! bench` measures against it.
//!
//! ```
//! use chaos::maps::mutex::MutexMap;
//! use chaos::maps::ChaosMap;
//!
//! let m = MutexMap::new(7);
//! m.store(1, 10).unwrap();
//! assert_eq!(m.swap(1, 20).unwrap(), Some(10));
//! assert_eq!(m.len(), Some(Ok(1)));
//! ```

use crate::maps::gomap::GoMap;
use crate::maps::locked;
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::{Fault, Mutex};

/// A [`Mutex`] around a [`GoMap`]: clean and linearizable.
#[derive(Debug)]
pub struct MutexMap {
    m: Mutex<GoMap>,
}

impl MutexMap {
    /// A new empty map; `seed` is the inner Go map's hash seed.
    pub fn new(seed: u64) -> Self {
        Self::from_map(GoMap::new(seed))
    }

    /// Wraps an existing Go map (e.g. one built with a planted bug).
    pub fn from_map(m: GoMap) -> Self {
        Self { m: Mutex::new(m) }
    }
}

impl ChaosMap for MutexMap {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.m.lock().load(key)
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.m.lock().store(key, value)
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.m.lock().delete(key)
    }

    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        locked::load_or_store_locked(&self.m.lock(), key, value)
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        locked::load_and_delete_locked(&self.m.lock(), key)
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        locked::swap_locked(&self.m.lock(), key, value)
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        locked::compare_and_swap_locked(&self.m.lock(), key, old, new)
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        locked::compare_and_delete_locked(&self.m.lock(), key, old)
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        locked::range_locked(&self.m.lock(), f)
    }

    fn clear(&self) -> OpResult<()> {
        self.m.lock().clear()
    }

    fn len(&self) -> Option<OpResult<usize>> {
        ChaosMap::len(&*self.m.lock())
    }

    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        self.m.lock().force_resize(fault)
    }

    fn interleaving_classes(&self) -> &'static [crate::sync::Class] {
        crate::sync::GOMAP_CLASSES
    }

    fn check_invariants(&self) -> Vec<Violation> {
        self.m.lock().check_invariants()
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_behaves_as_a_map() {
        let m = MutexMap::new(1);
        assert_eq!(m.load(1).unwrap(), None);
        m.store(1, 10).unwrap();
        assert_eq!(m.load_or_store(1, 11).unwrap(), (10, true));
        assert_eq!(m.load_or_store(2, 20).unwrap(), (20, false));
        assert!(m.compare_and_swap(2, 20, 21).unwrap());
        assert!(!m.compare_and_swap(2, 20, 22).unwrap());
        assert_eq!(m.swap(2, 23).unwrap(), Some(21));
        assert!(!m.compare_and_delete(2, 21).unwrap());
        assert!(m.compare_and_delete(2, 23).unwrap());
        assert_eq!(m.load_and_delete(1).unwrap(), Some(10));
        assert_eq!(m.len(), Some(Ok(0)));
        for k in 0..100 {
            m.store(k, k + 1).unwrap();
        }
        let mut seen = 0;
        m.range(&mut |k, v| {
            assert_eq!(v, k + 1);
            seen += 1;
            true
        })
        .unwrap();
        assert_eq!(seen, 100);
        m.delete(5).unwrap();
        assert_eq!(m.len(), Some(Ok(99)));
        m.clear().unwrap();
        assert_eq!(m.len(), Some(Ok(0)));
        assert!(m.check_invariants().is_empty());
    }
}
