//! `hashtriemap`: a clone of Go 1.24+ `sync.Map`, a thin wrapper over
//! `internal/sync.HashTrieMap` (`docs/go-maps.md` §8.11), over `u64` keys
//! and values.
//!
//! # Design (Go's)
//!
//! A concurrent hash-trie. Indirect nodes have 16 children and consume 4 bits
//! of a seeded 64-bit hash per level, from the top bits down (so at most 16
//! levels); each has a mutex, a `dead` flag, a parent pointer and its
//! children as atomic pointers. Leaves are immutable entry nodes (key, value,
//! and an atomic `overflow` link chaining keys whose *full* hashes collide).
//!
//! - **Loads** walk from the root with atomic loads and take no lock.
//! - **Writers** walk to the slot their key belongs in, lock the indirect
//!   node that owns it, and **re-check** that the slot still holds what they
//!   saw (nil or an entry) and that the node is not `dead`; if either
//!   changed they unlock and restart from the root. Then they publish: a
//!   changed value is a new entry node (`swap` rewrites the head, or an
//!   overflow link under the lock); a key whose hash prefix collides with
//!   the entry in its slot `expand`s into new indirect nodes, built off to
//!   the side and published last, with one store into the slot.
//! - **Deletes** find the key, lock, re-check, store nil into the slot, and
//!   while the node is empty (and not the root) prune it: lock the parent,
//!   mark the node `dead`, clear its slot in the parent, unlock, go up.
//!   The `dead` flag is what makes a writer that locked a pruned node restart.
//! - **Range** walks the trie with atomic loads, each key at most once; it is
//!   not a snapshot ([`RangeSemantics::WeakConsistent`]).
//! - **Clear** stores a fresh root (the old trie is dropped on the floor).
//!
//! # Rust representation
//!
//! Go's pointers need its GC: a reader may still walk a node a writer has
//! replaced. Here nodes live in two append-only arenas ([`boxcar::Vec`],
//! lock-free reads) and are never freed while the map lives; a pointer is a
//! [`NodeRef`] (an arena index with an entry/indirect tag, 0 for nil) in an
//! `AtomicU64`. So the map is sound with no `unsafe` at all, whatever racing
//! threads do. Memory grows with every write, as Go's garbage would until a
//! collection; a map here lives for one execution.
//!
//! Yield points (race windows): [`Site::TrieSlotLoaded`] after every
//! lock-free load of a child slot (loads, writers' walks, `Range`),
//! [`Site::TrieRecheck`] between a writer's walk and its lock (where its
//! view goes stale; a fault fired there is applied to the writer's own slot:
//! [`Fault::Grow`] pushes the entry there one level down, [`Fault::Evacuate`]
//! republishes it as a fresh entry node), the lock acquires themselves, and
//! [`Site::TriePublish`] under the lock right before the slot is written.
//! The resize hook does the same to the first entry slot of the trie.

mod invariants;
mod node;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::maps::gomap::hash::hash;
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::{yield_point, Fault, MutexGuard, Site};
use node::{Entry, Indirect, NodeRef, CHILDREN, CHILDREN_LOG2};

/// Bits of the hash: 64 (`8 * goarch.PtrSize`), 4 consumed per level.
const HASH_BITS: u32 = 64;

/// A deliberate bug, for the planted mutant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// A writer publishes what its lock-free walk saw, without re-checking
    /// the slot and the node's `dead` flag under the lock.
    SkipRecheck,
}

/// Go 1.24+ `sync.Map`: a concurrent hash-trie.
#[derive(Debug)]
pub struct HashTrieMap {
    /// The root indirect node (never nil, never dead; `Clear` replaces it).
    root: AtomicU64,
    indirects: boxcar::Vec<Indirect>,
    entries: boxcar::Vec<Entry>,
    /// The hash seed (Go's `ht.seed`).
    hash0: u32,
    /// Bits of the hash kept (all 64 but in tests that force collisions).
    hash_mask: u64,
    bug: Option<Bug>,
}

/// Where a writer's walk stopped: the owning node, the level's shift, the
/// slot's index and what the slot held.
#[derive(Clone, Copy, Debug)]
struct Spot {
    i: usize,
    shift: u32,
    slot: usize,
    n: NodeRef,
}

