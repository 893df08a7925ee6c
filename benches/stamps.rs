//! What ordered stress stamps cost, side by side with the bare counter read
//! stress mode used before and with no stamps at all.
//!
//! - `stamp pairs/…`: one thread, a tight loop of `invoke stamp; op; return
//!   stamp` around a trivial op — an atomic load of a shared word, and a
//!   `syncmap` load (its lock-free read path) — for each way of stamping.
//!   Throughput is ops/s; the ratio of two lines is what the stamps cost
//!   per op.
//! - `stress stamps/…`: aggregate ops/s of a whole stress execution
//!   (`rwmutex` and `syncmap`, 2 threads, 90/10 load/store over 1024 keys)
//!   unrecorded, recorded with the bare read, and recorded with ordered
//!   stamps: recording's overhead over an unrecorded run.
//!
//! ```text
//! cargo bench --bench stamps
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
use chaos::workload::generate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The three ways a stress thread can stamp, by name.
const STAMPINGS: [(&str, Option<Stamping>); 3] = [
    ("none", None),
    ("unordered", Some(Stamping::Unordered)),
    ("ordered", Some(Stamping::Ordered)),
];

fn stamp_pairs(c: &mut Criterion) {
    const OPS: u64 = 10_000;
    let clock = StampClock::new();
    let word = AtomicU64::new(7);
    let syncmap: Box<dyn ChaosMap> = registry::lookup("syncmap").unwrap().build(1);
    for k in 0..64 {
        let _ = syncmap.store(k, k + 1);
    }
    let mut group = c.benchmark_group("stamp pairs");
    group.throughput(Throughput::Elements(OPS));
    for (name, stamping) in STAMPINGS {
        group.bench_function(format!("atomic load, {name}"), |b| {
            let mut stamps = ThreadStamps::new(&clock, stamping);
            b.iter(|| {
                let mut acc = 0u64;
                for _ in 0..OPS {
                    let i = stamps.invoke();
                    let v = word.load(Ordering::Acquire);
                    let r = stamps.ret();
                    acc = acc.wrapping_add(v ^ i ^ r);
                }
                black_box(acc)
            })
        });
    }
    for (name, stamping) in STAMPINGS {
        group.bench_function(format!("syncmap load, {name}"), |b| {
            let mut stamps = ThreadStamps::new(&clock, stamping);
            b.iter(|| {
                let mut acc = 0u64;
                for k in 0..OPS {
                    let i = stamps.invoke();
                    let v = syncmap.load(k & 63).ok().flatten().unwrap_or(0);
                    let r = stamps.ret();
                    acc = acc.wrapping_add(v ^ i ^ r);
                }
                black_box(acc)
            })
        });
    }
    group.finish();
}

fn stress_stamps(c: &mut Criterion) {
    const OPS: u32 = 200_000;
    const THREADS: u32 = 2;
    let mut group = c.benchmark_group("stress stamps");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(OPS)));
    for backend in ["rwmutex", "syncmap"] {
        let info = registry::lookup(backend).unwrap();
        let s = Scenario {
            backend: backend.into(),
            threads: THREADS,
            ops: OPS / THREADS,
            keys: 1024,
            mix: "load=90,store=10".parse().unwrap(),
            mode: Mode::Stress,
            ..Scenario::default()
        };
        let workload = Arc::new(generate(&s, Seed(1)));
        for (name, stamping) in STAMPINGS {
            let opts = StressOptions {
                seed: Seed(1),
                perturb: Perturb::None,
                timeout: Duration::from_secs(60),
                record: stamping.is_some(),
                stamping: stamping.unwrap_or_default(),
                faults: FaultConfig::default(),
            };
            group.bench_function(format!("{backend} {THREADS}t, {name}"), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let map = Arc::from(info.build(1));
                        let t = Instant::now();
                        let run = stress::run(map, workload.clone(), &opts);
                        // The threads' own time: release to last finish.
                        total += run.elapsed.min(t.elapsed());
                    }
                    total
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, stamp_pairs, stress_stamps);
criterion_main!(benches);
