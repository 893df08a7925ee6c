//! The key hasher (Go's `typ.Hasher(key, m.seed)`, `memhash64`) and the
//! map's random source (Go's `rand()`), both deterministic under a seed
//! (docs/go-swiss-map.md §2: a faithful port needs *some* seeded 64-bit
//! hash with every bit well mixed, not Go's exact bits: the top bits pick
//! the table, bits 7 and up the first group, the low 7 bits are H2).

use std::sync::atomic::{AtomicU64, Ordering};

/// Weyl increment of splitmix64.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// `memhash64(key, seed)`: bijective in `key` for a fixed seed, so distinct
/// keys never share a full hash.
#[inline(always)]
pub(super) fn hash(key: u64, seed: u64) -> u64 {
    let s = seed.wrapping_mul(GOLDEN_GAMMA) ^ 0x2545_f491_4f6c_dd1d;
    let mut x = key ^ s;
    x ^= x >> 27;
    x = x.wrapping_mul(0x3c79_ac49_2ba7_b653);
    x ^= x >> 33;
    x = x.wrapping_mul(0x1c69_b3f7_4ac4_ae35);
    x ^ (x >> 27)
}

/// The map's random source: seeds, the iterator's random offsets, the
/// forced resize's choice of table. A splitmix64 stream advanced with one
/// atomic `fetch_add` (Go's `rand()` is thread-safe too).
#[derive(Debug)]
pub(super) struct Rng {
    state: AtomicU64,
}

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng {
            state: AtomicU64::new(seed),
        }
    }

    /// `rand()`: the next 64 random bits.
    pub(super) fn next_u64(&self) -> u64 {
        // Relaxed: the draws need distinct states, not ordering.
        crate::seed::splitmix(self.state.fetch_add(GOLDEN_GAMMA, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_distinct() {
        assert_eq!(hash(1, 2), hash(1, 2));
        assert_ne!(hash(1, 2), hash(1, 3));
        assert_ne!(hash(1, 2), hash(2, 2));
        let (a, b) = (Rng::new(9), Rng::new(9));
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
