//! The composite operations of `sync.Map`'s API over a [`GoMap`] whose
//! lock the caller holds: what every wrapper that puts a Go map under a
//! lock needs, written once. Each does its load and its write in one
//! critical section, so it is atomic as long as the caller holds the lock
//! for writing (for [`range_locked`], reading) for the whole call.
//!
//! ```
//! use chaos::maps::gomap::GoMap;
//! use chaos::maps::locked::swap_locked;
//! use chaos::sync::Mutex;
//!
//! let shard = Mutex::new(GoMap::new(7));
//! shard.lock().insert(1, 10).unwrap();
//! assert_eq!(swap_locked(&shard.lock(), 1, 20).unwrap(), Some(10));
//! ```
//!
//! A wrapper also forwards the fault injector's resize hook to its inner
//! map under the same lock ([`GoMap::force_resize`]), or forced resizes
//! never reach it.

use crate::maps::gomap::GoMap;
use crate::maps::{ChaosMap, Key, OpResult, Value};

// Each is the Go idiom over a plain map (`maps::plain`, `GoMap`'s own
// `ChaosMap`): atomic here because the caller holds the lock.

/// `LoadOrStore` as one load and one store.
pub fn load_or_store_locked(m: &GoMap, key: Key, value: Value) -> OpResult<(Value, bool)> {
    ChaosMap::load_or_store(m, key, value)
}

/// `LoadAndDelete` as one load and one delete (the delete runs even when
/// the key is absent: it is still a write that does growth work, #40327).
pub fn load_and_delete_locked(m: &GoMap, key: Key) -> OpResult<Option<Value>> {
    ChaosMap::load_and_delete(m, key)
}

/// `Swap` as one load and one store.
pub fn swap_locked(m: &GoMap, key: Key, value: Value) -> OpResult<Option<Value>> {
    ChaosMap::swap(m, key, value)
}

/// `CompareAndSwap` as one load and, if it matches, one store.
pub fn compare_and_swap_locked(m: &GoMap, key: Key, old: Value, new: Value) -> OpResult<bool> {
    ChaosMap::compare_and_swap(m, key, old, new)
}

/// `CompareAndDelete` as one load and, if it matches, one delete.
pub fn compare_and_delete_locked(m: &GoMap, key: Key, old: Value) -> OpResult<bool> {
    ChaosMap::compare_and_delete(m, key, old)
}

/// `for k, v := range m { if !f(k, v) { break } }`; the caller holds at
/// least the read lock.
pub fn range_locked(m: &GoMap, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
    ChaosMap::range(m, f)
}
