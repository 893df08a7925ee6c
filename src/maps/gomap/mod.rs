//! Go's classic runtime hash map (`hmap`/`bmap`, Go 1.x–1.23), re-implemented
//! over `u64` keys and values. Behaviour spec: `docs/go-maps.md` §1–§7.
//!
//! # Design
//!
//! A map is a header ([`GoMap`], Go's `hmap`) and an array of 2^B buckets.
//! A bucket (`bucket::Bmap`) holds 8 slots — a `tophash` byte each, then the
//! 8 keys, then the 8 elems — and a link to an overflow bucket; a bucket and
//! its overflow buckets form a *chain*. A key's 64-bit hash picks the chain
//! by its low B bits and is remembered in the slot by its top byte (the
//! tophash), so a search compares one byte per slot before touching a key.
//! Tophash values below 5 are markers (`tophash::Tophash`): `emptyRest`
//! lets searches stop early, the three `evacuated*` marks record growth.
//!
//! The map grows when a *new* key would push the average load past 6.5 per
//! bucket (doubling), or when about as many overflow buckets exist as
//! buckets (same-size grow: re-pack the chains that deletes left sparse).
//! Growth is incremental: `hashGrow` only swaps in a new array; every later
//! write evacuates the old bucket it is about to use plus the next one in
//! order (`growWork`), until `nevacuate` reaches the end and `oldbuckets` is
//! dropped. Lookups and iterators find entries in either array meanwhile.
//!
//! Go's map is unsynchronised and catches misuse on a best-effort basis with
//! one flag bit, `hashWriting`, toggled by writers with a plain
//! read-modify-write. This port keeps exactly that: the flag and every field
//! are atomics accessed as Go accesses plain memory (Relaxed load, compute,
//! Relaxed store), so racing threads lose flag updates, tear the header
//! between generations and see half-written slots just as Go does — while
//! Rust's memory stays sound: every index is bounds-checked (a miss is
//! [`Throw::Fault`](crate::maps::Throw::Fault), Go's SIGSEGV), every chain
//! walk is finite, bucket arrays and overflow buckets are published with
//! Release/Acquire, and nothing is freed before the map (see the `bucket`
//! module: its `Link` states the soundness argument, and storing into a link
//! is `unsafe`, each caller saying why its target is of this map's arena).
//!
//! The engine reaches in through [`crate::sync::yield_point`] at Go's race
//! windows (the `Site::Assign*`, `Delete*`, `Clear*`, `Iter*`, `Access*`,
//! `GrowWork`, `HashGrowCommit`, `Evacuate*`, `NewOverflow` sites). Faults it
//! returns are applied only inside the caller's own write window
//! (`AssignFlagSet`, `DeleteFlagSet`, `GrowWork`): a forced grow, extra
//! evacuation, or a withheld progress evacuation — the map's own work at an
//! unlucky moment, never a break of its single-threaded contract.
//!
//! Choices where Go has several variants: a `map[uint64]uint64` runs Go's
//! `_fast64` routines, so assign writes the tophash *before* the key; the
//! buckets hold no pointers, so `evacuate` never clears old buckets (old
//! data stays readable, as for Go's pointer-free buckets); overflow buckets
//! are allocated one at a time (Go's pre-allocated overflow area only saves
//! memory); lookups, deletes *and assign's search for an existing key* use
//! the generic tophash-then-key search, where `_fast64` compares keys only —
//! a difference a race can expose (see the `assign` module).
//!
//! Deviations, each for Rust's sake: a `with_hint` hint is treated as 0 above
//! 2 GiB of buckets (Go: 2^48 bytes); a chain walk that can only be a cycle
//! returns `Throw::Fault` where Go would hang; `hashGrow`'s internal throw
//! `oldoverflow is not nil` (reachable only through a race) is not modelled;
//! forced doubling grows (fault injector) are refused once they would leave
//! fewer entries than buckets, so faults cannot inflate a map without bound.
//!
//! Modules: `tophash` (the control byte), `bucket` (buckets, arrays, the
//! arena), `hash` (hasher and seeded random source), `access` (lookup),
//! `assign`, `delete`, `clear`, `grow` (hashGrow, growWork, evacuate),
//! `iter`, `window` (the hashWriting protocol, faults, forced resizes),
//! `invariants`, `stats`, `backend` (the `ChaosMap` impl).
//!
//! # Load factor (docs/go-maps.md §7)
//!
//! `T(B)`: the most entries a table of 2^B buckets holds; a new-key insert
//! into a map that is not growing doubles it iff `count + 1 > T(B)`.
//! `T(0) = 8`, `T(B) = 13 · 2^(B−1)` — `overLoadFactor` divides before it
//! multiplies. Same-size grows start when `noverflow >= 2^min(B, 15)`.
//!
//! | B | buckets | T(B) | grows at count | same-size when noverflow ≥ | `with_hint` picks B for hint |
//! |---|---|---|---|---|---|
//! | 0 | 1 | 8 | 9 | 1 | ≤ 8 |
//! | 1 | 2 | 13 | 14 | 2 | 9..=13 |
//! | 2 | 4 | 26 | 27 | 4 | 14..=26 |
//! | 3 | 8 | 52 | 53 | 8 | 27..=52 |
//! | 4 | 16 | 104 | 105 | 16 | 53..=104 |
//! | 5 | 32 | 208 | 209 | 32 | 105..=208 |
//! | 6 | 64 | 416 | 417 | 64 | 209..=416 |
//! | 7 | 128 | 832 | 833 | 128 | 417..=832 |
//! | 8 | 256 | 1664 | 1665 | 256 | 833..=1664 |
//! | 9 | 512 | 3328 | 3329 | 512 | 1665..=3328 |
//! | 10 | 1024 | 6656 | 6657 | 1024 | 3329..=6656 |
//! | 11 | 2048 | 13312 | 13313 | 2048 | 6657..=13312 |
//! | 12 | 4096 | 26624 | 26625 | 4096 | 13313..=26624 |
//! | 13 | 8192 | 53248 | 53249 | 8192 | 26625..=53248 |
//! | 14 | 16384 | 106496 | 106497 | 16384 | 53249..=106496 |
//! | 15 | 32768 | 212992 | 212993 | 32768 | 106497..=212992 |
//! | ≥16 | 2^B | 13·2^(B−1) | T+1 | 32768 (sampled 1/2^(B−15)) | |
//!
//! "grows at count" is the count the growing insert takes the map to.
//!
//! # Go names → Rust names
//!
//! | Go (`runtime/map.go`) | here |
//! |---|---|
//! | `hmap` | [`GoMap`] (fields `count`, `flags`, `b`, `noverflow`, `hash0`, `buckets`, `oldbuckets`, `nevacuate`) |
//! | `bmap`, `bucketCnt` | `bucket::Bmap`, `bucket::BUCKET_CNT` |
//! | `emptyRest` … `minTopHash` | `Tophash::EMPTY_REST` … `Tophash::MIN_TOP_HASH` |
//! | `iterator`, `oldIterator`, `hashWriting`, `sameSizeGrow` | `ITERATOR`, `OLD_ITERATOR`, `HASH_WRITING`, `SAME_SIZE_GROW` |
//! | `makemap_small`, `makemap` | [`GoMap::new`], [`GoMap::with_hint`] |
//! | `extra.overflow`, `extra.oldoverflow` (their lengths) | `overflow`, `oldoverflow` |
//! | `makeBucketArray`, `newoverflow`, `incrnoverflow` | `Arena::alloc_array`, `GoMap::new_overflow`, `GoMap::incrnoverflow` |
//! | `mapaccess2` (+ the caller's copy), `mapaccessK` | [`GoMap::get`], `GoMap::map_access_k` |
//! | `mapassign` (+ the caller's store) | [`GoMap::insert`] (`GoMap::map_assign`) |
//! | `mapdelete`, `mapclear` | [`GoMap::remove`], [`GoMap::clear`] |
//! | `hashGrow`, `growWork`, `evacuate`, `advanceEvacuationMark` | `hash_grow`, `grow_work`, `evacuate`, `advance_evacuation_mark` |
//! | `overLoadFactor`, `tooManyOverflowBuckets` | `over_load_factor`, `too_many_overflow_buckets` |
//! | `growing()`, `sameSizeGrow()`, `noldbuckets()`, `oldbucketmask()` | `growing`, `same_size_grow`, `noldbuckets`, `oldbucketmask` |
//! | `bucketShift`, `bucketMask`, `tophash(hash)`, `evacuated(b)` | `bucket_shift`, `bucket_mask`, `Tophash::from_hash`, `Bmap::evacuated` |
//! | `hiter`, `mapiterinit`, `mapiternext` | [`Iter`], [`GoMap::iter`], `Iter::next` |
//! | `fatal("concurrent map …")`, `throw("bad map state")` | `Err(Throw::…)` |

