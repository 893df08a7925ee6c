//! Engine throughput.
//!
//! - `sched/W1`: schedules per second of workload W1 — `rwmutex`, 2 threads ×
//!   50 ops, 90% load / 10% store, keys uniform in 0..16, random strategy —
//!   one fresh seed per execution, end to end (workload generation, the
//!   execution, the checker). Also 8 threads × 50 and PCT depth 3.
//! - `explore/…`: the same workloads under the scheduler with no history and
//!   no checker — exploration alone, the quantity shuttle's iterations/s
//!   measure.
//! - `stress/…`: aggregate ops/s of `rwmutex` and `syncmap` on real threads
//!   (2 and 8 threads, 90/10), with history recording on and off.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chaos::engine::execute;
use chaos::engine::faults::FaultConfig;
use chaos::engine::stress::{self, StressOptions};
use chaos::maps::registry;
use chaos::scenario::{Mode, Perturb, Scenario, SchedSettings, Strategy};
use chaos::seed::Seed;
use chaos::workload::generate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn w1(threads: u32, strategy: Strategy) -> Scenario {
    Scenario {
        backend: "rwmutex".into(),
        threads,
        ops: 50,
        keys: 16,
        mix: "load=90,store=10".parse().unwrap(),
        mode: Mode::Sched,
        sched: SchedSettings {
            strategy,
            ..SchedSettings::default()
        },
        ..Scenario::default()
    }
}

fn sched(c: &mut Criterion) {
    let info = registry::lookup("rwmutex").unwrap();
    let mut group = c.benchmark_group("sched");
    group.throughput(Throughput::Elements(1));
    for (name, s) in [
        ("W1 random 2x50", w1(2, Strategy::Random)),
        ("W1 pct3 2x50", w1(2, Strategy::Pct)),
        ("random 8x50", w1(8, Strategy::Random)),
        ("pct3 8x50", w1(8, Strategy::Pct)),
    ] {
        let mut seed = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                let e = execute(&s, Seed(seed), &|seed| info.build(seed));
                assert!(e.findings.is_empty());
            })
        });
    }
    group.finish();
}

/// Exploration alone, as shuttle measures it: the W1 workload on the real
/// `rwmutex` backend under the scheduler, one fresh seed per execution, with
/// no history and no checker.
fn explore(c: &mut Criterion) {
    use chaos::engine::sched::{Executor, SchedConfig};
    let info = registry::lookup("rwmutex").unwrap();
    let mut group = c.benchmark_group("explore");
    group.throughput(Throughput::Elements(1));
    for (name, threads) in [("W1 random 2x50", 2u32), ("random 8x50", 8)] {
        let s = w1(threads, Strategy::Random);
        let mut executor = Executor::new();
        let mut seed = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                let workload = generate(&s, Seed(seed));
                let map: Arc<dyn chaos::maps::ChaosMap> = Arc::from(info.build(seed));
                let bodies: Vec<Box<dyn FnOnce() + '_>> = workload
                    .threads
                    .iter()
                    .map(|ops| {
                        let map = map.clone();
                        Box::new(move || {
                            for op in ops {
                                let _ = chaos::sync::yield_point(chaos::sync::Site::OpBoundary);
                                std::hint::black_box(op.apply(&*map));
                            }
                        }) as Box<dyn FnOnce() + '_>
                    })
                    .collect();
                executor.run(&SchedConfig::new(seed), bodies)
            })
        });
    }
    group.finish();
}

fn stress_ops(c: &mut Criterion) {
    const OPS: u32 = 200_000;
    let mut group = c.benchmark_group("stress");
    group.sample_size(10);
    for backend in ["rwmutex", "syncmap"] {
        let info = registry::lookup(backend).unwrap();
        for threads in [2u32, 8] {
            let s = Scenario {
                backend: backend.into(),
                threads,
                ops: OPS / threads,
                keys: 1024,
                mix: "load=90,store=10".parse().unwrap(),
                mode: Mode::Stress,
                ..Scenario::default()
            };
            let workload = Arc::new(generate(&s, Seed(1)));
            group.throughput(Throughput::Elements(u64::from(OPS / threads * threads)));
            for record in [true, false] {
                let opts = StressOptions {
                    seed: Seed(1),
                    perturb: Perturb::None,
                    timeout: Duration::from_secs(60),
                    record,
                    stamping: Default::default(),
                    faults: FaultConfig::default(),
                };
                let name = format!(
                    "{backend} {threads}t {}",
                    if record { "recorded" } else { "unrecorded" }
                );
                group.bench_function(name, |b| {
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
    }
    group.finish();
}

criterion_group!(benches, sched, explore, stress_ops);
criterion_main!(benches);
