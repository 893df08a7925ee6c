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

mod bug;
mod entry;

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::maps::gomap::GoMap;
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Throw, Value, Violation};
use crate::seed::sub_seed;
use crate::sync::{cover, yield_point, Cover, Fault, Mutex, MutexGuard, Site};
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

    /// Dirty, which the caller knows is present (an expunged entry or an
    /// amended `read` imply it); absent is an internal bug (Go: assignment
    /// to entry in nil map).
    fn present_dirty(l: &Locked) -> &GoMap {
        l.dirty
            .as_ref()
            .expect("sync.Map invariant: dirty is present here")
    }

    /// Publishes dirty as the new `read` (not amended) and drops dirty.
    /// Returns whether there was a dirty to promote.
    fn promote_locked(&self, l: &mut Locked) -> OpResult<bool> {
        let Some(dirty) = l.dirty.take() else {
            return Ok(false);
        };
        let m = match self.bug {
            Bug::LossyPromotion => {
                let seed = self.next_map_seed_locked(l);
                bug::lossy_compacted(&dirty, seed, |h| Ok(self.entry(h)?.load().is_some()))?
            }
            _ => dirty,
        };
        self.read.store(Arc::new(ReadOnly {
            m: Some(Arc::new(m)),
            amended: false,
        }));
        l.misses = 0;
        Ok(true)
    }

    /// A promotion the fault injector asked for (legal wherever `read` is
    /// reloaded afterwards: it is what `missLocked` might have done).
    fn force_promote_locked(&self, l: &mut Locked) -> OpResult<bool> {
        let done = self.promote_locked(l)?;
        if done {
            cover(Cover::SyncMapForcedPromotion);
        }
        Ok(done)
    }

    /// `missLocked`: counts a slow-path lookup; promotes once misses reach
    /// `len(dirty)` (the slow path then costs as much as the copy did).
    fn miss_locked(&self, l: &mut Locked) -> OpResult<()> {
        l.misses += 1;
        if l.misses < l.dirty.as_ref().map_or(0, GoMap::len) {
            return Ok(());
        }
        let _ = yield_point(Site::SyncMapPromote);
        if self.promote_locked(l)? {
            cover(Cover::SyncMapPromotion);
        }
        Ok(())
    }

    /// `dirtyLocked`: if dirty is nil, rebuilds it from `read.m`, expunging
    /// the nil entries (which are then left out of it).
    fn dirty_locked(&self, l: &mut Locked) -> OpResult<()> {
        if l.dirty.is_some() {
            return Ok(());
        }
        let r = self.read.load();
        let dirty = GoMap::with_hint(r.len(), self.next_map_seed_locked(l));
        if let Some(m) = &r.m {
            for kv in m.iter() {
                let (k, h) = kv?;
                if !self.entry(h)?.try_expunge_locked() {
                    dirty.insert(k, h)?;
                }
            }
        }
        l.dirty = Some(dirty);
        cover(Cover::SyncMapDirtyRebuild);
        Ok(())
    }

    /// Forced rebuild: promote whatever dirty holds, then rebuild dirty from
    /// the new `read`. Both are moves Go makes; `amended` stays false, which
    /// is right since the rebuilt dirty holds no key `read.m` lacks.
    fn force_rebuild_dirty_locked(&self, l: &mut Locked) -> OpResult<()> {
        self.promote_locked(l)?;
        self.dirty_locked(l)?;
        cover(Cover::SyncMapForcedRebuild);
        Ok(())
    }

    /// Before adding a key to dirty: make sure dirty exists and `read` says
    /// it is amended.
    fn amend_locked(&self, l: &mut Locked, r: &ReadOnly) -> OpResult<()> {
        if !r.amended {
            self.dirty_locked(l)?;
            self.read.store(Arc::new(ReadOnly {
                m: r.m.clone(),
                amended: true,
            }));
        }
        Ok(())
    }

    /// Lookup shared by Load, LoadAndDelete and CompareAndDelete: `read.m`,
    /// then (if amended) dirty under `mu`, counting a miss either way. With
    /// `remove`, a key found only in dirty is also deleted from dirty.
    fn find_entry(&self, key: Key, remove: bool) -> OpResult<Option<&Entry>> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            return Ok(Some(e));
        }
        if !r.amended {
            return Ok(None);
        }
        let mut g = self.lock()?;
        let r = self.read.load();
        let mut e = self.read_lookup(&r, key)?.map(|(_, e)| e);
        if e.is_none() && r.amended {
            e = self.dirty_lookup_locked(&g, key)?.map(|(_, e)| e);
            if remove {
                Self::present_dirty(&g).remove(key)?;
            }
            self.miss_locked(&mut g)?;
        }
        Ok(e)
    }
}

