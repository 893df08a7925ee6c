//! Iteration (docs/go-maps.md §5): `hiter`, `mapiterinit`, `mapiternext`.
//!
//! An iterator snapshots B and the bucket array at its start and walks all
//! 2^B chains from a random bucket, each at a random slot rotation. If a
//! grow is under way for that same array size, chains whose old bucket is
//! not evacuated yet are read from the old array, keeping only the entries
//! that belong to the new bucket being visited (`checkBucket`). Entries
//! found under an `evacuatedX/Y` mark (they moved after the iterator began)
//! are looked up again in the live map, so deleted keys are skipped and
//! values are current. Every step first checks `hashWriting`.
//!
//! Guarantees (docs/go-maps.md §5.4): each key present for the whole iteration is
//! produced exactly once; a key deleted before it is reached is not
//! produced; keys inserted meanwhile may or may not be; after `clear`,
//! nothing further is produced.

use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{Bmap, BucketArray, BUCKET_CNT};
use super::tophash::Tophash;
use super::{
    bucket_mask, bucket_shift, GoMap, GoMapMutation, HASH_WRITING, ITERATOR, OLD_ITERATOR,
};
use crate::maps::Throw;
use crate::sync::{cover, yield_point, Access, AccessGuard, Cover, Site};

/// `noCheck`: no bucket filter.
const NO_CHECK: usize = usize::MAX;

/// An iteration over a [`GoMap`] (`for k, v := range m`), created by
/// [`GoMap::iter`]. Yields `Ok((key, value))`, or one `Err` where Go would
/// have died (then `None` forever).
pub struct Iter<'a> {
    map: &'a GoMap,
    /// The whole walk is one read access for race detection (Go's `-race`
    /// sees every step as a read of the map; overlap of the walk with a
    /// write is what it reports).
    _race: AccessGuard,
    /// `None` once finished (or for an empty map).
    hiter: Option<Hiter<'a>>,
}

impl std::fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("done", &self.hiter.is_none())
            .finish_non_exhaustive()
    }
}

/// `hiter`'s walking state.
struct Hiter<'a> {
    /// `it.buckets`: the array at iterinit; kept alive by the map's arena.
    buckets: Option<&'a BucketArray>,
    /// `it.bptr`: the bucket being walked (None: pick the next chain).
    bptr: Option<&'a Bmap>,
    /// Overflow hops within the current chain (walks stay finite).
    hops: usize,
    start_bucket: usize,
    /// Slot rotation, the same in every bucket.
    offset: usize,
    wrapped: bool,
    /// `it.B`: B at iterinit.
    b: u8,
    /// Next slot (0..=8) of `bptr`.
    i: usize,
    /// Next chain index to walk.
    bucket: usize,
    /// `checkBucket`: the new bucket whose entries to keep while walking an
    /// old chain, or `NO_CHECK`.
    check_bucket: usize,
}

