//! Structure-aware faults never hide a growth mutant: in each shape, each
//! mutant whose bug needs growth fails on at least as many seeds with
//! forced resizes on as with them off (`chaos::sync::Shape`'s rules).
//!
//! Sched mode, so each count is exact for its seeds: the test cannot flake.
//! Measured over 1,000 seeds (`chaos hunt --keep-going`, the note's table)
//! the closest pair in these shapes is 834 off vs 894 on; over the 200 seeds
//! here a reversal of that pair would be a 2.7-sigma event, and every other
//! pair is further apart.

use chaos::scenario::{Mode, Scenario};

use crate::support::execute_builtin;

/// The shapes: a small map, a half-prefilled one, one that grows
/// from empty through several doublings, and one prefilled near a Swiss
/// table's split.
fn shapes() -> [(&'static str, Scenario); 4] {
    let base = Scenario {
        threads: 2,
        ops: 30,
        mix: "store=55,load=30,delete=10,range=5".parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    };
    [
        (
            "16 keys",
            Scenario {
                keys: 16,
                ..base.clone()
            },
        ),
        (
            "64 keys, prefill 32",
            Scenario {
                keys: 64,
                prefill: 32,
                ..base.clone()
            },
        ),
        (
            "2 x 150 ops, 400 keys",
            Scenario {
                ops: 150,
                keys: 400,
                ..base.clone()
            },
        ),
        (
            "1,000 keys, prefill 890",
            Scenario {
                keys: 1000,
                prefill: 890,
                ..base
            },
        ),
    ]
}

fn failing(s: &Scenario, seeds: u64) -> usize {
    (0..seeds)
        .filter(|&seed| !execute_builtin(s, seed).findings.is_empty())
        .count()
}

#[test]
fn forced_resizes_find_every_growth_mutant_at_least_as_often_as_none() {
    let mut table = Vec::new();
    for backend in [
        "mutant-evacuate-skips-overflow",
        "mutant-iter-ignores-oldbuckets",
        "mutant-split-wrong-bit",
    ] {
        for (shape, s) in shapes() {
            let off = Scenario {
                backend: backend.into(),
                ..s
            };
            let on = Scenario {
                resize_rate: 0.2,
                evacuate_rate: 0.2,
                ..off.clone()
            };
            let (off, on) = (failing(&off, 200), failing(&on, 200));
            table.push(format!("{backend} | {shape} | off {off} | on {on}"));
            assert!(
                on >= off,
                "{backend}, {shape}: {on} with faults < {off} without\n{}",
                table.join("\n")
            );
        }
    }
    println!("{}", table.join("\n"));
}
