//! Seeded generation of per-thread operation streams.
//!
//! Thread `t`'s stream comes from ChaCha8 seeded by `seed.derive(Thread(t))`,
//! so a thread's operations never change when another thread's do (the
//! shrinker relies on this when it drops threads). Every written value is
//! unique in the run and names its writer ([`value_for`] / [`writer_of`]), so
//! the checker can tell which write a read observed.

use std::collections::HashMap;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution as _;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Op;
use crate::maps::{ChaosMap, Key, Value};
use crate::scenario::{Distribution, Scenario};
use crate::seed::{Seed, Stream};

/// The generated operations, one stream per workload thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    /// `threads[t][i]` is thread `t`'s `i`-th operation.
    pub threads: Vec<Vec<Op>>,
}

/// Bits of a value that hold the operation index.
const INDEX_BITS: u32 = 40;

/// The value thread `thread` writes in its `index`-th operation: never 0
/// (Go's zero value, which a racing read of a fresh insert may return), and
/// unique in the run.
pub fn value_for(thread: u32, index: u32) -> Value {
    (u64::from(thread) + 1) << INDEX_BITS | (u64::from(index) + 1)
}

/// The (thread, op index) that wrote `value`, if it is a workload value.
pub fn writer_of(value: Value) -> Option<(u32, u32)> {
    let thread = value >> INDEX_BITS;
    let index = value & ((1 << INDEX_BITS) - 1);
    (thread >= 1 && index >= 1).then(|| ((thread - 1) as u32, (index - 1) as u32))
}

/// The pseudo-thread whose "writes" are the prefill: the largest thread
/// index whose values still fit in 64 bits.
pub const PREFILL_THREAD: u32 = (1 << (64 - INDEX_BITS)) - 2;

/// The value the prefill stores for key `key`.
pub fn prefill_value(key: Key) -> Value {
    value_for(PREFILL_THREAD, key as u32)
}

/// Stores keys `0..keys`, each with its [`prefill_value`], before any
/// thread starts: single-threaded, it cannot throw on a correct backend,
/// so results are not looked at.
pub fn prefill(map: &dyn ChaosMap, keys: u64) {
    for k in 0..keys {
        let _ = map.store(k, prefill_value(k));
    }
}

/// Generates every thread's stream.
pub fn generate(scenario: &Scenario, seed: Seed) -> Workload {
    Workload {
        threads: (0..scenario.threads)
            .map(|t| thread_ops(scenario, seed, t))
            .collect(),
    }
}

/// Generates thread `thread`'s stream.
pub fn thread_ops(scenario: &Scenario, seed: Seed, thread: u32) -> Vec<Op> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.derive(Stream::Thread(thread)));
    let kinds = WeightedIndex::new(scenario.mix.weights()).expect("a validated mix has weight");
    let keys = KeyGen::new(scenario.distribution, scenario.keys, &mut rng);
    let mut last_written: HashMap<Key, Value> = HashMap::new();
    let mut keys = keys;
    (0..scenario.ops)
        .map(|i| {
            let kind = kinds.sample(&mut rng);
            let value = value_for(thread, i);
            let op = match kind {
                0 => Op::Load {
                    key: keys.next(&mut rng),
                },
                1 => Op::Store {
                    key: keys.next(&mut rng),
                    value,
                },
                2 => Op::Delete {
                    key: keys.next(&mut rng),
                },
                3 => Op::LoadOrStore {
                    key: keys.next(&mut rng),
                    value,
                },
                4 => Op::LoadAndDelete {
                    key: keys.next(&mut rng),
                },
                5 => Op::Swap {
                    key: keys.next(&mut rng),
                    value,
                },
                6 => {
                    let key = keys.next(&mut rng);
                    let old = plausible_old(&mut rng, &last_written, key);
                    Op::CompareAndSwap {
                        key,
                        old,
                        new: value,
                    }
                }
                7 => {
                    let key = keys.next(&mut rng);
                    let old = plausible_old(&mut rng, &last_written, key);
                    Op::CompareAndDelete { key, old }
                }
                8 => Op::Range {
                    // Mostly full walks; some stop early, as `f` returning false.
                    limit: if rng.random_ratio(3, 4) {
                        0
                    } else {
                        rng.random_range(1..=4)
                    },
                },
                9 => Op::Clear,
                _ => Op::Len,
            };
            if let Op::Store { key, value }
            | Op::LoadOrStore { key, value }
            | Op::Swap { key, value }
            | Op::CompareAndSwap {
                key, new: value, ..
            } = op
            {
                last_written.insert(key, value);
            }
            op
        })
        .collect()
}

/// An `old` argument for CompareAndSwap/CompareAndDelete that has a fair
/// chance of matching: this thread's last write to the key, or the key's
/// prefill value, or a value an early op of a low-numbered thread writes.
/// Drawn from a fixed space, not from the scenario's sizes, so that shrinking
/// threads or ops leaves the remaining streams unchanged.
fn plausible_old(rng: &mut ChaCha8Rng, last: &HashMap<Key, Value>, key: Key) -> Value {
    match last.get(&key) {
        Some(&v) if rng.random_ratio(3, 4) => v,
        _ if rng.random_ratio(1, 3) => prefill_value(key),
        _ => value_for(rng.random_range(0..4), rng.random_range(0..32)),
    }
}

