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
//! so it is atomic. The lock *owns* the map here (`RwLock<GoMap>`), so in
//! Rust no path can reach the map without the lock — the mutants in
//! [`crate::maps::mutants`] keep Go's shape (lock beside the map) to get
//! their bugs back.
//!
//! `Range` holds the read lock for the whole walk, so it is a snapshot; its
//! callback must not call back into the same map (in Go that deadlocks too).

use crate::maps::gomap::GoMap;
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::{Fault, RwLock};

/// A [`RwLock`] around a Go map model — [`GoMap`] (`rwmutex`) or Go 1.24+'s
/// [`SwissMap`](crate::maps::swissmap::SwissMap) (`swiss-rwmutex`): clean
/// and linearizable. The inner map's own composite operations are a load
/// and a write in sequence (`maps::plain`); under the write lock nothing
/// runs between them.
#[derive(Debug)]
pub struct RwMutexMap<M = GoMap> {
    m: RwLock<M>,
}

impl RwMutexMap {
    /// A new empty map; `seed` is the inner Go map's hash seed.
    pub fn new(seed: u64) -> Self {
        Self::from_map(GoMap::new(seed))
    }
}

impl<M: ChaosMap> RwMutexMap<M> {
    /// Wraps an existing Go map (e.g. one built with a planted bug).
    pub fn from_map(m: M) -> Self {
        Self { m: RwLock::new(m) }
    }
}

impl<M: ChaosMap> ChaosMap for RwMutexMap<M> {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.m.read().load(key)
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.m.write().store(key, value)
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.m.write().delete(key)
    }

    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        self.m.write().load_or_store(key, value)
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        self.m.write().load_and_delete(key)
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        self.m.write().swap(key, value)
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        self.m.write().compare_and_swap(key, old, new)
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        self.m.write().compare_and_delete(key, old)
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        self.m.read().range(f)
    }

    fn clear(&self) -> OpResult<()> {
        self.m.write().clear()
    }

    fn len(&self) -> Option<OpResult<usize>> {
        self.m.read().len()
    }

    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        self.m.write().force_resize(fault)
    }

    fn interleaving_classes(&self) -> &'static [crate::sync::Class] {
        crate::sync::under_one_lock(self.m.read().interleaving_classes())
    }

    fn check_invariants(&self) -> Vec<Violation> {
        self.m.read().check_invariants()
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }
}
