//! Seeds: parsing, display, every derivation, and the stable hash.
//!
//! A run is fixed by its scenario and one `u64` seed. Every random stream of
//! the run (each workload thread, the scheduler, the fault injector, each
//! map's hash seed) is derived from it here, so one stream never shifts when
//! another one draws more or fewer numbers. This module is the one home of
//! every derivation formula and ChaCha stream tag in the crate: repro files
//! and fixtures depend on each of them staying bit-identical, and the tests
//! below pin literal values.
//!
//! | what | derived by |
//! |---|---|
//! | a workload thread, the scheduler, the injector, the backend, perturbation, a swarm's choices | [`Seed::derive`] with a [`Stream`] |
//! | a backend's `index`-th inner map | [`sub_seed`] |
//! | the `i`-th seed a shrinker or a stress vote tries | [`Seed::candidate`] |
//! | the scheduler's and the injector's ChaCha8 streams | [`chacha`] with [`SCHED_STREAM`], [`FIRING_STREAM`], [`activation_stream`] |
//! | history hashes and injection-site names | [`StableHasher`] (FNV-1a) |

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The seed of an execution. Displays as `0x`-hex; parses decimal or `0x`-hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seed(pub u64);

/// Named streams derived from a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Workload thread `i`'s operations.
    Thread(u32),
    /// The deterministic scheduler's choices.
    Scheduler,
    /// The fault injector (per OS thread in stress mode: `Faults(i)`).
    Faults(u32),
    /// The backend's own seed (hash seeds, iteration starts).
    Backend,
    /// Stress-mode perturbation of OS thread `i`.
    Perturb(u32),
    /// A swarm scenario's choices for this seed (the workload's shape).
    Swarm,
}

impl Seed {
    /// The seed of one stream: a SplitMix64 finaliser over (seed, stream tag),
    /// stable across versions because repro files depend on it.
    pub fn derive(self, stream: Stream) -> u64 {
        let (tag, i) = match stream {
            Stream::Thread(i) => (1u64, i),
            Stream::Scheduler => (2, 0),
            Stream::Faults(i) => (3, i),
            Stream::Backend => (4, 0),
            Stream::Perturb(i) => (5, i),
            Stream::Swarm => (6, 0),
        };
        splitmix(self.0 ^ splitmix(tag << 32 | u64::from(i)))
    }
}

/// SplitMix64's step and output function: a bijective 64-bit mixer. The
/// one copy in the crate; streams call it with their state before the gamma
/// is added.
#[inline]
pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Seed {
    /// The `i`-th seed tried for a candidate whose current seed is `self`:
    /// `self` itself first, then seeds derived from it. The shrinker, the
    /// script minimiser and the stress vote all search seeds in this order,
    /// so a candidate's verdict is a pure function of (candidate, seed).
    pub fn candidate(self, i: u32) -> Seed {
        if i == 0 {
            self
        } else {
            Seed(splitmix(self.0 ^ u64::from(i)))
        }
    }
}

/// The `index`-th sub-seed of `seed`, for a backend's several inner maps.
///
/// Distinct indices give distinct sub-seeds for the same seed (SplitMix64's
/// finaliser is a bijection of `seed + (index + 1) * γ`), and every bit of
/// the seed affects every bit of the result.
pub fn sub_seed(seed: u64, index: u64) -> u64 {
    // The `index`-th draw of a splitmix64 stream started at `seed`
    // (`splitmix` adds the first gamma itself).
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
    splitmix(seed.wrapping_add(index.wrapping_mul(GAMMA)))
}

/// ChaCha stream of the deterministic scheduler's draws.
pub const SCHED_STREAM: u64 = 0;
/// ChaCha stream of the fault injector's per-visit firing draws.
pub const FIRING_STREAM: u64 = 0xFA17_0001;
/// Tag of the fault injector's activation streams, one per injection site:
/// see [`activation_stream`].
const ACTIVATION_STREAM_TAG: u64 = 0xAC71_0000_0000_0000;

/// The ChaCha stream that decides whether the injection site named `site`
/// (a [`StableHasher`] hash of its text) is switched on.
pub fn activation_stream(site: &str) -> u64 {
    ACTIVATION_STREAM_TAG ^ stable_hash(site.as_bytes())
}

