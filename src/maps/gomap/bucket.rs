//! Buckets (`bmap`), bucket arrays, and the arena that keeps every one of
//! them alive until the map is dropped (docs/go-maps.md §1.3, §1.4).
//!
//! Racing threads read buckets that a writer is changing, and iterators walk
//! arrays the map has already retired, so: every cell is an atomic, arrays and
//! overflow buckets are published with Release and read with Acquire, and
//! nothing is freed before the map itself. Retired allocations go on a
//! lock-free push-only list ([`Arena`]) — a lock there would add
//! synchronisation between racing threads and hide the races this map exists
//! to show.
//!
//! The `unsafe` code of `gomap` turns the atomic links back into references,
//! here. Its soundness rests on one invariant, stated on [`Link`]: a link
//! holds null or a pointer to an allocation of the arena of the map that owns
//! the link, and arenas free only in `Drop`. Storing into a link is therefore
//! `unsafe` ([`Link::store`], [`Bmap::set_overflow`],
//! `GoMap::new_overflow`): each caller, here and in `assign`, `clear`, `grow`
//! and the constructor, says in a `SAFETY` comment where its target comes
//! from.

use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use super::tophash::Tophash;
use crate::maps::Throw;

/// `bucketCnt`: slots per bucket.
pub(crate) const BUCKET_CNT: usize = 8;

/// One bucket (`bmap`): 8 tophash bytes, 8 keys, 8 elems, and the overflow
/// link to the next bucket of its chain (null at the end).
///
/// Slot data is read and written with `Relaxed`: Go's map races on it by
/// design, and the bucket itself was published with Release (see [`Link`]).
/// Constructed only by [`Arena`], so every `&Bmap` points into an arena.
///
/// `repr(C)` keeps Go's layout (144 bytes: tophash, keys, elems, overflow)
/// instead of letting Rust move the tophash bytes behind the keys: a search
/// then reads the tophash and the first keys from the same cache line.
#[repr(C)]
pub(crate) struct Bmap {
    tophash: [AtomicU8; BUCKET_CNT],
    keys: [AtomicU64; BUCKET_CNT],
    elems: [AtomicU64; BUCKET_CNT],
    overflow: Link<Bmap>,
}

impl Bmap {
    /// A zeroed bucket: every slot `emptyRest`, no overflow.
    fn zeroed() -> Bmap {
        Bmap {
            tophash: Default::default(),
            keys: Default::default(),
            elems: Default::default(),
            overflow: Link::null(),
        }
    }

    /// `tophash[i]` (`i` is taken mod 8, like Go's `i&(bucketCnt-1)`).
    #[inline(always)]
    pub(crate) fn tophash(&self, i: usize) -> Tophash {
        // Relaxed: slot data races in Go; the bucket was published with Release.
        Tophash(self.tophash[i % BUCKET_CNT].load(Ordering::Relaxed))
    }

    /// `tophash[i] = t`.
    #[inline(always)]
    pub(crate) fn set_tophash(&self, i: usize, t: Tophash) {
        // Relaxed: slot data races in Go; the bucket was published with Release.
        self.tophash[i % BUCKET_CNT].store(t.0, Ordering::Relaxed);
    }

    /// The key in slot `i`.
    #[inline(always)]
    pub(crate) fn key(&self, i: usize) -> u64 {
        // Relaxed: slot data races in Go; the bucket was published with Release.
        self.keys[i % BUCKET_CNT].load(Ordering::Relaxed)
    }

    /// Stores the key of slot `i`.
    #[inline(always)]
    pub(crate) fn set_key(&self, i: usize, key: u64) {
        // Relaxed: slot data races in Go; the bucket was published with Release.
        self.keys[i % BUCKET_CNT].store(key, Ordering::Relaxed);
    }

    /// The elem (value) in slot `i`.
    #[inline(always)]
    pub(crate) fn elem(&self, i: usize) -> u64 {
        // Relaxed: slot data races in Go; the bucket was published with Release.
        self.elems[i % BUCKET_CNT].load(Ordering::Relaxed)
    }

    /// Stores the elem of slot `i`.
    #[inline(always)]
    pub(crate) fn set_elem(&self, i: usize, elem: u64) {
        // Relaxed: slot data races in Go; the bucket was published with Release.
        self.elems[i % BUCKET_CNT].store(elem, Ordering::Relaxed);
    }

