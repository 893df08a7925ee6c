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

use crate::maps::rwmutex::RwMutexMap;
use crate::maps::swissmap::SwissMap;

/// A [`RwLock`](crate::sync::RwLock) around a [`SwissMap`]: clean and
/// linearizable ([`RwMutexMap`] over the Swiss map; `from_map` puts a
/// mutated map behind the same lock).
pub type SwissRwMutexMap = RwMutexMap<SwissMap>;

/// A new empty `swiss-rwmutex`; `seed` seeds the inner map.
pub fn new(seed: u64) -> SwissRwMutexMap {
    RwMutexMap::from_map(SwissMap::new(seed))
}
