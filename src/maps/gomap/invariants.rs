//! `check_invariants`: every structural invariant stated on the `GoMap`
//! fields (docs/go-maps.md §2.1, §4.7, §11), checked at quiescence.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{Bmap, BucketArray, BUCKET_CNT};
use super::tophash::Tophash;
use super::{bucket_mask, bucket_shift, hash, GoMap, HASH_WRITING, SAME_SIZE_GROW};
#[cfg(test)]
use crate::maps::Throw;
use crate::maps::Violation;

/// Details kept per invariant; the rest are summarised in one more entry.
const MAX_DETAILS_PER_INVARIANT: usize = 8;

/// Collects violations, keeping a few details per invariant name.
#[derive(Default)]
struct Report {
    found: Vec<Violation>,
    per_name: BTreeMap<&'static str, usize>,
}

impl Report {
    fn add(&mut self, invariant: &'static str, detail: impl FnOnce() -> String) {
        let n = self.per_name.entry(invariant).or_default();
        *n += 1;
        if *n <= MAX_DETAILS_PER_INVARIANT {
            self.found.push(Violation {
                invariant,
                detail: detail(),
            });
        }
    }

    fn finish(mut self) -> Vec<Violation> {
        for (&invariant, &n) in &self.per_name {
            if n > MAX_DETAILS_PER_INVARIANT {
                self.found.push(Violation {
                    invariant,
                    detail: format!("... {} more", n - MAX_DETAILS_PER_INVARIANT),
                });
            }
        }
        self.found
    }
}

/// Where a slot is: array, chain index, bucket position in the chain, slot.
#[derive(Clone, Copy)]
struct Loc {
    old: bool,
    chain: usize,
    pos: usize,
    slot: usize,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let array = if self.old { "oldbuckets" } else { "buckets" };
        write!(f, "{array}[{}]", self.chain)?;
        if self.pos > 0 {
            write!(f, " overflow #{}", self.pos)?;
        }
        write!(f, " slot {}", self.slot)
    }
}

/// The buckets of one chain, or `None` if the walk hit a corrupted link.
fn chain_buckets<'a>(map: &'a GoMap, head: &'a Bmap) -> Option<Vec<&'a Bmap>> {
    map.arena.chain(head).collect::<Result<Vec<_>, _>>().ok()
}

