//! `mutant-split-swap`: Swap is a locked Load followed by a separately
//! locked Store.
//!
//! The real bug, in Go: a composite built from two methods that are each
//! correct on their own:
//!
//! ```go
//! func (c *Cache) Swap(k, v uint64) (uint64, bool) {
//!     old, ok := c.Load(k) // RLock ... RUnlock
//!     c.Store(k, v)        // Lock ... Unlock
//!     return old, ok
//! }
//! ```
//!
//! Two concurrent Swaps can both read the same previous value, so one write
//! is never seen by anybody as "previous" — an impossible history for an
//! atomic swap (and a lost update for a counter or a token hand-off built
//! on it). In Rust: composing two calls that each take the lock, instead of
//! doing both under one guard.
//!
//! Expected finding: a linearizability violation (never a throw).

use super::{impl_chaos_map_for_go_shaped, GoShaped, GoShapedWrapper};
use crate::maps::{Key, OpResult, Value};

/// See the module docs.
#[derive(Debug)]
pub struct SplitSwap(GoShaped);

impl SplitSwap {
    /// A new empty map; `seed` is the inner Go map's hash seed.
    pub fn new(seed: u64) -> Self {
        Self(GoShaped::new(seed))
    }
}

impl GoShapedWrapper for SplitSwap {
    fn base(&self) -> &GoShaped {
        &self.0
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let old = GoShapedWrapper::load(self, key)?;
        // The bug: the lock is released between the load and the store.
        GoShapedWrapper::store(self, key, value)?;
        Ok(old)
    }
}

impl_chaos_map_for_go_shaped!(SplitSwap);
