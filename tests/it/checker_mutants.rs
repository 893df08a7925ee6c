//! Every mutant is found, with its class of finding, within a stated seed
//! budget (sched mode); the growth-only mutants need forced resizes.
//!
//! Budgets come from measured rates (`chaos hunt --keep-going` over seeds
//! 0..300 or 0..1000 with the same scenarios) and are set so that missing
//! within the budget has odds below 1e-9.

use chaos::check::FindingKind;
use chaos::maps::registry;
use chaos::scenario::{Mode, Scenario};

use crate::support::execute_builtin;

const ALL_OPS: &str = "load=30,store=20,delete=10,load_or_store=10,load_and_delete=5,swap=10,compare_and_swap=5,compare_and_delete=5,range=5";
const WRITE_HEAVY: &str = "store=45,delete=45,load=10";

fn scenario(backend: &str, mix: &str) -> Scenario {
    Scenario {
        backend: backend.into(),
        threads: 3,
        ops: 30,
        keys: 6,
        mix: mix.parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    }
}

fn growth(backend: &str, rate: f64) -> Scenario {
    // 13 keys, all prefilled: B = 1 with overflow chains likely, and no
    // natural grow (a new key would be the 14th). Only a forced grow
    // evacuates, which is when these mutants misbehave.
    Scenario {
        threads: 2,
        keys: 13,
        prefill: 13,
        mix: "store=40,load=40,delete=10,range=10".parse().unwrap(),
        resize_rate: rate,
        evacuate_rate: rate,
        ..scenario(backend, ALL_OPS)
    }
}

/// The first seed below `budget` whose first finding is one of `kinds`.
fn first(s: &Scenario, budget: u64, kinds: &[FindingKind]) -> Option<(u64, FindingKind)> {
    (0..budget).find_map(|seed| {
        let f = execute_builtin(s, seed).findings.into_iter().next()?;
        kinds.contains(&f.kind).then_some((seed, f.kind))
    })
}

#[test]
fn throw_mutants_throw_within_20_seeds() {
    // Measured: 300 of 300 seeds throw for both.
    for b in ["mutant-write-under-rlock", "mutant-unlocked-read"] {
        let found = first(&scenario(b, ALL_OPS), 20, &[FindingKind::Throw]);
        assert!(found.is_some(), "{b}");
    }
}

#[test]
fn atomicity_mutants_are_linearizability_violations_within_100_seeds() {
    // Measured: check-then-act 68/300, split-swap 182/300 seeds.
    for b in ["mutant-check-then-act", "mutant-split-swap"] {
        let found = first(&scenario(b, ALL_OPS), 100, &[FindingKind::Linearizability]);
        assert!(found.is_some(), "{b}");
        // And they never throw: the inner map is always used under a lock.
        for seed in 0..50 {
            assert!(execute_builtin(&scenario(b, ALL_OPS), seed)
                .findings
                .iter()
                .all(|f| f.kind != FindingKind::Throw));
        }
    }
}

#[test]
fn sync_map_mutants_lose_writes() {
    // Measured with promotions forced: expunged-store 61/300 seeds end in a
    // lost write, lossy-promotion 9/300.
    for (b, budget) in [
        ("mutant-expunged-store", 150),
        ("mutant-lossy-promotion", 1000),
    ] {
        let s = Scenario {
            promote_rate: 0.2,
            ..scenario(b, WRITE_HEAVY)
        };
        let found = first(&s, budget, &[FindingKind::LostWrite]);
        assert!(found.is_some(), "{b}");
    }
}

#[test]
fn growth_only_mutants_need_forced_resizes() {
    // Measured over seeds 0..1000: evacuate-skips-overflow 281 with forced
    // resizes, 0 without; iter-ignores-oldbuckets 804 with, 0 without.
    let damaged = [
        FindingKind::LostWrite,
        FindingKind::Linearizability,
        FindingKind::Invariant,
    ];
    for (b, kinds) in [
        ("mutant-evacuate-skips-overflow", &damaged[..]),
        (
            "mutant-iter-ignores-oldbuckets",
            &[FindingKind::Linearizability][..],
        ),
    ] {
        let with = first(&growth(b, 0.3), 60, kinds);
        assert!(with.is_some(), "{b}: not found with forced resizes");
        let without =
            (0..300).find(|&seed| !execute_builtin(&growth(b, 0.0), seed).findings.is_empty());
        assert_eq!(without, None, "{b}: found without forced resizes");
    }
}

