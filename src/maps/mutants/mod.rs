//! Mutants: deliberately broken wrappers, one real bug class each.
//!
//! A mutant is how we know the engine and the checker find what they claim
//! to find: each one must produce its expected finding
//! ([`crate::maps::registry::FindingClass`]) quickly, under the conditions
//! its docs name. Every module says which real bug it stands for, in Go
//! terms and in Rust terms.
//!
//! | mutant | bug | finding |
//! |---|---|---|
//! | [`write_under_rlock`] | a write path takes the read lock | throw |
//! | [`unlocked_read`] | a read skips the lock | throw |
//! | [`check_then_act`] | LoadOrStore checks under RLock, acts under Lock | linearizability |
//! | [`split_swap`] | Swap = locked Load + locked Store | linearizability |
//! | [`expunged_store`] | sync.Map un-expunges without re-adding to dirty | lost write |
//! | [`lossy_promotion`] | sync.Map promotion drops nil entries | lost write |
//! | `mutant-evacuate-skips-overflow` | Go map evacuation drops overflow buckets | lost write, needs growth |
//! | `mutant-iter-ignores-oldbuckets` | Go map iteration mid-grow skips old buckets | linearizability, needs growth |
//! | `mutant-split-wrong-bit` | Swiss-table split sorts entries by the old depth's hash bit | lost write, needs growth |
//!
//! The two `gomap` growth mutants are
//! [`RwMutexMap`](crate::maps::rwmutex::RwMutexMap)s over a
//! [`GoMap::with_mutation`]: the wrapper is right, the map is wrong, and
//! only a grow exposes it. `mutant-split-wrong-bit` is the same for Go
//! 1.24+'s map: a
//! [`SwissRwMutexMap`](crate::maps::swiss_rwmutex::SwissRwMutexMap) over a
//! [`SwissMap::with_mutation`](crate::maps::swissmap::SwissMap::with_mutation),
//! wrong only once a 1024-slot table splits.
//!
//! The lock-based mutants keep Go's shape — the lock *beside* the map
//! (`GoShaped`), not around it as `rwmutex` does — because in Rust an
//! `RwLock<GoMap>` makes these bugs impossible to write: that is the point
//! of owning the data with the lock, and why such wrappers are safe by
//! construction.

pub mod check_then_act;
pub mod expunged_store;
pub mod lossy_promotion;
pub mod split_swap;
pub mod unlocked_read;
pub mod write_under_rlock;

use crate::maps::gomap::GoMap;
use crate::maps::locked::{
    compare_and_delete_locked, compare_and_swap_locked, load_and_delete_locked,
    load_or_store_locked, range_locked, swap_locked,
};
use crate::maps::{Key, OpResult, Value, Violation};
use crate::sync::{Fault, RwLock};

/// Go's `struct { mu sync.RWMutex; m map[uint64]uint64 }`: the lock guards
/// the map by convention only, so a method can forget it.
#[derive(Debug)]
pub(crate) struct GoShaped {
    pub(crate) mu: RwLock<()>,
    pub(crate) m: GoMap,
}

impl GoShaped {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            mu: RwLock::new(()),
            m: GoMap::new(seed),
        }
    }
}

/// A Go-shaped wrapper whose methods are correct (exactly `rwmutex`'s
/// protocol) unless the mutant overrides one with its bug.
pub(crate) trait GoShapedWrapper: Send + Sync {
    fn base(&self) -> &GoShaped;

    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        let b = self.base();
        let _g = b.mu.read();
        b.m.get(key)
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        let b = self.base();
        let _g = b.mu.write();
        b.m.insert(key, value)
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        let b = self.base();
        let _g = b.mu.write();
        b.m.remove(key)
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        let b = self.base();
        let _g = b.mu.write();
        load_or_store_locked(&b.m, key, value)
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        let b = self.base();
        let _g = b.mu.write();
        load_and_delete_locked(&b.m, key)
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let b = self.base();
        let _g = b.mu.write();
        swap_locked(&b.m, key, value)
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        let b = self.base();
        let _g = b.mu.write();
        compare_and_swap_locked(&b.m, key, old, new)
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        let b = self.base();
        let _g = b.mu.write();
        compare_and_delete_locked(&b.m, key, old)
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        let b = self.base();
        let _g = b.mu.read();
        range_locked(&b.m, f)
    }
    fn clear(&self) -> OpResult<()> {
        let b = self.base();
        let _g = b.mu.write();
        b.m.clear()
    }
    fn len(&self) -> usize {
        let b = self.base();
        let _g = b.mu.read();
        b.m.len()
    }
    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        let b = self.base();
        let _g = b.mu.write();
        b.m.force_resize(fault)
    }
    fn check_invariants(&self) -> Vec<Violation> {
        let b = self.base();
        let _g = b.mu.read();
        b.m.check_invariants()
    }
}

