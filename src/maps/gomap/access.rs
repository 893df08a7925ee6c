//! Lookup (docs/go-maps.md §3.1): `mapaccess2` and the iterator's `mapaccessK`.
//!
//! A lookup checks `hashWriting` once, on entry, and never again; it never
//! evacuates, allocates or touches flags. During a grow it searches the old
//! bucket if that one has not been evacuated yet. The caller's copy of the
//! value happens after the search returned, outside any check.

use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{Bmap, BUCKET_CNT};
use super::tophash::Tophash;
use super::{bucket_mask, GoMap, HASH_WRITING};
use crate::maps::Throw;
use crate::sync::Access;
use crate::sync::{cover, yield_point, Cover, Site};

impl GoMap {
    /// `v, ok := m[key]`: `mapaccess2` and the caller's copy of the value.
    ///
    /// An empty map answers without any check; otherwise a writer inside its
    /// window is reported as `concurrent map read and map write` — if this
    /// thread happens to see its flag (best-effort, like Go).
    pub fn get(&self, key: u64) -> Result<Option<u64>, Throw> {
        let _race = self.note_access(Access::Read);
        // Relaxed: count and flags are plain fields that Go reads unsynchronised.
        if self.count.load(Relaxed) == 0 {
            return Ok(None);
        }
        if self.flags.load(Relaxed) & HASH_WRITING != 0 {
            return Err(Throw::ConcurrentMapReadAndMapWrite);
        }
        let _ = yield_point(Site::AccessChecked);
        let hash = self.hash(key);
        let head = self.find_chain(hash, true)?;
        let _ = yield_point(Site::AccessBucketChosen);
        match self.search(head, key, hash)? {
            None => Ok(None),
            Some((b, i)) => {
                let _ = yield_point(Site::AccessValueCopy);
                Ok(Some(b.elem(i)))
            }
        }
    }

    /// `mapaccessK`: the same search with no flag check, returning the
    /// stored key and elem (the iterator's re-lookup of moved entries).
    pub(super) fn map_access_k(&self, key: u64) -> Result<Option<(u64, u64)>, Throw> {
        // Relaxed: a plain read in Go.
        if self.count.load(Relaxed) == 0 {
            return Ok(None);
        }
        let hash = self.hash(key);
        let head = self.find_chain(hash, false)?;
        Ok(self
            .search(head, key, hash)?
            .map(|(b, i)| (b.key(i), b.elem(i))))
    }

    /// The head of the chain `hash` lives in: `buckets[hash & mask(B)]`, or,
    /// during a grow, the old bucket feeding it if that one is not evacuated.
    /// `lookup` records the lookup coverage marks.
    #[inline(always)]
    fn find_chain(&self, hash: u64, lookup: bool) -> Result<&Bmap, Throw> {
        // Relaxed: B is a plain field; a racing grow may pair it with the
        // other generation's array, which the bounds checks turn into a fault.
        let mut m = bucket_mask(self.b.load(Relaxed));
        let buckets = self.buckets.load().ok_or(Throw::Fault)?;
        let mut head = buckets.bucket(hash as usize & m)?;
        if let Some(old) = self.oldbuckets.load() {
            if lookup {
                cover(Cover::ReadDuringGrow);
            }
            if !self.same_size_grow() {
                // There used to be half as many buckets; mask down one more power of two.
                m >>= 1;
            }
            let oldb = old.bucket(hash as usize & m)?;
            if !oldb.evacuated() {
                if lookup {
                    cover(Cover::ReadFromOldBucket);
                }
                head = oldb;
            }
        }
        Ok(head)
    }

    /// Searches the chain from `head` for `key`: compare the tophash, then
    /// the key; stop the whole chain at the first `emptyRest`.
    #[inline(always)]
    pub(super) fn search<'a>(
        &'a self,
        head: &'a Bmap,
        key: u64,
        hash: u64,
    ) -> Result<Option<(&'a Bmap, usize)>, Throw> {
        let top = Tophash::from_hash(hash);
        let mut b = head;
        let mut hops = 0;
        loop {
            for i in 0..BUCKET_CNT {
                let t = b.tophash(i);
                if t != top {
                    if t == Tophash::EMPTY_REST {
                        return Ok(None);
                    }
                    continue;
                }
                if b.key(i) == key {
                    return Ok(Some((b, i)));
                }
            }
            match self.arena.next_in_chain(b, &mut hops)? {
                Some(next) => b = next,
                None => return Ok(None),
            }
        }
    }
}
