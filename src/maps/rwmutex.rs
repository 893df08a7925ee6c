//! `rwmutex`: a reader-writer lock around a Go map — the textbook fix for
//! "concurrent map writes", and the reference correct wrapper.
//!
//! Go equivalent:
//!
//! ```go
//! type Map struct { mu sync.RWMutex; m map[uint64]uint64 }
//! ```
//!
//! Locking protocol: `Load`, `Range` and `len` take the read lock; every write
//! and every composite operation (`LoadOrStore`, `Swap`, `CompareAndSwap`,
//! ...) takes the write lock once and does its load and its store under it,
//! so it is atomic. The lock *owns* the map here ([`RwLock<GoMap>`]), so in
//! Rust no path can reach the map without the lock — the mutants in
//! [`crate::maps::mutants`] keep Go's shape (lock beside the map) to get
//! their bugs back.
//!
//! `Range` holds the read lock for the whole walk, so it is a snapshot; its
//! callback must not call back into the same map (in Go that deadlocks too).

use crate::maps::gomap::GoMap;
use crate::maps::locked::{
    compare_and_delete_locked, compare_and_swap_locked, load_and_delete_locked,
    load_or_store_locked, range_locked, swap_locked,
};
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::{Fault, RwLock};

/// A [`RwLock`] around a [`GoMap`]: clean and linearizable.
#[derive(Debug)]
pub struct RwMutexMap {
    m: RwLock<GoMap>,
}

impl RwMutexMap {
    /// A new empty map; `seed` is the inner Go map's hash seed.
    pub fn new(seed: u64) -> Self {
        Self::from_map(GoMap::new(seed))
    }

    /// Wraps an existing Go map (e.g. one built with a planted bug).
    pub fn from_map(m: GoMap) -> Self {
        Self { m: RwLock::new(m) }
    }
}

impl ChaosMap for RwMutexMap {
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
        load_or_store_locked(&self.m.write(), key, value)
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        load_and_delete_locked(&self.m.write(), key)
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        swap_locked(&self.m.write(), key, value)
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        compare_and_swap_locked(&self.m.write(), key, old, new)
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        compare_and_delete_locked(&self.m.write(), key, old)
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        range_locked(&self.m.read(), f)
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
