//! `mutant-unlocked-read`: Load first reads the map with no lock.
//!
//! The real bug, in Go: an "optimised" getter with a lock-free fast path,
//! on the belief that reads of a map are safe:
//!
//! ```go
//! func (c *Cache) Get(k uint64) (uint64, bool) {
//!     if v, ok := c.m[k]; ok { // no lock: races with Set
//!         return v, true
//!     }
//!     c.mu.RLock()
//!     defer c.mu.RUnlock()
//!     v, ok := c.m[k]
//!     return v, ok
//! }
//! ```
//!
//! Reads are only safe while *nobody writes*; a writer holding the lock does
//! not stop an unlocked reader, and the runtime dies with `fatal error:
//! concurrent map read and map write` (or the read returns a torn result).
//! In Rust: double-checked reading of data that lives beside its lock
//! instead of inside it.
//!
//! Expected finding: a throw, with loads racing writes.

use super::{impl_chaos_map_for_go_shaped, GoShaped, GoShapedWrapper};
use crate::maps::{Key, OpResult, Value};

/// See the module docs.
#[derive(Debug)]
pub struct UnlockedRead(GoShaped);

impl UnlockedRead {
    /// A new empty map; `seed` is the inner Go map's hash seed.
    pub fn new(seed: u64) -> Self {
        Self(GoShaped::new(seed))
    }
}

impl GoShapedWrapper for UnlockedRead {
    fn base(&self) -> &GoShaped {
        &self.0
    }

    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        // The bug: a lookup with no lock held.
        if let Some(v) = self.0.m.get(key)? {
            return Ok(Some(v));
        }
        let _g = self.0.mu.read();
        self.0.m.get(key)
    }
}

impl_chaos_map_for_go_shaped!(UnlockedRead);
