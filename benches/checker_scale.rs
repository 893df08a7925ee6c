//! The linearizability checker at scale: 1,000,000-op histories (8 threads ×
//! 125,000 ops) recorded from real stress runs of `rwmutex`, at 4, 16 and
//! 1,000 keys, each checked on one core the way the engine checks a
//! completed run (`check_completed`: the per-key search with the quiescent
//! contents, then, for a history with a clear, the whole-map check).
//! Target: each under 2 s and 1 GiB.
//!
//! Two mixes:
//! - `plain`: load=50, store=30, delete=10, swap=5, compare_and_swap=5 —
//!   at 4 keys, 250,000 ops a key, the case a bit set over every op of a
//!   key made quadratic;
//! - `whole`: the same with 1 in 1,000 ops a `range` and 1 in 1,000 a
//!   `clear`. Each of those is projected onto every key (a read or a delete
//!   per key), and a range is a long op that overlaps many others of every
//!   key: a thousand of each over 1,000 keys are two million projected ops.
//!
//! The histories are recorded with the stress runner directly (no check),
//! once per case. Run all with `cargo bench --bench checker_scale`; run one
//! case once, for its peak memory, with
//!
//! ```text
//! CHECKER_SCALE_ONE=4/plain /usr/bin/time -v target/release/deps/checker_scale-<hash>
//! ```
//!
//! (cases: `4/plain`, `16/plain`, `1000/plain`, `4/whole`, `16/whole`,
//! `1000/whole`): it records the history, checks it once and prints both
//! times and the check's result (with what the search cost). A filter
//! (`cargo bench --bench checker_scale -- 16/`) still records every case's
//! history, but checks only the cases it names.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chaos::check::{check_completed, Context, Quiescent};
use chaos::engine::faults::FaultConfig;
use chaos::engine::stress::{self, StressEnd, StressOptions};
use chaos::history::History;
use chaos::maps::{registry, ChaosMap, Key, Semantics, Value};
use chaos::scenario::{Mode, Perturb, Scenario};
use chaos::seed::{Seed, Stream};
use chaos::workload::generate;
use criterion::{criterion_group, Criterion};

const PLAIN: &str = "load=50,store=30,delete=10,swap=5,compare_and_swap=5";
const WHOLE: &str = "load=500,store=300,delete=100,swap=50,compare_and_swap=48,range=1,clear=1";
const KEYS: [u64; 3] = [4, 16, 1_000];

/// A recorded history and what the checker is given with it.
struct Recorded {
    history: History,
    semantics: Semantics,
    contents: BTreeMap<Key, Value>,
}

/// Runs 8 threads × 125,000 ops of `mix` over `keys` keys on `rwmutex` and
/// reads the contents at quiescence, as the engine does.
fn record(keys: u64, mix: &str) -> Recorded {
    let scenario = Scenario {
        backend: "rwmutex".into(),
        threads: 8,
        ops: 125_000,
        keys,
        mix: mix.parse().unwrap(),
        mode: Mode::Stress,
        ..Scenario::default()
    };
    let seed = Seed(1);
    let t = Instant::now();
    let map: Arc<dyn ChaosMap> = Arc::from(
        registry::lookup("rwmutex")
            .unwrap()
            .build(seed.derive(Stream::Backend)),
    );
    let opts = StressOptions {
        seed,
        perturb: Perturb::None,
        timeout: Duration::from_secs(600),
        record: true,
        stamping: Default::default(),
        faults: FaultConfig::default(),
    };
    let run = stress::run(map.clone(), Arc::new(generate(&scenario, seed)), &opts);
    assert_eq!(run.end, StressEnd::Completed);
    assert!(!run.truncated, "the history must be whole");
    let contents: BTreeMap<Key, Value> = (0..keys)
        .filter_map(|k| map.load(k).unwrap().map(|v| (k, v)))
        .collect();
    eprintln!(
        "{keys} keys, {mix}: recorded {} events in {:?}",
        run.history.events.len(),
        t.elapsed()
    );
    Recorded {
        history: run.history,
        semantics: map.semantics(),
        contents,
    }
}

/// What the engine runs on a completed multi-thread execution: the
/// per-key search, then (for a history with a clear) the whole-map one.
fn check(r: &Recorded) -> impl std::fmt::Debug {
    let quiescent = Quiescent {
        len: Some(r.contents.len()),
        contents: Some(r.contents.clone()),
        violations: Vec::new(),
    };
    let cx = Context {
        backend: "rwmutex",
        semantics: r.semantics,
        initial: &|_| None,
        prefilled: &[],
        threads: 8,
        budget: Default::default(),
    };
    let checked = check_completed(&r.history, &quiescent, &cx);
    assert!(
        checked.findings.is_empty(),
        "a correct backend failed the check: {checked:?}"
    );
    checked
}

fn cases() -> Vec<(String, u64, &'static str)> {
    let mut v = Vec::new();
    for (name, mix) in [("plain", PLAIN), ("whole", WHOLE)] {
        for keys in KEYS {
            v.push((format!("{keys}/{name}"), keys, mix));
        }
    }
    v
}

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("checker_scale");
    group.sample_size(10);
    for (name, keys, mix) in cases() {
        let r = record(keys, mix);
        group.bench_function(format!("1M ops, 8 threads, {name}"), |b| {
            b.iter(|| check(&r))
        });
    }
    group.finish();
}

criterion_group!(benches, scale);

fn main() {
    if let Ok(one) = std::env::var("CHECKER_SCALE_ONE") {
        let Some((_, keys, mix)) = cases().into_iter().find(|c| c.0 == one) else {
            panic!("CHECKER_SCALE_ONE={one}: no such case");
        };
        let r = record(keys, mix);
        let t = Instant::now();
        let result = check(&r);
        eprintln!("{one}: checked in {:?}: {result:?}", t.elapsed());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