impl GoMap {
    /// Every structural violation found, each as a [`Violation`] with a
    /// stable short name. Meant for a quiescent map; on a map that racing
    /// threads corrupted it reports what broke. Names:
    ///
    /// - `hash-writing-set`: `hashWriting` set with no write running;
    /// - `same-size-without-grow`: `sameSizeGrow` set while not growing;
    /// - `b-decreased`: B lower than at an earlier check;
    /// - `unallocated-nonempty`: no bucket array, yet entries, B > 0 or a grow;
    /// - `array-size`: `buckets` not 2^B long, or `oldbuckets` not `noldbuckets`;
    /// - `nevacuate-range`: growing with `nevacuate >= noldbuckets`;
    /// - `evacuation-mark`: an old bucket below `nevacuate` not evacuated, an
    ///   old chain partly evacuated, or an evacuation mark in the new array;
    /// - `entry-before-evacuation`: an entry in a new bucket whose old bucket
    ///   is not evacuated yet;
    /// - `wrong-bucket`: a key outside the chain its hash selects;
    /// - `tophash-mismatch`: a slot's tophash is not `tophash(hash(key))`;
    /// - `duplicate-key`: a key in two live slots;
    /// - `empty-rest-not-suffix`: a non-`emptyRest` slot after an `emptyRest`
    ///   in the same chain;
    /// - `count-mismatch`: `count` differs from the live slots;
    /// - `noverflow-mismatch`: (B < 16) `noverflow` differs from the overflow
    ///   buckets of `buckets`;
    /// - `overflow-list-mismatch`: the lengths of Go's `extra.overflow` /
    ///   `extra.oldoverflow` differ from the overflow buckets of `buckets` /
    ///   `oldbuckets` (non-zero while not growing);
    /// - `chain-corrupt`: an overflow chain longer than all overflow buckets
    ///   ever allocated (a cycle).
    pub fn check_invariants(&self) -> Vec<Violation> {
        let mut r = Report::default();
        // Relaxed: a quiescent map; under a race this is a best-effort read.
        let flags = self.flags.load(Relaxed);
        let b = self.b.load(Relaxed);
        let count = self.count.load(Relaxed);
        let noverflow = self.noverflow.load(Relaxed);
        let overflow = self.overflow.load(Relaxed);
        let oldoverflow = self.oldoverflow.load(Relaxed);
        let nevacuate = self.nevacuate.load(Relaxed);
        let hash0 = self.hash0.load(Relaxed);
        let buckets = self.buckets.load();
        let old = self.oldbuckets.load();
        let same_size = flags & SAME_SIZE_GROW != 0;

        if flags & HASH_WRITING != 0 {
            r.add("hash-writing-set", || format!("flags = {flags:#06b}"));
        }
        if same_size && old.is_none() {
            r.add("same-size-without-grow", || format!("flags = {flags:#06b}"));
        }
        let high = self.b_high_water.fetch_max(b, Relaxed);
        if b < high {
            r.add("b-decreased", || format!("B = {b}, was {high}"));
        }

        let Some(buckets) = buckets else {
            if count != 0 || b != 0 || old.is_some() {
                r.add("unallocated-nonempty", || {
                    format!(
                        "no bucket array, count = {count}, B = {b}, growing = {}",
                        old.is_some()
                    )
                });
            }
            return r.finish();
        };
        if buckets.len() != bucket_shift(b) {
            r.add("array-size", || {
                format!("buckets has {} buckets, B = {b}", buckets.len())
            });
        }

        let mut live: Vec<(u64, Loc)> = Vec::with_capacity(count.min(1 << 20));
        // Old chains that are not (yet) evacuated, by index.
        let mut old_unevacuated: Vec<bool> = Vec::new();
        let mut old_overflow = 0;
        if let Some(old) = old {
            let nold = if same_size {
                bucket_shift(b)
            } else {
                bucket_shift(b.wrapping_sub(1))
            };
            if old.len() != nold || (!same_size && b == 0) {
                r.add("array-size", || {
                    format!(
                        "oldbuckets has {} buckets, expected {nold} (B = {b}, same size = {same_size})",
                        old.len()
                    )
                });
            }
            if nevacuate >= nold {
                r.add("nevacuate-range", || {
                    format!("growing with nevacuate = {nevacuate} >= noldbuckets = {nold}")
                });
            }
            (old_unevacuated, old_overflow) =
                self.check_old_array(&mut r, old, nevacuate, hash0, &mut live);
        }
        if oldoverflow != old_overflow {
            r.add("overflow-list-mismatch", || {
                format!(
                    "oldoverflow = {oldoverflow}, overflow buckets in oldbuckets = {old_overflow}"
                )
            });
        }

        let mask = bucket_mask(b);
        let oldmask = if same_size { mask } else { mask >> 1 };
        let mut new_overflow = 0usize;
        for (i, head) in buckets.iter().enumerate() {
            let Some(chain) = chain_buckets(self, head) else {
                r.add("chain-corrupt", || format!("buckets[{i}]"));
                continue;
            };
            new_overflow += chain.len() - 1;
            let mut any_full = false;
            self.check_chain(&mut r, &chain, false, i, mask, hash0, &mut |key, loc| {
                any_full = true;
                live.push((key, loc));
            });
            if any_full && old_unevacuated.get(i & oldmask).copied().unwrap_or(false) {
                r.add("entry-before-evacuation", || {
                    format!(
                        "buckets[{i}] holds entries while oldbuckets[{}] is not evacuated",
                        i & oldmask
                    )
                });
            }
        }

        if live.len() != count {
            r.add("count-mismatch", || {
                format!("count = {count}, live slots = {}", live.len())
            });
        }
        live.sort_unstable_by_key(|&(k, _)| k);
        for w in live.windows(2) {
            if w[0].0 == w[1].0 {
                r.add("duplicate-key", || {
                    format!("key {:#x} at {} and at {}", w[0].0, w[0].1, w[1].1)
                });
            }
        }
        if overflow != new_overflow {
            r.add("overflow-list-mismatch", || {
                format!("overflow = {overflow}, overflow buckets in buckets = {new_overflow}")
            });
        }
        if b < 16 && usize::from(noverflow) != new_overflow % (1 << 16) {
            r.add("noverflow-mismatch", || {
                format!("noverflow = {noverflow}, overflow buckets in buckets = {new_overflow}")
            });
        }
        r.finish()
    }

