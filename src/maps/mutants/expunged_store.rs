//! `mutant-expunged-store`: a `sync.Map` whose Store un-expunges an entry
//! without putting it back into dirty.
//!
//! The real bug, in Go (`sync/map.go`, `Swap`'s slow path):
//!
//! ```go
//! if e, ok := read.m[key]; ok {
//!     if e.unexpungeLocked() {
//!         // The entry was previously expunged, which implies that there is a
//!         // non-nil dirty map and this entry is not in it.
//!         m.dirty[key] = e // <- forgotten
//!     }
//!     ...
//! ```
//!
//! An expunged entry is exactly one that dirty does *not* hold. Reviving it
//! without re-adding it leaves a live key in `read.m` only; the next
//! promotion replaces `read` by dirty, and the key — with the value just
//! stored — is gone. No throw, no race needed: a single thread loses the
//! write after Delete, a new key (dirty rebuilt, entry expunged), Store,
//! and enough misses to promote. In Rust terms: an object reachable from two
//! indexes, where a state transition must update both and updates one.
//!
//! Expected finding: a lost write (also `syncmap-read-entry-not-in-dirty`
//! from [`check_invariants`](crate::maps::ChaosMap::check_invariants)).

use crate::maps::syncmap::{Bug, SyncMap};

/// A `sync.Map` clone with this bug; see the module docs.
pub fn new(seed: u64) -> SyncMap {
    SyncMap::with_bug(seed, Bug::ExpungedStore)
}
