//! From a failing run to a repro: seed-level shrinking, script
//! minimisation, then a replay that describes what happens.

use super::{replay, Repro, SwarmOrigin};
use crate::check::Signature;
use crate::maps::Constructor;
use crate::replay::Replayed;
use crate::scenario::{Mode, Scenario};
use crate::seed::Seed;
use crate::shrink::script::{self, Minimised, ScriptError, ScriptOptions};
use crate::shrink::{self, ShrinkOptions, Shrunk};
use crate::timeline::Timeline;

/// How much work [`make`] may do.
#[derive(Clone, Debug, Default)]
pub struct MakeOptions {
    /// Seed-level shrinking.
    pub shrink: ShrinkOptions,
    /// Script minimisation.
    pub script: ScriptOptions,
}

/// A repro made from a failing run, with the steps that made it.
#[derive(Clone, Debug)]
pub struct Made {
    /// The repro (its description derived from `replayed`).
    pub repro: Repro,
    /// The seed-level shrink.
    pub shrunk: Shrunk,
    /// The script minimisation.
    pub minimised: Minimised,
    /// The replay of the repro the description was derived from.
    pub replayed: Replayed,
}

impl Made {
    /// Executions spent in all: shrinking, minimising, replaying.
    pub fn executions(&self) -> u64 {
        self.shrunk.executions + self.minimised.executions + u64::from(self.replayed.tries)
    }
}

/// Why no repro could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MakeError {
    /// The run does not fail with the signature (nothing to shrink).
    #[error("the run does not fail with {0}: nothing to shrink")]
    NotFailing(Signature),
    /// The script could not be minimised into something that replays.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// The minimal script did not reproduce on replay.
    #[error("the minimal script did not reproduce {0} on replay")]
    NotReproduced(Signature),
}

/// From a failing run of `scenario` under `seed` with a finding of
/// `signature` to a minimal repro: seed-level shrinking
/// ([`crate::shrink::shrink`]), script minimisation
/// ([`crate::shrink::script::minimise`]), then a replay that records the
/// timeline and describes what happens.
///
/// Seed-level shrinking sets a fault rate to zero when the bug still shows
/// without it, but a forced fault is often what makes the *script* short (a
/// forced `sync.Map` promotion stands for the dozens of misses that trigger
/// one naturally). So when it zeroed rates the scenario had and the script
/// has more than two ops, the scenario is shrunk again with its fault rates
/// kept ([`ShrinkOptions::keep_fault_rates`]) and minimised, and the repro
/// keeps the smaller script.
pub fn make(
    scenario: &Scenario,
    seed: Seed,
    signature: &Signature,
    build: &Constructor<'_>,
    opts: &MakeOptions,
) -> Result<Made, MakeError> {
    // A swarm scenario is made plain first: the seed's own shape is what
    // shrinks, and the repro records where it came from.
    let origin = scenario
        .swarm_choice(seed)
        .map(|choice| SwarmOrigin { seed, choice });
    let plain = scenario.for_seed(seed);
    let scenario = &*plain;
    let mut shrunk = shrink::shrink(scenario, seed, signature, build, opts.shrink.clone())
        .ok_or_else(|| MakeError::NotFailing(signature.clone()))?;
    let mut minimised = match script::minimise(
        &shrunk.scenario,
        shrunk.seed,
        signature,
        build,
        opts.script.clone(),
    ) {
        Ok(m) => m,
        // In stress mode a smaller scenario may fail too rarely for the
        // script's own vote (2 of 10) even though the seed-level one
        // passed: minimise the run as it was found instead, which fails
        // more often.
        Err(ScriptError::NotFailing(_))
            if shrunk.scenario.mode == Mode::Stress && shrunk.scenario != *scenario =>
        {
            let m = script::minimise(scenario, seed, signature, build, opts.script.clone())?;
            shrunk = Shrunk {
                scenario: scenario.clone(),
                seed,
                ..shrunk
            };
            m
        }
        Err(e) => return Err(e.into()),
    };
    let zeroed = |s: &Scenario| {
        (
            scenario.resize_rate,
            scenario.evacuate_rate,
            scenario.promote_rate,
        ) != (s.resize_rate, s.evacuate_rate, s.promote_rate)
    };
    if zeroed(&shrunk.scenario) && minimised.script.ops() > 2 && !opts.shrink.keep_fault_rates {
        let keep = ShrinkOptions {
            keep_fault_rates: true,
            ..opts.shrink.clone()
        };
        let spent = shrunk.executions + minimised.executions;
        if let Some(again) = shrink::shrink(scenario, seed, signature, build, keep) {
            let m = script::minimise(
                &again.scenario,
                again.seed,
                signature,
                build,
                opts.script.clone(),
            );
            match m {
                Ok(m) if m.script.ops() < minimised.script.ops() => {
                    shrunk = Shrunk {
                        executions: again.executions + spent,
                        ..again
                    };
                    minimised = m;
                }
                Ok(m) => shrunk.executions += again.executions + m.executions,
                Err(_) => shrunk.executions += again.executions,
            }
        }
    }
    let mut repro = Repro::new(&shrunk.scenario, shrunk.seed, &minimised);
    let mut replayed = replay(&repro, build);
    if replayed.finding.is_none() && repro.scenario.mode == Mode::Stress {
        // Delta debugging tries hundreds of candidates, and a few that fail
        // rarely pass a vote of 3 in 10 by luck: the minimal script may be
        // one. The seed-level run's whole workload fails as often as the
        // shrinker saw it fail; a longer repro beats none.
        minimised = Minimised {
            scenario: shrunk.scenario.clone(),
            seed: shrunk.seed,
            script: crate::replay::Script {
                threads: crate::workload::generate(&shrunk.scenario, shrunk.seed).threads,
                trace: None,
            },
            finding: shrunk.finding.clone(),
            history_hash: None,
            executions: minimised.executions,
        };
        repro = Repro::new(&shrunk.scenario, shrunk.seed, &minimised);
        replayed = replay(&repro, build);
    }
    let Some(finding) = &replayed.finding else {
        return Err(MakeError::NotReproduced(signature.clone()));
    };
    repro.description = Timeline::build(&replayed.execution, finding).describe();
    repro.swarm = origin;
    Ok(Made {
        repro,
        shrunk,
        minimised,
        replayed,
    })
}
