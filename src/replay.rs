//! Replay: running a recorded script again, and what it means when it fails.
//!
//! A [`Script`] is what a repro file stores: each thread's ops as they were
//! executed and, in sched mode, the [`Trace`] (scheduling choices and fired
//! faults) of the run that failed with them. This module is the one place
//! that replays one:
//!
//! - [`run_script`]: one execution of a script (the trace replayed exactly
//!   in sched mode; real threads in stress mode);
//! - [`vote`]: the stress-mode rule, *K of N*: a seed-level candidate or a
//!   script counts as failing when at least
//!   `k` of [`STRESS_N`] tries with the seeds [`Seed::candidate`] derives
//!   fail the same way (the shrinker and the minimiser ask [`STRESS_K`]);
//!   a replay of a stress script tries up to [`REPLAY_N`] times and asks
//!   one;
//! - [`replay_script`]: a recorded script replayed as `chaos replay` does,
//!   exactly or continued past a divergence, and its [`Verdict`].
//!
//! The shrinker ([`crate::shrink`]) and repro files ([`crate::repro`]) both
//! stand on it.

use std::sync::Arc;

use crate::check::{Finding, FindingKind, Signature};
use crate::engine::sched::{Departure, End, Trace};
use crate::engine::{run, Execution, Request};
use crate::maps::Constructor;
use crate::op::Op;
use crate::scenario::{Mode, Scenario};
use crate::seed::Seed;
use crate::workload::Workload;

/// A stress candidate must fail in at least this many of [`STRESS_N`] tries.
pub const STRESS_K: u32 = 2;
/// Tries per stress candidate.
pub const STRESS_N: u32 = 10;
/// Most tries of one replay of a stress script: a script was kept because
/// it failed in a few of 10 tries, so it may fail in as few as one run in
/// seven or eight; ten tries would miss such a script about one replay in
/// five, thirty about one in a hundred.
pub const REPLAY_N: u32 = 30;

/// An explicit script: per-thread ops, and the trace that replays them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// `threads[t]`: thread `t`'s ops, in order.
    pub threads: Vec<Vec<Op>>,
    /// Sched mode: the scheduling choices and fired faults of the run that
    /// failed with these ops. `None` for a stress script.
    pub trace: Option<Trace>,
}

impl Script {
    /// Ops in all threads.
    pub fn ops(&self) -> usize {
        self.threads.iter().map(Vec::len).sum()
    }

    /// The script's ops as a workload the engine runs.
    pub fn workload(&self) -> Workload {
        Workload {
            threads: self.threads.clone(),
        }
    }

    /// The scenario the script runs under: `base` with the script's number
    /// of threads (the checker and PCT's horizon read it).
    pub fn scenario(&self, base: &Scenario) -> Scenario {
        scenario_for(base, &self.threads)
    }
}

/// `base` with as many threads as `threads` has (at least one).
pub(crate) fn scenario_for(base: &Scenario, threads: &[Vec<Op>]) -> Scenario {
    Scenario {
        threads: (threads.len() as u32).max(1),
        ..base.clone()
    }
}

/// Runs `script` once: in sched mode by replaying its trace exactly
/// (recording yield-point sites when asked, for a timeline), in stress mode
/// on real threads.
pub fn run_script(
    base: &Scenario,
    seed: Seed,
    script: &Script,
    build: &Constructor<'_>,
    record_sites: bool,
) -> Execution {
    let scenario = script.scenario(base);
    let request = Request::new(&scenario, seed, build).workload(Arc::new(script.workload()));
    match &script.trace {
        Some(trace) => run(&request.replay(trace).record_sites(record_sites)),
        None => run(&Request {
            mode: Mode::Stress,
            ..request
        }),
    }
}

/// One try of a vote.
pub enum Attempt<T> {
    /// It failed the way the caller looks for.
    Hit(T),
    /// It did not.
    Miss,
    /// The caller's execution budget ran out: the vote is lost.
    OutOfBudget,
}

/// The K-of-N rule: tries `attempt` with the seeds `seed.candidate(0..)`,
/// at most [`STRESS_N`] times, and returns the first hit once `k` tries have
/// hit; `None` as soon as `k` hits can no longer be reached.
pub fn vote<T>(seed: Seed, k: u32, mut attempt: impl FnMut(Seed) -> Attempt<T>) -> Option<T> {
    let mut hits = 0;
    let mut first = None;
    for i in 0..STRESS_N {
        if hits + (STRESS_N - i) < k {
            return None;
        }
        match attempt(seed.candidate(i)) {
            Attempt::Hit(t) => {
                hits += 1;
                first.get_or_insert(t);
            }
            Attempt::Miss => {}
            Attempt::OutOfBudget => return None,
        }
        if hits >= k {
            return first;
        }
    }
    None
}

/// The finding with `signature` among an execution's, if there is one.
pub fn finding_with(exec: &Execution, signature: &Signature) -> Option<Finding> {
    exec.findings
        .iter()
        .find(|f| f.signature() == *signature)
        .cloned()
}

