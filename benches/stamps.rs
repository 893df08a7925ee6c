//! What ordered stress stamps cost, side by side with the bare counter read
//! stress mode used before and with no stamps at all.
//!
//! - `stamp pairs/…`: one thread, a tight loop of `invoke stamp; op; return
//!   stamp` around a trivial op — an atomic load of a shared word, and a
//!   `syncmap` load (its lock-free read path) — for each way of stamping.
//!   Throughput is ops/s; the ratio of two lines is what the stamps cost
//!   per op.
//! - `stress stamps/…`: aggregate ops/s of a whole stress execution
//!   (`rwmutex` and `syncmap`, 1 and 2 threads, 90/10 load/store over 1024
//!   keys) unrecorded (no stamps, no records), recorded with the bare read,
//!   and recorded with ordered stamps: recording's overhead over an
//!   unrecorded run.
//! - then a table, `stamps: ratios`: every workload above run in rounds,
//!   the three ways interleaved within each round so that they meet the
//!   same machine, and the fastest run of each kept (on a shared machine
//!   the minimum is the run that was least disturbed): ns per op and the
//!   ratios, ordered over unrecorded and ordered over bare.
//!
//! ```text
//! cargo bench --bench stamps                  # all of it
//! cargo bench --bench stamps -- ratios        # only the table
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chaos::engine::clock::{StampClock, Stamping, ThreadStamps};
use chaos::engine::faults::FaultConfig;
use chaos::engine::stress::{self, StressOptions};
use chaos::maps::{registry, ChaosMap};
use chaos::scenario::{Mode, Perturb, Scenario};
use chaos::seed::Seed;
use chaos::workload::{generate, Workload};
use criterion::{criterion_group, Criterion, Throughput};

/// The three ways a stress thread can stamp, by name.
const STAMPINGS: [(&str, Option<Stamping>); 3] = [
    ("none", None),
    ("unordered", Some(Stamping::Unordered)),
    ("ordered", Some(Stamping::Ordered)),
];

/// Ops per tight loop.
const LOOP: u64 = 10_000;

/// Ops per stress execution (over all threads).
const STRESS_OPS: u32 = 200_000;

/// `LOOP` stamped atomic loads of `word`.
fn atomic_loads(stamps: &mut ThreadStamps<'_>, word: &AtomicU64) -> u64 {
    let mut acc = 0u64;
    for _ in 0..LOOP {
        let i = stamps.invoke();
        let v = word.load(Ordering::Acquire);
        let r = stamps.ret();
        acc = acc.wrapping_add(v ^ i ^ r);
    }
    black_box(acc)
}

/// `LOOP` stamped loads of `map`, over 64 present keys.
fn map_loads(stamps: &mut ThreadStamps<'_>, map: &dyn ChaosMap) -> u64 {
    let mut acc = 0u64;
    for k in 0..LOOP {
        let i = stamps.invoke();
        let v = map.load(k & 63).ok().flatten().unwrap_or(0);
        let r = stamps.ret();
        acc = acc.wrapping_add(v ^ i ^ r);
    }
    black_box(acc)
}

fn syncmap() -> Box<dyn ChaosMap> {
    let map = registry::lookup("syncmap").unwrap().build(1);
    for k in 0..64 {
        let _ = map.store(k, k + 1);
    }
    map
}

/// One stress workload: the backend, its workload, the options of each way
/// of stamping.
struct StressCase {
    name: String,
    backend: &'static str,
    workload: Arc<Workload>,
}

impl StressCase {
    fn all() -> Vec<StressCase> {
        [
            ("rwmutex", 1),
            ("rwmutex", 2),
            ("syncmap", 1),
            ("syncmap", 2),
        ]
        .into_iter()
        .map(|(backend, threads)| {
            let s = Scenario {
                backend: backend.into(),
                threads,
                ops: STRESS_OPS / threads,
                keys: 1024,
                mix: "load=90,store=10".parse().unwrap(),
                mode: Mode::Stress,
                ..Scenario::default()
            };
            StressCase {
                name: format!("{backend} {threads}t"),
                backend,
                workload: Arc::new(generate(&s, Seed(1))),
            }
        })
        .collect()
    }