    /// `b.overflow(t)`: the next bucket of the chain.
    #[inline(always)]
    pub(crate) fn overflow(&self) -> Option<&Bmap> {
        self.overflow.load()
    }

    /// `b.setoverflow(t, ovf)`.
    ///
    /// # Safety
    ///
    /// If `ovf` is `Some(o)`, `o` must have been allocated by the same
    /// [`Arena`] as `self` (each alone, or inside a bucket array): the
    /// precondition of [`Link::store`] for the overflow link, which lives in
    /// `self`. `None` is always allowed.
    #[expect(unsafe_code, reason = "storing into a link is unsafe: see Link::store")]
    #[inline]
    pub(crate) unsafe fn set_overflow(&self, ovf: Option<&Bmap>) {
        // SAFETY: the link is `self.overflow`, which lives in `self`, so the
        // arena that owns it is the one that allocated `self`; the caller
        // guarantees `ovf` is `None` or an allocation of that arena.
        #[expect(unsafe_code, reason = "forwards set_overflow's own contract")]
        unsafe {
            self.overflow.store(ovf);
        }
    }

    /// Zeroes the whole bucket, overflow link included (`memclr` in `mapclear`).
    pub(crate) fn zero(&self) {
        for i in 0..BUCKET_CNT {
            self.set_tophash(i, Tophash::EMPTY_REST);
            self.set_key(i, 0);
            self.set_elem(i, 0);
        }
        // SAFETY: `None` is always allowed: there is no target to keep alive.
        #[expect(unsafe_code, reason = "unlinking needs no arena argument")]
        unsafe {
            self.set_overflow(None);
        }
    }

    /// `evacuated(b)`: this head bucket's slot 0 holds an evacuation mark.
    #[inline(always)]
    pub(crate) fn evacuated(&self) -> bool {
        self.tophash(0).is_evacuated_mark()
    }
}

/// An array of 2^B head buckets. Constructed only by [`Arena`].
pub(crate) struct BucketArray {
    bmaps: Box<[Bmap]>,
}

impl BucketArray {
    /// Bucket `i`, or [`Throw::Fault`] where Go would have read outside the
    /// array: a racing reader can combine `B` (or `nevacuate`) of one
    /// generation with the array of another.
    #[inline(always)]
    pub(crate) fn bucket(&self, i: usize) -> Result<&Bmap, Throw> {
        self.bmaps.get(i).ok_or(Throw::Fault)
    }

    /// Number of buckets (2^B of the generation it was allocated for).
    pub(crate) fn len(&self) -> usize {
        self.bmaps.len()
    }

    /// The head buckets, in index order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Bmap> {
        self.bmaps.iter()
    }
}

/// An atomic pointer to a bucket array (`hmap.buckets`, `hmap.oldbuckets`)
/// or to an overflow bucket (`bmap.overflow`).
///
/// Invariant (the soundness argument of this module): a link holds null or a
/// pointer to an allocation of the [`Arena`] of the `GoMap` that owns the link
/// — the link sits in that map's header or in one of its buckets, and
/// [`Link::store`], `unsafe` for this reason, requires its target to come
/// from that map's own arena. The arena frees nothing before the map's
/// `Drop`, which needs `&mut`; so while anyone holds `&self` of a link, its
/// target is alive.
///
/// Store is Release and load is Acquire: the target was zero-initialised
/// with plain writes before it was published.
///
/// A link never owns its target (the arena does), hence a bare `AtomicPtr`.
pub(crate) struct Link<T> {
    ptr: AtomicPtr<T>,
}