#[test]
fn trie_skips_recheck_loses_writes_within_400_seeds() {
    // Measured over seeds 0..1000 of this scenario: 157 seeds fail, 62 of
    // them first with a lost write (95 first with a linearizability
    // violation). A miss within 400 seeds has odds (1 - 0.062)^400 < 1e-11.
    let b = "mutant-trie-skips-recheck";
    let found = first(&scenario(b, WRITE_HEAVY), 400, &[FindingKind::LostWrite]);
    assert!(found.is_some(), "{b}");
}

/// `mutant-split-wrong-bit`'s scenario (also its fixture's): 890 of 1,000
/// keys prefilled, so the one 1024-slot table has 6 inserts left before its
/// natural split (at 896 entries), and 2 threads × 30 ops of
/// `store=40,load=40,delete=10,range=10` rarely bring 7 new keys; a forced
/// grow of that table (it holds ≥ 256) is a split.
fn swiss_split(rate: f64) -> Scenario {
    Scenario {
        threads: 2,
        keys: 1000,
        prefill: 890,
        mix: "store=40,load=40,delete=10,range=10".parse().unwrap(),
        resize_rate: rate,
        ..scenario("mutant-split-wrong-bit", ALL_OPS)
    }
}

#[test]
fn split_wrong_bit_is_found_far_sooner_with_forced_splits() {
    // Measured over seeds 0..1000 of `swiss_split`: 836 seeds find it with
    // resize_rate 0.2 (first at seed 0; 833 as a lost write, 3 as a
    // linearizability violation), 7 without (first at seed 220: the rare
    // runs whose stores split the table themselves).
    let b = "mutant-split-wrong-bit";
    let found = |rate, seeds| {
        (0..seeds)
            .filter(|&seed| {
                !execute_builtin(&swiss_split(rate), seed)
                    .findings
                    .is_empty()
            })
            .count()
    };
    // Within 15 seeds with forced splits: a miss has odds 0.164^15 < 2e-11.
    let first = first(&swiss_split(0.2), 15, &[FindingKind::LostWrite]);
    assert!(first.is_some(), "{b}: not found with forced splits");
    // Over seeds 0..100, at the measured rates (83.6% with, 0.7% without),
    // fewer than 50 with has odds below 1e-15, and more than 10 without
    // below 1e-8 (Poisson, mean 0.7).
    let (with, without) = (found(0.2, 100), found(0.0, 100));
    eprintln!("{b}: {with} of 100 seeds with forced splits, {without} without");
    assert!(
        with >= 50 && without <= 10,
        "{with} with, {without} without"
    );
    // The wrapper and its faults are not the cause: the real map, same
    // scenario, forced splits and all, is clean.
    for seed in 0..20 {
        let s = Scenario {
            backend: "swiss-rwmutex".into(),
            ..swiss_split(0.2)
        };
        let e = execute_builtin(&s, seed);
        assert!(e.findings.is_empty(), "seed {seed}: {:?}", e.findings);
    }
}

#[test]
fn every_registered_mutant_is_covered_above() {
    let covered = [
        "mutant-write-under-rlock",
        "mutant-unlocked-read",
        "mutant-check-then-act",
        "mutant-split-swap",
        "mutant-expunged-store",
        "mutant-lossy-promotion",
        "mutant-evacuate-skips-overflow",
        "mutant-iter-ignores-oldbuckets",
        "mutant-shard-clear",
        "mutant-racy-len",
        "mutant-torn-range",
        "mutant-trie-skips-recheck",
        "mutant-split-wrong-bit",
    ];
    for b in registry::backends().iter().filter(|b| b.is_mutant()) {
        assert!(
            covered.contains(&b.name()),
            "{} has no detection test",
            b.name()
        );
    }
}

#[test]
fn whole_map_mutants_are_found_only_by_the_whole_map_checks() {
    // Measured over seeds 0..1000 of these scenarios (`chaos hunt
    // --keep-going`): shard-clear 98, racy-len 996, torn-range 512. Budgets
    // put the odds of a miss below 1e-9: (1 - 0.098)^250 < 1e-11,
    // (1 - 0.5)^40 < 1e-12.
    for (b, mix, budget) in [
        ("mutant-shard-clear", "store=60,load=30,clear=10", 250),
        ("mutant-racy-len", "store=40,delete=20,len=40", 20),
        ("mutant-torn-range", "store=40,delete=20,range=40", 40),
    ] {
        let s = scenario(b, mix);
        let found = first(&s, budget, &[FindingKind::Linearizability]);
        assert!(found.is_some(), "{b}");
        // Every single-key op is correct: the per-key check alone passes
        // on the seed that failed.
        let (seed, _) = found.unwrap();
        let exec = execute_builtin(&s, seed);
        assert!(
            exec.findings[0].message.contains("whole map")
                || exec.findings[0].message.contains("len")
                || b == "mutant-torn-range",
            "{b}: {}",
            exec.findings[0]
        );
    }
}
