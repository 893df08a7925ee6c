//! Groups (docs/go-swiss-map.md §3) and the arena that keeps every group,
//! table and directory alive until the map drops.
//!
//! A group is a control word and 8 slots of `{key, elem}`, every one an
//! atomic accessed as Go accesses plain memory (Relaxed): racing threads see
//! torn groups exactly where Go's would, and Rust stays sound.
//!
//! The arena hands out indices, not references: the header, directories and
//! iterators hold `usize` ids the way Go holds pointers, so a racing reader
//! that combines fields of two generations indexes the wrong arena or an id
//! not yet filled, and gets [`Throw::Fault`] (Go's wild pointer) instead of
//! undefined behaviour. Nothing is freed before the map: retired tables,
//! directories and small groups stay readable, as Go's garbage collector
//! keeps them while anyone points at them.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;

use super::ctrl::{self, BITSET_EMPTY, CTRL_EMPTY, SLOTS};
use crate::maps::Throw;

/// A null id (Go's nil pointer).
pub(super) const NIL: usize = usize::MAX;

/// One slot: `{key, elem}`.
#[derive(Debug, Default)]
pub(super) struct Slot {
    pub(super) key: AtomicU64,
    pub(super) elem: AtomicU64,
}

/// A group: `ctrlGroup` then 8 slots.
#[derive(Debug)]
pub(super) struct Group {
    ctrl: AtomicU64,
    pub(super) slots: [Slot; SLOTS],
}

impl Group {
    /// A group whose control word is `bitsetEmpty`.
    pub(super) fn empty() -> Group {
        Group {
            ctrl: AtomicU64::new(BITSET_EMPTY),
            slots: Default::default(),
        }
    }

    /// The control word (a plain 8-byte load in Go).
    #[inline(always)]
    pub(super) fn ctrls(&self) -> u64 {
        // Relaxed: a plain load in Go.
        self.ctrl.load(Relaxed)
    }

    /// `ctrls().set(i, c)`: a one-byte store, which leaves the other seven
    /// bytes as racing writers left them (a read-modify-write of the word
    /// would lose their stores; a byte store does not).
    #[inline(always)]
    pub(super) fn set_ctrl(&self, i: usize, c: u8) {
        // Relaxed: a plain byte store in Go. The update closure never fails.
        let _ = self
            .ctrl
            .fetch_update(Relaxed, Relaxed, |w| Some(ctrl::with(w, i, c)));
    }

    /// `ctrls().setEmpty()`.
    pub(super) fn set_empty(&self) {
        // Relaxed: a plain store in Go.
        self.ctrl.store(BITSET_EMPTY, Relaxed);
    }

    /// `typedmemclr` of the whole group (control word included, so a racing
    /// reader may see eight "full" slots of H2 0 until `set_empty`).
    pub(super) fn zero(&self) {
        // Relaxed: plain stores in Go.
        self.ctrl.store(0, Relaxed);
        for s in &self.slots {
            s.key.store(0, Relaxed);
            s.elem.store(0, Relaxed);
        }
    }

    #[inline(always)]
    pub(super) fn key(&self, i: usize) -> u64 {
        // Relaxed: a plain load in Go.
        self.slots[i].key.load(Relaxed)
    }

    #[inline(always)]
    pub(super) fn elem(&self, i: usize) -> u64 {
        // Relaxed: a plain load in Go.
        self.slots[i].elem.load(Relaxed)
    }

    #[inline(always)]
    pub(super) fn set_key(&self, i: usize, k: u64) {
        // Relaxed: a plain store in Go.
        self.slots[i].key.store(k, Relaxed);
    }

    #[inline(always)]
    pub(super) fn set_elem(&self, i: usize, v: u64) {
        // Relaxed: a plain store in Go.
        self.slots[i].elem.store(v, Relaxed);
    }

    /// Full slots (control byte `0hhhhhhh`).
    pub(super) fn full_count(&self) -> usize {
        ctrl::match_full(self.ctrls()).count_ones() as usize
    }

    /// Whether byte `i` is full.
    pub(super) fn is_full(&self, i: usize) -> bool {
        ctrl::get(self.ctrls(), i) & CTRL_EMPTY == 0
    }
}

/// Segments of the arena: segment `s` holds `2^s` entries.
const SEGMENTS: usize = 48;

/// An append-only arena of `T`, addressed by index; lock-free to read.
/// Sound without `unsafe`: each entry is a `OnceLock`, filled once.
pub(super) struct Arena<T> {
    segments: [OnceLock<Box<[OnceLock<T>]>>; SEGMENTS],
    next: AtomicUsize,
}

impl<T> std::fmt::Debug for Arena<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Arena({} entries)", self.len())
    }
}

fn locate(i: usize) -> (usize, usize) {
    let n = i + 1;
    let s = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (s, n - (1 << s))
}

impl<T> Arena<T> {
    pub(super) fn new() -> Arena<T> {
        Arena {
            segments: std::array::from_fn(|_| OnceLock::new()),
            next: AtomicUsize::new(0),
        }
    }

    /// Stores `v` and returns its id (Go's allocator: thread-safe, so a
    /// real atomic increment here).
    pub(super) fn alloc(&self, v: T) -> usize {
        // Relaxed: only distinctness matters; the OnceLock publishes `v`.
        let i = self.next.fetch_add(1, Relaxed);
        let (s, o) = locate(i);
        let seg =
            self.segments[s].get_or_init(|| (0..1usize << s).map(|_| OnceLock::new()).collect());
        // Never fails: index `i` is handed out once.
        let _ = seg[o].set(v);
        i
    }

    /// The entry `i`, or `None` for nil, an id never handed out, or one
    /// whose entry a racing thread has not stored yet.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&T> {
        if i == NIL {
            return None;
        }
        let (s, o) = locate(i);
        self.segments.get(s)?.get()?.get(o)?.get()
    }

    /// [`Arena::get`], a miss being Go's wild pointer: [`Throw::Fault`].
    #[inline]
    pub(super) fn at(&self, i: usize) -> Result<&T, Throw> {
        self.get(i).ok_or(Throw::Fault)
    }

    /// How many ids were handed out.
    pub(super) fn len(&self) -> usize {
        // Relaxed: a statistic.
        self.next.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_ids_are_dense_and_misses_are_faults() {
        let a = Arena::new();
        for i in 0..100u64 {
            assert_eq!(a.alloc(i), i as usize);
        }
        assert_eq!(a.get(57), Some(&57));
        assert_eq!(a.get(100), None);
        assert_eq!(a.get(NIL), None);
        assert_eq!(a.at(1 << 40), Err(Throw::Fault));
        assert_eq!(a.len(), 100);
    }

    #[test]
    fn a_byte_store_keeps_the_other_bytes() {
        let g = Group::empty();
        g.set_ctrl(2, 0x11);
        g.set_ctrl(5, 0x22);
        assert_eq!(g.full_count(), 2);
        assert!(g.is_full(2) && g.is_full(5) && !g.is_full(0));
        g.zero();
        assert_eq!(g.full_count(), 8);
        g.set_empty();
        assert_eq!(g.full_count(), 0);
    }
}
