//! `mutant-write-under-rlock`: Store and Delete take the *read* lock.
//!
//! The real bug, in Go: a setter copy-pasted from the getter, so it keeps
//! `RLock`:
//!
//! ```go
//! func (c *Cache) Set(k, v uint64) {
//!     c.mu.RLock() // should be Lock
//!     defer c.mu.RUnlock()
//!     c.m[k] = v
//! }
//! ```
//!
//! Any number of goroutines hold a read lock at once, so two `Set`s write the
//! map concurrently and the runtime dies with `fatal error: concurrent map
//! writes` (or, worse, silently corrupts it). In Rust: taking
//! `RwLock::read()` and then mutating data through interior mutability
//! (a `Cell`/atomics-backed map shared beside the lock), which the type
//! system allows because the lock does not own the data.
//!
//! Expected finding: a throw, under concurrent writes.

use super::{impl_chaos_map_for_go_shaped, GoShaped, GoShapedWrapper};
use crate::maps::{Key, OpResult, Value};

/// See the module docs.
#[derive(Debug)]
pub struct WriteUnderRLock(GoShaped);

impl WriteUnderRLock {
    /// A new empty map; `seed` is the inner Go map's hash seed.
    pub fn new(seed: u64) -> Self {
        Self(GoShaped::new(seed))
    }
}

impl GoShapedWrapper for WriteUnderRLock {
    fn base(&self) -> &GoShaped {
        &self.0
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        let _g = self.0.mu.read(); // the bug: should be write()
        self.0.m.insert(key, value)
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        let _g = self.0.mu.read(); // the bug: should be write()
        self.0.m.remove(key)
    }
}

impl_chaos_map_for_go_shaped!(WriteUnderRLock);