/// ChaCha8 keyed by `seed` on `stream`: portable, so the same seed gives the
/// same draws on every platform.
pub fn chacha(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// FNV-1a, 64-bit: tiny, stable across platforms and versions, and good
/// enough to tell histories apart. Feed it bytes with [`std::io::Write`].
#[derive(Clone, Copy, Debug)]
pub struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl StableHasher {
    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash of everything added.
    pub fn finish(self) -> u64 {
        self.0
    }
}

impl std::io::Write for StableHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// [`StableHasher`] over one byte string.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h = StableHasher::default();
    h.update(bytes);
    h.finish()
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A seed that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid seed {input:?}: expected a decimal or 0x-hex number that fits in 64 bits")]
pub struct ParseSeedError {
    input: String,
}

impl FromStr for Seed {
    type Err = ParseSeedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().replace('_', "");
        let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => t.parse::<u64>(),
        };
        parsed.map(Seed).map_err(|_| ParseSeedError {
            input: s.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_and_hex_and_displays_hex() {
        assert_eq!("24301".parse::<Seed>().unwrap(), Seed(0x5eed));
        assert_eq!("0x5eed".parse::<Seed>().unwrap(), Seed(0x5eed));
        assert_eq!("0X5EED".parse::<Seed>().unwrap(), Seed(0x5eed));
        assert_eq!(Seed(0x5eed).to_string(), "0x5eed");
        let s: Seed = Seed(u64::MAX).to_string().parse().unwrap();
        assert_eq!(s, Seed(u64::MAX));
    }

    #[test]
    fn rejects_malformed_seeds() {
        for bad in ["", "0x", "-1", "12a", "0xg", "18446744073709551616", "1.5"] {
            assert!(bad.parse::<Seed>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn streams_are_distinct_and_stable() {
        let s = Seed(7);
        let a = s.derive(Stream::Thread(0));
        assert_ne!(a, s.derive(Stream::Thread(1)));
        assert_ne!(a, s.derive(Stream::Scheduler));
        assert_ne!(s.derive(Stream::Faults(0)), s.derive(Stream::Perturb(0)));
        assert_eq!(splitmix(0), 0xE220_A839_7B1D_CDAF);
    }

    /// Literal values, computed once and written down: repro files and the
    /// fixtures depend on every derivation never changing. A change here is
    /// a new repro format, not a refactor.
    #[test]
    fn derivations_are_pinned_to_literal_values() {
        let s = Seed(7);
        assert_eq!(s.derive(Stream::Thread(0)), PINNED[0]);
        assert_eq!(s.derive(Stream::Thread(3)), PINNED[1]);
        assert_eq!(s.derive(Stream::Scheduler), PINNED[2]);
        assert_eq!(s.derive(Stream::Faults(1)), PINNED[3]);
        assert_eq!(s.derive(Stream::Backend), PINNED[4]);
        assert_eq!(s.derive(Stream::Perturb(2)), PINNED[5]);
        assert_eq!(s.derive(Stream::Swarm), 0x44cf_ac54_0729_7b8b);
        assert_eq!(s.candidate(0), s);
        assert_eq!(s.candidate(5).0, PINNED[6]);
        assert_eq!(sub_seed(7, 0), PINNED[7]);
        assert_eq!(sub_seed(7, 9), PINNED[8]);
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(activation_stream("OpBoundary/Grow"), PINNED[9]);
        use rand::RngCore;
        assert_eq!(chacha(7, SCHED_STREAM).next_u64(), PINNED[10]);
        assert_eq!(chacha(7, FIRING_STREAM).next_u64(), PINNED[11]);
    }

    const PINNED: [u64; 12] = [
        0x325a_dd4d_d7bb_078e,
        0xcc4b_2638_e17b_0746,
        0xcd0a_0324_45be_5cb0,
        0x61b9_6dc5_3f61_3dd5,
        0x8ebc_d5f9_42ca_f49c,
        0x49f2_f605_2f6c_342f,
        0x9758_35de_1c97_56ce,
        0x63cb_e1e4_5932_0dd7,
        0x69c3_a276_8879_5369,
        0x5c9c_58cf_2dff_c562,
        0x2865_5334_23d7_43bb,
        0x33ed_d43d_9a46_4221,
    ];
}