impl ChaosMap for SyncMap {
    /// §8.2.
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.find_entry(key, false)?.and_then(Entry::load))
    }

    /// §8.3: `Store` is `Swap` with the result discarded.
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.swap(key, value).map(drop)
    }

    /// §8.6: `Delete` is `LoadAndDelete` with the result discarded.
    fn delete(&self, key: Key) -> OpResult<()> {
        self.load_and_delete(key).map(drop)
    }

    /// §8.5.
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            if let Some(res) = e.try_load_or_store(value) {
                return Ok(res);
            }
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        const NOT_EXPUNGED: &str = "under mu, an entry in dirty or just unexpunged is not expunged";
        if let Some((h, e)) = self.read_lookup(&r, key)? {
            if e.unexpunge_locked() {
                Self::present_dirty(&g).insert(key, h)?;
            }
            Ok(e.try_load_or_store(value).expect(NOT_EXPUNGED))
        } else if let Some((_, e)) = self.dirty_lookup_locked(&g, key)? {
            let res = e.try_load_or_store(value).expect(NOT_EXPUNGED);
            self.miss_locked(&mut g)?;
            Ok(res)
        } else {
            self.amend_locked(&mut g, &r)?;
            let h = self.new_entry_locked(&g, value);
            Self::present_dirty(&g).insert(key, h)?;
            Ok((value, false))
        }
    }

    /// §8.6.
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.find_entry(key, true)?.and_then(Entry::delete))
    }

    /// §8.4.
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            if let Some(previous) = e.try_swap(value) {
                return Ok(previous);
            }
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        if let Some((h, e)) = self.read_lookup(&r, key)? {
            // The bug of `mutant-expunged-store`: the entry leaves the
            // expunged state but is not put back into dirty.
            if e.unexpunge_locked() && self.bug != Bug::ExpungedStore {
                Self::present_dirty(&g).insert(key, h)?;
            }
            Ok(e.swap_locked(value))
        } else if let Some((_, e)) = self.dirty_lookup_locked(&g, key)? {
            // No miss counted: Swap never needed read to find dirty's keys faster.
            Ok(e.swap_locked(value))
        } else {
            self.amend_locked(&mut g, &r)?;
            let h = self.new_entry_locked(&g, value);
            Self::present_dirty(&g).insert(key, h)?;
            Ok(None)
        }
    }

    /// §8.7. Never un-expunges and never adds a key.
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        let r = self.load_read();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            return Ok(e.try_compare_and_swap(old, new));
        }
        if !r.amended {
            return Ok(false);
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        if let Some((_, e)) = self.read_lookup(&r, key)? {
            Ok(e.try_compare_and_swap(old, new))
        } else if let Some((_, e)) = self.dirty_lookup_locked(&g, key)? {
            let swapped = e.try_compare_and_swap(old, new);
            // The set of keys did not change: count a miss so that a steady
            // state of such calls ends in a promotion.
            self.miss_locked(&mut g)?;
            Ok(swapped)
        } else {
            Ok(false)
        }
    }

    /// §8.7. False when there is no current value.
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        Ok(self
            .find_entry(key, false)?
            .is_some_and(|e| e.compare_and_delete(old)))
    }

    /// §8.8; not a snapshot (see the module docs).
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        // Owned, not a guard: the walk may be long and `f` may call back in.
        let mut r = self.read.load_full();
        let _ = yield_point(Site::SyncMapReadLoaded);
        if r.amended {
            let mut g = self.lock()?;
            r = self.read.load_full();
            if r.amended {
                self.promote_locked(&mut g)?;
                cover(Cover::SyncMapPromotion);
                r = self.read.load_full();
            }
        }
        let Some(m) = &r.m else { return Ok(()) };
        for kv in m.iter() {
            let (k, h) = kv?;
            if let Some(v) = self.entry(h)?.load() {
                if !f(k, v) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// §8.8 (Go 1.23). Old entries are left alone: an operation that already
    /// loaded the old `read` may still succeed on one, linearising before
    /// the Clear.
    fn clear(&self) -> OpResult<()> {
        let r = self.load_read();
        if r.len() == 0 && !r.amended {
            return Ok(());
        }
        drop(r);
        let mut g = self.lock()?;
        let r = self.read.load();
        if r.len() > 0 || r.amended {
            self.read.store(Arc::new(ReadOnly::default()));
        }
        if let Some(d) = &g.dirty {
            // Emptied, but kept: a present dirty with amended == false is fine.
            d.clear()?;
        }
        // Don't promote the freshly emptied dirty on the next miss.
        g.misses = 0;
        Ok(())
    }

    /// `sync.Map` has no `len`.
    fn len(&self) -> Option<OpResult<usize>> {
        None
    }

    /// All under `mu`: `Promote` promotes dirty now, `RebuildDirty` promotes
    /// and rebuilds dirty, and `Grow`/`SameSizeGrow`/`Evacuate` act on the
    /// dirty map (the only one ever written; nothing to do without one).
    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        let mut g = self.mu.lock();
        match fault {
            Fault::Promote => self.force_promote_locked(&mut g),
            Fault::RebuildDirty => self.force_rebuild_dirty_locked(&mut g).map(|()| true),
            Fault::Grow | Fault::SameSizeGrow | Fault::Evacuate | Fault::WithholdEvacuation => {
                match &g.dirty {
                    None => Ok(false),
                    Some(d) => d.force_resize(fault),
                }
            }
        }
    }

    /// §8.10, plus both inner maps' own invariants. Taken under `mu`.
    fn check_invariants(&self) -> Vec<Violation> {
        let g = self.mu.lock();
        let r = self.read.load();
        let mut out = Vec::new();
        let mut violation =
            |invariant: &'static str, detail: String| out.push(Violation { invariant, detail });
        let dirty = g.dirty.as_ref();
        if r.amended && dirty.is_none() {
            violation(
                "syncmap-amended-without-dirty",
                "read.amended but dirty is nil".into(),
            );
        }
        let maps = [("read.m", r.m.as_deref()), ("dirty", dirty)];
        for (name, m) in maps {
            let Some(m) = m else { continue };
            for v in m.check_invariants() {
                violation(v.invariant, format!("{name}: {}", v.detail));
            }
        }
        if let Some(m) = &r.m {
            for kv in m.iter() {
                let Ok((k, h)) = kv else {
                    violation(
                        "syncmap-read-iteration-threw",
                        "iterating read.m threw".into(),
                    );
                    break;
                };
                let Ok(e) = self.entry(h) else {
                    violation(
                        "syncmap-bad-handle",
                        format!("read.m[{k}] = {h} names no entry"),
                    );
                    continue;
                };
                let in_dirty = dirty.map(|d| d.get(k));
                match (e.is_expunged(), in_dirty) {
                    (true, None) => violation(
                        "syncmap-expunged-without-dirty",
                        format!("read.m[{k}] is expunged while dirty is nil"),
                    ),
                    (true, Some(Ok(Some(_)))) => violation(
                        "syncmap-expunged-in-dirty",
                        format!("read.m[{k}] is expunged but dirty has the key"),
                    ),
                    (false, Some(Ok(d))) if d != Some(h) => violation(
                        "syncmap-read-entry-not-in-dirty",
                        format!("read.m[{k}] = entry {h} is not expunged but dirty[{k}] = {d:?}"),
                    ),
                    _ => {}
                }
            }
        }
        if let Some(d) = dirty {
            for kv in d.iter() {
                let Ok((k, h)) = kv else {
                    violation(
                        "syncmap-dirty-iteration-threw",
                        "iterating dirty threw".into(),
                    );
                    break;
                };
                match self.entry(h) {
                    Err(_) => violation(
                        "syncmap-bad-handle",
                        format!("dirty[{k}] = {h} names no entry"),
                    ),
                    Ok(e) if e.is_expunged() => violation(
                        "syncmap-dirty-entry-expunged",
                        format!("dirty[{k}] is expunged"),
                    ),
                    Ok(_) => {}
                }
                let in_read = r.m.as_ref().map(|m| m.get(k));
                if !r.amended && !matches!(in_read, Some(Ok(Some(_)))) {
                    violation(
                        "syncmap-unamended-dirty-has-new-key",
                        format!("dirty has {k}, read.m lacks it, and read is not amended"),
                    );
                }
            }
        }
        out
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::WeakConsistent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    use std::rc::Rc;

    use crate::sync::{install, Hook};

    /// Records coverage marks; answers `fault` at `SyncMapLocked`.
    #[derive(Default)]
    struct Recorder {
        marks: RefCell<BTreeSet<Cover>>,
        fault: Option<Fault>,
    }
    impl Hook for Recorder {
        fn yield_point(&self, site: Site) -> Option<Fault> {
            self.fault.filter(|_| site.in_syncmap_locked())
        }
        fn cover(&self, mark: Cover) {
            self.marks.borrow_mut().insert(mark);
        }
    }

    fn state(m: &SyncMap) -> (bool, Option<usize>, usize) {
        let g = m.mu.lock();
        (
            m.read.load().amended,
            g.dirty.as_ref().map(GoMap::len),
            g.misses,
        )
    }

    #[test]
    fn misses_reaching_len_dirty_promote() {
        let rec = Rc::new(Recorder::default());
        let _h = install(rec.clone());
        let m = SyncMap::new(1);
        for k in 0..3 {
            m.store(k, k + 10).unwrap();
        }
        assert_eq!(state(&m), (true, Some(3), 0));
        // Two slow-path misses stay below len(dirty) = 3 ...
        assert_eq!(m.load(100).unwrap(), None);
        assert_eq!(m.load(0).unwrap(), Some(10)); // found in dirty: still a miss
        assert_eq!(state(&m), (true, Some(3), 2));
        assert!(!rec.marks.borrow().contains(&Cover::SyncMapPromotion));
        // ... the third reaches it: dirty becomes read.
        assert_eq!(m.load(101).unwrap(), None);
        assert_eq!(state(&m), (false, None, 0));
        assert!(rec.marks.borrow().contains(&Cover::SyncMapPromotion));
        // Now served from read without the lock, and without misses.
        assert_eq!(m.load(2).unwrap(), Some(12));
        assert_eq!(m.load(100).unwrap(), None);
        assert_eq!(state(&m), (false, None, 0));
        assert!(m.check_invariants().is_empty());
    }

    #[test]
    fn delete_rebuild_expunges_and_store_unexpunges_into_dirty() {
        let rec = Rc::new(Recorder::default());
        let _h = install(rec.clone());
        let m = SyncMap::new(2);
        m.store(1, 10).unwrap();
        assert!(m.force_resize(Fault::Promote).unwrap());
        m.delete(1).unwrap(); // fast path: the entry in read.m becomes nil
        m.store(2, 20).unwrap(); // new key: dirtyLocked expunges key 1's entry
        {
            let g = m.mu.lock();
            let r = m.read.load();
            let (_, e) = m.read_lookup(&r, 1).unwrap().unwrap();
            assert!(e.is_expunged());
            assert_eq!(g.dirty.as_ref().unwrap().get(1).unwrap(), None);
        }
        assert!(rec.marks.borrow().contains(&Cover::SyncMapExpunge));
        assert!(m.check_invariants().is_empty());
        m.store(1, 11).unwrap(); // fast path fails on expunged; slow path unexpunges
        assert!(rec.marks.borrow().contains(&Cover::SyncMapUnexpunge));
        assert!(m.check_invariants().is_empty());
        assert!(m.force_resize(Fault::Promote).unwrap());
        assert_eq!(m.load(1).unwrap(), Some(11));
        assert_eq!(m.load(2).unwrap(), Some(20));
    }

    #[test]
    fn forced_faults_at_the_lock_keep_the_contents() {
        for fault in [Fault::Promote, Fault::RebuildDirty] {
            let rec = Rc::new(Recorder {
                fault: Some(fault),
                ..Default::default()
            });
            let _h = install(rec.clone());
            let m = SyncMap::new(3);
            let mut model = std::collections::HashMap::new();
            for k in 0..60 {
                m.store(k, k).unwrap();
                model.insert(k, k);
                if k % 3 == 0 {
                    m.delete(k / 2).unwrap();
                    model.remove(&(k / 2));
                }
                assert_eq!(m.load(k + 1).unwrap(), None); // a miss: takes the lock
            }
            for k in 0..60 {
                assert_eq!(
                    m.load(k).unwrap(),
                    model.get(&k).copied(),
                    "{fault:?} key {k}"
                );
            }
            assert_eq!(m.check_invariants(), vec![]);
            let want = match fault {
                Fault::Promote => Cover::SyncMapForcedPromotion,
                _ => Cover::SyncMapForcedRebuild,
            };
            assert!(rec.marks.borrow().contains(&want), "{fault:?}");
        }
    }

    #[test]
    fn handle_zero_is_a_nil_entry_pointer() {
        let m = SyncMap::new(4);
        assert_eq!(m.entry(0).err(), Some(Throw::Fault));
        assert_eq!(m.entry(1).err(), Some(Throw::Fault)); // not allocated yet
        m.store(7, 70).unwrap();
        assert!(m.entry(1).is_ok());
    }

    #[test]
    fn range_callback_may_call_back_in_and_new_keys_are_not_visited() {
        let m = SyncMap::new(5);
        for k in 0..10 {
            m.store(k, k).unwrap();
        }
        let mut seen = BTreeSet::new();
        m.range(&mut |k, v| {
            assert_eq!(k, v);
            seen.insert(k);
            m.store(k + 100, k).unwrap(); // a new key, into dirty: not this walk's
            m.delete(k).unwrap();
            true
        })
        .unwrap();
        assert_eq!(seen, (0..10).collect());
        assert_eq!(m.load(3).unwrap(), None);
        assert_eq!(m.load(103).unwrap(), Some(3));
        assert_eq!(m.check_invariants(), vec![]);
    }
}
