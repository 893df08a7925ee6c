//! `mutant-lossy-promotion`: a `sync.Map` whose promotion drops the deleted
//! (nil) entries instead of carrying them over to be expunged later.
//!
//! The real bug, in Go: "compacting" the read map on promotion to save
//! space, in `missLocked`:
//!
//! ```go
//! // was: m.read.Store(&readOnly{m: m.dirty})
//! compact := make(map[any]*entry, len(m.dirty))
//! for k, e := range m.dirty {
//!     if p := e.p.Load(); p != nil && p != expunged {
//!         compact[k] = e // deleted entries are left behind
//!     }
//! }
//! m.read.Store(&readOnly{m: compact})
//! ```
//!
//! It looks harmless — a nil entry is a deleted key. But a lock-free Store
//! that loaded the *old* read a moment earlier still holds that nil entry
//! and revives it with a CAS (nil is not expunged, so the fast path
//! succeeds); the entry is now in neither the new read nor dirty, and the
//! stored value is lost. That is why Go never drops a nil entry outright but
//! first CASes it to `expunged` under the lock (`tryExpungeLocked`), which
//! makes such a racing fast path fail and retry under the lock. In Rust
//! terms: reclaiming a node that a lock-free reader may still be holding —
//! the reason epochs and hazard pointers exist.
//!
//! Expected finding: a lost write, under a store racing a promotion. The
//! buggy promotion itself lives beside the real one, in
//! `maps/syncmap/bug.rs`, switched on by `Bug::LossyPromotion`.

use crate::maps::syncmap::{Bug, SyncMap};

/// A `sync.Map` clone with this bug; see the module docs.
pub fn new(seed: u64) -> SyncMap {
    SyncMap::with_bug(seed, Bug::LossyPromotion)
}
