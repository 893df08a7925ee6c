//! Script-level minimisation: from a (seed-level shrunk) failing run to a
//! minimal explicit script that replays exactly.
//!
//! A *script* is what a repro file stores: each thread's ops as they were
//! executed, and, in sched mode, the [`Trace`] (scheduling choices and fired
//! faults) of the run that failed with them. Replaying the trace against the
//! script ([`run_script`]) re-runs that very execution. Both live in
//! [`crate::replay`], below this module.
//!
//! # Passes, in this order
//!
//! 1. **Record.** Run the scenario under the seed, keep each thread's ops up
//!    to the last one it started (ops after the failure point are dropped),
//!    and replay the recorded trace against that prefix; if the prefix does
//!    not replay, it is re-searched like any candidate (step 2), and if that
//!    fails too the whole generated workload is the script.
//! 2. **Ops, per thread** (ddmin, Zeller & Hildebrandt 2002): for each thread
//!    in turn, first try dropping all its ops, then ddmin over its ops —
//!    subsets, then complements, at doubling granularity — until the list is
//!    1-minimal. Rounds over the threads repeat until one changes nothing.
//!    Threads left without ops are then dropped (one candidate). The current
//!    run's faults go along, renumbered to the ops a candidate keeps (a
//!    fault names its thread's op and the visit within it, see
//!    [`FiredFault`]); the faults of removed ops are dropped.
//! 3. **Faults** (sched mode): ddmin over the trace's fired faults.
//!
//! # When a candidate is kept
//!
//! Removing an op or a fault changes the schedule, so a candidate is never
//! judged by replaying the now-invalid trace. Instead it is re-searched with
//! at most [`ScriptOptions::seeds_per_candidate`] executions:
//!
//! - attempt 0 follows the current schedule *projected* onto the kept ops
//!   (each scheduling decision is labelled with the op it resumed, and the
//!   decisions of removed ops are dropped) until the execution departs from
//!   it, then draws from the current seed ([`Request::follow_choices`]) — the
//!   same interleaving of what remains, as far as the removed ops did not
//!   shape it — and fires the candidate's fault list at each thread's own
//!   visits ([`Request::fault_script`]);
//! - attempts `i ≥ 1` draw the choices from the `i`-th derived seed under
//!   the scenario's strategy, firing the candidate's fault list (odd `i`,
//!   and every `i` in the faults pass) or drawing faults from the seed at
//!   the scenario's rates (even `i` in the ops pass).
//!
//! A candidate is kept only if some attempt produces a finding with the
//! original signature; the kept state is then that attempt's script and the
//! trace it recorded — like Hypothesis, which shrinks the choice sequence
//! and keeps only what it has seen fail. So every accepted state replays
//! exactly, and the last step verifies it: the result is replayed from its
//! trace and must give the signature and the very same history.
//!
//! In stress mode (a failure the scheduler could not reproduce) there is no
//! trace: a candidate is kept when it fails in at least [`SCRIPT_K`] of
//! [`STRESS_N`](crate::replay::STRESS_N) tries, and the script replays statistically.

use std::sync::Arc;

use crate::check::{Finding, Signature};
use crate::engine::faults::FiredFault;
use crate::engine::sched::{SiteVisit, Trace};
use crate::engine::{execute, run, Request};
use crate::history::{Event, History};
use crate::maps::Constructor;
use crate::op::Op;
use crate::replay::{finding_with, run_script, scenario_for, vote, Attempt, Script, STRESS_K};
use crate::scenario::{Mode, Scenario};
use crate::seed::Seed;
use crate::sync::Site;
use crate::workload::{generate, Workload};

/// How many of [`crate::replay::STRESS_N`] tries a smaller stress script
/// must fail in to be kept: one more than a seed-level candidate
/// ([`STRESS_K`]). Delta debugging tries hundreds of scripts, and at 2 of
/// 10 one that fails in a run of thirty passes about one time in thirty;
/// at 3 of 10, one in three hundred. (At 2 of 10, a 2-op Go repro missed
/// one replay in three.)
pub const SCRIPT_K: u32 = STRESS_K + 1;

