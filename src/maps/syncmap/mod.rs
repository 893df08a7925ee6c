//! `syncmap`: a clone of Go 1.20–1.23 `sync.Map` (`docs/go-maps.md` §8),
//! whose two maps are [`GoMap`]s. Section numbers (§) in this module refer
//! to `docs/go-maps.md`.
//!
//! # Design (Go's, §8.1)
//!
//! - `read`: an atomically published, immutable `ReadOnly { m, amended }`.
//!   Anyone may load it without the lock; only `mu` holders publish a new
//!   one. The Go map inside a published `ReadOnly` is **never written
//!   again** — only the entries it points to change — so lock-free lookups
//!   and iterations of `read.m` are legal Go and can never throw.
//!   `amended` means dirty holds some key that `read.m` lacks.
//! - `dirty`: a Go map touched only under `mu`; when present it holds every
//!   non-expunged entry of `read.m` (the *same* entries) plus the new keys.
//! - `misses`: slow-path lookups since `read` was last replaced; when they
//!   reach `len(dirty)` dirty is *promoted*: it becomes `read.m` and dirty
//!   becomes nil. The next new key rebuilds dirty from `read.m`
//!   (`dirtyLocked`), expunging the nil entries on the way.
//! - entries: see `entry.rs` for the nil / expunged / value state machine.
//!
//! # Locking protocol
//!
//! Every operation first tries a lock-free fast path on `read` (a lookup in
//! `read.m` and a CAS on the entry). It takes `mu` only when the key is not
//! in `read.m` but may be in dirty (`amended`), or when the entry is
//! expunged; under `mu` it reloads `read` before deciding anything, because
//! a promotion may have happened meanwhile. Methods named `_locked` take the
//! `mu` guard's contents as proof that the caller holds it.
//!
//! # `Range` is not a snapshot
//!
//! `Range` promotes dirty if `read` is amended (so it sees every key present
//! when it starts) and then walks that `read.m` with no lock, loading each
//! entry as it gets there. Keys stored after the walk started are not
//! visited; a value is whatever the entry holds at visit time; a key stored
//! or deleted concurrently (even by the callback) may be reported with any
//! mapping it had during the call. The checker must judge it by
//! [`RangeSemantics::WeakConsistent`], not as a snapshot.
//!
//! # Rust representation
//!
//! - `read` is an `ArcSwap<ReadOnly>`: Go's `atomic.Pointer[readOnly]`
//!   needs the GC to keep an old view alive while a reader still walks it;
//!   `arc-swap` gives a load that is a few atomic operations with no lock
//!   and no shared reference-count traffic, and frees a view only when the
//!   last reader drops it. A nil `read.m` (Go's `readOnly{}`) is `m: None`.
//! - Go maps hold `u64` values, so a map value is a *handle*: the index of
//!   the entry in an append-only arena ([`boxcar::Vec`], lock-free reads, so
//!   the fast paths stay lock-free). Entries are only appended, under `mu`,
//!   and never removed while the map lives (an orphaned entry may still be
//!   reached by an operation that loaded an old `read`, as in Go). Handle 0
//!   is Go's nil `*entry`; a handle that names no entry makes the operation
//!   return [`Throw::Fault`], where Go would have dereferenced garbage.
//! - `mu` is [`crate::sync::Mutex`], so the scheduler can explore it.
//!
//! Yield points: [`Site::SyncMapReadLoaded`] after every lock-free load of
//! `read`, [`Site::SyncMapEntryCas`] before every CAS of an entry,
//! [`Site::SyncMapLocked`] right after `mu` is taken (a [`Fault::Promote`] or
//! [`Fault::RebuildDirty`] returned there is applied: the operation reloads
//! `read` afterwards, so both are legal moves), [`Site::SyncMapPromote`]
//! before `missLocked` promotes.
//!
//! [`RangeSemantics::WeakConsistent`]: crate::maps::RangeSemantics::WeakConsistent

mod bug;
mod dirty;
mod entry;
mod invariants;
mod ops;

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::maps::gomap::GoMap;
use crate::maps::{Key, OpResult, Throw, Value};
use crate::seed::sub_seed;
use crate::sync::{yield_point, Fault, Mutex, MutexGuard, Site};
pub(crate) use bug::Bug;
use entry::Entry;

/// An entry handle: what the Go maps store as the value of a key.
type Handle = u64;

/// Go's `readOnly`: immutable once published.
#[derive(Debug, Default)]
struct ReadOnly {
    /// `None` is Go's nil map (`readOnly{}`); a `Some` map is never written.
    m: Option<Arc<GoMap>>,
    /// Dirty holds some key `m` lacks.
    amended: bool,
}

