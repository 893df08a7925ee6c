//! Linearizability checker speed: a 1,000,000-op history (8 threads × 125,000
//! ops, 1,000 keys) recorded from a real stress run of `rwmutex`, checked on
//! one core. Target: under 2 s.

use std::time::Instant;

use chaos::check::linearizability;
use chaos::engine::execute;
use chaos::maps::{registry, RangeSemantics};
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;
use criterion::{criterion_group, criterion_main, Criterion};

fn checker(c: &mut Criterion) {
    let scenario = Scenario {
        backend: "rwmutex".into(),
        threads: 8,
        ops: 125_000,
        keys: 1_000,
        mix: "load=60,store=20,delete=5,load_or_store=5,swap=5,compare_and_swap=5"
            .parse()
            .unwrap(),
        mode: Mode::Stress,
        ..Scenario::default()
    };
    let t = Instant::now();
    let rwmutex = registry::lookup("rwmutex").unwrap();
    let exec = execute(&scenario, Seed(1), &|seed| rwmutex.build(seed));
    assert!(exec.findings.is_empty(), "{:?}", exec.findings);
    let ops = exec.history.operations();
    eprintln!("recorded {} ops in {:?}", ops.len(), t.elapsed());
    let mut group = c.benchmark_group("linearizability");
    group.sample_size(10);
    group.bench_function("1M ops, 8 threads, 1000 keys", |b| {
        b.iter(|| linearizability::check(&ops, RangeSemantics::Snapshot, &|_| None, &[]).unwrap())
    });
    group.finish();
}

criterion_group!(benches, checker);
criterion_main!(benches);
