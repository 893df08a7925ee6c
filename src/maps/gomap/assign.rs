//! Assign (docs/go-maps.md §3.2): `mapassign`, and the caller's value store after the
//! write window.
//!
//! Not a faithful port of `mapassign_fast64`, which a `map[uint64]uint64`
//! runs in Go. It takes two things from it: the `_fast64` write order (the
//! new slot's tophash, then its key, then `count`; generic `mapassign` writes
//! the key before the tophash) and its growth and overflow steps. But the
//! bucket loop that looks for the key is generic `mapassign`'s:
//!
//! - here (generic): a slot whose tophash is not the key's is skipped (an
//!   empty one remembered as the insert slot, `emptyRest` ending the scan);
//!   only a slot whose tophash matches has its key compared;
//! - `mapassign_fast64`: an empty slot is remembered (`emptyRest` ends the
//!   scan); every other slot has its key compared; the tophash never is.
//!
//! The two agree on every slot except a non-empty one whose tophash is not
//! the key's top hash while its key cell holds the key: fast64 takes it as
//! the key's slot (its value is stored there, `count` unchanged); this loop
//! skips it and goes on to insert the key in another slot (`count + 1`).
//! A consistent map has no such slot. Under a race it has: when a racing
//! writer has stored a slot's tophash but not yet its key (an assign in its
//! `Site::AssignKeyStored` window) while the key cell still holds an older
//! key — a deleted entry's, since deletes leave keys in place as Go does for
//! pointer-free keys, or 0 in a slot never used; or when `hash0` was reseeded
//! with entries still in the map (racing writers lost a `count++`, and a
//! delete then took `count` to 0). In those executions Go's compiled map can
//! behave differently from this one.
//!
//! Kept deliberately: porting fast64's loop left every fixture replaying
//! identically, but changed the history of about 1% of racy `gomap` sched
//! executions (3,947 of 400,000 seeds over eight scenarios), so it would be a
//! behaviour change, not a refactor.

use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{Bmap, BUCKET_CNT};
use super::tophash::Tophash;
use super::{bucket_mask, over_load_factor, too_many_overflow_buckets, GoMap};
use crate::maps::Throw;
use crate::sync::Access;
use crate::sync::{cover, yield_point, Cover, Fault, Site};

impl GoMap {
    /// `m[key] = value`: `mapassign`, then the caller's store of the value
    /// into the returned slot — after the write window closed, as compiled
    /// Go does, so a racing reader can see the key with its previous value.
    pub fn insert(&self, key: u64, value: u64) -> Result<(), Throw> {
        let _race = self.note_access(Access::Write);
        let (b, i) = self.map_assign(key)?;
        let _ = yield_point(Site::AssignValue);
        b.set_elem(i, value);
        Ok(())
    }

    /// `mapassign`: finds or makes the slot for `key` and returns it.
    fn map_assign(&self, key: u64) -> Result<(&Bmap, usize), Throw> {
        self.check_not_writing()?;
        let _ = yield_point(Site::AssignChecked);
        let hash = self.hash(key);
        // Set the flag after hashing, as Go does (the hasher may panic).
        self.toggle_writing();
        let fault = yield_point(Site::AssignFlagSet);
        if self.buckets.is_null() {
            // makemap_small left B = 0 and no array: allocate its one bucket.
            // SAFETY: the array is allocated by `self.arena`, the arena
            // that owns `self.buckets`.
            #[expect(unsafe_code, reason = "publish an array of this map's arena")]
            unsafe {
                self.buckets.store(Some(self.arena.alloc_array(1)));
            }
        }
        self.apply_fault(Site::AssignFlagSet, fault)?;
        let top = Tophash::from_hash(hash);

        // `again:` — growing invalidates the bucket choice, so start over.
        loop {
            // Relaxed: plain field reads inside this thread's write window.
            let b = self.b.load(Relaxed);
            let bucket = hash as usize & bucket_mask(b);
            let fault = yield_point(Site::GrowWork);
            if self.apply_fault(Site::GrowWork, fault)? {
                continue;
            }
            if self.growing() {
                cover(if self.same_size_grow() {
                    Cover::WriteDuringSameSizeGrow
                } else {
                    Cover::WriteDuringGrow
                });
                self.grow_work(bucket, fault == Some(Fault::WithholdEvacuation))?;
            }
            let head = self.buckets.load().ok_or(Throw::Fault)?.bucket(bucket)?;

            // Scan the chain: an existing slot for the key, else the first
            // empty slot as the insert position. Generic `mapassign`'s loop,
            // tophash before key, not fast64's (see the module docs).
            let mut insert: Option<(&Bmap, usize)> = None;
            let mut last = head;
            let mut hops = 0;
            'chain: loop {
                for i in 0..BUCKET_CNT {
                    let t = last.tophash(i);
                    if t != top {
                        if t.is_empty() && insert.is_none() {
                            insert = Some((last, i));
                        }
                        if t == Tophash::EMPTY_REST {
                            break 'chain;
                        }
                        continue;
                    }
                    if last.key(i) != key {
                        continue;
                    }
                    // Already present: count unchanged, no growth check.
                    let _ = yield_point(Site::AssignInsertSlot);
                    return self.assign_done(last, i);
                }
                match self.arena.next_in_chain(last, &mut hops)? {
                    Some(next) => last = next,
                    None => break,
                }
            }

            // A new key. Only a new key can start a grow, and only when none runs.
            if !self.growing() {
                // Relaxed: plain field reads inside this thread's write window.
                let count = self.count.load(Relaxed);
                let over_load = over_load_factor(count.wrapping_add(1), b);
                if over_load || too_many_overflow_buckets(self.noverflow.load(Relaxed), b) {
                    self.hash_grow(!over_load);
                    cover(if over_load {
                        Cover::Grow
                    } else {
                        Cover::SameSizeGrow
                    });
                    continue;
                }
            }
            let (ib, ii) = match insert {
                Some(slot) => slot,
                // The whole chain is full: chain a new overflow bucket.
                // SAFETY: `last` is `head` (a bucket of the array loaded from
                // `self.buckets`) or reached from it by overflow links: by
                // the `Link` invariant, allocated by `self.arena`.
                #[expect(unsafe_code, reason = "chain onto a bucket of this map")]
                None => (unsafe { self.new_overflow(last) }, 0),
            };
            let _ = yield_point(Site::AssignInsertSlot);
            // The _fast64 order: tophash first, then the key, then count.
            ib.set_tophash(ii, top);
            let _ = yield_point(Site::AssignKeyStored);
            ib.set_key(ii, key);
            // Relaxed: `h.count++` is a plain read-modify-write in Go.
            let count = self.count.load(Relaxed);
            self.count.store(count.wrapping_add(1), Relaxed);
            let _ = yield_point(Site::AssignCounted);
            return self.assign_done(ib, ii);
        }
    }

    /// `done:` the exit check and flag clear; returns the elem slot.
    #[inline(always)]
    fn assign_done<'a>(&self, b: &'a Bmap, i: usize) -> Result<(&'a Bmap, usize), Throw> {
        let _ = yield_point(Site::AssignExit);
        self.finish_writing()?;
        Ok((b, i))
    }
}
