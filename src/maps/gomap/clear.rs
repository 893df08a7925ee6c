//! Clear (docs/go-maps.md §3.4): `mapclear`, Go 1.21+.

use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{BucketArray, BUCKET_CNT};
use super::tophash::Tophash;
use super::{bucket_shift, GoMap, SAME_SIZE_GROW};
use crate::maps::Throw;
use crate::sync::Access;
use crate::sync::{yield_point, Site};

impl GoMap {
    /// `clear(m)`: removes every entry, keeps B and the bucket array (zeroed
    /// in place), ends any grow, resets `noverflow` and reseeds `hash0`.
    /// Every tophash of both arrays and their overflow buckets is first set
    /// to `emptyRest`, so live iterators produce nothing further (Go #59411).
    /// A no-op without any check on an empty map.
    pub fn clear(&self) -> Result<(), Throw> {
        let _race = self.note_access(Access::Write);
        // Relaxed: a plain read in Go.
        if self.count.load(Relaxed) == 0 {
            return Ok(());
        }
        self.check_not_writing()?;
        let _ = yield_point(Site::ClearChecked);
        self.toggle_writing();
        let _ = yield_point(Site::ClearWiping);

        // Relaxed: plain field reads and stores inside this thread's window.
        let b = self.b.load(Relaxed);
        let buckets = self.buckets.load();
        if let Some(a) = buckets {
            self.mark_buckets_empty(a, bucket_shift(b))?;
        }
        if let Some(old) = self.oldbuckets.load() {
            self.mark_buckets_empty(old, self.noldbuckets())?;
        }
        self.update_flags(|f| f & !SAME_SIZE_GROW);
        // SAFETY: `None` is always allowed: there is no target to keep alive.
        #[expect(unsafe_code, reason = "unlinking needs no arena argument")]
        unsafe {
            self.oldbuckets.store(None);
        }
        self.nevacuate.store(0, Relaxed);
        self.noverflow.store(0, Relaxed);
        self.overflow.store(0, Relaxed);
        self.oldoverflow.store(0, Relaxed);
        self.count.store(0, Relaxed);
        self.reseed();
        // Reuse the array: zero it in place, which also unlinks (drops) every
        // overflow chain.
        if let Some(a) = buckets {
            for head in a.iter() {
                head.zero();
            }
        }

        let _ = yield_point(Site::ClearExit);
        self.finish_writing()
    }

    /// `markBucketsEmpty`: every tophash of the first `n` chains of `a` to
    /// `emptyRest`.
    fn mark_buckets_empty(&self, a: &BucketArray, n: usize) -> Result<(), Throw> {
        for i in 0..n {
            for b in self.arena.chain(a.bucket(i)?) {
                let b = b?;
                for slot in 0..BUCKET_CNT {
                    b.set_tophash(slot, Tophash::EMPTY_REST);
                }
            }
        }
        Ok(())
    }
}