impl HashTrieMap {
    /// An empty map whose hash is seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        Self::build(seed, u64::MAX, None)
    }

    /// The map with a planted bug.
    pub(crate) fn with_bug(seed: u64, bug: Bug) -> Self {
        Self::build(seed, u64::MAX, Some(bug))
    }

    /// A map whose hashes keep only `mask`'s bits, so that keys share full
    /// hashes and overflow chains form (tests only: Go's hash almost never
    /// collides in 64 bits).
    #[cfg(test)]
    pub(crate) fn with_hash_mask(seed: u64, mask: u64) -> Self {
        Self::build(seed, mask, None)
    }

    fn build(seed: u64, hash_mask: u64, bug: Option<Bug>) -> Self {
        let m = HashTrieMap {
            root: AtomicU64::new(0),
            indirects: boxcar::Vec::new(),
            entries: boxcar::Vec::new(),
            hash0: crate::seed::splitmix(seed) as u32,
            hash_mask,
            bug,
        };
        let root = m.new_indirect(None);
        m.root.store(root as u64, Ordering::SeqCst);
        m
    }

    fn hash(&self, key: Key) -> u64 {
        hash(key, self.hash0) & self.hash_mask
    }

    fn new_indirect(&self, parent: Option<usize>) -> usize {
        self.indirects.push(Indirect::new(parent))
    }

    fn new_entry(&self, key: Key, value: Value, overflow: NodeRef) -> NodeRef {
        NodeRef::entry(self.entries.push(Entry::new(key, value, overflow)))
    }

    fn indirect(&self, i: usize) -> &Indirect {
        &self.indirects[i]
    }

    fn entry(&self, n: NodeRef) -> &Entry {
        &self.entries[n.index()]
    }

    fn root(&self) -> usize {
        self.root.load(Ordering::SeqCst) as usize
    }

    /// The child index of `hash` at the level whose shift is `shift`.
    fn index(hash: u64, shift: u32) -> usize {
        ((hash >> shift) & (CHILDREN as u64 - 1)) as usize
    }

    /// Loads a child slot: the race window every walk passes.
    fn load_slot(&self, i: usize, slot: usize) -> NodeRef {
        let n = self.indirect(i).load(slot);
        let _ = yield_point(Site::TrieSlotLoaded);
        n
    }

    /// `lookup` along an entry's overflow chain.
    fn lookup(&self, head: NodeRef, key: Key) -> Option<Value> {
        let mut e = head;
        while !e.is_nil() {
            let entry = self.entry(e);
            if entry.key == key {
                return Some(entry.value);
            }
            e = entry.overflow();
        }
        None
    }

    /// The lock-free walk every operation starts with (a `Load` is nothing
    /// more): down to a nil slot or an entry (not necessarily the key's).
    fn walk(&self, hash: u64) -> Spot {
        let mut i = self.root();
        let mut shift = HASH_BITS;
        while shift != 0 {
            shift -= CHILDREN_LOG2;
            let slot = Self::index(hash, shift);
            let n = self.load_slot(i, slot);
            if n.is_nil() || n.is_entry() {
                return Spot { i, shift, slot, n };
            }
            i = n.index();
        }
        panic!("internal/sync.HashTrieMap: ran out of hash bits while iterating")
    }

    /// A writer's lock and re-check: the guard when what `spot` saw is still
    /// there (a nil slot or an entry) and the node is not dead; `None` to
    /// restart. The re-read slot replaces what the walk saw.
    fn lock_and_recheck(&self, spot: &mut Spot) -> Option<MutexGuard<'_, ()>> {
        if let Some(fault) = yield_point(Site::TrieRecheck) {
            self.apply_fault(fault, spot.i, spot.slot);
        }
        let node = self.indirect(spot.i);
        let g = node.mu.lock();
        if self.bug == Some(Bug::SkipRecheck) {
            return Some(g);
        }
        let n = node.load(spot.slot);
        if (n.is_nil() || n.is_entry()) && !node.dead.load(Ordering::SeqCst) {
            spot.n = n;
            return Some(g);
        }
        crate::sync::cover(crate::sync::Cover::TrieRestart);
        None
    }

    /// Publishes `n` into the slot (under the node's lock).
    fn publish(&self, spot: &Spot, n: NodeRef) {
        let _ = yield_point(Site::TriePublish);
        self.indirect(spot.i).store(spot.slot, n);
    }

    /// `expand`: the node that replaces `old` (an entry chain) in a slot at
    /// level `shift` so that it holds both `old` and `new` (a single entry
    /// for a key `old` lacks): `new` heads the chain when the full hashes
    /// collide; otherwise new indirect nodes down to where the two hashes
    /// part, built off to the side (published by the caller, last).
    fn expand(
        &self,
        old: NodeRef,
        new_key: Key,
        new_value: Value,
        new_hash: u64,
        spot: &Spot,
    ) -> NodeRef {
        let old_hash = self.hash(self.entry(old).key);
        if old_hash == new_hash {
            return self.new_entry(new_key, new_value, old);
        }
        crate::sync::cover(crate::sync::Cover::TrieExpand);
        let new = self.new_entry(new_key, new_value, NodeRef::NIL);
        let top = self.new_indirect(Some(spot.i));
        let mut ind = top;
        let mut shift = spot.shift;
        loop {
            if shift == 0 {
                panic!("internal/sync.HashTrieMap: ran out of hash bits while inserting");
            }
            shift -= CHILDREN_LOG2;
            let (oi, ni) = (Self::index(old_hash, shift), Self::index(new_hash, shift));
            if oi != ni {
                self.indirect(ind).store(oi, old);
                self.indirect(ind).store(ni, new);
                break;
            }
            let next = self.new_indirect(Some(ind));
            self.indirect(ind).store(oi, NodeRef::indirect(next));
            ind = next;
        }
        NodeRef::indirect(top)
    }

    /// `find`: the locked spot of `key` (with its value equal to `old` when
    /// given), or `None` when it is not there. The guard is held on return.
    fn find(&self, key: Key, hash: u64, old: Option<Value>) -> Option<(Spot, MutexGuard<'_, ()>)> {
        loop {
            let mut spot = self.walk(hash);
            match (!spot.n.is_nil())
                .then(|| self.lookup(spot.n, key))
                .flatten()
            {
                Some(v) if old.is_none_or(|o| o == v) => {}
                // Not there (or not with `old`): nothing to compare with.
                _ => return None,
            }
            if let Some(g) = self.lock_and_recheck(&mut spot) {
                if spot.n.is_nil() {
                    // Deleted meanwhile: nothing to operate on.
                    return None;
                }
                return Some((spot, g));
            }
        }
    }

    /// `Swap` and `Store`: the previous value, if any.
    fn swap_inner(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let hash = self.hash(key);
        let (spot, _g) = loop {
            let mut spot = self.walk(hash);
            if let Some(g) = self.lock_and_recheck(&mut spot) {
                break (spot, g);
            }
        };
        if !spot.n.is_nil() {
            if let Some((head, previous)) = self.swap_in_chain(spot.n, key, value) {
                self.publish(&spot, head);
                return Ok(Some(previous));
            }
        }
        let n = if spot.n.is_nil() {
            self.new_entry(key, value, NodeRef::NIL)
        } else {
            self.expand(spot.n, key, value, hash, &spot)
        };
        self.publish(&spot, n);
        Ok(None)
    }

    /// `entry.swap`: when the chain at `head` holds `key`, the chain's head
    /// to publish (a new head, or `head` itself with an overflow link
    /// rewritten) and the previous value.
    fn swap_in_chain(&self, head: NodeRef, key: Key, value: Value) -> Option<(NodeRef, Value)> {
        let h = self.entry(head);
        if h.key == key {
            return Some((self.new_entry(key, value, h.overflow()), h.value));
        }
        let mut link = head;
        let mut e = h.overflow();
        while !e.is_nil() {
            let entry = self.entry(e);
            if entry.key == key {
                let replacement = self.new_entry(key, value, entry.overflow());
                self.entry(link).set_overflow(replacement);
                return Some((head, entry.value));
            }
            link = e;
            e = entry.overflow();
        }
        None
    }

    /// The chain at `head` without `key` (and the value it had), when it
    /// had it and `old`, if given, matches: the new head (nil when the chain
    /// was that one entry).
    fn delete_in_chain(
        &self,
        head: NodeRef,
        key: Key,
        old: Option<Value>,
    ) -> Option<(NodeRef, Value)> {
        let h = self.entry(head);
        if h.key == key {
            if old.is_some_and(|o| o != h.value) {
                return None;
            }
            return Some((h.overflow(), h.value));
        }
        let mut link = head;
        let mut e = h.overflow();
        while !e.is_nil() {
            let entry = self.entry(e);
            if entry.key == key {
                if old.is_some_and(|o| o != entry.value) {
                    return None;
                }
                self.entry(link).set_overflow(entry.overflow());
                return Some((head, entry.value));
            }
            link = e;
            e = entry.overflow();
        }
        None
    }

    /// `LoadAndDelete` and `CompareAndDelete`: the value removed, if any.
    fn delete_inner(&self, key: Key, old: Option<Value>) -> OpResult<Option<Value>> {
        let hash = self.hash(key);
        let Some((spot, g)) = self.find(key, hash, old) else {
            return Ok(None);
        };
        let Some((rest, value)) = self.delete_in_chain(spot.n, key, old) else {
            // Nothing was deleted: the key (or its value) is no longer there.
            return Ok(None);
        };
        self.publish(&spot, rest);
        if !rest.is_nil() {
            // One entry of a chain: the node is not empty.
            return Ok(Some(value));
        }
        // Prune nodes that became empty, upwards; never the root.
        let (mut i, mut shift, mut guard) = (spot.i, spot.shift, g);
        while let Some(parent) = self.indirect(i).parent {
            if !self.indirect(i).is_empty() {
                break;
            }
            if shift == HASH_BITS {
                panic!("internal/sync.HashTrieMap: ran out of hash bits while iterating");
            }
            shift += CHILDREN_LOG2;
            let _ = yield_point(Site::TriePrune);
            let pg = self.indirect(parent).mu.lock();
            self.indirect(i).dead.store(true, Ordering::SeqCst);
            self.indirect(parent)
                .store(Self::index(hash, shift), NodeRef::NIL);
            crate::sync::cover(crate::sync::Cover::TriePrune);
            drop(std::mem::replace(&mut guard, pg));
            i = parent;
        }
        drop(guard);
        Ok(Some(value))
    }

    /// The fault injector's move on the slot `slot` of node `i`, under its
    /// lock: [`Fault::Grow`] or [`Fault::SameSizeGrow`] pushes the entry
    /// chain there one level down (an indirect node with one child, which Go
    /// reaches when a delete leaves one of two keys); [`Fault::Evacuate`]
    /// republishes its head as a fresh entry node (what a `Store` of the same
    /// value does). Neither changes the map's contents; both change the slot
    /// under any writer that walked to it.
    fn apply_fault(&self, fault: Fault, i: usize, slot: usize) -> bool {
        let node = self.indirect(i);
        let _g = node.mu.lock();
        let n = node.load(slot);
        if !n.is_entry() || node.dead.load(Ordering::SeqCst) {
            return false;
        }
        let level_shift = self.shift_of(i);
        match fault {
            Fault::Grow | Fault::SameSizeGrow => {
                let Some(shift) = level_shift.checked_sub(CHILDREN_LOG2) else {
                    return false;
                };
                let Some(below) = shift.checked_sub(CHILDREN_LOG2) else {
                    return false;
                };
                let hash = self.hash(self.entry(n).key);
                let ind = self.new_indirect(Some(i));
                self.indirect(ind).store(Self::index(hash, below), n);
                node.store(slot, NodeRef::indirect(ind));
                crate::sync::cover(crate::sync::Cover::TrieForcedExpand);
                true
            }
            Fault::Evacuate => {
                let e = self.entry(n);
                node.store(slot, self.new_entry(e.key, e.value, e.overflow()));
                true
            }
            Fault::WithholdEvacuation | Fault::Promote | Fault::RebuildDirty => false,
        }
    }

    /// The shift of the level *above* node `i`'s children plus 4: `HASH_BITS`
    /// for the root, 4 less per level down (found by walking up parents).
    fn shift_of(&self, mut i: usize) -> u32 {
        let mut shift = HASH_BITS;
        while let Some(p) = self.indirect(i).parent {
            shift -= CHILDREN_LOG2;
            i = p;
        }
        shift
    }

    /// The first entry slot of the trie in index order, for the resize hook.
    fn first_entry_slot(&self, i: usize) -> Option<(usize, usize)> {
        for slot in 0..CHILDREN {
            let n = self.indirect(i).load(slot);
            if n.is_entry() {
                return Some((i, slot));
            }
            if n.is_indirect() {
                if let Some(found) = self.first_entry_slot(n.index()) {
                    return Some(found);
                }
            }
        }
        None
    }

    /// `iter`: every entry under node `i`, in index order.
    fn iter(&self, i: usize, f: &mut dyn FnMut(Key, Value) -> bool) -> bool {
        for slot in 0..CHILDREN {
            let n = self.load_slot(i, slot);
            if n.is_nil() {
                continue;
            }
            if n.is_indirect() {
                if !self.iter(n.index(), f) {
                    return false;
                }
                continue;
            }
            let mut e = n;
            while !e.is_nil() {
                let entry = self.entry(e);
                if !f(entry.key, entry.value) {
                    return false;
                }
                e = entry.overflow();
            }
        }
        true
    }
}