    /// Checks the old array: evacuation marks against `nevacuate` and
    /// all-or-nothing per chain, and the entries of un-evacuated chains.
    /// Returns, per old chain, whether it is un-evacuated, and the number of
    /// overflow buckets in the old chains.
    fn check_old_array(
        &self,
        r: &mut Report,
        old: &BucketArray,
        nevacuate: usize,
        hash0: u32,
        live: &mut Vec<(u64, Loc)>,
    ) -> (Vec<bool>, usize) {
        let oldmask = old.len().wrapping_sub(1);
        let mut unevacuated = vec![false; old.len()];
        let mut overflow = 0;
        for (j, head) in old.iter().enumerate() {
            let Some(chain) = chain_buckets(self, head) else {
                r.add("chain-corrupt", || format!("oldbuckets[{j}]"));
                continue;
            };
            overflow += chain.len() - 1;
            let slots = chain.len() * BUCKET_CNT;
            let marks = chain
                .iter()
                .flat_map(|b| (0..BUCKET_CNT).map(move |i| b.tophash(i)))
                .filter(|t| t.is_evacuated_mark())
                .count();
            let evacuated = head.evacuated();
            if marks != 0 && marks != slots {
                r.add("evacuation-mark", || {
                    let mut d = format!("oldbuckets[{j}] partly evacuated: tophash");
                    for b in &chain {
                        let _ = write!(
                            d,
                            " {:?}",
                            (0..BUCKET_CNT).map(|i| b.tophash(i)).collect::<Vec<_>>()
                        );
                    }
                    d
                });
            }
            if j < nevacuate && !evacuated {
                r.add("evacuation-mark", || {
                    format!("oldbuckets[{j}] below nevacuate = {nevacuate} is not evacuated")
                });
            }
            if !evacuated {
                unevacuated[j] = true;
                self.check_chain(r, &chain, true, j, oldmask, hash0, &mut |key, loc| {
                    live.push((key, loc));
                });
            }
        }
        (unevacuated, overflow)
    }

