//! `mutant-check-then-act`: LoadOrStore checks under the read lock, releases
//! it, then stores under the write lock without checking again.
//!
//! The real bug, in Go: a get-or-create that keeps the common path on the
//! read lock:
//!
//! ```go
//! func (c *Cache) LoadOrStore(k, v uint64) (uint64, bool) {
//!     c.mu.RLock()
//!     old, ok := c.m[k]
//!     c.mu.RUnlock()
//!     if ok {
//!         return old, true
//!     }
//!     c.mu.Lock() // another goroutine may have stored k meanwhile
//!     c.m[k] = v  // missing: re-check under the write lock
//!     c.mu.Unlock()
//!     return v, false
//! }
//! ```
//!
//! Every map access is locked, so it never throws; but two callers can both
//! see the key absent, both store, and both report `loaded == false` with
//! different values — one of the "created" values is silently replaced. In
//! Rust: the same time-of-check/time-of-use gap between dropping a
//! `RwLockReadGuard` and taking the write guard (the fix is to re-check
//! after `write()`, or use an entry API under one guard).
//!
//! Expected finding: a linearizability violation (never a throw).

use super::{impl_chaos_map_for_go_shaped, GoShaped, GoShapedWrapper};
use crate::maps::{Key, OpResult, Value};

/// See the module docs.
#[derive(Debug)]
pub struct CheckThenAct(GoShaped);

impl CheckThenAct {
    /// A new empty map; `seed` is the inner Go map's hash seed.
    pub fn new(seed: u64) -> Self {
        Self(GoShaped::new(seed))
    }
}

impl GoShapedWrapper for CheckThenAct {
    fn base(&self) -> &GoShaped {
        &self.0
    }

    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        {
            let _r = self.0.mu.read();
            if let Some(old) = self.0.m.get(key)? {
                return Ok((old, true));
            }
        }
        // The bug: the check above is stale by now and is not repeated.
        let _w = self.0.mu.write();
        self.0.m.insert(key, value)?;
        Ok((value, false))
    }
}

impl_chaos_map_for_go_shaped!(CheckThenAct);
