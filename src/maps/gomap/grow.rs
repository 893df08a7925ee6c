//! Growth (docs/go-maps.md §4): `hashGrow`, `growWork`, `evacuate`,
//! `advanceEvacuationMark`, `newoverflow`, `incrnoverflow`.
//!
//! Everything here runs inside a writer's window (`hashWriting` set by the
//! caller). Field stores are plain (Relaxed) in Go's order, so a racing
//! reader can observe any prefix of them; only array and overflow-bucket
//! pointers are Release, because their contents must be visible before they
//! are dereferenced.

use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{Bmap, BUCKET_CNT};
use super::tophash::Tophash;
use super::{bucket_shift, hash, GoMap, GoMapMutation, ITERATOR, OLD_ITERATOR, SAME_SIZE_GROW};
use crate::maps::Throw;
use crate::sync::{cover, yield_point, Cover, Site};

/// Old buckets `advanceEvacuationMark` scans past per call (an O(1) bound).
const EVACUATION_MARK_SCAN: usize = 1024;

/// An evacuation destination (`evacDst`): the bucket being filled and its
/// next free slot.
struct EvacDst<'a> {
    b: &'a Bmap,
    i: usize,
}

impl GoMap {
    /// `hashGrow`: swaps in a new array of 2^(B+1) buckets (or 2^B for a
    /// same-size grow) and makes the current one `oldbuckets`. Moves no
    /// entries; `growWork` does that incrementally.
    ///
    /// The caller decides the kind: a natural grow passes
    /// `!overLoadFactor(count+1, B)` (Go's test inside `hashGrow`), a forced
    /// one passes what the fault asked for.
    pub(super) fn hash_grow(&self, same_size: bool) {
        // Relaxed throughout: plain fields written under the writer's window.
        let b = self.b.load(Relaxed);
        let bigger = u8::from(!same_size);
        if same_size {
            self.update_flags(|f| f | SAME_SIZE_GROW);
        }
        let old = self.buckets.load();
        let new = self.arena.alloc_array(bucket_shift(b.wrapping_add(bigger)));
        // An iterator on the current array becomes an iterator on the old one.
        // Relaxed: a plain read in Go.
        let flags = self.flags.load(Relaxed);
        let mut new_flags = flags & !(ITERATOR | OLD_ITERATOR);
        if flags & ITERATOR != 0 {
            new_flags |= OLD_ITERATOR;
        }
        // Commit, in Go's order; a racing reader may see any prefix.
        self.b.store(b.wrapping_add(bigger), Relaxed);
        let _ = yield_point(Site::HashGrowCommit);
        self.flags.store(new_flags, Relaxed);
        let _ = yield_point(Site::HashGrowCommit);
        // SAFETY: `old` was loaded from `self.buckets`, which (the `Link`
        // invariant) holds null or an allocation of `self.arena`, the arena
        // that owns `self.oldbuckets`.
        #[expect(unsafe_code, reason = "publish an array of this map's arena")]
        unsafe {
            self.oldbuckets.store(old);
        }
        let _ = yield_point(Site::HashGrowCommit);
        // SAFETY: `new` was just allocated by `self.arena`, the arena that
        // owns `self.buckets`.
        #[expect(unsafe_code, reason = "publish an array of this map's arena")]
        unsafe {
            self.buckets.store(Some(new));
        }
        let _ = yield_point(Site::HashGrowCommit);
        self.nevacuate.store(0, Relaxed);
        let _ = yield_point(Site::HashGrowCommit);
        self.noverflow.store(0, Relaxed);
        // `extra.oldoverflow = extra.overflow; extra.overflow = nil`.
        self.oldoverflow.store(self.overflow.load(Relaxed), Relaxed);
        self.overflow.store(0, Relaxed);
    }

    /// `growWork(bucket)`: evacuate the old bucket feeding new bucket
    /// `bucket` (the one this write is about to use), then, if still
    /// growing, one more at `nevacuate` to guarantee progress. `withhold`
    /// (a [`crate::sync::Fault::WithholdEvacuation`]) skips only the second:
    /// the first must run, or the write would land in a new bucket whose
    /// old bucket still holds the key, duplicating it.
    pub(super) fn grow_work(&self, bucket: usize, withhold: bool) -> Result<(), Throw> {
        self.evacuate(bucket & self.oldbucketmask())?;
        if self.growing() {
            if withhold {
                cover(Cover::WithheldEvacuation);
            } else {
                // Relaxed: read under this thread's own write window.
                self.evacuate(self.nevacuate.load(Relaxed))?;
            }
        }
        Ok(())
    }