use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU8, AtomicUsize, Ordering::Relaxed};

mod access;
mod assign;
mod backend;
mod bucket;
mod clear;
mod delete;
mod grow;
pub(crate) mod hash;
mod invariants;
mod iter;
mod stats;
mod tophash;
mod window;

pub use iter::Iter;
pub use stats::Stats;

use bucket::{Arena, BucketArray, Link, BUCKET_CNT};
use hash::Rng;

/// `iterator`: there may be an iterator using `buckets`.
const ITERATOR: u8 = 1;
/// `oldIterator`: there may be an iterator using `oldbuckets`.
const OLD_ITERATOR: u8 = 2;
/// `hashWriting`: a goroutine is writing to the map.
const HASH_WRITING: u8 = 4;
/// `sameSizeGrow`: the current growth is to an array of the same size.
const SAME_SIZE_GROW: u8 = 8;

/// `loadFactorNum / loadFactorDen` = 13 / 2 = 6.5 entries per bucket.
const LOAD_FACTOR_NUM: u128 = 13;
const LOAD_FACTOR_DEN: u128 = 2;

/// Size in bytes of one Go bucket of a `map[uint64]uint64`: 8 tophash bytes,
/// 8 keys, 8 elems, the overflow pointer. `makemap` multiplies the hint by it.
const BUCKET_SIZE: usize = 8 + 8 * 8 + 8 * 8 + 8;

