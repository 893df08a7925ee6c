//! Zero false positives: the correct wrappers stay clean over thousands of
//! seeds of mixed scenarios — 2 to 16 threads, every operation, forced
//! resizes, evacuation faults and promotions on — in both modes. A checker
//! that cries wolf is worse than none.
//!
//! `CHAOS_TEST_SCALE=N` multiplies the seed counts for a soak.

use chaos::engine::execute;
use chaos::maps::registry;
use chaos::scenario::{Distribution, Mode, Scenario, Strategy};
use chaos::seed::Seed;

const ALL_OPS: &str = "load=30,store=15,delete=8,load_or_store=10,load_and_delete=5,swap=10,compare_and_swap=10,compare_and_delete=5,range=4,clear=1,len=2";

fn scale() -> u64 {
    std::env::var("CHAOS_TEST_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn sweep(backend: &str, mode: Mode, seeds_per_config: u64) -> u64 {
    let info = registry::lookup(backend).unwrap();
    let mut executed = 0;
    for (i, threads) in [2u32, 4, 8, 16].into_iter().enumerate() {
        let s = Scenario {
            backend: backend.into(),
            threads,
            ops: 40,
            keys: [4, 12, 40, 300][i],
            distribution: [
                Distribution::Uniform,
                Distribution::Hotspot,
                Distribution::Zipf,
                Distribution::Uniform,
            ][i],
            mix: ALL_OPS.parse().unwrap(),
            prefill: [0, 6, 20, 200][i],
            mode,
            sched: chaos::scenario::SchedSettings {
                strategy: if i % 2 == 0 {
                    Strategy::Random
                } else {
                    Strategy::Pct
                },
                ..Default::default()
            },
            resize_rate: 0.1,
            evacuate_rate: 0.1,
            promote_rate: 0.1,
            ..Scenario::default()
        };
        for seed in 0..seeds_per_config * scale() {
            let e = execute(&s, Seed(seed), &|seed| info.build(seed));
            assert!(
                e.findings.is_empty(),
                "{backend} {mode:?} {threads} threads seed {seed}: {:?}",
                e.findings
            );
            executed += 1;
        }
    }
    executed
}

#[test]
fn rwmutex_is_clean_in_sched_mode() {
    assert_eq!(sweep("rwmutex", Mode::Sched, 300), 1200 * scale());
}

/// `mutex` (one plain lock around a Go map, every op under it) is clean:
/// 1,200 sched executions.
#[test]
fn mutex_is_clean_in_sched_mode() {
    assert_eq!(sweep("mutex", Mode::Sched, 300), 1200 * scale());
}

#[test]
fn syncmap_is_clean_in_sched_mode() {
    assert_eq!(sweep("syncmap", Mode::Sched, 300), 1200 * scale());
}

#[test]
fn rwmutex_mutex_and_syncmap_are_clean_in_stress_mode() {
    for b in ["rwmutex", "mutex", "syncmap"] {
        assert_eq!(sweep(b, Mode::Stress, 25), 100 * scale());
    }
}

/// `swiss-rwmutex` (a lock around Go 1.24+'s Swiss map) under every op,
/// forced rehashes included, is clean and linearizable in both modes: 400
/// sched and 100 stress executions.
#[test]
fn swiss_rwmutex_is_clean_in_both_modes() {
    assert_eq!(sweep("swiss-rwmutex", Mode::Sched, 100), 400 * scale());
    assert_eq!(sweep("swiss-rwmutex", Mode::Stress, 25), 100 * scale());
}

/// `hashtriemap` (Go 1.24+'s `sync.Map`, the hash-trie) under every op, with
/// faults that push entries down a level and republish them under writers
/// that walked to them, is clean and linearizable (its `Range` held to Go's
/// weak promise) in both modes: 1,200 sched and 100 stress executions.
#[test]
fn hashtriemap_is_clean_in_both_modes() {
    assert_eq!(sweep("hashtriemap", Mode::Sched, 300), 1200 * scale());
    assert_eq!(sweep("hashtriemap", Mode::Stress, 25), 100 * scale());
}

/// The correct sharded map under every op, whole-map ones included, is
/// clean: an atomic clear, an exact len and a snapshot range are held to
/// their promise and pass. (A false positive here is the worst bug.)
#[test]
fn the_sharded_map_is_clean_with_whole_map_ops() {
    let s = chaos::scenario::Scenario {
        backend: "sharded".into(),
        threads: 3,
        ops: 30,
        keys: 6,
        mix: "load=20,store=20,delete=10,load_or_store=5,swap=5,compare_and_swap=5,compare_and_delete=5,range=10,clear=10,len=10"
            .parse()
            .unwrap(),
        ..chaos::scenario::Scenario::default()
    };
    for seed in 0..500 {
        let exec = crate::support::execute_builtin(&s, seed);
        assert!(exec.findings.is_empty(), "seed {seed}: {:?}", exec.findings);
        assert!(exec.checked.undecided.is_none(), "seed {seed}");
    }
}
