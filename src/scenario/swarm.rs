//! Swarm workloads: the seed also chooses the workload's shape.
//!
//! A fixed mix tests the same thing with every seed: under the default
//! `load=70,store=30` no seed ever calls `swap` or `clear`, so a
//! check-then-act or a torn clear is out of reach. With `swarm = true`
//! (`--swarm`) each seed first draws its own shape, from a stream of its
//! own ([`Stream::Swarm`]), and then runs as a plain scenario of that shape:
//!
//! | choice | drawn from | the scenario field that bounds it |
//! |---|---|---|
//! | the ops | each op of the pool kept with probability 1/2 (at least one), each kept op weighted 1 to 10 | `mix`: its ops with a positive weight are the pool (default under swarm: every op) |
//! | the key count | log-uniform from 1 to the bound | `keys` (default under swarm: [`SWARM_KEYS`]) |
//! | the distribution | one of the four, uniformly | none: under swarm it is always drawn |
//! | the prefill | none half the time, else uniform from 1 to the bound, at most the key count | `prefill` (default under swarm: the key count) |
//! | the faults | each fault rate on or off with probability 1/2 | `resize_rate`, `evacuate_rate`, `promote_rate`: the rate when on (default under swarm: [`SWARM_RATE`]; 0 keeps that fault off for every seed, and a `go:` backend takes none) |
//!
//! Threads, ops per thread, the mode and its settings are the scenario's.
//! Which fault *sites* are active is the injector's own per-seed choice
//! (`engine::faults`), on top of which fault kinds are on.
//!
//! The choice is a pure function of the scenario and the seed, so `chaos
//! run --swarm --seed S` replays a hunt's seed exactly, and so does the
//! resolved scenario without swarm (what a report's replay line and a repro
//! file carry): [`SwarmChoice::apply`] only sets fields, and every other
//! stream of the seed is the same either way.

use std::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{Distribution, Mix, Scenario};
use crate::op::OP_NAMES;
use crate::seed::{Seed, Stream};

/// The key-count bound under swarm when the scenario gives no `keys`.
pub const SWARM_KEYS: u64 = 1024;
/// A fault's rate when swarm turns it on and the scenario gives no rate.
pub const SWARM_RATE: f64 = 0.2;

/// One seed's choices under swarm: the shape its run takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwarmChoice {
    /// The ops and their weights.
    pub mix: Mix,
    /// The key count.
    pub keys: u64,
    /// How keys are drawn.
    pub distribution: Distribution,
    /// Keys stored before the threads start.
    pub prefill: u64,
    /// The forced-resize rate (0: off).
    pub resize_rate: f64,
    /// The forced-evacuation rate (0: off).
    pub evacuate_rate: f64,
    /// The forced-promotion rate (0: off).
    pub promote_rate: f64,
}

impl SwarmChoice {
    /// Draws `seed`'s choices within `bounds` (a swarm scenario).
    pub fn draw(bounds: &Scenario, seed: Seed) -> SwarmChoice {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.derive(Stream::Swarm));
        let pool: Vec<usize> = (0..OP_NAMES.len())
            .filter(|&i| bounds.mix.weights()[i] > 0)
            .collect();
        let mut weights = [0u32; OP_NAMES.len()];
        for &i in &pool {
            if rng.random_bool(0.5) {
                weights[i] = rng.random_range(1..=10);
            }
        }
        if weights.iter().all(|&w| w == 0) {
            let i = pool[rng.random_range(0..pool.len())];
            weights[i] = rng.random_range(1..=10);
        }
        let mix = Mix::from_array(weights);
        // Log-uniform: as many seeds with 2 to 4 keys (contention) as with
        // 256 to 512 (growth).
        let top = (bounds.keys as f64).ln();
        let keys = (rng.random_range(0.0..=top).exp().round() as u64).clamp(1, bounds.keys);
        let distribution = [
            Distribution::Uniform,
            Distribution::Hotspot,
            Distribution::Zipf,
            Distribution::Sequential,
        ][rng.random_range(0..4usize)];
        let most = bounds.prefill.min(keys);
        let prefill = if most == 0 || rng.random_bool(1.0 / 3.0) {
            0
        } else {
            rng.random_range(most.div_ceil(2)..=most)
        };
        let mut rate = |r: f64| {
            if r > 0.0 && rng.random_bool(0.5) {
                r
            } else {
                0.0
            }
        };
        SwarmChoice {
            mix,
            keys,
            distribution,
            prefill,
            resize_rate: rate(bounds.resize_rate),
            evacuate_rate: rate(bounds.evacuate_rate),
            promote_rate: rate(bounds.promote_rate),
        }
    }

    /// `bounds` with these choices in place of its bounds, swarm off: the
    /// plain scenario this seed runs.
    pub fn apply(&self, bounds: &Scenario) -> Scenario {
        Scenario {
            swarm: false,
            mix: self.mix.clone(),
            keys: self.keys,
            distribution: self.distribution,
            prefill: self.prefill,
            resize_rate: self.resize_rate,
            evacuate_rate: self.evacuate_rate,
            promote_rate: self.promote_rate,
            ..bounds.clone()
        }
    }
}

