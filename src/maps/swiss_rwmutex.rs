//! `swiss-rwmutex`: a reader-writer lock around a Go 1.24+ Swiss map
//! ([`SwissMap`]) — [`crate::maps::rwmutex`]'s textbook fix, over the map
//! today's Go ships (docs/go-swiss-map.md).
//!
//! Go equivalent, built with Go 1.24 or later:
//!
//! ```go
//! type Map struct { mu sync.RWMutex; m map[uint64]uint64 }
//! ```
//!
//! Locking protocol, as `rwmutex`'s: `Load`, `Range` and `len` take the
//! read lock; every write and every composite operation takes the write
//! lock once and does its load and its store under it, so it is atomic.
//! The composite operations are [`SwissMap`]'s own (`ChaosMap`), which are
//! a load and a store in sequence: under the write lock nothing runs between
//! them. The lock owns the map, so no path reaches it unlocked.

use crate::maps::swissmap::SwissMap;
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::{Fault, RwLock};

/// A [`RwLock`] around a [`SwissMap`]: clean and linearizable.
#[derive(Debug)]
pub struct SwissRwMutexMap {
    m: RwLock<SwissMap>,
}

impl SwissRwMutexMap {
    /// A new empty map; `seed` seeds the inner map.
    pub fn new(seed: u64) -> Self {
        Self {
            m: RwLock::new(SwissMap::new(seed)),
        }
    }

    /// The lock around `map`: how a mutant puts a broken map
    /// ([`SwissMap::with_mutation`]) behind a correct wrapper.
    pub fn from_map(map: SwissMap) -> Self {
        Self {
            m: RwLock::new(map),
        }
    }
}

impl ChaosMap for SwissRwMutexMap {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.m.read().get(key)
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.m.write().insert(key, value)
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.m.write().remove(key)
    }

    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        self.m.write().load_or_store(key, value)
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        self.m.write().load_and_delete(key)
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        ChaosMap::swap(&*self.m.write(), key, value)
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        self.m.write().compare_and_swap(key, old, new)
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        self.m.write().compare_and_delete(key, old)
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        ChaosMap::range(&*self.m.read(), f)
    }

    fn clear(&self) -> OpResult<()> {
        self.m.write().clear()
    }

    fn len(&self) -> Option<OpResult<usize>> {
        Some(Ok(self.m.read().len()))
    }

    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        self.m.write().force_resize(fault)
    }

    fn check_invariants(&self) -> Vec<Violation> {
        self.m.read().check_invariants()
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }
}