/// Draws keys according to a distribution.
struct KeyGen {
    dist: Distribution,
    keys: u64,
    next_sequential: u64,
}

impl KeyGen {
    fn new(dist: Distribution, keys: u64, rng: &mut ChaCha8Rng) -> Self {
        let start = if dist == Distribution::Sequential {
            rng.random_range(0..keys)
        } else {
            0
        };
        KeyGen {
            dist,
            keys,
            next_sequential: start,
        }
    }

    fn next(&mut self, rng: &mut ChaCha8Rng) -> Key {
        match self.dist {
            Distribution::Uniform => rng.random_range(0..self.keys),
            Distribution::Hotspot => {
                let hot = (self.keys / 8).max(1);
                if hot == self.keys || rng.random_ratio(7, 8) {
                    rng.random_range(0..hot)
                } else {
                    rng.random_range(hot..self.keys)
                }
            }
            Distribution::Zipf => {
                // Inverse CDF of the continuous 1/(k+1) density over [0, keys):
                // k = (keys+1)^u - 1, which gives P(k) ≈ ln((k+2)/(k+1)) / ln(keys+1).
                let u: f64 = rng.random();
                let k = ((self.keys as f64 + 1.0).powf(u) - 1.0).floor() as u64;
                k.min(self.keys - 1)
            }
            Distribution::Sequential => {
                let k = self.next_sequential;
                self.next_sequential = (k + 1) % self.keys;
                k
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Mix;

    fn scenario() -> Scenario {
        Scenario {
            threads: 4,
            ops: 500,
            keys: 64,
            mix: crate::workload::OP_NAMES
                .iter()
                .map(|n| format!("{n}=1"))
                .collect::<Vec<_>>()
                .join(",")
                .parse::<Mix>()
                .unwrap(),
            ..Scenario::default()
        }
    }

    #[test]
    fn same_seed_same_workload_and_threads_are_independent() {
        let s = scenario();
        let a = generate(&s, Seed(1));
        assert_eq!(a, generate(&s, Seed(1)));
        assert_ne!(a, generate(&s, Seed(2)));
        // Dropping threads or ops does not change the others' streams.
        let fewer = Scenario {
            threads: 2,
            ops: 100,
            ..s.clone()
        };
        let b = generate(&fewer, Seed(1));
        for t in 0..2 {
            assert_eq!(b.threads[t][..], a.threads[t][..100]);
        }
    }

    #[test]
    fn written_values_are_unique_nonzero_and_name_their_writer() {
        let w = generate(&scenario(), Seed(9));
        let mut seen = std::collections::HashSet::new();
        for (t, ops) in w.threads.iter().enumerate() {
            for (i, op) in ops.iter().enumerate() {
                let v = match *op {
                    Op::Store { value, .. }
                    | Op::LoadOrStore { value, .. }
                    | Op::Swap { value, .. } => value,
                    Op::CompareAndSwap { new, .. } => new,
                    _ => continue,
                };
                assert_ne!(v, 0);
                assert!(seen.insert(v), "duplicate value {v:#x}");
                assert_eq!(writer_of(v), Some((t as u32, i as u32)));
            }
        }
        assert_eq!(writer_of(0), None);
        assert_eq!(writer_of(prefill_value(3)), Some((PREFILL_THREAD, 3)));
    }

    #[test]
    fn keys_stay_in_range_for_every_distribution_and_mix_is_honoured() {
        for dist in [
            Distribution::Uniform,
            Distribution::Hotspot,
            Distribution::Zipf,
            Distribution::Sequential,
        ] {
            let s = Scenario {
                distribution: dist,
                keys: 10,
                ..scenario()
            };
            for ops in generate(&s, Seed(3)).threads {
                assert!(ops.iter().filter_map(Op::key).all(|k| k < 10), "{dist:?}");
            }
        }
        let only_loads = Scenario {
            mix: "load=1".parse().unwrap(),
            ..scenario()
        };
        let w = generate(&only_loads, Seed(5));
        assert!(w
            .threads
            .iter()
            .flatten()
            .all(|o| matches!(o, Op::Load { .. })));
        // Every operation of the trait is generated by a mix that names it.
        let all = generate(&scenario(), Seed(5));
        let mut kinds = [false; 11];
        for o in all.threads.iter().flatten() {
            kinds[o.kind_index()] = true;
        }
        assert!(kinds.iter().all(|&k| k));
    }

    #[test]
    fn hotspot_and_zipf_skew_towards_low_keys() {
        for dist in [Distribution::Hotspot, Distribution::Zipf] {
            let s = Scenario {
                distribution: dist,
                keys: 800,
                ops: 20_000,
                threads: 1,
                mix: "load=1".parse().unwrap(),
                ..scenario()
            };
            let ops = &generate(&s, Seed(11)).threads[0];
            let low = ops.iter().filter(|o| o.key().unwrap() < 100).count();
            // Uniform would put 1/8 of the keys below 100; both skews put far more.
            assert!(low > ops.len() / 2, "{dist:?}: {low}");
        }
    }
}