impl fmt::Display for SwarmChoice {
    /// `mix load=3,swap=7 · 37 keys, zipf · prefill 12 · faults: resize 0.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mix {} · {} keys, {} · prefill {} · faults: ",
            self.mix,
            self.keys,
            super::enum_name(&self.distribution),
            self.prefill
        )?;
        let on: Vec<String> = [
            ("resize", self.resize_rate),
            ("evacuate", self.evacuate_rate),
            ("promote", self.promote_rate),
        ]
        .iter()
        .filter(|(_, r)| *r > 0.0)
        .map(|(n, r)| format!("{n} {r}"))
        .collect();
        if on.is_empty() {
            write!(f, "none")
        } else {
            write!(f, "{}", on.join(", "))
        }
    }
}

impl Scenario {
    /// The seed's swarm choices, if this is a swarm scenario.
    pub fn swarm_choice(&self, seed: Seed) -> Option<SwarmChoice> {
        self.swarm.then(|| SwarmChoice::draw(self, seed))
    }

    /// The plain scenario `seed` runs: this one, or under swarm the seed's
    /// choices applied to it.
    pub fn for_seed(&self, seed: Seed) -> std::borrow::Cow<'_, Scenario> {
        match self.swarm_choice(seed) {
            Some(choice) => std::borrow::Cow::Owned(choice.apply(self)),
            None => std::borrow::Cow::Borrowed(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::RawScenario;

    fn swarm(toml: &str) -> Scenario {
        RawScenario::from_toml(&format!("swarm = true\n{toml}"), "s")
            .unwrap()
            .validate()
            .unwrap()
    }

    #[test]
    fn the_choice_is_a_pure_function_of_scenario_and_seed_and_stays_in_bounds() {
        let s = swarm("");
        let mut kinds = std::collections::BTreeSet::new();
        let mut faults = 0;
        for seed in 0..500 {
            let a = s.swarm_choice(Seed(seed)).unwrap();
            assert_eq!(Some(&a), s.swarm_choice(Seed(seed)).as_ref());
            assert!((1..=SWARM_KEYS).contains(&a.keys), "{a}");
            assert!(a.prefill <= a.keys, "{a}");
            for (i, &w) in a.mix.weights().iter().enumerate() {
                assert!(w <= 10);
                if w > 0 {
                    kinds.insert(i);
                }
            }
            faults += usize::from(a.resize_rate > 0.0);
            let plain = s.for_seed(Seed(seed));
            assert!(!plain.swarm);
            plain.check().unwrap();
        }
        assert_eq!(
            kinds.len(),
            OP_NAMES.len(),
            "every op is chosen by some seed"
        );
        // Binomial(500, 1/2): outside 200..=300 with odds below 1e-5.
        assert!((200..=300).contains(&faults), "{faults}");
    }

    #[test]
    fn the_scenario_narrows_the_pool_the_keys_the_prefill_and_the_faults() {
        let s = swarm("mix = { swap = 1, clear = 1 }\nkeys = 8\nprefill = 2\nresize_rate = 0\npromote_rate = 0.5\n");
        for seed in 0..200 {
            let c = s.swarm_choice(Seed(seed)).unwrap();
            let named = c.mix.to_weights();
            assert!(named.keys().all(|k| k == "swap" || k == "clear"), "{c}");
            assert!(c.keys <= 8 && c.prefill <= 2, "{c}");
            assert_eq!(c.resize_rate, 0.0);
            assert!(c.promote_rate == 0.0 || c.promote_rate == 0.5);
        }
    }

    #[test]
    fn a_go_backend_under_swarm_draws_no_faults() {
        let s = swarm("backend = \"go:map\"\n");
        for seed in 0..50 {
            let c = s.swarm_choice(Seed(seed)).unwrap();
            assert_eq!(
                (c.resize_rate, c.evacuate_rate, c.promote_rate),
                (0.0, 0.0, 0.0)
            );
        }
    }

    #[test]
    fn the_choices_read_as_one_line() {
        let c = SwarmChoice {
            mix: "load=3,swap=7".parse().unwrap(),
            keys: 37,
            distribution: Distribution::Zipf,
            prefill: 12,
            resize_rate: 0.1,
            evacuate_rate: 0.0,
            promote_rate: 0.0,
        };
        assert_eq!(
            c.to_string(),
            "mix load=3,swap=7 · 37 keys, zipf · prefill 12 · faults: resize 0.1"
        );
    }
}
