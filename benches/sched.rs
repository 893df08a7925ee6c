//! Schedules (executions) per second of the deterministic scheduler.
//!
//! The workload is shaped like W1: each logical thread runs 50 ops; an op
//! takes a scheduler-aware `RwLock` (read 90%, write 10%, by a fixed
//! per-thread pattern) around a small `HashMap<u64, u64>` with keys in
//! 0..16, and passes 3 yield points inside the lock (standing in for the Go
//! map's race windows). Every execution gets a fresh seed.
//!
//! Reference on the development machine: the `shuttle` crate 0.9 runs this
//! shape at about 15,000 iterations/s (random, 2×50), 18,000 (PCT d=3,
//! 2×50) and 3,400 (random, 8×50); the target is at least twice those.
//!
//! `cargo bench --bench sched`; the throughput line reads "elem/s" = schedules/s.

use std::collections::HashMap;
use std::hint::black_box;

use chaos::engine::sched::{End, Executor, SchedConfig, StrategyKind};
use chaos::sync::{yield_point, RwLock, Site};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const OPS: usize = 50;

fn execution(executor: &mut Executor, cfg: &SchedConfig, threads: usize) {
    let map = RwLock::new(HashMap::<u64, u64>::with_capacity(16));
    let bodies: Vec<Box<dyn FnOnce() + '_>> = (0..threads)
        .map(|t| {
            let map = &map;
            Box::new(move || {
                for i in 0..OPS {
                    let key = ((i * 7 + t * 3) % 16) as u64;
                    if (i + t) % 10 == 0 {
                        let mut m = map.write();
                        let _ = yield_point(Site::AssignChecked);
                        let _ = yield_point(Site::AssignFlagSet);
                        m.insert(key, i as u64);
                        let _ = yield_point(Site::AssignExit);
                    } else {
                        let m = map.read();
                        let _ = yield_point(Site::AccessChecked);
                        let _ = yield_point(Site::AccessBucketChosen);
                        black_box(m.get(&key));
                        let _ = yield_point(Site::AccessValueCopy);
                    }
                }
            }) as Box<dyn FnOnce() + '_>
        })
        .collect();
    let report = executor.run(cfg, bodies);
    debug_assert_eq!(report.end, End::Completed);
    black_box(report);
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sched");
    group.throughput(Throughput::Elements(1));
    let cases = [
        ("random_2x50", 2, StrategyKind::Random),
        (
            "pct3_2x50",
            2,
            StrategyKind::Pct {
                depth: 3,
                horizon: 500,
            },
        ),
        ("random_8x50", 8, StrategyKind::Random),
        (
            "pct3_8x50",
            8,
            StrategyKind::Pct {
                depth: 3,
                horizon: 2000,
            },
        ),
    ];
    for (name, threads, strategy) in cases {
        let mut executor = Executor::new();
        let mut seed = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                let cfg = SchedConfig {
                    strategy,
                    ..SchedConfig::new(seed)
                };
                execution(&mut executor, &cfg, threads);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