impl ChaosMap for HashTrieMap {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        let n = self.walk(self.hash(key)).n;
        Ok(if n.is_nil() {
            None
        } else {
            self.lookup(n, key)
        })
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.swap_inner(key, value).map(|_| ())
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.delete_inner(key, None).map(|_| ())
    }

    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        let hash = self.hash(key);
        let (spot, _g) = loop {
            let mut spot = self.walk(hash);
            // An entry holding the key ends the operation without a lock.
            if let Some(v) = spot
                .n
                .is_entry()
                .then(|| self.lookup(spot.n, key))
                .flatten()
            {
                return Ok((v, true));
            }
            if let Some(g) = self.lock_and_recheck(&mut spot) {
                break (spot, g);
            }
        };
        if !spot.n.is_nil() {
            // By loading again, what we wanted may be here after all.
            if let Some(v) = self.lookup(spot.n, key) {
                return Ok((v, true));
            }
        }
        let n = if spot.n.is_nil() {
            self.new_entry(key, value, NodeRef::NIL)
        } else {
            self.expand(spot.n, key, value, hash, &spot)
        };
        self.publish(&spot, n);
        Ok((value, false))
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        self.delete_inner(key, None)
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        self.swap_inner(key, value)
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        let hash = self.hash(key);
        let Some((spot, _g)) = self.find(key, hash, Some(old)) else {
            return Ok(false);
        };
        // `entry.compareAndSwap`: only if the value still matches.
        if self.lookup(spot.n, key) != Some(old) {
            return Ok(false);
        }
        let Some((head, _)) = self.swap_in_chain(spot.n, key, new) else {
            return Ok(false);
        };
        self.publish(&spot, head);
        Ok(true)
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        self.delete_inner(key, Some(old)).map(|v| v.is_some())
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        self.iter(self.root(), f);
        Ok(())
    }

    fn clear(&self) -> OpResult<()> {
        // It is enough to drop the root on the floor; the root is never nil.
        let root = self.new_indirect(None);
        self.root.store(root as u64, Ordering::SeqCst);
        Ok(())
    }

    /// `sync.Map` has no `len`.
    fn len(&self) -> Option<OpResult<usize>> {
        None
    }

    /// Applied to the first entry slot of the trie, in index order.
    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        Ok(self
            .first_entry_slot(self.root())
            .is_some_and(|(i, slot)| self.apply_fault(fault, i, slot)))
    }

    fn interleaving_classes(&self) -> &'static [crate::sync::Class] {
        crate::sync::TRIE_CLASSES
    }

    fn check_invariants(&self) -> Vec<Violation> {
        self.invariant_violations()
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::WeakConsistent
    }
}

#[cfg(test)]
mod tests;
