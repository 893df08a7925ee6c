//! The engine against the real backends: the Go race found and replayed,
//! determinism across processes, and forced resizes landing where asked.

use std::process::Command;

use chaos::check::FindingKind;
use chaos::maps::registry;
use chaos::scenario::{Mode, Scenario};
use chaos::sync::Cover;

use crate::support::execute_builtin;

#[test]
fn two_writers_one_store_each_throw_within_100_seeds_and_replay() {
    let s = Scenario {
        backend: "gomap".into(),
        threads: 2,
        ops: 1,
        keys: 4,
        mix: "store=1".parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    };
    let (seed, exec) = (0..100)
        .map(|seed| (seed, execute_builtin(&s, seed)))
        .find(|(_, e)| e.findings.iter().any(|f| f.kind == FindingKind::Throw))
        .expect("`concurrent map writes` within 100 seeds");
    let f = &exec.findings[0];
    assert_eq!(f.message, "concurrent map writes");
    let again = execute_builtin(&s, seed);
    assert_eq!(again.findings[0].signature(), f.signature());
    assert_eq!(again.history_hash(), exec.history_hash());
    assert_eq!(again.trace(), exec.trace());
}

#[test]
fn same_scenario_and_seed_give_the_same_history_hash_in_two_processes() {
    // Every registered backend, several seeds, two separate `chaos` processes.
    let bin = env!("CARGO_BIN_EXE_chaos");
    let hash = |backend: &str, seed: u64| -> String {
        let out = Command::new(bin)
            .args([
                "run",
                "--backend",
                backend,
                "--threads",
                "3",
                "--ops",
                "12",
                "--keys",
                "6",
            ])
            .args([
                "--mix",
                "load=40,store=30,delete=10,swap=10,range=5,load_or_store=5",
            ])
            .args([
                "--resize-rate",
                "0.1",
                "--promote-rate",
                "0.1",
                "--mode",
                "sched",
                "--json",
            ])
            .args(["--seed", &seed.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.code().unwrap() <= 1,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["history_hash"].as_str().unwrap().to_string()
    };
    for b in registry::backends() {
        let mut distinct = std::collections::HashSet::new();
        for seed in [0, 1, 7, 0x5eed, u64::MAX] {
            let (a, b2) = (hash(b.name(), seed), hash(b.name(), seed));
            assert_eq!(a, b2, "{} seed {seed}", b.name());
            distinct.insert(a);
        }
        assert!(
            distinct.len() >= 4,
            "{}: seeds should explore different histories",
            b.name()
        );
    }
}

#[test]
fn forced_resizes_land_mid_operation_in_both_modes() {
    for mode in [Mode::Sched, Mode::Stress] {
        let grow = Scenario {
            backend: "rwmutex".into(),
            threads: 4,
            ops: 300,
            keys: 64,
            mix: "load=40,store=40,delete=10,range=10".parse().unwrap(),
            mode,
            resize_rate: 0.3,
            evacuate_rate: 0.3,
            ..Scenario::default()
        };
        let mut cov = std::collections::BTreeMap::<Cover, u64>::new();
        for seed in 0..8 {
            let e = execute_builtin(&grow, seed);
            assert!(
                e.findings.is_empty(),
                "{mode:?} seed {seed}: {:?}",
                e.findings
            );
            for (k, v) in e.coverage {
                *cov.entry(k).or_default() += v;
            }
        }
        for mark in [
            Cover::ForcedGrowMidOp,
            Cover::ForcedEvacuation,
            Cover::WithheldEvacuation,
            Cover::ReadDuringGrow,
            Cover::IterDuringGrow,
        ] {
            assert!(
                cov.get(&mark).copied().unwrap_or(0) > 0,
                "{mode:?}: no {mark:?} in {cov:?}"
            );
        }
        let promote = Scenario {
            backend: "syncmap".into(),
            promote_rate: 0.3,
            resize_rate: 0.0,
            evacuate_rate: 0.0,
            ..grow
        };
        let mut promotions = 0;
        for seed in 0..8 {
            let e = execute_builtin(&promote, seed);
            assert!(
                e.findings.is_empty(),
                "{mode:?} seed {seed}: {:?}",
                e.findings
            );
            promotions += e
                .coverage
                .get(&Cover::SyncMapForcedPromotion)
                .copied()
                .unwrap_or(0);
        }
        assert!(promotions > 0, "{mode:?}: no forced sync.Map promotion");
    }
}
