//! What one execution is asked to do: the one input of [`super::run`].

use std::sync::Arc;

use super::sched::{Choices, Faults, Trace};
use crate::engine::faults::{FaultConfig, FiredFault};
use crate::maps::Constructor;
use crate::scenario::{Mode, Scenario};
use crate::seed::Seed;
use crate::workload::{generate, Workload};

/// One execution to run: a scenario under a seed against a backend, and, in
/// sched mode, where the scheduling choices and the faults come from.
///
/// [`Request::new`] asks for the plain run: the workload the seed generates,
/// choices and faults drawn from the seed, in the scenario's mode. The other
/// constructors say what replaces the seed, each for one caller:
///
/// | request | choices | faults | used by |
/// |---|---|---|---|
/// | [`Request::new`] | seeded | seeded at the scenario's rates | `chaos run`, hunts, shrinking |
/// | [`Request::replay`] | the trace's, exactly | the trace's, exactly | `chaos replay`, fixtures |
/// | [`Request::follow`] | the trace's, then seeded | the trace's, then seeded | `chaos replay --continue` |
/// | [`Request::fault_script`] | seeded (or [`Request::follow_choices`]) | each at its thread's own visit | the script minimiser |
///
/// A request with a trace or a fault script runs in sched mode whatever the
/// scenario says.
#[derive(Clone)]
pub struct Request<'a> {
    /// The scenario (its mode may be overridden, see above).
    pub scenario: &'a Scenario,
    /// The seed: it drives the workload (unless [`Request::workload`] is
    /// set), the backend's own randomness, and every seeded draw.
    pub seed: Seed,
    /// Builds the backend from its derived seed.
    pub build: &'a Constructor<'a>,
    /// Explicit ops (a repro's script) instead of the generated workload.
    pub workload: Option<Arc<Workload>>,
    /// The mode the execution runs in.
    pub mode: Mode,
    /// Sched mode: where the scheduling choices come from.
    pub choices: Choices,
    /// Sched mode: where the faults come from.
    pub faults: Faults,
    /// Sched mode: record every yield-point visit (for a timeline).
    pub record_sites: bool,
    /// Sched mode: run an execution with findings a second time and report
    /// a different history as a nondeterminism finding. On for seeded runs;
    /// a caller that replays or follows compares histories itself.
    pub recheck: bool,
}

impl<'a> Request<'a> {
    /// The plain run of `scenario` under `seed`: everything from the seed.
    pub fn new(scenario: &'a Scenario, seed: Seed, build: &'a Constructor<'a>) -> Self {
        Request {
            scenario,
            seed,
            build,
            workload: None,
            mode: scenario.mode,
            choices: Choices::Seeded,
            faults: Faults::Seeded(rates(scenario)),
            record_sites: false,
            recheck: true,
        }
    }

    /// Runs these ops instead of the generated workload.
    pub fn workload(mut self, workload: Arc<Workload>) -> Self {
        self.workload = Some(workload);
        self
    }

    /// Replays `trace` exactly, in sched mode: every choice and fault comes
    /// from it; one that cannot be made ends the execution diverged.
    pub fn replay(mut self, trace: &Trace) -> Self {
        self.mode = Mode::Sched;
        self.choices = Choices::Replay(trace.choices.clone());
        self.faults = Faults::Replay(trace.faults.clone());
        self.recheck = false;
        self
    }

    /// Follows `trace`'s choices and faults until the execution departs
    /// from it, then draws both from the seed, in sched mode.
    pub fn follow(mut self, trace: &Trace) -> Self {
        self.mode = Mode::Sched;
        self.choices = Choices::Follow(trace.choices.clone());
        self.faults = Faults::Follow(trace.faults.clone(), rates(self.scenario));
        self.recheck = false;
        self
    }

    /// Follows these choices until the execution departs from them, then
    /// draws from the seed, in sched mode (faults as set otherwise).
    pub fn follow_choices(mut self, choices: Vec<u32>) -> Self {
        self.mode = Mode::Sched;
        self.choices = Choices::Follow(choices);
        self.recheck = false;
        self
    }

    /// Fires exactly `faults`, each at its thread's own visit, in sched
    /// mode; choices as set otherwise.
    pub fn fault_script(mut self, faults: Vec<FiredFault>) -> Self {
        self.mode = Mode::Sched;
        self.faults = Faults::ByThread(faults);
        self.recheck = false;
        self
    }

    /// Runs in sched mode, everything else as set, without the second run.
    pub fn sched(mut self) -> Self {
        self.mode = Mode::Sched;
        self.recheck = false;
        self
    }

    /// Records every yield-point visit (sched mode), for a timeline.
    pub fn record_sites(mut self, on: bool) -> Self {
        self.record_sites = on;
        self
    }

    /// This request over `plain`, the plain scenario a swarm scenario
    /// resolves to under this seed: seeded faults take `plain`'s rates
    /// (the seed's swarm choice), everything else is unchanged.
    pub(super) fn resolved<'b>(&self, plain: &'b Scenario) -> Request<'b>
    where
        'a: 'b,
    {
        let faults = match &self.faults {
            Faults::Seeded(_) => Faults::Seeded(rates(plain)),
            Faults::Follow(trace, _) => Faults::Follow(trace.clone(), rates(plain)),
            other => other.clone(),
        };
        Request {
            scenario: plain,
            seed: self.seed,
            build: self.build,
            workload: self.workload.clone(),
            mode: self.mode,
            choices: self.choices.clone(),
            faults,
            record_sites: self.record_sites,
            recheck: self.recheck,
        }
    }

    /// The ops to run: the explicit workload, or the one the seed generates.
    pub(super) fn ops(&self) -> Arc<Workload> {
        match &self.workload {
            Some(w) => w.clone(),
            None => Arc::new(generate(self.scenario, self.seed)),
        }
    }
}

/// The scenario's fault rates.
pub(super) fn rates(scenario: &Scenario) -> FaultConfig {
    FaultConfig {
        resize_rate: scenario.resize_rate,
        evacuate_rate: scenario.evacuate_rate,
        promote_rate: scenario.promote_rate,
    }
}
