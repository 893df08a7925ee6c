//! Shrinking speed: from a failing run to a minimal, replayed repro.
//!
//! - `gomap 8x10000`: a `gomap` run of 8 threads × 10,000 ops (sched mode,
//!   load=50,store=50, 1,000 keys) that throws `concurrent map writes`,
//!   through [`chaos::repro::make`]: seed-level shrinking, script
//!   minimisation and the replay that describes it. Target: under 2 s, to
//!   2 threads and at most 2 ops (asserted before measuring).
//! - `lossy-promotion`: the hardest mutant fixture (a lost write that needs a
//!   promotion racing a store), from 2 threads × 40 ops.
//!
//! `cargo bench --bench shrink`

use std::hint::black_box;

use chaos::check::FindingKind;
use chaos::engine::execute;
use chaos::maps::registry;
use chaos::repro::{make, MakeOptions};
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion, name: &str, s: Scenario, kind: FindingKind, max_ops: usize) {
    let info = registry::lookup(&s.backend).unwrap();
    let build = move |seed| info.build(seed);
    let (seed, sig) = (0..2000)
        .map(Seed)
        .find_map(|seed| {
            execute(&s, seed, &build)
                .findings
                .iter()
                .find(|f| f.kind == kind)
                .map(|f| (seed, f.signature()))
        })
        .expect("a failing seed");
    let made = make(&s, seed, &sig, &build, &MakeOptions::default()).unwrap();
    assert!(
        made.repro.script.ops() <= max_ops,
        "{}",
        made.repro.to_toml()
    );
    eprintln!(
        "{name}: seed {seed} -> {} threads, {} ops, {} executions",
        made.repro.script.threads.len(),
        made.repro.script.ops(),
        made.executions()
    );
    let mut group = c.benchmark_group("shrink");
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter(|| black_box(make(&s, seed, &sig, &build, &MakeOptions::default()).unwrap()))
    });
    group.finish();
}

fn shrink(c: &mut Criterion) {
    bench(
        c,
        "gomap 8x10000",
        Scenario {
            backend: "gomap".into(),
            threads: 8,
            ops: 10_000,
            keys: 1000,
            mix: "load=50,store=50".parse().unwrap(),
            mode: Mode::Sched,
            ..Scenario::default()
        },
        FindingKind::Throw,
        2,
    );
    bench(
        c,
        "lossy-promotion",
        Scenario {
            backend: "mutant-lossy-promotion".into(),
            threads: 2,
            ops: 40,
            keys: 4,
            mix: "load=40,store=30,delete=30".parse().unwrap(),
            mode: Mode::Sched,
            promote_rate: 0.3,
            ..Scenario::default()
        },
        FindingKind::LostWrite,
        8,
    );
}

criterion_group!(benches, shrink);
criterion_main!(benches);
