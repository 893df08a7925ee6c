//! Hunting: many seeds of one scenario, in parallel, split across machines.
//!
//! A seed range `A..B` (end exclusive) is split into `N` shards by residue:
//! shard `I` (1-based) takes the seeds `s` with `(s - A) % N == I - 1`, so the
//! shards of one range are disjoint and together cover it exactly once,
//! whatever `B - A` is — a CI matrix of `N` runners covers one range with no
//! overlap and no coordination. Within a shard seeds run in parallel on a
//! rayon pool; results are reported in seed order, so a hunt's report does
//! not depend on the number of cores (only its speed does).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::check::Signature;
use crate::engine::{execute, Execution, Outcome};
use crate::maps::Constructor;
use crate::scenario::{Expect, Scenario};
use crate::seed::Seed;
use crate::sync::Class;

/// A half-open seed range `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    /// First seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl FromStr for SeedRange {
    type Err = String;
    /// `A..B` with A and B decimal or 0x-hex, A < B.
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once("..")
            .ok_or_else(|| format!("invalid seed range {s:?}: expected A..B, e.g. 0..1000"))?;
        let a: Seed = a
            .parse()
            .map_err(|e| format!("invalid seed range {s:?}: {e}"))?;
        let b: Seed = b
            .parse()
            .map_err(|e| format!("invalid seed range {s:?}: {e}"))?;
        if a.0 >= b.0 {
            return Err(format!(
                "invalid seed range {s:?}: the end must be greater than the start"
            ));
        }
        Ok(SeedRange {
            start: a.0,
            end: b.0,
        })
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Shard `index` of `count` (1-based), as `--shard I/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: u64,
    /// Number of shards, at least 1.
    pub count: u64,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl FromStr for Shard {
    type Err = String;
    /// `I/N` with 1 ≤ I ≤ N.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid shard {s:?}: expected I/N with 1 <= I <= N, e.g. 2/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The `k`-th seed of this shard within `range`, if the range holds it.
    pub fn nth(&self, range: SeedRange, k: u64) -> Option<u64> {
        let offset = k.checked_mul(self.count)?.checked_add(self.index - 1)?;
        let seed = range.start.checked_add(offset)?;
        (seed < range.end).then_some(seed)
    }

    /// How many seeds of `range` this shard holds.
    pub fn len(&self, range: SeedRange) -> u64 {
        let offset = self.index - 1;
        let span = range.end - range.start;
        if span <= offset {
            0
        } else {
            (span - offset - 1) / self.count + 1
        }
    }

    /// Every seed of this shard within `range`, in order.
    pub fn seeds(self, range: SeedRange) -> impl Iterator<Item = u64> {
        (0..).map_while(move |k| self.nth(range, k))
    }
}

/// The most worker threads a hunt runs (`--jobs`): more only cost memory
/// and start-up time on any machine this tool runs on.
pub const MAX_JOBS: usize = 256;

/// How many executions a hunt keeps per distinct signature (the first ones,
/// in seed order); the rest are counted, so memory stays bounded however
/// many seeds fail.
pub const KEEP_PER_SIGNATURE: usize = 3;

/// When a hunt stops.
#[derive(Clone, Copy, Debug)]
pub struct HuntLimits {
    /// Stop at the first finding (`false`: `--keep-going`). The finding
    /// reported is always the one of the lowest failing seed of the shard
    /// (among the seeds run, when a time budget or an interrupt cut it).
    pub stop_at_first: bool,
    /// Stop starting new seeds after this long.
    pub time_budget: Option<Duration>,
    /// Worker threads (`--jobs`, at most [`MAX_JOBS`]); `None` = one per
    /// core. Never more than the shard has seeds.
    pub jobs: Option<usize>,
}

/// How far a hunt is, for a progress display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Seeds executed so far.
    pub executed: u64,
    /// Of those, the seeds that failed (for a `clean` scenario) or showed
    /// the expected finding.
    pub failing: u64,
}

/// What a hunt tells its caller while it runs.
pub struct Observer<'a> {
    /// Called from any worker thread after each seed.
    pub progress: &'a (dyn Fn(Progress) + Sync),
    /// Called on the hunting thread, in seed order, with the first
    /// execution of each new signature as soon as its block of seeds is
    /// done (so a caller can shrink it and write its repro before the hunt
    /// ends).
    pub new_signature: &'a mut dyn FnMut(&Execution),
    /// Set (by a signal handler) to stop starting new seeds; the report
    /// then covers the seeds run so far and says it was interrupted.
    pub interrupt: &'a AtomicBool,
}

/// One distinct signature a hunt saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// The signature.
    pub signature: Signature,
    /// Seeds that showed it.
    pub count: u64,
    /// The lowest seeds that showed it, at most [`KEEP_PER_SIGNATURE`].
    pub seeds: Vec<Seed>,
}

/// The signature an execution is counted under in a hunt: its first bug,
/// else its first finding, else its undetected expectation.
pub fn signature_of(exec: &Execution) -> Signature {
    exec.first_bug()
        .or(exec.findings.first())
        .map(|f| f.signature())
        .or_else(|| exec.undetected().map(|f| f.signature()))
        .unwrap_or_else(|| Signature("expectation not met".into()))
}

/// What a hunt found.
///
/// A `clean` scenario is met when no seed has a finding. A `throw` or
/// `finding` scenario (a raw Go map, a mutant) is met when some seed shows
/// the expected finding: one execution that misses a race proves nothing,
/// a hunt that never sees it does.
#[derive(Debug)]
pub struct HuntReport {
    /// The expectation.
    pub expect: Expect,
    /// `clean` scenarios: executions with findings. `throw`/`finding`
    /// scenarios: executions that showed what was expected. The first
    /// [`KEEP_PER_SIGNATURE`] of each signature, in seed order.
    pub found: Vec<Execution>,
    /// Every distinct signature seen, in the order it was first seen (seed
    /// order), with how many seeds showed it.
    pub signatures: Vec<Tally>,
    /// Seeds that failed (or showed the expected finding).
    pub failing: u64,
    /// Seeds executed.
    pub executed: u64,
    /// Seeds whose step budget ran out while ops were still completing:
    /// neither clean nor failing ([`crate::engine::Outcome::Undecided`]).
    pub undecided: u64,
    /// The lowest of them, for `chaos run --seed` to say which budget.
    pub first_undecided: Option<u64>,
    /// Wall time.
    pub elapsed: Duration,
    /// Whether an interrupt stopped the hunt before its range or budget ran
    /// out.
    pub interrupted: bool,
    /// Seeds whose ops reached no scheduling point, so that only whole ops
    /// were interleaved ([`Execution::whole_ops_only`]).
    pub whole_ops_only: u64,
    /// The backend's interleaving classes, each with the number of seeds
    /// run whose execution reached it ([`Execution::classes_reached`]); a
    /// class no seed reached is a gap in what the hunt explored.
    pub classes: Vec<(Class, u64)>,
}

impl HuntReport {
    /// Whether the hunt met the scenario's expectation (a hunt in which
    /// every seed was undecided met none).
    pub fn met(&self) -> bool {
        match self.expect {
            Expect::Clean => self.found.is_empty() && !self.all_undecided(),
            Expect::Throw | Expect::Finding => !self.found.is_empty(),
        }
    }

    /// Whether seeds ran and every one was undecided: the hunt decided
    /// nothing, and says so rather than "clean".
    pub fn all_undecided(&self) -> bool {
        self.found.is_empty() && self.executed > 0 && self.undecided == self.executed
    }

    /// Seeds per second.
    pub fn rate(&self) -> f64 {
        self.executed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Counts `exec` under its signature, keeps it while its signature has
    /// fewer than [`KEEP_PER_SIGNATURE`] kept, and tells `new_signature`
    /// when the signature is new.
    fn tally(&mut self, exec: Execution, new_signature: &mut dyn FnMut(&Execution)) {
        let signature = signature_of(&exec);
        let i = match self
            .signatures
            .iter()
            .position(|t| t.signature == signature)
        {
            Some(i) => i,
            None => {
                new_signature(&exec);
                self.signatures.push(Tally {
                    signature,
                    count: 0,
                    seeds: Vec::new(),
                });
                self.signatures.len() - 1
            }
        };
        let t = &mut self.signatures[i];
        t.count += 1;
        if t.seeds.len() < KEEP_PER_SIGNATURE {
            t.seeds.push(exec.seed);
            self.found.push(exec);
        }
    }
}

/// Runs `scenario` over the seeds of `shard` in `range`.
pub fn hunt(
    scenario: &Scenario,
    range: SeedRange,
    shard: Shard,
    limits: HuntLimits,
    build: &Constructor<'_>,
    observer: Observer<'_>,
) -> HuntReport {
    let Observer {
        progress,
        new_signature,
        interrupt,
    } = observer;
    let started = Instant::now();
    let executed = AtomicU64::new(0);
    let failing = AtomicU64::new(0);
    let undecided = AtomicU64::new(0);
    let whole_ops_only = AtomicU64::new(0);
    // The backend's classes (from its first execution) and, for each, the
    // seeds that reached it.
    let classes: StdMutex<Vec<(Class, u64)>> = StdMutex::new(Vec::new());
    let first_undecided = AtomicU64::new(u64::MAX);
    // With `stop_at_first`, the shard index of the lowest failing seed so
    // far: a seed above it is not started, one below it still runs, so the
    // finding reported does not depend on the number of workers.
    let lowest = AtomicU64::new(u64::MAX);
    let shard_len = shard.len(range);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = limits
        .jobs
        .unwrap_or(cores)
        .clamp(1, MAX_JOBS)
        .min(usize::try_from(shard_len).unwrap_or(usize::MAX).max(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("chaos-hunt-{i}"))
        .build()
        .expect("building the hunt's thread pool");
    let stopped = || {
        interrupt.load(Ordering::Relaxed)
            || limits.time_budget.is_some_and(|b| started.elapsed() >= b)
    };
    let mut report = HuntReport {
        expect: scenario.expect,
        found: Vec::new(),
        signatures: Vec::new(),
        failing: 0,
        executed: 0,
        undecided: 0,
        first_undecided: None,
        elapsed: Duration::ZERO,
        interrupted: false,
        whole_ops_only: 0,
        classes: Vec::new(),
    };
    // Seeds are handed out in blocks so that "stop at the first finding"
    // stops soon, while each worker still gets long runs of work.
    const BLOCK: u64 = 64;
    let mut k = 0u64;
    let mut first_failing = None;
    while k < shard_len && !stopped() {
        let block: Vec<u64> = (k..shard_len.min(k.saturating_add(BLOCK))).collect();
        k = k.saturating_add(BLOCK);
        let mut found: Vec<(u64, Execution)> = pool.install(|| {
            block
                .par_iter()
                .filter_map(|&j| {
                    if stopped() || j > lowest.load(Ordering::Relaxed) {
                        return None;
                    }
                    let seed = shard.nth(range, j)?;
                    let exec = execute(scenario, Seed(seed), build);
                    if exec.whole_ops_only() {
                        whole_ops_only.fetch_add(1, Ordering::Relaxed);
                    }
                    {
                        let mut c = classes.lock().unwrap_or_else(|p| p.into_inner());
                        if c.is_empty() {
                            c.extend(exec.classes.iter().map(|&class| (class, 0)));
                        }
                        for reached in exec.classes_reached() {
                            if let Some(t) = c.iter_mut().find(|(k, _)| k == reached) {
                                t.1 += 1;
                            }
                        }
                    }
                    if matches!(exec.outcome(), Outcome::Undecided { .. }) {
                        undecided.fetch_add(1, Ordering::Relaxed);
                        first_undecided.fetch_min(seed, Ordering::Relaxed);
                    }
                    let wanted = match scenario.expect {
                        Expect::Clean => !exec.findings.is_empty(),
                        Expect::Throw | Expect::Finding => exec.expectation_met(),
                    };
                    let failed = u64::from(wanted);
                    progress(Progress {
                        executed: executed.fetch_add(1, Ordering::Relaxed) + 1,
                        failing: failing.fetch_add(failed, Ordering::Relaxed) + failed,
                    });
                    if !wanted {
                        return None;
                    }
                    if limits.stop_at_first {
                        lowest.fetch_min(j, Ordering::Relaxed);
                    }
                    Some((j, exec))
                })
                .collect()
        });
        found.sort_by_key(|(j, _)| *j);
        if limits.stop_at_first && !found.is_empty() {
            found.truncate(1);
            k = shard_len;
            // The verdict covers the seeds up to the first failing one, all
            // of which ran; seeds above it that a worker had already
            // started are not counted, so the report does not depend on
            // the number of workers.
            first_failing = Some(found[0].0);
        }
        for (_, exec) in found {
            report.tally(exec, new_signature);
        }
    }
    report.interrupted = interrupt.load(Ordering::Relaxed);
    report.failing = if limits.stop_at_first {
        report.found.len() as u64
    } else {
        failing.into_inner()
    };
    report.undecided = undecided.into_inner();
    report.whole_ops_only = whole_ops_only.into_inner();
    report.classes = classes.into_inner().unwrap_or_else(|p| p.into_inner());
    report.first_undecided = Some(first_undecided.into_inner()).filter(|&s| s != u64::MAX);
    report.executed = match first_failing {
        Some(j) => j + 1,
        None => executed.into_inner(),
    };
    report.elapsed = started.elapsed();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_a_range_exactly_once() {
        for (start, end) in [(0u64, 1), (0, 10), (5, 1000), (u64::MAX - 7, u64::MAX)] {
            let range = SeedRange { start, end };
            for count in 1..=7 {
                let mut all: Vec<u64> = (1..=count)
                    .flat_map(|index| Shard { index, count }.seeds(range).collect::<Vec<_>>())
                    .collect();
                all.sort_unstable();
                let expect: Vec<u64> = (start..end).collect();
                assert_eq!(all, expect, "{range} in {count} shards");
            }
        }
    }

    #[test]
    fn parses_ranges_and_shards_with_one_line_errors() {
        assert_eq!(
            "0..10".parse::<SeedRange>().unwrap(),
            SeedRange { start: 0, end: 10 }
        );
        assert_eq!(
            "0x10..0x20".parse::<SeedRange>().unwrap(),
            SeedRange { start: 16, end: 32 }
        );
        for bad in ["10", "10..5", "5..5", "a..b", "..3"] {
            let e = bad.parse::<SeedRange>().unwrap_err();
            assert!(
                e.starts_with("invalid seed range") && !e.contains('\n'),
                "{bad}: {e}"
            );
        }
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for bad in ["0/4", "5/4", "1/0", "1", "a/b", "1/-1"] {
            assert!(
                bad.parse::<Shard>()
                    .unwrap_err()
                    .starts_with("invalid shard"),
                "{bad}"
            );
        }
    }
}