/// `makemap` treats a hint as 0 when `hint * bucketSize` overflows or exceeds
/// this. Go's limit is `maxAlloc` (2^48 on amd64), which would let a hint
/// ask for terabytes here; 2 GiB keeps "absurd hint → 0" while allowing any
/// hint up to ~14.9 million entries (B ≤ 21).
const MAX_HINT_BYTES: usize = 1 << 31;

/// Deliberate bugs, for the mutant backends: each breaks one thing Go's map
/// gets right, so a checker that misses it is shown to be blind there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GoMapMutation {
    /// `evacuate` copies only the head bucket of each old chain and drops
    /// the entries of its overflow buckets: lost writes that appear only
    /// when a grow evacuates a chain with overflow buckets.
    EvacuateSkipsOverflow,
    /// During a grow, the iterator walks only the new array and never the
    /// un-evacuated old buckets: keys missed by iterations that run during
    /// a grow, and only then.
    IterIgnoresOldBuckets,
}

/// Go's classic runtime map (`hmap`), unsynchronised, with Go's
/// best-effort detection of concurrent misuse.
///
/// Every operation is callable from any number of threads at once (the type
/// is `Send + Sync` through atomics only); doing so is a race in the Go
/// sense, and the map then behaves as Go's would: a Go fatal error returned
/// as [`Throw`](crate::maps::Throw), or silently wrong results and a broken structure, which
/// [`GoMap::check_invariants`] reports. Never undefined behaviour.
///
/// Invariants below are stated for a quiescent map (no operation running)
/// and checked by [`GoMap::check_invariants`] under the quoted names.
pub struct GoMap {
    /// `count`: live entries; what `len` returns.
    /// Invariant `count-mismatch`: equals the full slots of `buckets` plus
    /// those of the un-evacuated buckets of `oldbuckets`.
    count: AtomicUsize,
    /// `flags`: `ITERATOR | OLD_ITERATOR | HASH_WRITING | SAME_SIZE_GROW`.
    /// Invariants `hash-writing-set` (no writer ⇒ `HASH_WRITING` clear) and
    /// `same-size-without-grow` (`SAME_SIZE_GROW` ⇒ growing).
    flags: AtomicU8,
    /// `B`: log2 of the bucket count of `buckets`.
    /// Invariants `b-decreased` (B never decreases, not even on clear) and
    /// `array-size` (`buckets` has 2^B buckets).
    b: AtomicU8,
    /// `noverflow`: overflow buckets allocated for the current generation of
    /// `buckets`; exact for B < 16, sampled for B ≥ 16 (docs/go-maps.md §4.2). Reset
    /// only by `hashGrow` and `clear`.
    /// Invariant `noverflow-mismatch` (B < 16): equals the overflow buckets
    /// in the chains of `buckets`.
    noverflow: AtomicU16,
    /// `len(extra.overflow)`: overflow buckets linked into the chains of
    /// `buckets`. Go keeps this list (for buckets without pointers, as here)
    /// only so the GC keeps them alive; here it makes [`GoMap::stats`] O(1).
    /// Moved to `oldoverflow` by `hashGrow`, reset by `clear`.
    /// Invariant `overflow-list-mismatch`: equals the overflow buckets
    /// reachable from `buckets`.
    overflow: AtomicUsize,
    /// `len(extra.oldoverflow)`: overflow buckets in the chains of
    /// `oldbuckets`; 0 when not growing.
    /// Invariant `overflow-list-mismatch`: equals the overflow buckets
    /// reachable from `oldbuckets`.
    oldoverflow: AtomicUsize,
    /// `hash0`: the hash seed; reseeded from `rng` when a delete empties the
    /// map and on clear.
    hash0: AtomicU32,
    /// `buckets`: 2^B head buckets; null until the first assign when B = 0.
    /// Invariant `unallocated-nonempty`: null ⇒ `count == 0`, B = 0, not growing.
    buckets: Link<BucketArray>,
    /// `oldbuckets`: the previous array, non-null iff growing; `noldbuckets`
    /// buckets long (invariant `array-size`).
    /// Invariants `wrong-bucket`, `tophash-mismatch`, `duplicate-key`,
    /// `empty-rest-not-suffix`, `entry-before-evacuation` over both arrays.
    oldbuckets: Link<BucketArray>,
    /// `nevacuate`: every old bucket below it is evacuated.
    /// Invariants `nevacuate-range` (growing ⇒ `nevacuate < noldbuckets`),
    /// `evacuation-mark` (old buckets below it evacuated; each old chain
    /// all-or-nothing).
    nevacuate: AtomicUsize,
    /// The map's random source (Go's `rand()`), seeded by the constructor's seed.
    rng: Rng,
    /// Owns every bucket array and overflow bucket until the map drops.
    arena: Arena,
    /// A deliberate bug, for mutant backends; `None` for the real map.
    mutation: Option<GoMapMutation>,
    /// Highest B seen by `check_invariants`, for `b-decreased`.
    b_high_water: AtomicU8,
}

