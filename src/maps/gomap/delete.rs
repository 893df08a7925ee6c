//! Delete (docs/go-maps.md §3.3, §2.2): `mapdelete`, with `emptyRest` maintenance.

use std::ptr;
use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{Bmap, BUCKET_CNT};
use super::tophash::Tophash;
use super::{bucket_mask, GoMap};
use crate::maps::Throw;
use crate::sync::Access;
use crate::sync::{cover, yield_point, Cover, Fault, Site};

impl GoMap {
    /// `delete(m, key)`: `mapdelete`. A no-op without any check on an empty
    /// map; otherwise a write even when the key is absent (it still runs
    /// `growWork` — Go issue #40327). Never starts a grow (unless the fault
    /// injector forces one), never shrinks. Emptying the map reseeds `hash0`.
    pub fn remove(&self, key: u64) -> Result<(), Throw> {
        let _race = self.note_access(Access::Write);
        // Relaxed: a plain read in Go.
        if self.count.load(Relaxed) == 0 {
            return Ok(());
        }
        self.check_not_writing()?;
        let _ = yield_point(Site::DeleteChecked);
        let hash = self.hash(key);
        self.toggle_writing();
        let fault = yield_point(Site::DeleteFlagSet);
        self.apply_fault(Site::DeleteFlagSet, fault)?;

        let head = loop {
            // Relaxed: a plain read inside this thread's write window.
            let bucket = hash as usize & bucket_mask(self.b.load(Relaxed));
            let fault = yield_point(Site::GrowWork);
            if self.apply_fault(Site::GrowWork, fault)? {
                continue; // a forced grow changed B: choose the bucket again
            }
            if self.growing() {
                cover(if self.same_size_grow() {
                    Cover::WriteDuringSameSizeGrow
                } else {
                    Cover::WriteDuringGrow
                });
                self.grow_work(bucket, fault == Some(Fault::WithholdEvacuation))?;
            }
            break self.buckets.load().ok_or(Throw::Fault)?.bucket(bucket)?;
        };

        let top = Tophash::from_hash(hash);
        let mut b = head;
        let mut hops = 0;
        'search: loop {
            for i in 0..BUCKET_CNT {
                let t = b.tophash(i);
                if t != top {
                    if t == Tophash::EMPTY_REST {
                        break 'search;
                    }
                    continue;
                }
                if b.key(i) != key {
                    continue;
                }
                // The key holds no pointers, so only the elem is cleared.
                b.set_elem(i, 0);
                b.set_tophash(i, Tophash::EMPTY_ONE);
                let _ = yield_point(Site::DeleteSlotCleared);
                self.mark_empty_rest(head, b, i)?;
                // Relaxed: `h.count--` is a plain read-modify-write in Go.
                let count = self.count.load(Relaxed).wrapping_sub(1);
                self.count.store(count, Relaxed);
                if count == 0 {
                    // Make repeated collision attacks harder (Go issue #25237).
                    self.reseed();
                }
                break 'search;
            }
            match self.arena.next_in_chain(b, &mut hops)? {
                Some(next) => b = next,
                None => break,
            }
        }

        let _ = yield_point(Site::DeleteExit);
        self.finish_writing()
    }

    /// After slot `i` of bucket `b` (in the chain from `head`) became
    /// `emptyOne`: if nothing full follows it in the chain, turn it and the
    /// run of `emptyOne` slots before it into `emptyRest`, so searches stop
    /// there. Keeps `emptyRest` suffix-closed in every chain (docs/go-maps.md §2.2).
    fn mark_empty_rest(&self, head: &Bmap, b: &Bmap, i: usize) -> Result<(), Throw> {
        if i == BUCKET_CNT - 1 {
            if let Some(next) = b.overflow() {
                if next.tophash(0) != Tophash::EMPTY_REST {
                    return Ok(());
                }
            }
        } else if b.tophash(i + 1) != Tophash::EMPTY_REST {
            return Ok(());
        }
        let (mut b, mut i) = (b, i);
        loop {
            b.set_tophash(i, Tophash::EMPTY_REST);
            if i == 0 {
                if ptr::eq(b, head) {
                    break; // beginning of the chain
                }
                // Continue at the last slot of the bucket before `b`. Under
                // a race `b` may have left the chain: Go would walk off its
                // end into nil, here that is a fault.
                let c = b;
                b = head;
                let mut hops = 0;
                loop {
                    match self.arena.next_in_chain(b, &mut hops)? {
                        Some(next) if ptr::eq(next, c) => break,
                        Some(next) => b = next,
                        None => return Err(Throw::Fault),
                    }
                }
                i = BUCKET_CNT - 1;
            } else {
                i -= 1;
            }
            if b.tophash(i) != Tophash::EMPTY_ONE {
                break;
            }
        }
        Ok(())
    }
}