impl<T> Link<T> {
    /// A null link.
    pub(crate) const fn null() -> Link<T> {
        Link {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The target, if any.
    #[inline(always)]
    pub(crate) fn load(&self) -> Option<&T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: by the invariant on `Link`, `p` is null or points to an
        // arena allocation of the map owning this link; that allocation is
        // freed only in the map's `Drop`, which cannot run while the caller
        // holds `&self` (a borrow of the map or of one of its buckets). The
        // target is only ever accessed through shared references, and the
        // Acquire load synchronises with the Release store that published it,
        // so its initialisation happens-before this read.
        #[expect(
            unsafe_code,
            reason = "a link points into its map's arena, alive while &self is"
        )]
        let target = unsafe { p.as_ref() };
        target
    }

    /// Publishes `target` (Release), or unlinks with `None`.
    ///
    /// # Safety
    ///
    /// If `target` is `Some(t)`, `t` must be an allocation of the [`Arena`]
    /// that owns this link: for a link in a `GoMap` header (`buckets`,
    /// `oldbuckets`), that map's `arena`; for the overflow link of a bucket,
    /// the arena that allocated the bucket (alone, or inside a bucket array).
    /// `None` is always allowed.
    ///
    /// [`Link::load`] relies on this to return `&T` for as long as `&self`
    /// lives: the arena frees `t` only in its `Drop`, which cannot run while
    /// the link (in the map's header, or in a bucket the arena owns) is
    /// borrowed. A `t` from any other arena, or not from an arena at all (a
    /// local, a `Box`), may be freed while the link still points to it, and a
    /// later `load` would hand out a dangling reference.
    #[expect(
        unsafe_code,
        reason = "the arena precondition is what makes Link::load sound"
    )]
    #[inline]
    pub(crate) unsafe fn store(&self, target: Option<&T>) {
        let p = target.map_or(ptr::null_mut(), |t| ptr::from_ref(t).cast_mut());
        self.ptr.store(p, Ordering::Release);
    }

    /// Whether the link is null.
    pub(crate) fn is_null(&self) -> bool {
        // Relaxed: only the null-ness is used, no data is read through it.
        self.ptr.load(Ordering::Relaxed).is_null()
    }
}

/// One arena allocation.
enum Payload {
    Array(BucketArray),
    Overflow(Bmap),
}

struct Node {
    /// Next older allocation. Written before the node is published, read
    /// only by `Drop`.
    next: AtomicPtr<Node>,
    payload: Payload,
}

/// Owns every bucket array and overflow bucket a map ever allocated, in a
/// lock-free push-only list, and frees them all in `Drop`.
pub(crate) struct Arena {
    head: AtomicPtr<Node>,
    /// Overflow buckets allocated so far: an upper bound on the length of any
    /// overflow chain, used to stop a chain walk on a (corrupted) cycle.
    overflow_allocated: AtomicUsize,
}

impl Arena {
    /// An empty arena.
    pub(crate) fn new() -> Arena {
        Arena {
            head: AtomicPtr::new(ptr::null_mut()),
            overflow_allocated: AtomicUsize::new(0),
        }
    }

    /// A fresh zeroed array of `n` buckets (`makeBucketArray`).
    pub(crate) fn alloc_array(&self, n: usize) -> &BucketArray {
        let bmaps = (0..n).map(|_| Bmap::zeroed()).collect();
        match self.push(Payload::Array(BucketArray { bmaps })) {
            Payload::Array(a) => a,
            Payload::Overflow(_) => unreachable!("push returns what it was given"),
        }
    }

    /// A fresh zeroed overflow bucket (`newobject(t.Bucket)` in `newoverflow`).
    pub(crate) fn alloc_overflow(&self) -> &Bmap {
        // Relaxed: a bound for cycle detection; the Release store of the link
        // that publishes this bucket orders this increment before any walker
        // that can reach it.
        self.overflow_allocated.fetch_add(1, Ordering::Relaxed);
        match self.push(Payload::Overflow(Bmap::zeroed())) {
            Payload::Overflow(b) => b,
            Payload::Array(_) => unreachable!("push returns what it was given"),
        }
    }