impl std::fmt::Debug for GoMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoMap")
            .field("stats", &self.stats())
            .field("mutation", &self.mutation)
            .finish()
    }
}

/// `bucketShift(b)`: 2^b (0 when it does not fit, which no real map reaches).
#[inline(always)]
fn bucket_shift(b: u8) -> usize {
    1usize.checked_shl(u32::from(b)).unwrap_or(0)
}

/// `bucketMask(b)`: 2^b − 1.
#[inline(always)]
fn bucket_mask(b: u8) -> usize {
    bucket_shift(b).wrapping_sub(1)
}

/// `overLoadFactor(count, B)`: `count > 8 && count > 13 * (2^B / 2)` — the
/// division first, so B = 0 reduces to `count > 8`.
fn over_load_factor(count: usize, b: u8) -> bool {
    let buckets = 1u128.checked_shl(u32::from(b)).unwrap_or(u128::MAX);
    count > BUCKET_CNT && count as u128 > LOAD_FACTOR_NUM * (buckets / LOAD_FACTOR_DEN)
}

/// `tooManyOverflowBuckets(noverflow, B)`: about as many overflow buckets
/// as buckets; B capped at 15 because `noverflow` is a u16.
fn too_many_overflow_buckets(noverflow: u16, b: u8) -> bool {
    u32::from(noverflow) >= 1 << b.min(15)
}

impl GoMap {
    /// Notes an access to this map for race detection (a no-op unless the
    /// engine observes accesses): the guard ends it when the operation
    /// returns, however it returns.
    #[inline(always)]
    fn note_access(&self, access: crate::sync::Access) -> crate::sync::AccessGuard {
        crate::sync::access(self as *const GoMap as usize, access)
    }

    fn from_parts(b: u8, seed: u64, mutation: Option<GoMapMutation>) -> GoMap {
        let rng = Rng::new(seed);
        let hash0 = rng.next_u32();
        let map = GoMap {
            count: AtomicUsize::new(0),
            flags: AtomicU8::new(0),
            b: AtomicU8::new(b),
            noverflow: AtomicU16::new(0),
            overflow: AtomicUsize::new(0),
            oldoverflow: AtomicUsize::new(0),
            hash0: AtomicU32::new(hash0),
            buckets: Link::null(),
            oldbuckets: Link::null(),
            nevacuate: AtomicUsize::new(0),
            rng,
            arena: Arena::new(),
            mutation,
            b_high_water: AtomicU8::new(b),
        };
        if b > 0 {
            // SAFETY: the array is allocated by `map.arena`, the arena that
            // owns `map.buckets`.
            #[expect(unsafe_code, reason = "publish an array of this map's arena")]
            unsafe {
                map.buckets
                    .store(Some(map.arena.alloc_array(bucket_shift(b))));
            }
        }
        map
    }

    /// `makemap_small` (`make(map[uint64]uint64)`): B = 0, the bucket array
    /// allocated by the first assign; `hash0` drawn from the map's random
    /// source seeded by `seed`.
    pub fn new(seed: u64) -> GoMap {
        GoMap::from_parts(0, seed, None)
    }

