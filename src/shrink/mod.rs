//! The shrinker: from a failing run to a minimal one that fails the same way.
//!
//! "The same way" means a finding with the same [`Signature`] (kind, message,
//! backend). A step of shrinking is kept only when the smaller candidate,
//! under some seed, produces a finding with that signature; otherwise it is
//! undone. So shrinking can never return something that does not fail with
//! the original signature: every accepted state was observed failing.
//!
//! The starting point must fail: in sched mode, under exactly the given seed
//! (the run is deterministic); in stress mode, in at least [`STRESS_K`] of
//! [`STRESS_N`](crate::replay::STRESS_N) tries (2 of 10).
//!
//! Scenario passes, pass 1 once, then 2–6 in this order, repeated until a
//! round changes nothing or the execution budget runs out:
//!
//! 1. `mode`: a stress failure is moved to `sched` if it reproduces there
//!    under some of `seeds_per_step` seeds (deterministic from then on, and
//!    the script minimiser can record its schedule); otherwise it stays in
//!    stress, where every candidate must fail in at least [`STRESS_K`] of
//!    [`STRESS_N`](crate::replay::STRESS_N) tries.
//! 2. `ops` per thread: the minimum first, then bisection.
//! 3. `threads`: likewise.
//! 4. `keys`, then `prefill`: likewise.
//! 5. the mix: each operation dropped in turn.
//! 6. fault rates: each set to zero in turn (unless
//!    [`ShrinkOptions::keep_fault_rates`]); the distribution to uniform.
//!
//! At each candidate the current seed is tried first, then up to
//! `seeds_per_step - 1` seeds derived from it, so a candidate's verdict is a
//! pure function of (candidate, seed), and so is the whole shrink in sched
//! mode. A round strictly shrinks some field or it is the last, so the loop
//! ends.
//!
//! The result replays: in sched mode `chaos run` with the shrunk scenario's
//! flags ([`Scenario::command_line`]) and the shrunk seed runs the
//! very execution that was seen failing. In stress mode it fails in at least
//! [`STRESS_K`] of [`STRESS_N`](crate::replay::STRESS_N) tries of the same command, not every time:
//! a stress vote runs the seed's own ops each time, with the perturbation
//! and backend seeds of [`Seed::candidate`].
//!
//! After this, [`script::minimise`] records the failing run as an explicit
//! script and minimises that.

pub mod script;

use std::sync::Arc;

use crate::check::{Finding, Signature};
use crate::engine::{run, Request};
use crate::maps::Constructor;
use crate::replay::{finding_with, vote, Attempt, STRESS_K};
use crate::scenario::{Distribution, Mode, Scenario};
use crate::seed::Seed;
use crate::workload::{generate, Workload};

/// Limits of one shrink.
#[derive(Clone, Debug)]
pub struct ShrinkOptions {
    /// Seeds tried at each candidate (sched mode).
    pub seeds_per_step: u32,
    /// Total executions allowed (a sched execution with findings counts
    /// once, though the engine runs it twice to check determinism).
    pub max_executions: u64,
    /// Leave the fault rates as they are (pass 6 then only tries the uniform
    /// distribution): forced faults can be what keeps a script short.
    pub keep_fault_rates: bool,
    /// Told of every execution, for a progress display.
    pub progress: OnProgress,
}

/// What a shrink is doing, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct ShrinkProgress<'a> {
    /// `seed level` or `script`.
    pub stage: &'static str,
    /// Executions spent in this stage so far.
    pub executions: u64,
    /// The size of the candidate being tried, e.g. `2 threads × 5 ops` or
    /// `7 ops`.
    pub trying: &'a str,
}