    /// Checks one live chain (of the new array, or an un-evacuated old
    /// chain): each full slot's key hashes to this chain and matches its
    /// tophash; `emptyRest` is suffix-closed; no evacuation marks. Reports
    /// each full slot to `entry`.
    #[expect(clippy::too_many_arguments, reason = "one chain's full context")]
    fn check_chain(
        &self,
        r: &mut Report,
        chain: &[&Bmap],
        old: bool,
        index: usize,
        mask: usize,
        hash0: u32,
        entry: &mut dyn FnMut(u64, Loc),
    ) {
        let mut rest_seen: Option<Loc> = None;
        for (pos, b) in chain.iter().enumerate() {
            for slot in 0..BUCKET_CNT {
                let loc = Loc {
                    old,
                    chain: index,
                    pos,
                    slot,
                };
                let top = b.tophash(slot);
                if let Some(rest) = rest_seen {
                    if top != Tophash::EMPTY_REST {
                        r.add("empty-rest-not-suffix", || {
                            format!("{top:?} at {loc} after emptyRest at {rest}")
                        });
                    }
                } else if top == Tophash::EMPTY_REST {
                    rest_seen = Some(loc);
                }
                if top.is_evacuated_mark() && !old {
                    r.add("evacuation-mark", || format!("{top:?} at {loc}"));
                }
                if !top.is_full() {
                    continue;
                }
                let key = b.key(slot);
                let h = hash::hash(key, hash0);
                if h as usize & mask != index {
                    r.add("wrong-bucket", || {
                        format!(
                            "key {key:#x} at {loc}, its hash selects chain {}",
                            h as usize & mask
                        )
                    });
                }
                if Tophash::from_hash(h) != top {
                    r.add("tophash-mismatch", || {
                        format!(
                            "key {key:#x} at {loc} has {top:?}, hash says {:?}",
                            Tophash::from_hash(h)
                        )
                    });
                }
                entry(key, loc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(m: &GoMap) -> Vec<&'static str> {
        let mut n: Vec<_> = m.check_invariants().iter().map(|v| v.invariant).collect();
        n.dedup();
        n
    }

    /// A clean, not growing map of `n` keys.
    fn map(n: u64) -> GoMap {
        let m = GoMap::new(77);
        for k in 0..n {
            m.insert(k, k).unwrap();
        }
        m.force_evacuate(usize::MAX).unwrap();
        assert!(m.check_invariants().is_empty());
        m
    }

    /// The first full slot of the current array: (bucket index, bucket, slot).
    fn full_slot(m: &GoMap) -> (usize, &Bmap, usize) {
        let a = m.buckets.load().unwrap();
        for (i, b) in a.iter().enumerate() {
            for s in 0..BUCKET_CNT {
                if b.tophash(s).is_full() {
                    return (i, b, s);
                }
            }
        }
        panic!("no full slot")
    }

    #[test]
    fn header_corruptions_are_named() {
        let m = map(100);
        m.count.fetch_add(1, Relaxed);
        assert_eq!(names(&m), ["count-mismatch"]);

        let m = map(100);
        m.flags.fetch_or(HASH_WRITING | SAME_SIZE_GROW, Relaxed);
        assert_eq!(names(&m), ["hash-writing-set", "same-size-without-grow"]);

        let m = map(100);
        m.b.fetch_sub(1, Relaxed);
        // (Keys then also sit in chains their hash no longer selects.)
        assert_eq!(names(&m)[..2], ["b-decreased", "array-size"]);

        let m = map(100);
        m.noverflow.fetch_add(1, Relaxed);
        m.overflow.fetch_add(1, Relaxed);
        assert_eq!(names(&m), ["overflow-list-mismatch", "noverflow-mismatch"]);

        let m = GoMap::new(1);
        m.count.store(1, Relaxed);
        assert_eq!(names(&m), ["unallocated-nonempty"]);
    }

    #[test]
    fn slot_corruptions_are_named() {
        // A key moved into a slot its hash does not select.
        let m = map(100);
        let (i, b, s) = full_slot(&m);
        let mask = bucket_mask(m.b.load(Relaxed));
        let h0 = m.hash0.load(Relaxed);
        let other = (1000..)
            .find(|&k| {
                let h = hash::hash(k, h0);
                h as usize & mask != i && Tophash::from_hash(h) == b.tophash(s)
            })
            .unwrap();
        b.set_key(s, other);
        assert_eq!(names(&m), ["wrong-bucket"]);

        // A tophash that does not match its key.
        let m = map(100);
        let (_, b, s) = full_slot(&m);
        b.set_tophash(s, Tophash(b.tophash(s).0.wrapping_add(1).max(5)));
        assert_eq!(names(&m), ["tophash-mismatch"]);

        // The same key in two slots.
        let m = map(10);
        let (_, b, s) = full_slot(&m);
        let free = (0..BUCKET_CNT).find(|&i| b.tophash(i).is_empty()).unwrap();
        b.set_tophash(free, b.tophash(s));
        b.set_key(free, b.key(s));
        m.count.fetch_add(1, Relaxed);
        assert_eq!(names(&m), ["duplicate-key"]);

        // A full slot after an emptyRest.
        let m = map(3);
        let b = m.buckets.load().unwrap().bucket(0).unwrap();
        b.set_tophash(0, Tophash::EMPTY_REST);
        assert!(names(&m).contains(&"empty-rest-not-suffix"));
    }

    #[test]
    fn growth_corruptions_are_named() {
        let m = map(200);
        assert!(m.force_grow(false).unwrap());
        let nold = m.noldbuckets();
        m.nevacuate.store(nold - 1, Relaxed);
        assert_eq!(names(&m), ["evacuation-mark"]);
        m.nevacuate.store(nold, Relaxed);
        assert!(names(&m).contains(&"nevacuate-range"));

        // An entry in a new bucket whose old bucket still holds its chain.
        let m = map(200);
        assert!(m.force_grow(true).unwrap());
        let old = m.oldbuckets.load().unwrap();
        let (j, ob) = old
            .iter()
            .enumerate()
            .find(|(_, b)| b.tophash(0).is_full())
            .unwrap();
        let nb = m.buckets.load().unwrap().bucket(j).unwrap();
        nb.set_tophash(0, ob.tophash(0));
        nb.set_key(0, ob.key(0));
        assert_eq!(
            names(&m),
            ["entry-before-evacuation", "count-mismatch", "duplicate-key"]
        );

        // An old chain evacuated halfway.
        let m = map(200);
        assert!(m.force_grow(true).unwrap());
        let ob = m.oldbuckets.load().unwrap().bucket(5).unwrap();
        ob.set_tophash(0, Tophash::EVACUATED_X);
        assert!(names(&m).contains(&"evacuation-mark"));
    }

    #[test]
    fn a_cyclic_chain_is_reported_not_walked_forever() {
        let m = GoMap::new(3);
        let mut k = 0;
        while m.stats().overflow_buckets == 0 {
            m.insert(k, k).unwrap();
            k += 1;
        }
        let a = m.buckets.load().unwrap();
        let head = a.iter().find(|b| b.overflow().is_some()).unwrap();
        let ovf = head.overflow().unwrap();
        // SAFETY: `ovf` was reached from `m.buckets`, so it was allocated
        // by `m`'s arena, like the bucket whose link is set (itself).
        #[expect(unsafe_code, reason = "corrupt a chain of this map's own buckets")]
        unsafe {
            ovf.set_overflow(Some(ovf));
        }
        assert!(names(&m).contains(&"chain-corrupt"));
        // Operations on the corrupted chain fault instead of hanging.
        let stuck = (0..k).map(|k| m.get(k)).any(|r| r == Err(Throw::Fault));
        let iter_faults = m.iter().any(|r| r == Err(Throw::Fault));
        assert!(stuck || iter_faults);
    }
}