/// Limits of one script minimisation.
#[derive(Clone, Debug)]
pub struct ScriptOptions {
    /// Executions tried per candidate (sched mode): attempt 0 follows the
    /// current trace, the others draw from derived seeds.
    pub seeds_per_candidate: u32,
    /// Total executions allowed; when they run out, the best script so far
    /// is the result.
    pub max_executions: u64,
    /// Told of every execution, for a progress display.
    pub progress: super::OnProgress,
}

impl Default for ScriptOptions {
    fn default() -> Self {
        ScriptOptions {
            seeds_per_candidate: 16,
            max_executions: 5_000,
            progress: super::OnProgress::default(),
        }
    }
}

/// A minimal script and the run that shows it failing.
#[derive(Clone, Debug)]
pub struct Minimised {
    /// The scenario the script runs under ([`Script::scenario`]).
    pub scenario: Scenario,
    /// The seed of the recorded run: it seeds the backend (and, after a
    /// departure under `--continue`, the draws).
    pub seed: Seed,
    /// The minimal script.
    pub script: Script,
    /// The finding the recorded run produced.
    pub finding: Finding,
    /// Sched mode: the hash of the recorded run's history, which every
    /// replay reproduces.
    pub history_hash: Option<u64>,
    /// Executions spent.
    pub executions: u64,
}

/// Why a script could not be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The starting run does not fail with the signature.
    #[error("the run does not fail with {0}")]
    NotFailing(Signature),
    /// The minimal script did not replay to the same history: the backend is
    /// not deterministic under the scheduler.
    #[error("the minimal script does not replay: {0}")]
    NotReplayable(String),
}