    fn push(&self, payload: Payload) -> &Payload {
        let node = Box::into_raw(Box::new(Node {
            next: AtomicPtr::new(ptr::null_mut()),
            payload,
        }));
        // SAFETY: `node` comes from `Box::into_raw` just above, so it is
        // valid and aligned. From here on the node is only accessed through
        // shared references (its mutable parts are atomics) until `Drop`
        // reclaims it with `&mut self`, after every borrow of `self` — and so
        // every reference returned here — has ended.
        #[expect(
            unsafe_code,
            reason = "hand out a shared reference into a node the arena owns"
        )]
        let node_ref: &Node = unsafe { &*node };
        // Relaxed: only `Drop` (exclusive access) walks the list, and pushing
        // never dereferences another node, so no ordering is needed here.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            node_ref.next.store(head, Ordering::Relaxed);
            match self
                .head
                .compare_exchange_weak(head, node, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        &node_ref.payload
    }

    /// The next bucket of a chain after `b`, counting hops; a walk longer
    /// than the number of overflow buckets ever allocated can only be a cycle
    /// in a corrupted map, reported as [`Throw::Fault`] instead of looping.
    /// (Links only ever point at freshly allocated buckets, so a cycle should
    /// be impossible even under races; this keeps every walk finite anyway.)
    #[inline(always)]
    pub(crate) fn next_in_chain<'a>(
        &self,
        b: &'a Bmap,
        hops: &mut usize,
    ) -> Result<Option<&'a Bmap>, Throw> {
        match b.overflow() {
            None => Ok(None),
            Some(next) => {
                *hops += 1;
                // Relaxed: a monotone counter read as a bound (see alloc_overflow).
                if *hops > self.overflow_allocated.load(Ordering::Relaxed) {
                    Err(Throw::Fault)
                } else {
                    Ok(Some(next))
                }
            }
        }
    }

    /// The buckets of the chain starting at `head`, head first.
    pub(crate) fn chain<'a>(&'a self, head: &'a Bmap) -> Chain<'a> {
        Chain {
            arena: self,
            next: Some(head),
            hops: 0,
            failed: false,
        }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        let mut p = *self.head.get_mut();
        while !p.is_null() {
            // SAFETY: every node on the list came from `Box::into_raw` in
            // `push` and was linked exactly once; `&mut self` proves no
            // reference handed out by this arena is still alive.
            #[expect(unsafe_code, reason = "reclaim the nodes leaked by push")]
            let mut node = unsafe { Box::from_raw(p) };
            p = *node.next.get_mut();
        }
    }
}

/// Iterator over the buckets of one chain; yields `Err(Fault)` once (then
/// ends) if the chain is longer than any legitimate chain can be.
pub(crate) struct Chain<'a> {
    arena: &'a Arena,
    next: Option<&'a Bmap>,
    hops: usize,
    failed: bool,
}

impl<'a> Iterator for Chain<'a> {
    type Item = Result<&'a Bmap, Throw>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let b = self.next?;
        match self.arena.next_in_chain(b, &mut self.hops) {
            Ok(n) => self.next = n,
            Err(t) => {
                self.failed = true;
                self.next = None;
                return Some(Err(t));
            }
        }
        Some(Ok(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn bucket_has_gos_size() {
        // 8 tophash bytes, 8 keys, 8 elems, the overflow pointer.
        assert_eq!(std::mem::size_of::<Bmap>(), 144);
    }

    #[test]
    fn buckets_and_links_are_shareable_between_threads() {
        assert_send_sync::<Bmap>();
        assert_send_sync::<BucketArray>();
        assert_send_sync::<Arena>();
        assert_send_sync::<Link<Bmap>>();
    }

    #[test]
    fn fresh_buckets_are_empty_rest_and_unlinked() {
        let arena = Arena::new();
        let a = arena.alloc_array(4);
        assert_eq!(a.len(), 4);
        for b in a.iter() {
            assert!((0..8).all(|i| b.tophash(i) == Tophash::EMPTY_REST));
            assert!(b.overflow().is_none());
        }
        assert_eq!(a.bucket(4).err(), Some(Throw::Fault));
    }

    #[test]
    fn chain_walk_follows_links_and_stops_on_a_cycle() {
        let arena = Arena::new();
        let a = arena.alloc_array(1);
        let head = a.bucket(0).unwrap();
        let o1 = arena.alloc_overflow();
        let o2 = arena.alloc_overflow();
        // SAFETY: `head`, `o1` and `o2` were all allocated by `arena`.
        #[expect(unsafe_code, reason = "link buckets of one arena")]
        unsafe {
            head.set_overflow(Some(o1));
            o1.set_overflow(Some(o2));
        }
        assert_eq!(arena.chain(head).filter(Result::is_ok).count(), 3);
        // Corrupt the chain into a cycle: the walk must end with a fault.
        // SAFETY: `o2` and `o1` were both allocated by `arena`.
        #[expect(unsafe_code, reason = "link buckets of one arena")]
        unsafe {
            o2.set_overflow(Some(o1));
        }
        let items: Vec<_> = arena.chain(head).collect();
        assert!(items.len() <= 4);
        assert_eq!(items.last().unwrap().as_ref().err(), Some(&Throw::Fault));
    }
}