/// The callback inside an [`OnProgress`].
type ProgressFn = dyn Fn(&ShrinkProgress<'_>) + Send + Sync;

/// A callback told of each execution a shrink spends; none by default.
#[derive(Clone, Default)]
pub struct OnProgress(Option<Arc<ProgressFn>>);

impl OnProgress {
    /// Calls `f` with each execution's progress.
    pub fn new(f: impl Fn(&ShrinkProgress<'_>) + Send + Sync + 'static) -> Self {
        OnProgress(Some(Arc::new(f)))
    }

    /// Tells the callback, if there is one (`trying` is only formatted then).
    pub(crate) fn tell(
        &self,
        stage: &'static str,
        executions: u64,
        trying: impl FnOnce() -> String,
    ) {
        if let Some(f) = &self.0 {
            f(&ShrinkProgress {
                stage,
                executions,
                trying: &trying(),
            });
        }
    }
}

impl std::fmt::Debug for OnProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "OnProgress(..)"
        } else {
            "OnProgress(none)"
        })
    }
}

impl Default for ShrinkOptions {
    fn default() -> Self {
        ShrinkOptions {
            seeds_per_step: 48,
            max_executions: 20_000,
            keep_fault_rates: false,
            progress: OnProgress::default(),
        }
    }
}

/// A minimal failing scenario and the seed that shows it.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest scenario found.
    pub scenario: Scenario,
    /// A seed under which it fails with the signature.
    pub seed: Seed,
    /// The finding it produced.
    pub finding: Finding,
    /// Executions spent.
    pub executions: u64,
}

struct Shrinker<'a> {
    build: &'a Constructor<'a>,
    signature: Signature,
    opts: ShrinkOptions,
    executions: u64,
}

impl Shrinker<'_> {
    fn budget_left(&self) -> bool {
        self.executions < self.opts.max_executions
    }

    /// The first seed (current first) under which `s` fails the same way;
    /// in stress mode, the first failing try, if at least [`STRESS_K`] of
    /// [`STRESS_N`](crate::replay::STRESS_N) tries fail.
    fn fails(&mut self, s: &Scenario, seed: Seed) -> Option<(Seed, Finding)> {
        if s.check().is_err() {
            return None;
        }
        match s.mode {
            Mode::Sched => {
                for i in 0..self.opts.seeds_per_step {
                    if !self.budget_left() {
                        return None;
                    }
                    let candidate = seed.candidate(i);
                    if let Some(f) = self.run(s, candidate) {
                        return Some((candidate, f));
                    }
                }
                None
            }
            // The same command, `chaos run ... --seed SEED`, tried again:
            // the seed's own ops, each try with its own perturbation and
            // backend seeds (real threads never run the same way twice).
            Mode::Stress => {
                let workload = Arc::new(generate(s, seed));
                vote(seed, STRESS_K, |candidate| {
                    if !self.budget_left() {
                        return Attempt::OutOfBudget;
                    }
                    match self.run_ops(s, candidate, workload.clone()) {
                        Some(f) => Attempt::Hit((seed, f)),
                        None => Attempt::Miss,
                    }
                })
            }
        }
    }

    /// One run of `s` with `ops`, under `seed` (the scheduler's choices, the
    /// backend's and the perturbation's seeds).
    fn run_ops(&mut self, s: &Scenario, seed: Seed, ops: Arc<Workload>) -> Option<Finding> {
        self.executions += 1;
        self.opts.progress.tell("seed level", self.executions, || {
            format!("{} threads × {} ops", s.threads, s.ops)
        });
        finding_with(
            &run(&Request::new(s, seed, self.build).workload(ops)),
            &self.signature,
        )
    }

    /// One run of `s` under `seed`: the seed's own ops.
    fn run(&mut self, s: &Scenario, seed: Seed) -> Option<Finding> {
        self.run_ops(s, seed, Arc::new(generate(s, seed)))
    }

    /// Smallest value in `min..=current` that still fails: `min` first, then
    /// bisection (failure is not monotone in general, so this is a
    /// heuristic; every accepted value was seen failing).
    fn shrink_int(
        &mut self,
        best: &mut (Scenario, Seed, Finding),
        current: u64,
        min: u64,
        set: impl Fn(&mut Scenario, u64),
    ) -> bool {
        if current <= min {
            return false;
        }
        let try_value = |me: &mut Self, best: &mut (Scenario, Seed, Finding), v: u64| {
            let mut s = best.0.clone();
            set(&mut s, v);
            match me.fails(&s, best.1) {
                Some((seed, f)) => {
                    *best = (s, seed, f);
                    true
                }
                None => false,
            }
        };
        if try_value(self, best, min) {
            return true;
        }
        let (mut lo, mut hi) = (min, current);
        let mut changed = false;
        while hi - lo > 1 && self.budget_left() {
            let mid = lo + (hi - lo) / 2;
            if try_value(self, best, mid) {
                hi = mid;
                changed = true;
            } else {
                lo = mid;
            }
        }
        changed
    }

    fn try_candidate(&mut self, best: &mut (Scenario, Seed, Finding), s: Scenario) -> bool {
        if s == best.0 {
            return false;
        }
        match self.fails(&s, best.1) {
            Some((seed, f)) => {
                *best = (s, seed, f);
                true
            }
            None => false,
        }
    }
}

