//! The picture of a failure: every step that causes a throw is in it, in
//! the order it happened, and the one-line description keeps those steps.

use std::path::Path;

use chaos::engine::execute;
use chaos::maps::registry;
use chaos::repro::{make, MakeOptions};
use chaos::repro::{replay, Repro};
use chaos::scenario::{Expect, Scenario};
use chaos::seed::Seed;
use chaos::timeline::{RowKind, Timeline};

fn replayed_timeline(fixture: &str) -> Timeline {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(fixture);
    let repro = Repro::read(&path).unwrap();
    let b = registry::lookup(&repro.scenario.backend).unwrap();
    let r = replay(&repro, b.constructor());
    let f = r.finding.as_ref().expect("the fixture reproduces");
    Timeline::build(&r.execution, f)
}

const THROWS: [&str; 3] = [
    "gomap-throw-concurrent-map-writes.toml",
    "gomap-throw-concurrent-map-read-and-map-write.toml",
    "gomap-throw-concurrent-map-iteration-and-map-write.toml",
];

#[test]
fn each_op_starts_before_its_own_rows_and_unfinished_ops_end_their_step() {
    for fixture in THROWS {
        let t = replayed_timeline(fixture);
        for (i, r) in t.rows.iter().enumerate() {
            if r.kind != RowKind::Start {
                let start = t.rows.iter().position(|s| {
                    s.kind == RowKind::Start && s.thread == r.thread && s.index == r.index
                });
                assert!(
                    start.is_some_and(|s| s < i),
                    "{fixture}: {:?} before its op starts:\n{}",
                    r.kind,
                    t.render()
                );
            }
            if r.kind == RowKind::Unfinished {
                assert!(
                    t.rows[i + 1..]
                        .iter()
                        .all(|n| n.step > r.step || n.kind == RowKind::Unfinished),
                    "{fixture}: a row after `never returned` at its step:\n{}",
                    t.render()
                );
            }
        }
    }
}

/// The built-in default scenario's race, shrunk: both stores flip
/// `hashWriting` (the second flip clears it), and the first store's exit
/// check throws. Sched mode and shrinking are deterministic, so this is the
/// same run every time.
#[test]
fn a_concurrent_writes_throw_at_the_exit_check_shows_both_flips() {
    let scenario = Scenario {
        backend: "gomap".into(),
        threads: 2,
        ops: 50,
        keys: 16,
        mix: "load=50,store=50".parse().unwrap(),
        expect: Expect::Throw,
        ..Scenario::default()
    };
    let gomap = registry::lookup("gomap").unwrap();
    let exec = execute(&scenario, Seed(0), gomap.constructor());
    let f = exec
        .first_bug()
        .expect("the default scenario throws at seed 0");
    let made = make(
        &scenario,
        Seed(0),
        &f.signature(),
        gomap.constructor(),
        &MakeOptions::default(),
    )
    .unwrap();
    let t = Timeline::build(
        &made.replayed.execution,
        made.replayed.finding.as_ref().unwrap(),
    );
    let flips: Vec<u32> = t
        .rows
        .iter()
        .filter(|r| r.text.contains("flipped hashWriting"))
        .map(|r| r.thread)
        .collect();
    assert!(flips.contains(&0) && flips.contains(&1), "{}", t.render());
    let d = t.describe();
    assert!(!d.starts_with('…'), "{d}");
    assert!(
        d.ends_with("throws: fatal error: concurrent map writes"),
        "{d}"
    );
    assert_eq!(d.matches("flipped hashWriting").count(), 2, "{d}");
    assert!(d.contains("check and clear hashWriting"), "{d}");
}

#[test]
fn a_read_throw_shows_the_write_window_it_ran_into() {
    let t = replayed_timeline(THROWS[1]);
    let d = t.describe();
    assert!(
        d.contains("flipped hashWriting") && d.contains("load(0) throws"),
        "{d}"
    );
}
