//! The seeded decisions: which faults may fire at a site, the once-per-seed
//! activation of each injection site, and the per-visit draws.

use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;

use super::FaultConfig;
use crate::seed;
use crate::sync::{Fault, Site};

/// Faults that may fire at `site`, in the fixed order in which they are drawn.
pub(super) fn candidates(site: Site) -> &'static [Fault] {
    if site.in_gomap_write_window() {
        &[
            Fault::Grow,
            Fault::SameSizeGrow,
            Fault::Evacuate,
            Fault::WithholdEvacuation,
        ]
    } else if site.in_swiss_write_window() {
        &[Fault::Grow]
    } else if site.in_syncmap_locked() {
        &[Fault::Promote, Fault::RebuildDirty]
    } else if site.in_trie_recheck() {
        &[Fault::Grow, Fault::Evacuate]
    } else if site == Site::OpBoundary {
        // Between two ops of a thread, the engine asks the backend's own
        // resize hook (which takes whatever lock it needs) to do this, while
        // the other threads are wherever they are: mid-operation.
        &[
            Fault::Grow,
            Fault::SameSizeGrow,
            Fault::Evacuate,
            Fault::Promote,
            Fault::RebuildDirty,
        ]
    } else {
        &[]
    }
}

/// Whether the injection site `(site, fault)` is switched on for `seed`: one
/// ChaCha8 bit on a stream of the pair's own, so the answer is the same
/// whenever and in whatever order the pair is first visited.
pub(super) fn activated(seed: u64, site: Site, fault: Fault) -> bool {
    // The stream is named by the pair's `Debug` text, which depends only on
    // the variant names (never on addresses, the platform or enum layout).
    let stream = seed::activation_stream(&format!("{site:?}/{fault:?}"));
    seed::chacha(seed, stream).next_u32() & 1 == 1
}

/// A uniform draw in `[0, 1)` compared with `rate`: always true at 1.0,
/// never at 0.0 (zero rates are skipped before drawing anyway).
fn fires(rng: &mut ChaCha8Rng, rate: f64) -> bool {
    // 53 random bits make an exactly representable f64 in [0, 1).
    let unit = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    unit < rate
}

/// The seeded decisions: two-phase activation, then per-visit draws.
#[derive(Debug)]
pub(super) struct Seeded {
    seed: u64,
    cfg: FaultConfig,
    rng: ChaCha8Rng,
    /// Activation of each pair seen so far (at most a dozen pairs exist,
    /// so a linear search beats hashing).
    activation: Vec<(Site, Fault, bool)>,
}

impl Seeded {
    /// `None` when every rate is zero (never draws, never fires).
    pub(super) fn new(seed: u64, cfg: FaultConfig) -> Option<Self> {
        if cfg.is_disabled() {
            return None;
        }
        Some(Seeded {
            seed,
            cfg,
            rng: seed::chacha(seed, seed::FIRING_STREAM),
            activation: Vec::new(),
        })
    }

    pub(super) fn decide(&mut self, site: Site) -> Option<Fault> {
        let faults = candidates(site);
        if faults.is_empty() {
            return None;
        }
        // At most five candidates: a fixed array, no allocation.
        let mut hits = [Fault::Grow; 5];
        let mut n = 0;
        for &fault in faults {
            let mut rate = self.cfg.rate_of(fault);
            if site == Site::OpBoundary {
                rate /= 4.0;
            }
            if rate <= 0.0 {
                continue;
            }
            let active = match self
                .activation
                .iter()
                .find(|(s, f, _)| *s == site && *f == fault)
            {
                Some(&(_, _, on)) => on,
                None => {
                    let on = activated(self.seed, site, fault);
                    self.activation.push((site, fault, on));
                    on
                }
            };
            if active && fires(&mut self.rng, rate) {
                hits[n] = fault;
                n += 1;
            }
        }
        match n {
            0 => None,
            1 => Some(hits[0]),
            _ => Some(hits[self.rng.random_range(0..n as u32) as usize]),
        }
    }
}