/// Delta debugging (ddmin): a 1-minimal sublist of `items` for which `fails`
/// holds, assuming it holds for `items`. The empty list is tried first.
/// `fails` is called only on proper sublists, in a fixed order.
pub fn ddmin<T: Clone>(items: &[T], mut fails: impl FnMut(&[T]) -> bool) -> Vec<T> {
    let mut c = items.to_vec();
    if c.is_empty() || fails(&[]) {
        return Vec::new();
    }
    let mut n = 2usize;
    while c.len() >= 2 {
        let len = c.len();
        let chunks: Vec<std::ops::Range<usize>> =
            (0..n).map(|i| i * len / n..(i + 1) * len / n).collect();
        let mut reduced = false;
        for r in &chunks {
            let subset = c[r.clone()].to_vec();
            if fails(&subset) {
                c = subset;
                n = 2;
                reduced = true;
                break;
            }
        }
        // With two chunks each complement is the other chunk: already tried.
        if !reduced && n > 2 {
            for r in &chunks {
                let complement: Vec<T> = c[..r.start].iter().chain(&c[r.end..]).cloned().collect();
                if fails(&complement) {
                    c = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= len {
                break;
            }
            n = (2 * n).min(len);
        }
    }
    // A single element left is 1-minimal: `fails(&[])` was tried first.
    c
}

/// The state every accepted candidate leaves: a script seen failing.
#[derive(Clone, Debug)]
struct Best {
    threads: Vec<Vec<Op>>,
    trace: Option<Trace>,
    /// Sched: for each decision of `trace`, the (thread, op) it resumed.
    labels: Vec<(u32, u64)>,
    seed: Seed,
    finding: Finding,
    history_hash: u64,
}

/// Where a candidate's ops come from in `best`: `(thread, op)` of `best` to
/// `(thread, op)` of the candidate, `None` for a removed op.
type Keep<'k> = &'k dyn Fn(u32, u64) -> Option<(u32, u64)>;

impl Best {
    /// `best`'s schedule and faults projected onto a candidate: the
    /// decisions that resumed kept ops, in their order, and the faults of
    /// kept ops, renumbered. Following this keeps the interleaving of what
    /// remains as far as the removed ops did not shape it.
    fn project(&self, keep: Keep<'_>) -> (Vec<u32>, Vec<FiredFault>) {
        let choices = self
            .labels
            .iter()
            .filter_map(|&(t, op)| keep(t, op).map(|(t, _)| t))
            .collect();
        let faults = self
            .trace
            .iter()
            .flat_map(|t| t.faults.iter())
            .filter_map(|f| {
                let (thread, op) = keep(f.thread as u32, f.op)?;
                Some(FiredFault {
                    thread: thread as usize,
                    op,
                    ..*f
                })
            })
            .collect();
        (choices, faults)
    }
}

/// For each decision of a run, the (thread, op) it resumed: the op of the
/// chosen thread's next yield-point visit (the one that ends what the
/// decision let it run), or the op it was in when its body returned. Ops are
/// counted as the fault injector counts them, by `OpBoundary` visits.
fn decision_labels(choices: &[u32], sites: &[SiteVisit]) -> Vec<(u32, u64)> {
    let n = choices.iter().map(|&t| t as usize + 1).max().unwrap_or(0);
    let mut ops_seen = vec![0u64; n];
    let mut next = 0;
    choices
        .iter()
        .enumerate()
        .map(|(d, &t)| {
            while let Some(v) = sites.get(next).filter(|v| v.step <= d as u64 + 1) {
                if v.site == Site::OpBoundary && !v.blocked && (v.thread as usize) < n {
                    ops_seen[v.thread as usize] += 1;
                }
                next += 1;
            }
            (t, ops_seen[t as usize].saturating_sub(1))
        })
        .collect()
}

struct Minimiser<'a> {
    base: Scenario,
    signature: Signature,
    build: &'a Constructor<'a>,
    opts: ScriptOptions,
    executions: u64,
}

impl Minimiser<'_> {
    fn budget_left(&self) -> bool {
        self.executions < self.opts.max_executions
    }

    /// Counts one execution of `threads` (empty: the recorded run itself).
    fn tick(&mut self, threads: &[Vec<Op>]) {
        self.executions += 1;
        self.opts.progress.tell("script", self.executions, || {
            match threads.iter().map(Vec::len).sum::<usize>() {
                0 => "the recorded run".into(),
                n => format!("{n} ops"),
            }
        });
    }

    /// One sched execution of `threads` under `seed`, its choices and faults
    /// as `how` says; a `Best` if it fails the same way.
    fn sched_try(
        &mut self,
        threads: &[Vec<Op>],
        seed: Seed,
        how: impl for<'r> FnOnce(Request<'r>) -> Request<'r>,
    ) -> Option<Best> {
        if !self.budget_left() || threads.is_empty() {
            return None;
        }
        self.tick(threads);
        let scenario = scenario_for(&self.base, threads);
        let workload = Arc::new(Workload {
            threads: threads.to_vec(),
        });
        let request = Request::new(&scenario, seed, self.build)
            .workload(workload)
            .sched()
            .record_sites(true);
        let exec = run(&how(request));
        let finding = finding_with(&exec, &self.signature)?;
        let trace = exec
            .trace()
            .cloned()
            .expect("a sched execution has a trace");
        Some(Best {
            threads: threads.to_vec(),
            labels: decision_labels(&trace.choices, &exec.sched().expect("sched mode").sites),
            trace: Some(trace),
            seed,
            finding,
            history_hash: exec.history_hash(),
        })
    }

    /// Stress: fails in at least [`SCRIPT_K`] of `STRESS_N` tries.
    fn stress_try(&mut self, threads: &[Vec<Op>], seed: Seed) -> Option<Best> {
        if threads.is_empty() {
            return None;
        }
        let scenario = Scenario {
            mode: Mode::Stress,
            ..scenario_for(&self.base, threads)
        };
        let workload = Arc::new(Workload {
            threads: threads.to_vec(),
        });
        vote(seed, SCRIPT_K, |seed| {
            if !self.budget_left() {
                return Attempt::OutOfBudget;
            }
            self.tick(threads);
            let exec = run(&Request::new(&scenario, seed, self.build).workload(workload.clone()));
            match finding_with(&exec, &self.signature) {
                Some(finding) => Attempt::Hit(Best {
                    threads: threads.to_vec(),
                    trace: None,
                    labels: Vec::new(),
                    seed,
                    finding,
                    history_hash: exec.history_hash(),
                }),
                None => Attempt::Miss,
            }
        })
    }

    /// A candidate op script, re-searched from `best`; `keep` says where
    /// each of `best`'s ops went.
    fn test_ops(&mut self, best: &Best, threads: &[Vec<Op>], keep: Keep<'_>) -> Option<Best> {
        if best.trace.is_none() {
            return self.stress_try(threads, best.seed);
        }
        let (choices, faults) = best.project(keep);
        let projected = choices;
        for i in 0..self.opts.seeds_per_candidate {
            // Attempt 0 follows the projected schedule with the projected
            // faults; then derived seeds, alternately keeping the fault
            // script and drawing faults from the seed at the scenario's rates.
            let seeded_faults = i > 0 && i % 2 == 0;
            let found = self.sched_try(threads, best.seed.candidate(i), |r| {
                let r = if i == 0 {
                    r.follow_choices(projected.clone())
                } else {
                    r
                };
                if seeded_faults {
                    r
                } else {
                    r.fault_script(faults.clone())
                }
            });
            if let Some(b) = found {
                return Some(b);
            }
        }
        None
    }

    /// A candidate fault list, fired by each thread's own visits, re-searched
    /// from `best`.
    fn test_faults(&mut self, best: &Best, faults: &[FiredFault]) -> Option<Best> {
        let trace = best.trace.as_ref()?;
        for i in 0..self.opts.seeds_per_candidate {
            let found = self.sched_try(&best.threads, best.seed.candidate(i), |r| {
                let r = if i == 0 {
                    r.follow_choices(trace.choices.clone())
                } else {
                    r
                };
                r.fault_script(faults.to_vec())
            });
            if let Some(b) = found {
                return Some(b);
            }
        }
        None
    }

    /// Pass 1: the failing run as a script.
    fn record(&mut self, seed: Seed) -> Option<Best> {
        let base = self.base.clone();
        match base.mode {
            Mode::Sched => {
                self.tick(&[]);
                let exec = execute(&base, seed, self.build);
                finding_with(&exec, &self.signature)?;
                let full = generate(&base, seed).threads;
                // The same run again, exactly, recording what it needs.
                let trace = exec
                    .trace()
                    .cloned()
                    .expect("a sched execution has a trace");
                let whole = self.sched_try(&full, seed, |r| r.replay(&trace))?;
                let prefix = executed_prefix(&full, &exec.history);
                if prefix == full {
                    return Some(whole);
                }
                let keep = |t: u32, op: u64| {
                    ((op as usize) < prefix.get(t as usize).map_or(0, Vec::len)).then_some((t, op))
                };
                self.sched_try(&prefix, seed, |r| r.replay(&trace))
                    .or_else(|| self.test_ops(&whole, &prefix, &keep))
                    .or(Some(whole))
            }
            Mode::Stress => {
                // The seed's own ops each time; each try its own
                // perturbation and backend seeds.
                let ops = Arc::new(generate(&base, seed));
                let first = vote(seed, STRESS_K, |seed| {
                    self.tick(&[]);
                    let exec = run(&Request::new(&base, seed, self.build).workload(ops.clone()));
                    match finding_with(&exec, &self.signature) {
                        Some(finding) => Attempt::Hit((
                            Best {
                                threads: ops.threads.clone(),
                                trace: None,
                                labels: Vec::new(),
                                seed,
                                finding,
                                history_hash: exec.history_hash(),
                            },
                            exec.history,
                        )),
                        None => Attempt::Miss,
                    }
                });
                let (whole, history) = first?;
                let prefix = executed_prefix(&whole.threads, &history);
                if prefix == whole.threads {
                    return Some(whole);
                }
                self.stress_try(&prefix, whole.seed).or(Some(whole))
            }
        }
    }
}