/// Shrinks a failing `scenario` under `seed` whose finding has `signature`.
/// Returns `None` if the original run does not fail that way: in sched mode
/// under `seed`; in stress mode neither under the scheduler (any of
/// `seeds_per_step` seeds) nor in at least [`STRESS_K`] of [`STRESS_N`](crate::replay::STRESS_N)
/// stress tries.
pub fn shrink(
    scenario: &Scenario,
    seed: Seed,
    signature: &Signature,
    build: &Constructor<'_>,
    opts: ShrinkOptions,
) -> Option<Shrunk> {
    let mut me = Shrinker {
        build,
        signature: signature.clone(),
        opts,
        executions: 0,
    };
    if scenario.check().is_err() {
        return None;
    }
    // Under swarm the seed's own shape is what shrinks.
    let plain = scenario.for_seed(seed);
    let scenario = &*plain;
    let mut best = match scenario.mode {
        // Deterministic: the given seed, and only it, is the failing run.
        Mode::Sched => {
            let finding = me.run(scenario, seed)?;
            (scenario.clone(), seed, finding)
        }
        // Pass 1: move a stress failure into the deterministic scheduler
        // when it reproduces there; otherwise it must fail often enough in
        // stress for a verdict on smaller candidates to mean anything.
        Mode::Stress => {
            let sched = Scenario {
                mode: Mode::Sched,
                ..scenario.clone()
            };
            match me.fails(&sched, seed) {
                Some((seed, finding)) => (sched, seed, finding),
                None => {
                    let (seed, finding) = me.fails(scenario, seed)?;
                    (scenario.clone(), seed, finding)
                }
            }
        }
    };
    loop {
        let mut changed = false;
        let (ops, threads, keys, prefill) =
            (best.0.ops, best.0.threads, best.0.keys, best.0.prefill);
        changed |= me.shrink_int(&mut best, u64::from(ops), 1, |s, v| s.ops = v as u32);
        changed |= me.shrink_int(&mut best, u64::from(threads), 1, |s, v| {
            s.threads = v as u32
        });
        changed |= me.shrink_int(&mut best, keys, 1, |s, v| s.keys = v);
        changed |= me.shrink_int(&mut best, prefill, 0, |s, v| s.prefill = v);
        for i in 0..crate::op::OP_NAMES.len() {
            if let Some(mix) = best.0.mix.without(i) {
                let s = Scenario {
                    mix,
                    ..best.0.clone()
                };
                changed |= me.try_candidate(&mut best, s);
            }
        }
        let simplifications: [fn(&mut Scenario); 4] = [
            |s| s.resize_rate = 0.0,
            |s| s.evacuate_rate = 0.0,
            |s| s.promote_rate = 0.0,
            |s| s.distribution = Distribution::Uniform,
        ];
        let first = if me.opts.keep_fault_rates { 3 } else { 0 };
        for zero in &simplifications[first..] {
            let mut s = best.0.clone();
            zero(&mut s);
            changed |= me.try_candidate(&mut best, s);
        }
        if !changed || !me.budget_left() {
            break;
        }
    }
    Some(Shrunk {
        scenario: best.0,
        seed: best.1,
        finding: best.2,
        executions: me.executions,
    })
}