/// How to replay.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    /// When the recorded schedule no longer fits the backend (the replay
    /// diverges), follow it as far as it goes and finish the execution with
    /// choices and faults drawn from the script's seed.
    pub continue_on_divergence: bool,
    /// Record yield-point sites, for the timeline (on by default).
    pub record_sites: bool,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            continue_on_divergence: false,
            record_sites: true,
        }
    }
}

/// What a replay did.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The execution (the continued one, after a divergence with
    /// `continue_on_divergence`).
    pub execution: Execution,
    /// The finding with the recorded signature, if it came back.
    pub finding: Option<Finding>,
    /// Where the exact replay could not follow the recorded trace.
    pub divergence: Option<Departure>,
    /// Whether the execution was continued under the seed after a divergence.
    pub continued: bool,
    /// Sched mode: whether the history hash equals the recorded one.
    pub history_matches: Option<bool>,
    /// Executions run (stress scripts may take several tries).
    pub tries: u32,
}

/// What a replay says about the recorded bug: computed once
/// ([`Replayed::verdict`]) for every report and exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// The recorded finding came back (the same signature).
    Reproduced(&'a Finding),
    /// Not the recorded finding, but another one: a finding the checker now
    /// names differently, or another bug.
    FailsDifferently(&'a Finding),
    /// No finding at all: the bug is gone.
    Gone,
}

impl Replayed {
    /// The verdict.
    pub fn verdict(&self) -> Verdict<'_> {
        match (&self.finding, self.failures().first()) {
            (Some(f), _) => Verdict::Reproduced(f),
            (None, Some(other)) => Verdict::FailsDifferently(other),
            (None, None) => Verdict::Gone,
        }
    }

    /// Whether the recorded finding came back (the same signature).
    pub fn reproduced(&self) -> bool {
        matches!(self.verdict(), Verdict::Reproduced(_))
    }

    /// The replayed execution's findings about the backend: all but the
    /// engine's note that the replay diverged from its recorded schedule.
    pub fn failures(&self) -> Vec<&Finding> {
        self.execution
            .findings
            .iter()
            .filter(|f| !(self.divergence.is_some() && f.kind == FindingKind::Nondeterminism))
            .collect()
    }

    /// Whether the replay failed at all: the recorded finding or another.
    pub fn failed(&self) -> bool {
        self.verdict() != Verdict::Gone
    }
}

/// What a recorded failure consists of, for [`replay_script`].
#[derive(Clone, Copy, Debug)]
pub struct Recorded<'a> {
    /// The scenario the script was shrunk under.
    pub scenario: &'a Scenario,
    /// The script.
    pub script: &'a Script,
    /// The seed of the recorded run.
    pub seed: Seed,
    /// The recorded finding's signature.
    pub signature: &'a Signature,
    /// Sched mode: the recorded history hash.
    pub history_hash: Option<u64>,
}

/// Replays a recorded script as `opts` say: a sched script exactly from its
/// trace (or continued past a divergence), a stress script on real threads
/// until one of [`REPLAY_N`] tries fails the same way.
pub fn replay_script(rec: Recorded<'_>, build: &Constructor<'_>, opts: &ReplayOptions) -> Replayed {
    let Some(trace) = &rec.script.trace else {
        let (mut tries, mut last, mut hit) = (0, None, None);
        for i in 0..REPLAY_N {
            tries += 1;
            let exec = run_script(
                rec.scenario,
                rec.seed.candidate(i),
                rec.script,
                build,
                false,
            );
            match finding_with(&exec, rec.signature) {
                Some(f) => {
                    hit = Some((exec, f));
                    break;
                }
                None => last = Some(exec),
            }
        }
        let (execution, finding) = match hit {
            Some((exec, f)) => (exec, Some(f)),
            None => (last.expect("at least one try"), None),
        };
        return Replayed {
            execution,
            finding,
            divergence: None,
            continued: false,
            history_matches: None,
            tries,
        };
    };
    let exec = run_script(rec.scenario, rec.seed, rec.script, build, opts.record_sites);
    let divergence = match exec.sched().map(|d| &d.end) {
        Some(End::Diverged { step, detail }) => Some(Departure {
            step: *step,
            detail: detail.clone(),
        }),
        _ => None,
    };
    let matches = |exec: &Execution| rec.history_hash.map(|h| h == exec.history_hash());
    if divergence.is_some() && opts.continue_on_divergence {
        let scenario = rec.script.scenario(rec.scenario);
        let follow = Request::new(&scenario, rec.seed, build)
            .workload(Arc::new(rec.script.workload()))
            .follow(trace)
            .record_sites(opts.record_sites);
        let exec = run(&follow);
        return Replayed {
            finding: finding_with(&exec, rec.signature),
            history_matches: matches(&exec),
            execution: exec,
            divergence,
            continued: true,
            tries: 2,
        };
    }
    Replayed {
        finding: if divergence.is_some() {
            None
        } else {
            finding_with(&exec, rec.signature)
        },
        history_matches: matches(&exec),
        execution: exec,
        divergence,
        continued: false,
        tries: 1,
    }
}
