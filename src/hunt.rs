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
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::engine::{execute, Execution};
use crate::maps::Constructor;
use crate::scenario::{Expect, Scenario};
use crate::seed::Seed;

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

    /// Every seed of this shard within `range`, in order.
    pub fn seeds(self, range: SeedRange) -> impl Iterator<Item = u64> {
        (0..).map_while(move |k| self.nth(range, k))
    }
}

/// When a hunt stops.
#[derive(Clone, Copy, Debug)]
pub struct HuntLimits {
    /// Stop at the first finding (`false`: `--keep-going`).
    pub stop_at_first: bool,
    /// Stop starting new seeds after this long.
    pub time_budget: Option<Duration>,
    /// Worker threads (`--jobs`); `None` = one per core.
    pub jobs: Option<usize>,
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
    /// `clean` scenarios: the executions with findings. `throw`/`finding`
    /// scenarios: the executions that showed what was expected. Seed order.
    pub found: Vec<Execution>,
    /// Seeds executed.
    pub executed: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl HuntReport {
    /// Whether the hunt met the scenario's expectation.
    pub fn met(&self) -> bool {
        match self.expect {
            Expect::Clean => self.found.is_empty(),
            Expect::Throw | Expect::Finding => !self.found.is_empty(),
        }
    }

    /// Seeds per second.
    pub fn rate(&self) -> f64 {
        self.executed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `scenario` over the seeds of `shard` in `range`, calling `progress`
/// with the number of seeds done so far (from any worker thread).
pub fn hunt(
    scenario: &Scenario,
    range: SeedRange,
    shard: Shard,
    limits: HuntLimits,
    build: &Constructor<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> HuntReport {
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let executed = AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(limits.jobs.unwrap_or(0))
        .thread_name(|i| format!("chaos-hunt-{i}"))
        .build()
        .expect("building the hunt's thread pool");
    // Seeds are handed out in blocks so that "stop at the first finding"
    // stops soon, while each worker still gets long runs of work.
    const BLOCK: u64 = 64;
    let mut found_all: Vec<Execution> = Vec::new();
    let mut k = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(budget) = limits.time_budget {
            if started.elapsed() >= budget {
                break;
            }
        }
        let block: Vec<u64> = (k..k + BLOCK).filter_map(|j| shard.nth(range, j)).collect();
        if block.is_empty() {
            break;
        }
        k += BLOCK;
        let mut found: Vec<Execution> = pool.install(|| {
            block
                .par_iter()
                .filter_map(|&seed| {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    let exec = execute(scenario, Seed(seed), build);
                    progress(executed.fetch_add(1, Ordering::Relaxed) + 1);
                    let wanted = match scenario.expect {
                        Expect::Clean => !exec.findings.is_empty(),
                        Expect::Throw | Expect::Finding => exec.expectation_met(),
                    };
                    if !wanted {
                        return None;
                    }
                    if limits.stop_at_first {
                        stop.store(true, Ordering::Relaxed);
                    }
                    Some(exec)
                })
                .collect()
        });
        found.sort_by_key(|e| e.seed);
        if limits.stop_at_first && !found.is_empty() {
            found.truncate(1);
        }
        found_all.extend(found);
    }
    HuntReport {
        expect: scenario.expect,
        found: found_all,
        executed: executed.into_inner(),
        elapsed: started.elapsed(),
    }
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