    /// `makemap` (`make(map[uint64]uint64, hint)`): the smallest B whose
    /// table holds `hint` entries without growing (docs/go-maps.md §7); the array is
    /// allocated now if B > 0. A hint whose `hint * bucketSize` overflows or
    /// exceeds the allocation limit is treated as 0, as Go does (the limit
    /// here is 2 GiB, not Go's 2^48 bytes).
    pub fn with_hint(hint: usize, seed: u64) -> GoMap {
        let hint = match hint.checked_mul(BUCKET_SIZE) {
            Some(bytes) if bytes <= MAX_HINT_BYTES => hint,
            _ => 0,
        };
        let mut b = 0u8;
        while over_load_factor(hint, b) {
            b += 1;
        }
        GoMap::from_parts(b, seed, None)
    }

    /// A map with a deliberate bug, for mutant backends (see [`GoMapMutation`]).
    pub fn with_mutation(seed: u64, mutation: GoMapMutation) -> GoMap {
        GoMap::from_parts(0, seed, Some(mutation))
    }

    /// `len(m)`: `count`, read without any check (docs/go-maps.md §3.5).
    pub fn len(&self) -> usize {
        // Relaxed: Go reads count without synchronisation.
        self.count.load(Relaxed)
    }

    /// `len(m) == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `hasher(key, hash0)` under the current seed.
    #[inline(always)]
    fn hash(&self, key: u64) -> u64 {
        // Relaxed: Go reads hash0 without synchronisation.
        hash::hash(key, self.hash0.load(Relaxed))
    }

    /// `h.growing()`: `oldbuckets != nil`.
    #[inline(always)]
    fn growing(&self) -> bool {
        !self.oldbuckets.is_null()
    }

    /// `h.sameSizeGrow()`.
    #[inline(always)]
    fn same_size_grow(&self) -> bool {
        // Relaxed: Go reads flags without synchronisation.
        self.flags.load(Relaxed) & SAME_SIZE_GROW != 0
    }

    /// `h.noldbuckets()`: buckets in `oldbuckets` (2^B for a same-size grow,
    /// else 2^(B−1)).
    #[inline]
    fn noldbuckets(&self) -> usize {
        // Relaxed: Go reads B without synchronisation.
        let b = self.b.load(Relaxed);
        if self.same_size_grow() {
            bucket_shift(b)
        } else {
            bucket_shift(b.wrapping_sub(1))
        }
    }

    /// `h.oldbucketmask()`.
    #[inline]
    fn oldbucketmask(&self) -> usize {
        self.noldbuckets().wrapping_sub(1)
    }

    /// Reseeds `hash0` (`h.hash0 = uint32(rand())`).
    fn reseed(&self) {
        // Relaxed: a plain store in Go.
        self.hash0.store(self.rng.next_u32(), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gomap_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GoMap>();
        assert_send_sync::<Iter<'static>>();
    }

    #[test]
    fn load_factor_table_matches_spec() {
        // T(B) from docs/go-maps.md §7: the largest count that does not overload B.
        let t = |b: u8| (0..).find(|&c| over_load_factor(c + 1, b)).unwrap();
        assert_eq!(t(0), 8);
        for b in 1..=20u8 {
            assert_eq!(t(b), 13 << (b - 1), "B={b}");
        }
    }

    #[test]
    fn overflow_trigger_caps_b_at_15() {
        assert!(!too_many_overflow_buckets(0, 0));
        assert!(too_many_overflow_buckets(1, 0));
        assert!(!too_many_overflow_buckets(255, 8));
        assert!(too_many_overflow_buckets(256, 8));
        assert!(!too_many_overflow_buckets(32767, 20));
        assert!(too_many_overflow_buckets(32768, 20));
    }

    #[test]
    fn hint_picks_the_smallest_b_that_holds_it() {
        let b = |hint| GoMap::with_hint(hint, 1).stats().b;
        assert_eq!((b(0), b(8), b(9), b(13), b(14)), (0, 0, 1, 1, 2));
        assert_eq!((b(26), b(27), b(106496), b(106497)), (2, 3, 14, 15));
        // Overflowing or absurd hints are treated as 0, like Go.
        assert_eq!((b(usize::MAX), b(1 << 60), b(usize::MAX / 100)), (0, 0, 0));
        assert_eq!(GoMap::with_hint(0, 1).stats().buckets, 0);
        assert_eq!(GoMap::with_hint(9, 1).stats().buckets, 2);
    }

    #[test]
    fn same_seed_same_hash0() {
        let h = |s| GoMap::new(s).hash0.load(Relaxed);
        assert_eq!(h(5), h(5));
        assert_ne!(h(5), h(6));
    }
}
