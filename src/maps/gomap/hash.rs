//! The key hasher (Go's `t.Hasher(key, hash0)`) and the per-map random source
//! (Go's `rand()`), both deterministic under a seed.
//!
//! Go hashes with AES or wyhash-style mixing seeded by `hash0`; what the map's
//! behaviour depends on is only that every bit of the 64-bit result is well
//! mixed: the low `B` bits pick the bucket, the top byte is the tophash, and
//! the bit just above the old mask decides the X/Y half in a doubling grow. [`hash`] is a seeded bijective
//! 64-bit mixer (Pelle Evensen's `moremur`), so distinct keys never share a
//! full hash under one seed and the bucket/tophash statistics match Go's.

use std::sync::atomic::{AtomicU64, Ordering};

/// Weyl increment of splitmix64 (2^64 / golden ratio, odd).
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// `hasher(key, hash0)`: a 64-bit hash of `key` under the map's seed.
#[inline(always)]
pub(crate) fn hash(key: u64, hash0: u32) -> u64 {
    hash64(key, u64::from(hash0))
}

/// The same hash under a 64-bit seed (Go 1.24+'s maps keep a `uintptr`
/// seed): bijective in `key` for a fixed seed, so distinct keys never share
/// a full hash. Every Go map model here hashes with it.
#[inline(always)]
pub(crate) fn hash64(key: u64, seed: u64) -> u64 {
    // Spread the seed over all 64 bits before mixing it in, so that every
    // seed bit can reach the low (bucket) and high (tophash) bits.
    let seed = seed.wrapping_mul(GOLDEN_GAMMA) ^ 0x2545_f491_4f6c_dd1d;
    moremur(key ^ seed)
}

/// A strong bijective 64-bit finaliser (two multiplies, three xor-shifts).
#[inline(always)]
fn moremur(mut x: u64) -> u64 {
    x ^= x >> 27;
    x = x.wrapping_mul(0x3c79_ac49_2ba7_b653);
    x ^= x >> 33;
    x = x.wrapping_mul(0x1c69_b3f7_4ac4_ae35);
    x ^ (x >> 27)
}

/// The map's own random source: `hash0` and its reseeds, the iterator's
/// random start, `incrnoverflow`'s sampling for B ≥ 16.
///
/// A splitmix64 stream whose state advances with one atomic `fetch_add`:
/// shared by racing threads without a lock, and, under the deterministic
/// scheduler (every logical thread on one OS thread, one at a time), the
/// sequence of draws is a pure function of the seed and the schedule.
#[derive(Debug)]
pub(crate) struct Rng {
    state: AtomicU64,
}

impl Rng {
    /// A stream seeded by `seed`.
    pub(crate) fn new(seed: u64) -> Rng {
        Rng {
            state: AtomicU64::new(seed),
        }
    }

    /// The next 64 random bits.
    #[inline]
    pub(crate) fn next_u64(&self) -> u64 {
        // Relaxed: the draws need distinct states, not ordering with other memory.
        // `splitmix` adds the gamma itself, so this is splitmix64's stream.
        crate::seed::splitmix(self.state.fetch_add(GOLDEN_GAMMA, Ordering::Relaxed))
    }

    /// The next 32 random bits (Go's `uint32(rand())`).
    #[inline]
    pub(crate) fn next_u32(&self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let (a, b, c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn hash_depends_on_seed() {
        let same = (0..1000u64).filter(|&k| hash(k, 1) == hash(k, 2)).count();
        assert_eq!(same, 0);
    }

    /// Sequential keys must spread evenly over buckets (low bits) and over
    /// tophash values (high byte), or B would step up at different counts
    /// under churn than Go's does. Chi-square against uniform, 255 degrees of
    /// freedom: the 99.99th percentile is about 360.
    #[test]
    fn low_bits_and_top_byte_are_uniform_for_sequential_keys() {
        let n = 256 * 400;
        let mut low = [0u32; 256];
        let mut top = [0u32; 256];
        for k in 0..n as u64 {
            let h = hash(k, 0xdead_beef);
            low[(h & 0xff) as usize] += 1;
            top[(h >> 56) as usize] += 1;
        }
        let chi = |c: &[u32; 256]| {
            let e = n as f64 / 256.0;
            c.iter()
                .map(|&o| (f64::from(o) - e).powi(2) / e)
                .sum::<f64>()
        };
        assert!(chi(&low) < 360.0, "low bits chi2 {}", chi(&low));
        assert!(chi(&top) < 360.0, "top byte chi2 {}", chi(&top));
    }

    /// Flipping one input bit flips each output bit about half the time.
    #[test]
    fn avalanche() {
        let mut flips = [0u32; 64];
        let trials = 2000u64;
        for k in 0..trials {
            let key = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for bit in 0..64 {
                let d = hash(key, 42) ^ hash(key ^ (1 << bit), 42);
                for (o, f) in flips.iter_mut().enumerate() {
                    *f += ((d >> o) & 1) as u32;
                }
            }
        }
        let total = (trials * 64) as f64;
        for (o, &f) in flips.iter().enumerate() {
            let p = f64::from(f) / total;
            assert!((0.47..0.53).contains(&p), "output bit {o}: {p}");
        }
    }
}