/// `impl ChaosMap` for a [`GoShapedWrapper`]: every method forwards to it.
macro_rules! impl_chaos_map_for_go_shaped {
    ($t:ty) => {
        impl $crate::maps::ChaosMap for $t {
            fn load(
                &self,
                key: $crate::maps::Key,
            ) -> $crate::maps::OpResult<Option<$crate::maps::Value>> {
                $crate::maps::mutants::GoShapedWrapper::load(self, key)
            }
            fn store(
                &self,
                key: $crate::maps::Key,
                value: $crate::maps::Value,
            ) -> $crate::maps::OpResult<()> {
                $crate::maps::mutants::GoShapedWrapper::store(self, key, value)
            }
            fn delete(&self, key: $crate::maps::Key) -> $crate::maps::OpResult<()> {
                $crate::maps::mutants::GoShapedWrapper::delete(self, key)
            }
            fn load_or_store(
                &self,
                key: $crate::maps::Key,
                value: $crate::maps::Value,
            ) -> $crate::maps::OpResult<($crate::maps::Value, bool)> {
                $crate::maps::mutants::GoShapedWrapper::load_or_store(self, key, value)
            }
            fn load_and_delete(
                &self,
                key: $crate::maps::Key,
            ) -> $crate::maps::OpResult<Option<$crate::maps::Value>> {
                $crate::maps::mutants::GoShapedWrapper::load_and_delete(self, key)
            }
            fn swap(
                &self,
                key: $crate::maps::Key,
                value: $crate::maps::Value,
            ) -> $crate::maps::OpResult<Option<$crate::maps::Value>> {
                $crate::maps::mutants::GoShapedWrapper::swap(self, key, value)
            }
            fn compare_and_swap(
                &self,
                key: $crate::maps::Key,
                old: $crate::maps::Value,
                new: $crate::maps::Value,
            ) -> $crate::maps::OpResult<bool> {
                $crate::maps::mutants::GoShapedWrapper::compare_and_swap(self, key, old, new)
            }
            fn compare_and_delete(
                &self,
                key: $crate::maps::Key,
                old: $crate::maps::Value,
            ) -> $crate::maps::OpResult<bool> {
                $crate::maps::mutants::GoShapedWrapper::compare_and_delete(self, key, old)
            }
            fn range(
                &self,
                f: &mut dyn FnMut($crate::maps::Key, $crate::maps::Value) -> bool,
            ) -> $crate::maps::OpResult<()> {
                $crate::maps::mutants::GoShapedWrapper::range(self, f)
            }
            fn clear(&self) -> $crate::maps::OpResult<()> {
                $crate::maps::mutants::GoShapedWrapper::clear(self)
            }
            fn len(&self) -> Option<$crate::maps::OpResult<usize>> {
                Some(Ok($crate::maps::mutants::GoShapedWrapper::len(self)))
            }
            fn force_resize(&self, fault: $crate::sync::Fault) -> $crate::maps::OpResult<bool> {
                $crate::maps::mutants::GoShapedWrapper::force_resize(self, fault)
            }
            fn check_invariants(&self) -> Vec<$crate::maps::Violation> {
                $crate::maps::mutants::GoShapedWrapper::check_invariants(self)
            }
            fn interleaving_classes(&self) -> &'static [$crate::sync::Class] {
                $crate::sync::GOMAP_CLASSES
            }
        }
    };
}
pub(crate) use impl_chaos_map_for_go_shaped;
