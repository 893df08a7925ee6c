//! What `chaos bench`'s measuring costs over the plainest loop that could
//! measure the same thing: one criterion group per backend (`mutex`,
//! `syncmap`) and thread count (1, 2), its lines the same ops on the same
//! backend with the same threads.
//!
//! - `harness`: [`chaos::bench::measure`], the very function `chaos bench`
//!   times a backend with (one OS thread per workload thread, a spin start
//!   line, each op through `Op::apply`, a throw or panic caught, the
//!   wall time from the release to the last thread's last op);
//! - `plain loop`: scoped threads released together by one flag they spin
//!   on, each calling `Op::apply` on its ops, timed from the release to the
//!   last join;
//! - `plain loop, std Barrier`: the same on a `std::sync::Barrier`, for
//!   reference: its threads wake one by one after the clock starts, so they
//!   overlap less, and a contended map (`syncmap`'s dirty-map lock) looks
//!   faster than when its threads really start together.
//!
//! The map is built and prefilled outside the timing in all. The target
//! is a harness within 5% of `plain loop`; the one-thread groups show it
//! best (two threads add contention, whose cost swings with how closely
//! the threads overlap, run to run, on a shared machine): compare the two medians in
//! `target/criterion/bench harness BACKEND xTHREADS/*/new/estimates.json` (or the two
//! `time:` lines).
//!
//! ```text
//! cargo bench --bench bench_harness
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chaos::bench::{measure, prefilled};
use chaos::maps::{registry, ChaosMap};
use chaos::scenario::Scenario;
use chaos::seed::Seed;
use chaos::workload::{generate, Workload};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// `threads` threads, 100,000 ops in all, 90% loads over 1,024 prefilled
/// keys: `chaos bench --threads 2 --ops 50000 --keys 1024 --mix
/// load=90,store=10 --prefill 1024`. One thread shows the harness's cost
/// per op alone; two (this machine's cores) add contention, whose cost
/// depends on how closely the threads overlap, so there the start line
/// matters more than the harness.
fn scenario(threads: u32) -> Scenario {
    Scenario {
        threads,
        ops: 100_000 / threads,
        keys: 1024,
        mix: "load=90,store=10".parse().expect("literal mix"),
        prefill: 1024,
        ..Scenario::default()
    }
}

/// The plain loop: the same ops, applied directly, the threads released
/// together by one flag they spin on.
fn plain(map: &dyn ChaosMap, workload: &Workload) -> Duration {
    let n = workload.threads.len();
    let arrived = AtomicUsize::new(0);
    let go = AtomicBool::new(false);
    std::thread::scope(|s| {
        for ops in &workload.threads {
            let (arrived, go) = (&arrived, &go);
            s.spawn(move || {
                arrived.fetch_add(1, Ordering::AcqRel);
                while !go.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                for op in ops {
                    black_box(op.apply(map));
                }
            });
        }
        while arrived.load(Ordering::Acquire) < n {
            std::thread::yield_now();
        }
        let start = Instant::now();
        go.store(true, Ordering::Release);
        // The scope joins every thread before it returns.
        start
    })
    .elapsed()
}

/// The same, the threads on a `std::sync::Barrier` instead: they wake one
/// by one after the clock starts, so they overlap less.
fn plain_barrier(map: &dyn ChaosMap, workload: &Workload) -> Duration {
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
    for (threads, backend) in [(1, "mutex"), (1, "syncmap"), (2, "mutex"), (2, "syncmap")] {
        let s = scenario(threads);
        let workload = Arc::new(generate(&s, Seed(0)));
        let total = u64::from(s.threads) * u64::from(s.ops);
        let build = registry::lookup(backend).expect("built-in").constructor();
        let mut group = c.benchmark_group(format!("bench harness {backend} x{threads}"));
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
        group.bench_function("plain loop, std Barrier", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|i| {
                        let map = prefilled(&s, build, i);
                        plain_barrier(&*map, &workload)
                    })
                    .sum()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, harness_vs_plain);
criterion_main!(benches);