    /// `evacuate(oldbucket)`: moves every entry of old chain `oldbucket` to
    /// the new array — all to X (same index) in a same-size grow; to X or Y
    /// (index + `newbit`) by hash bit `newbit` in a doubling grow — marking
    /// each source slot. Returns whether this call moved the chain (false if
    /// it was already evacuated). Then advances `nevacuate` if it pointed here.
    ///
    /// The source slot's mark is written before its entry is copied, and
    /// slot 0's first, so a racing reader can see a bucket "evacuated" whose
    /// entries have not arrived yet (docs/go-maps.md §4.5's ordering fact).
    ///
    /// Old buckets are never cleared: a `map[uint64]uint64` bucket holds no
    /// pointers, for which Go skips clearing too, so iterators and racing
    /// readers holding the old array still read the old entries.
    pub(super) fn evacuate(&self, oldbucket: usize) -> Result<bool, Throw> {
        // A racing writer may have finished the grow: Go would dereference
        // nil oldbuckets here.
        let old = self.oldbuckets.load().ok_or(Throw::Fault)?;
        let newbit = self.noldbuckets();
        let ob = old.bucket(oldbucket)?;
        let moved = !ob.evacuated();
        if moved {
            self.evacuate_chain(ob, oldbucket, newbit)?;
        }
        // Relaxed: read under this thread's own write window.
        if oldbucket == self.nevacuate.load(Relaxed) {
            self.advance_evacuation_mark(newbit)?;
        }
        Ok(moved)
    }

    fn evacuate_chain(&self, ob: &Bmap, oldbucket: usize, newbit: usize) -> Result<(), Throw> {
        let new = self.buckets.load().ok_or(Throw::Fault)?;
        let same_size = self.same_size_grow();
        let mut x = EvacDst {
            b: new.bucket(oldbucket)?,
            i: 0,
        };
        let mut y = if same_size {
            None
        } else {
            Some(EvacDst {
                b: new.bucket(oldbucket.wrapping_add(newbit))?,
                i: 0,
            })
        };
        // Relaxed: a plain read in Go.
        let hash0 = self.hash0.load(Relaxed);
        let skip_overflow = self.mutation == Some(GoMapMutation::EvacuateSkipsOverflow);
        let mut b = ob;
        let mut hops = 0;
        loop {
            // The deliberate bug: overflow buckets' entries are marked moved
            // but never copied.
            let drop_entries = skip_overflow && hops > 0;
            for i in 0..BUCKET_CNT {
                let top = b.tophash(i);
                if top.is_empty() {
                    b.set_tophash(i, Tophash::EVACUATED_EMPTY);
                    continue;
                }
                if !top.is_full() {
                    return Err(Throw::BadMapState);
                }
                let key = b.key(i);
                let use_y = !same_size && hash::hash(key, hash0) & newbit as u64 != 0;
                b.set_tophash(
                    i,
                    if use_y {
                        Tophash::EVACUATED_Y
                    } else {
                        Tophash::EVACUATED_X
                    },
                );
                let _ = yield_point(Site::EvacuateSlot);
                if drop_entries {
                    continue;
                }
                let dst = match (use_y, y.as_mut()) {
                    (false, _) => &mut x,
                    (true, Some(y)) => y,
                    (true, None) => return Err(Throw::Fault),
                };
                if dst.i == BUCKET_CNT {
                    // SAFETY: `dst.b` is a bucket of `new` (loaded from
                    // `self.buckets`, so allocated by `self.arena` by the
                    // `Link` invariant) or an overflow bucket an earlier
                    // `new_overflow` of this map allocated from `self.arena`.
                    #[expect(unsafe_code, reason = "chain onto a bucket of this map")]
                    let ovf = unsafe { self.new_overflow(dst.b) };
                    dst.b = ovf;
                    dst.i = 0;
                }
                dst.b.set_tophash(dst.i, top);
                dst.b.set_key(dst.i, key);
                dst.b.set_elem(dst.i, b.elem(i));
                dst.i += 1;
            }
            match self.arena.next_in_chain(b, &mut hops)? {
                Some(next) => b = next,
                None => break,
            }
        }
        if hops > 0 {
            cover(Cover::EvacuatedOverflowChain);
        }
        Ok(())
    }

