//! `check_invariants`: every structural invariant stated on the `GoMap`
//! fields (spec §2.1, §4.7, §11), checked at quiescence.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

use super::bucket::{Bmap, BucketArray, BUCKET_CNT};
use super::tophash::Tophash;
use super::{bucket_mask, bucket_shift, hash, GoMap, HASH_WRITING, SAME_SIZE_GROW};
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