/// Each thread's ops up to the last one it started in `history` (none if it
/// started none): what ran before the failure stopped the execution.
fn executed_prefix(threads: &[Vec<Op>], history: &History) -> Vec<Vec<Op>> {
    let mut started = vec![0usize; threads.len()];
    for e in &history.events {
        if let Event::Invoke { thread, index, .. } = e {
            let t = *thread as usize;
            if t < started.len() {
                started[t] = started[t].max(*index as usize + 1);
            }
        }
    }
    threads
        .iter()
        .zip(started)
        .map(|(ops, n)| ops[..n.min(ops.len())].to_vec())
        .collect()
}

/// Records the failing run of `scenario` under `seed` (usually the result of
/// [`super::shrink`]) as a script and minimises it (see the module docs for
/// the passes and the rule for keeping a step).
pub fn minimise(
    scenario: &Scenario,
    seed: Seed,
    signature: &Signature,
    build: &Constructor<'_>,
    opts: ScriptOptions,
) -> Result<Minimised, ScriptError> {
    let mut me = Minimiser {
        base: scenario.clone(),
        signature: signature.clone(),
        build,
        opts,
        executions: 0,
    };
    let mut best = me
        .record(seed)
        .ok_or_else(|| ScriptError::NotFailing(signature.clone()))?;

    // Pass 2: ops, per thread, until a round over the threads changes nothing.
    // ddmin runs over positions in the thread's list as the pass found it;
    // `current` maps the accepted state's ops back to those positions.
    loop {
        let before = best.threads.clone();
        for t in 0..best.threads.len() {
            let original = best.threads[t].clone();
            let mut current: Vec<usize> = (0..original.len()).collect();
            let positions = current.clone();
            ddmin(&positions, |kept| {
                let mut threads = best.threads.clone();
                threads[t] = kept.iter().map(|&p| original[p]).collect();
                let keep = |u: u32, op: u64| {
                    if u as usize != t {
                        return Some((u, op));
                    }
                    let p = *current.get(op as usize)?;
                    kept.iter().position(|&k| k == p).map(|i| (u, i as u64))
                };
                match me.test_ops(&best, &threads, &keep) {
                    Some(b) => {
                        best = b;
                        current = kept.to_vec();
                        true
                    }
                    None => false,
                }
            });
        }
        if best.threads == before || !me.budget_left() {
            break;
        }
    }
    if best.threads.iter().any(Vec::is_empty) {
        // Drop the threads left without ops, renumbering the others.
        let kept: Vec<usize> = (0..best.threads.len())
            .filter(|&t| !best.threads[t].is_empty())
            .collect();
        let threads: Vec<Vec<Op>> = kept.iter().map(|&t| best.threads[t].clone()).collect();
        let keep = |u: u32, op: u64| {
            kept.iter()
                .position(|&t| t == u as usize)
                .map(|i| (i as u32, op))
        };
        if let Some(b) = me.test_ops(&best, &threads, &keep) {
            best = b;
        }
    }

    // Pass 3: faults.
    if let Some(faults) = best.trace.as_ref().map(|t| t.faults.clone()) {
        if !faults.is_empty() {
            ddmin(&faults, |candidate| {
                match me.test_faults(&best, candidate) {
                    Some(b) => {
                        best = b;
                        true
                    }
                    None => false,
                }
            });
        }
    }

    let script = Script {
        threads: best.threads.clone(),
        trace: best.trace.clone(),
    };
    // The result must replay: the same signature and, in sched mode, the
    // very same history.
    if script.trace.is_some() {
        me.tick(&script.threads);
        let again = run_script(&me.base, best.seed, &script, me.build, false);
        if again.history_hash() != best.history_hash
            || !again.findings.iter().any(|f| f.signature() == me.signature)
        {
            return Err(ScriptError::NotReplayable(format!(
                "replaying the recorded trace gave history {:#018x} (recorded {:#018x}) and findings {:?}",
                again.history_hash(),
                best.history_hash,
                again
                    .findings
                    .iter()
                    .map(|f| f.signature().0)
                    .collect::<Vec<_>>()
            )));
        }
    }
    Ok(Minimised {
        scenario: script.scenario(&me.base),
        seed: best.seed,
        history_hash: script.trace.is_some().then_some(best.history_hash),
        script,
        finding: best.finding,
        executions: me.executions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_a_one_minimal_subset() {
        // Fails when both 3 and 7 are present.
        let items: Vec<u32> = (0..16).collect();
        let mut calls = 0;
        let got = ddmin(&items, |c| {
            calls += 1;
            c.contains(&3) && c.contains(&7)
        });
        assert_eq!(got, vec![3, 7]);
        assert!(calls < 60, "{calls}");
        // Fails whenever 5 is present: one element.
        assert_eq!(ddmin(&items, |c| c.contains(&5)), vec![5]);
        // Fails always: empty.
        assert_eq!(ddmin(&items, |_| true), Vec::<u32>::new());
        // Needs three scattered elements.
        let got = ddmin(&items, |c| [1, 8, 14].iter().all(|x| c.contains(x)));
        assert_eq!(got, vec![1, 8, 14]);
    }

    #[test]
    fn decisions_are_labelled_with_the_op_they_resumed_and_project_onto_kept_ops() {
        let visit = |step, thread, site| SiteVisit {
            step,
            thread,
            site,
            blocked: false,
            fault: None,
        };
        // Thread 0 runs op 0 (boundary, one yield), thread 1 its op 0, then
        // thread 0 its op 1; decision d resumes the thread whose visit at
        // step d + 1 ends what it ran.
        let choices = [0, 0, 1, 1, 0, 0];
        let sites = [
            visit(1, 0, Site::OpBoundary),
            visit(2, 0, Site::AssignChecked),
            visit(3, 1, Site::OpBoundary),
            visit(4, 1, Site::AccessChecked),
            visit(5, 0, Site::OpBoundary),
            visit(6, 0, Site::AssignChecked),
        ];
        let labels = decision_labels(&choices, &sites);
        assert_eq!(labels, [(0, 0), (0, 0), (1, 0), (1, 0), (0, 1), (0, 1)]);
        let best = Best {
            threads: vec![vec![Op::Len, Op::Len], vec![Op::Len]],
            trace: Some(Trace {
                choices: choices.to_vec(),
                faults: Vec::new(),
            }),
            labels,
            seed: Seed(0),
            finding: Finding {
                kind: crate::check::FindingKind::Panic,
                message: String::new(),
                backend: String::new(),
                thread: None,
                op: None,
                step: None,
                detail: String::new(),
            },
            history_hash: 0,
        };
        // Drop thread 0's first op: its decisions go, its second op is op 0.
        let keep = |t: u32, op: u64| match (t, op) {
            (0, 0) => None,
            (0, 1) => Some((0, 0)),
            other => Some(other),
        };
        assert_eq!(best.project(&keep).0, vec![1, 1, 0, 0]);
    }

    #[test]
    fn ddmin_only_tests_proper_sublists_of_what_it_kept() {
        let items: Vec<u32> = (0..10).collect();
        let mut kept = items.clone();
        ddmin(&items, |c| {
            assert!(c.len() < kept.len());
            assert!(c.iter().all(|x| kept.contains(x)));
            let fails = c.contains(&2) && c.contains(&9);
            if fails {
                kept = c.to_vec();
            }
            fails
        });
        assert_eq!(kept, vec![2, 9]);
    }
}