impl GoMap {
    /// `for k, v := range m`: `mapiterinit`. Nothing is checked or flagged
    /// for an empty map. Otherwise draws the random start from the map's
    /// seeded source and marks the map as iterated (`iterator | oldIterator`,
    /// with an atomic OR: concurrent iterators are legal). The first check
    /// happens at the first `next`, which Go's `mapiterinit` calls at once.
    pub fn iter(&self) -> Iter<'_> {
        let race = self.note_access(Access::Read);
        // Relaxed: a plain read in Go.
        if self.count.load(Relaxed) == 0 {
            return Iter {
                map: self,
                _race: race,
                hiter: None,
            };
        }
        // Relaxed: B is a plain field; `buckets` is Acquire (Link::load).
        let b = self.b.load(Relaxed);
        let buckets = self.buckets.load();
        let r = self.rng.next_u64() as usize;
        let start_bucket = r & bucket_mask(b);
        let offset = r.checked_shr(u32::from(b)).unwrap_or(0) & (BUCKET_CNT - 1);
        // Relaxed: a plain read in Go.
        if self.flags.load(Relaxed) & (ITERATOR | OLD_ITERATOR) != ITERATOR | OLD_ITERATOR {
            // Relaxed: the one atomic RMW on flags in Go (`atomic.Or8`), which
            // orders nothing else either.
            self.flags.fetch_or(ITERATOR | OLD_ITERATOR, Relaxed);
        }
        Iter {
            map: self,
            _race: race,
            hiter: Some(Hiter {
                buckets,
                bptr: None,
                hops: 0,
                start_bucket,
                offset,
                wrapped: false,
                b,
                i: 0,
                bucket: start_bucket,
                check_bucket: NO_CHECK,
            }),
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Result<(u64, u64), Throw>;

    fn next(&mut self) -> Option<Self::Item> {
        let it = self.hiter.as_mut()?;
        match it.next(self.map) {
            Ok(Some(kv)) => Some(Ok(kv)),
            Ok(None) => {
                self.hiter = None;
                None
            }
            Err(t) => {
                self.hiter = None;
                Some(Err(t))
            }
        }
    }
}

/// After its end (or its throw) an iterator yields `None` forever.
impl std::iter::FusedIterator for Iter<'_> {}

impl<'a> Hiter<'a> {
    /// `mapiternext`: the next entry, `None` at the end.
    fn next(&mut self, map: &'a GoMap) -> Result<Option<(u64, u64)>, Throw> {
        // Relaxed: Go's check is a plain load.
        if map.flags.load(Relaxed) & HASH_WRITING != 0 {
            return Err(Throw::ConcurrentMapIterationAndMapWrite);
        }
        let _ = yield_point(Site::IterChecked);
        if map.growing() {
            cover(Cover::IterDuringGrow);
        }
        loop {
            let b = match self.bptr {
                Some(b) => b,
                None => {
                    if self.bucket == self.start_bucket && self.wrapped {
                        return Ok(None);
                    }
                    let b = self.choose_bucket(map)?;
                    let _ = yield_point(Site::IterBucketChosen);
                    self.bucket = self.bucket.wrapping_add(1);
                    if self.bucket == bucket_shift(self.b) {
                        self.bucket = 0;
                        self.wrapped = true;
                    }
                    self.i = 0;
                    self.hops = 0;
                    self.bptr = Some(b);
                    b
                }
            };
            while self.i < BUCKET_CNT {
                let offi = (self.i + self.offset) & (BUCKET_CNT - 1);
                self.i += 1;
                let top = b.tophash(offi);
                if top.is_empty() || top == Tophash::EVACUATED_EMPTY {
                    continue;
                }
                let key = b.key(offi);
                if self.check_bucket != NO_CHECK && !map.same_size_grow() {
                    // Walking an old chain that splits in two: keep only the
                    // entries that go to the new bucket being visited.
                    if map.hash(key) as usize & bucket_mask(self.b) != self.check_bucket {
                        continue;
                    }
                }
                if !top.is_moved() {
                    // Golden data: the entry has not moved since iterinit.
                    return Ok(Some((key, b.elem(offi))));
                }
                // Moved since iterinit: find its current version, if any.
                cover(Cover::IterRelookup);
                let _ = yield_point(Site::IterRelookup);
                if let Some(kv) = map.map_access_k(key)? {
                    return Ok(Some(kv));
                }
            }
            self.bptr = map.arena.next_in_chain(b, &mut self.hops)?;
            self.i = 0;
        }
    }

    /// Picks the chain for `self.bucket`: the un-evacuated old bucket
    /// feeding it (filtered by `checkBucket`) if a grow for this array size
    /// is running, else the snapshot's bucket.
    fn choose_bucket(&mut self, map: &'a GoMap) -> Result<&'a Bmap, Throw> {
        let buckets = self.buckets.ok_or(Throw::Fault)?;
        self.check_bucket = NO_CHECK;
        if map.mutation == Some(GoMapMutation::IterIgnoresOldBuckets) {
            // The deliberate bug: never look at the old array.
            return buckets.bucket(self.bucket);
        }
        // Relaxed: plain reads in Go.
        if let Some(old) = map.oldbuckets.load() {
            if self.b == map.b.load(Relaxed) {
                let ob = old.bucket(self.bucket & map.oldbucketmask())?;
                if !ob.evacuated() {
                    self.check_bucket = self.bucket;
                    return Ok(ob);
                }
            }
        }
        buckets.bucket(self.bucket)
    }
}
