//! The deterministic scheduler finds each of Go's three concurrent-map
//! throws on `swissmap` (docs/go-swiss-map.md §9), and the textbook fix,
//! `swiss-rwmutex`, stays clean.
//!
//! Scenario for the throws: sched mode, 2 threads, 20 ops each, 8 keys,
//! default scheduler settings, with the mix named per throw below. Rates
//! were measured over seeds 0..100 (see the comments); the tests ask for at
//! least one throw of the message within 100 seeds, so with the lowest
//! measured rate (18 of 100, iteration) missing has odds of about
//! 0.82^100 ≈ 2.5e-9.

use chaos::check::FindingKind;
use chaos::scenario::{Mode, Scenario};
use chaos::sync::Cover;

use crate::support::execute_builtin;

fn scenario(backend: &str, mix: &str) -> Scenario {
    Scenario {
        backend: backend.into(),
        threads: 2,
        ops: 20,
        keys: 8,
        mix: mix.parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    }
}

/// How many of seeds 0..100 end in a throw with `message`.
fn throws(mix: &str, message: &str) -> usize {
    let s = scenario("swissmap", mix);
    (0..100)
        .filter(|&seed| {
            execute_builtin(&s, seed)
                .findings
                .iter()
                .any(|f| f.kind == FindingKind::Throw && f.message.contains(message))
        })
        .count()
}

#[test]
fn concurrent_map_writes_within_100_seeds() {
    // Measured: 100 of 100 seeds.
    let n = throws("store=50,delete=50", "concurrent map writes");
    eprintln!("concurrent map writes: {n}/100");
    assert!(n > 0);
}

#[test]
fn concurrent_map_read_and_map_write_within_100_seeds() {
    // Measured: 53 of 100 seeds.
    let n = throws("load=80,store=20", "concurrent map read and map write");
    eprintln!("concurrent map read and map write: {n}/100");
    assert!(n > 0);
}

#[test]
fn concurrent_map_iteration_and_map_write_within_100_seeds() {
    // Measured: 18 of 100 seeds.
    let n = throws(
        "range=50,store=50",
        "concurrent map iteration and map write",
    );
    eprintln!("concurrent map iteration and map write: {n}/100");
    assert!(n > 0);
}

/// The fault injector reaches `swissmap`'s write window: under
/// `swiss-rwmutex` (so no throw ends the run) forced rehashes land in the
/// middle of writes, in both modes, and the runs stay clean. With rate 0.3
/// and half of the injection sites active per seed, 8 seeds × 4 threads ×
/// 100 writes-or-so give hundreds of chances; a zero count means the sites
/// are not wired.
#[test]
fn forced_rehashes_land_mid_write_on_swiss_rwmutex() {
    for mode in [Mode::Sched, Mode::Stress] {
        let s = Scenario {
            backend: "swiss-rwmutex".into(),
            threads: 4,
            ops: 200,
            keys: 300,
            mix: "load=30,store=40,delete=20,range=10".parse().unwrap(),
            mode,
            resize_rate: 0.3,
            ..Scenario::default()
        };
        let mut forced = 0;
        for seed in 0..8 {
            let e = execute_builtin(&s, seed);
            assert!(
                e.findings.is_empty(),
                "{mode:?} seed {seed}: {:?}",
                e.findings
            );
            forced += e
                .coverage
                .get(&Cover::ForcedGrowMidOp)
                .copied()
                .unwrap_or(0);
        }
        assert!(forced > 0, "{mode:?}: no forced rehash mid-write");
    }
}
