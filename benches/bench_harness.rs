//! What `chaos bench`'s measuring costs over the plainest loop that could
//! measure the same thing: one criterion group, two lines, the same ops on
//! the same backend with the same threads.
//!
//! - `harness`: [`chaos::bench::measure`], the very function `chaos bench`
//!   times a backend with (one OS thread per workload thread, a spin start
//!   line, each op through `Op::apply`, a throw or panic caught, the
//!   wall time from the release to the last thread's last op);
//! - `plain loop`: scoped threads on a `std::sync::Barrier`, each calling
//!   `Op::apply` on its ops, timed from the barrier to the last join.
//!
//! The map is built and prefilled outside the timing in both. The target
//! is a harness within 5% of the plain loop: compare the two medians in
//! `target/criterion/bench harness BACKEND/*/new/estimates.json` (or the two
//! `time:` lines).
//!
//! ```text
//! cargo bench --bench bench_harness
//! ```

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chaos::bench::{measure, prefilled};
use chaos::maps::{registry, ChaosMap};
use chaos::scenario::Scenario;
use chaos::seed::Seed;
use chaos::workload::{generate, Workload};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Two threads (this machine's cores), 50,000 ops each, 90% loads over
/// 1,024 prefilled keys: `chaos bench --threads 2 --ops 50000 --keys 1024
/// --mix load=90,store=10 --prefill 1024`.
fn scenario() -> Scenario {
    Scenario {
        threads: 2,
        ops: 50_000,
        keys: 1024,
        mix: "load=90,store=10".parse().expect("literal mix"),
        prefill: 1024,
        ..Scenario::default()
    }
}

/// The plain loop: the same ops, applied directly.
fn plain(map: &dyn ChaosMap, workload: &Workload) -> Duration {
    let n = workload.threads.len();
    let barrier = Barrier::new(n + 1);
    std::thread::scope(|s| {
        for ops in &workload.threads {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for op in ops {
                    black_box(op.apply(map));
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // The scope joins every thread before it returns.
        start
    })
    .elapsed()
}

fn harness_vs_plain(c: &mut Criterion) {
    let s = scenario();
    let workload = Arc::new(generate(&s, Seed(0)));
    let total = u64::from(s.threads) * u64::from(s.ops);
    for backend in ["mutex", "syncmap"] {
        let build = registry::lookup(backend).expect("built-in").constructor();
        let mut group = c.benchmark_group(format!("bench harness {backend}"));
        group.sample_size(30);
        group.throughput(Throughput::Elements(total));
        group.bench_function("harness", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|i| {
                        let map: Arc<dyn ChaosMap> = Arc::from(prefilled(&s, build, i));
                        measure(map, &workload, Duration::from_secs(60)).expect("a clean run")
                    })
                    .sum()
            })
        });
        group.bench_function("plain loop", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|i| {
                        let map = prefilled(&s, build, i);
                        plain(&*map, &workload)
                    })
                    .sum()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, harness_vs_plain);
criterion_main!(benches);