    /// One execution's time from release to the last thread's end.
    fn run(&self, stamping: Option<Stamping>) -> Duration {
        let opts = StressOptions {
            seed: Seed(1),
            perturb: Perturb::None,
            timeout: Duration::from_secs(60),
            record: stamping.is_some(),
            stamping: stamping.unwrap_or_default(),
            faults: FaultConfig::default(),
        };
        let map = Arc::from(registry::lookup(self.backend).unwrap().build(1));
        let t = Instant::now();
        let run = stress::run(map, self.workload.clone(), &opts);
        run.elapsed.min(t.elapsed())
    }
}

fn stamp_pairs(c: &mut Criterion) {
    let clock = StampClock::new();
    let word = AtomicU64::new(7);
    let map = syncmap();
    let mut group = c.benchmark_group("stamp pairs");
    group.throughput(Throughput::Elements(LOOP));
    for (name, stamping) in STAMPINGS {
        group.bench_function(format!("atomic load, {name}"), |b| {
            let mut stamps = ThreadStamps::new(&clock, stamping);
            b.iter(|| atomic_loads(&mut stamps, &word))
        });
    }
    for (name, stamping) in STAMPINGS {
        group.bench_function(format!("syncmap load, {name}"), |b| {
            let mut stamps = ThreadStamps::new(&clock, stamping);
            b.iter(|| map_loads(&mut stamps, &*map))
        });
    }
    group.finish();
}

fn stress_stamps(c: &mut Criterion) {
    let mut group = c.benchmark_group("stress stamps");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(STRESS_OPS)));
    for case in StressCase::all() {
        for (name, stamping) in STAMPINGS {
            group.bench_function(format!("{}, {name}", case.name), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| case.run(stamping)).sum())
            });
        }
    }
    group.finish();
}

/// The interleaved, fastest-of-rounds table (module docs).
fn ratios() {
    const ROUNDS: usize = 15;
    let clock = StampClock::new();
    let word = AtomicU64::new(7);
    let map = syncmap();
    let per_loop = |f: &mut dyn FnMut(&mut ThreadStamps<'_>) -> u64, stamping| {
        let mut stamps = ThreadStamps::new(&clock, stamping);
        let t = Instant::now();
        for _ in 0..20 {
            f(&mut stamps);
        }
        t.elapsed().as_secs_f64() * 1e9 / (20 * LOOP) as f64
    };
    let mut rows: Vec<(String, [f64; 3])> = Vec::new();
    let mut best = |name: &str, measure: &mut dyn FnMut(Option<Stamping>) -> f64| {
        let mut min = [f64::MAX; 3];
        for _ in 0..ROUNDS {
            for (i, (_, stamping)) in STAMPINGS.iter().enumerate() {
                min[i] = min[i].min(measure(*stamping));
            }
        }
        rows.push((name.to_string(), min));
    };
    best("atomic load loop", &mut |s| {
        per_loop(&mut |st| atomic_loads(st, &word), s)
    });
    best("syncmap load loop", &mut |s| {
        per_loop(&mut |st| map_loads(st, &*map), s)
    });
    for case in StressCase::all() {
        best(&format!("stress {}", case.name), &mut |s| {
            case.run(s).as_secs_f64() * 1e9 / f64::from(STRESS_OPS)
        });
    }
    println!("\nstamps: ratios (fastest of {ROUNDS} interleaved rounds, ns per op)");
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>17} {:>17}",
        "workload", "none", "bare", "ordered", "ordered/none", "ordered/bare"
    );
    for (name, [none, bare, ordered]) in rows {
        println!(
            "{name:<20} {none:>9.1} {bare:>9.1} {ordered:>9.1} {:>16.2}x {:>16.2}x",
            ordered / none,
            ordered / bare
        );
    }
}

criterion_group!(benches, stamp_pairs, stress_stamps);

fn main() {
    // Criterion's own filter argument also selects the table: `-- ratios`
    // runs only it, `-- stress` only the criterion groups that match.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if !"ratios".contains(&filter) || filter.is_empty() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    if "ratios".contains(&filter) {
        ratios();
    }
}