impl ReadOnly {
    fn len(&self) -> usize {
        self.m.as_ref().map_or(0, |m| m.len())
    }
}

/// What `mu` guards.
#[derive(Debug, Default)]
struct Locked {
    /// Invariant: `read.amended ⇒ dirty.is_some()`; when present it holds
    /// every non-expunged entry of `read.m` under the same handle, and no
    /// expunged entry (checked by [`SyncMap::check_invariants`]).
    ///
    /// [`SyncMap::check_invariants`]: crate::maps::ChaosMap::check_invariants
    dirty: Option<GoMap>,
    /// Slow-path lookups since `read` was last replaced.
    misses: usize,
    /// Inner maps built so far: the next one's sub-seed index.
    maps_made: u64,
}

/// A clone of Go's `sync.Map` (read/dirty/misses/expunged) over [`GoMap`]s.
#[derive(Debug)]
pub struct SyncMap {
    read: ArcSwap<ReadOnly>,
    mu: Mutex<Locked>,
    /// Append-only (under `mu`); slot 0 is the nil entry.
    entries: boxcar::Vec<Entry>,
    seed: u64,
    bug: Bug,
}

impl SyncMap {
    /// A new empty map (Go's zero `sync.Map`). Its inner Go maps take
    /// sub-seeds of `seed` in the order they are built.
    pub fn new(seed: u64) -> Self {
        Self::with_bug(seed, Bug::None)
    }

    pub(crate) fn with_bug(seed: u64, bug: Bug) -> Self {
        let entries = boxcar::Vec::new();
        entries.push(Entry::nil());
        Self {
            read: ArcSwap::from_pointee(ReadOnly::default()),
            mu: Mutex::new(Locked::default()),
            entries,
            seed,
            bug,
        }
    }

    // --- helpers -------------------------------------------------------

    /// The entry a handle names. Handle 0 (nil) and unknown handles are
    /// where Go would fault.
    fn entry(&self, h: Handle) -> OpResult<&Entry> {
        match usize::try_from(h) {
            Ok(i) if i > 0 => self.entries.get(i).ok_or(Throw::Fault),
            _ => Err(Throw::Fault),
        }
    }

    /// Appends a live entry (`newEntry`); the caller holds `mu`.
    fn new_entry_locked(&self, _l: &Locked, value: Value) -> Handle {
        self.entries.push(Entry::new(value)) as Handle
    }

    /// A fresh inner Go map's seed; the caller holds `mu`.
    fn next_map_seed_locked(&self, l: &mut Locked) -> u64 {
        l.maps_made += 1;
        sub_seed(self.seed, l.maps_made)
    }

    /// The lock-free load of `read` that starts every fast path.
    fn load_read(&self) -> arc_swap::Guard<Arc<ReadOnly>> {
        let r = self.read.load();
        let _ = yield_point(Site::SyncMapReadLoaded);
        r
    }

    fn lookup<'a>(&'a self, m: Option<&GoMap>, key: Key) -> OpResult<Option<(Handle, &'a Entry)>> {
        let Some(m) = m else { return Ok(None) };
        match m.get(key)? {
            Some(h) => Ok(Some((h, self.entry(h)?))),
            None => Ok(None),
        }
    }

    fn read_lookup(&self, r: &ReadOnly, key: Key) -> OpResult<Option<(Handle, &Entry)>> {
        self.lookup(r.m.as_deref(), key)
    }

    fn dirty_lookup_locked(&self, l: &Locked, key: Key) -> OpResult<Option<(Handle, &Entry)>> {
        self.lookup(l.dirty.as_ref(), key)
    }

    /// Takes `mu`, then applies a promotion or dirty rebuild the fault
    /// injector asks for — legal here because every caller reloads `read`
    /// after locking.
    fn lock(&self) -> OpResult<MutexGuard<'_, Locked>> {
        let mut g = self.mu.lock();
        match yield_point(Site::SyncMapLocked) {
            Some(Fault::Promote) => {
                self.force_promote_locked(&mut g)?;
            }
            Some(Fault::RebuildDirty) => self.force_rebuild_dirty_locked(&mut g)?,
            _ => {}
        }
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::ChaosMap;

    #[test]
    fn handle_zero_is_a_nil_entry_pointer() {
        let m = SyncMap::new(4);
        assert_eq!(m.entry(0).err(), Some(Throw::Fault));
        assert_eq!(m.entry(1).err(), Some(Throw::Fault)); // not allocated yet
        m.store(7, 70).unwrap();
        assert!(m.entry(1).is_ok());
    }
}