    /// `advanceEvacuationMark`: moves `nevacuate` past this bucket and past
    /// up to 1024 further already-evacuated ones; when it reaches the end,
    /// the grow is over: `oldbuckets = nil`, `sameSizeGrow` cleared
    /// (`oldIterator` is left for the next `hashGrow` to recompute).
    fn advance_evacuation_mark(&self, newbit: usize) -> Result<(), Throw> {
        let _ = yield_point(Site::AdvanceEvacuationMark);
        let old = self.oldbuckets.load().ok_or(Throw::Fault)?;
        // Relaxed: plain field stores in Go; a racing reader sees each step.
        let mut nevacuate = self.nevacuate.load(Relaxed).wrapping_add(1);
        self.nevacuate.store(nevacuate, Relaxed);
        let stop = nevacuate.saturating_add(EVACUATION_MARK_SCAN).min(newbit);
        // `!=` like Go; a corrupted `nevacuate` past `stop` runs off the array
        // into a fault instead of looping.
        while nevacuate != stop && old.bucket(nevacuate)?.evacuated() {
            nevacuate = nevacuate.wrapping_add(1);
            self.nevacuate.store(nevacuate, Relaxed);
        }
        if nevacuate == newbit {
            // SAFETY: `None` is always allowed: there is no target to keep alive.
            #[expect(unsafe_code, reason = "unlinking needs no arena argument")]
            unsafe {
                self.oldbuckets.store(None);
            }
            self.oldoverflow.store(0, Relaxed);
            self.update_flags(|f| f & !SAME_SIZE_GROW);
            cover(Cover::GrowFinished);
        }
        Ok(())
    }

    /// `newoverflow(b)`: a fresh overflow bucket, counted by `incrnoverflow`
    /// and linked after `b`.
    ///
    /// # Safety
    ///
    /// `b` must be a bucket of this map: allocated by `self.arena` (as an
    /// overflow bucket or inside a bucket array), as is every bucket reached
    /// from `self.buckets` or `self.oldbuckets`. The new bucket comes from
    /// `self.arena`, so linking it after a bucket of another arena would
    /// break [`Bmap::set_overflow`]'s precondition.
    #[expect(unsafe_code, reason = "links into b, so b must be of this map's arena")]
    pub(super) unsafe fn new_overflow<'a>(&'a self, b: &'a Bmap) -> &'a Bmap {
        let ovf = self.arena.alloc_overflow();
        self.incrnoverflow();
        // Relaxed: Go appends to extra.overflow with plain writes.
        let n = self.overflow.load(Relaxed);
        self.overflow.store(n.wrapping_add(1), Relaxed);
        let _ = yield_point(Site::NewOverflow);
        // SAFETY: `ovf` was just allocated by `self.arena`, and the caller
        // guarantees `b` was too.
        #[expect(unsafe_code, reason = "link a bucket of this map's arena")]
        unsafe {
            b.set_overflow(Some(ovf));
        }
        ovf
    }

    /// `incrnoverflow`: exact below B = 16; above, increments with
    /// probability 1/2^(B−15) so that `noverflow` (a u16) reaching 2^15
    /// still means "about 2^B overflow buckets".
    fn incrnoverflow(&self) {
        // Relaxed: plain field read-modify-write in Go.
        let b = self.b.load(Relaxed);
        if b < 16 {
            let n = self.noverflow.load(Relaxed);
            self.noverflow.store(n.wrapping_add(1), Relaxed);
            return;
        }
        let mask = 1u32
            .checked_shl(u32::from(b - 15))
            .unwrap_or(0)
            .wrapping_sub(1);
        if self.rng.next_u32() & mask == 0 {
            let n = self.noverflow.load(Relaxed);
            self.noverflow.store(n.wrapping_add(1), Relaxed);
        }
    }
}
