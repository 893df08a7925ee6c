//! Published concurrent maps as controls: under the semantics their
//! documentation promises, the checker calls them clean. A finding here is
//! a false positive — the worst bug this tool can have.

use chaos::engine::execute;
use chaos::maps::ChaosMap;
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;

use crate::support::published::{DashMapAdapter, PapayaAdapter};

const FULL_MIX: &str = "load=25,store=20,delete=10,load_or_store=10,load_and_delete=5,swap=5,compare_and_swap=10,compare_and_delete=5,range=4,clear=2,len=4";
const NO_CLEAR: &str = "load=30,store=25,delete=10,load_or_store=10,load_and_delete=5,swap=5,compare_and_swap=10,compare_and_delete=5";

fn scenario(backend: &str, mode: Mode, mix: &str) -> Scenario {
    Scenario {
        backend: backend.into(),
        threads: 4,
        ops: 200,
        keys: 8,
        mix: mix.parse().unwrap(),
        mode,
        ..Scenario::default()
    }
}

/// Runs `seeds` seeds and returns the first with a finding, described.
fn first_finding(
    s: &Scenario,
    seeds: u64,
    build: &(dyn Fn(u64) -> Box<dyn ChaosMap> + Send + Sync),
) -> Option<String> {
    (0..seeds).find_map(|seed| {
        let exec = execute(s, Seed(seed), build);
        exec.findings
            .first()
            .map(|f| format!("seed {seed}: {f}\n  {}", f.detail))
    })
}

fn dashmap(_: u64) -> Box<dyn ChaosMap> {
    Box::new(DashMapAdapter::default())
}

fn papaya(_: u64) -> Box<dyn ChaosMap> {
    Box::new(PapayaAdapter::default())
}

#[test]
fn published_maps_are_clean_under_the_scheduler() {
    for (name, build) in [
        (
            "dashmap",
            &dashmap as &(dyn Fn(u64) -> Box<dyn ChaosMap> + Send + Sync),
        ),
        ("papaya", &papaya),
    ] {
        let s = scenario(name, Mode::Sched, FULL_MIX);
        assert_eq!(first_finding(&s, 300, build), None, "{name}");
    }
}

/// Both mixes on both maps. papaya's clear, meeting a resize, sweeps the
/// new table after the old one and so may delete a key twice in one call
/// (seen: a value read, absent, written, read, absent again, within one
/// clear): its declared best-effort clear allows that, and nothing more.
#[test]
fn published_maps_are_clean_on_real_threads() {
    for (name, build, mixes) in [
        (
            "dashmap",
            &dashmap as &(dyn Fn(u64) -> Box<dyn ChaosMap> + Send + Sync),
            &[FULL_MIX, NO_CLEAR][..],
        ),
        ("papaya", &papaya, &[FULL_MIX, NO_CLEAR][..]),
    ] {
        for &mix in mixes {
            let s = scenario(name, Mode::Stress, mix);
            assert_eq!(first_finding(&s, 100, build), None, "{name} {mix}");
        }
    }
}

/// How often each published map gets a finding, per mode and mix (the
/// figures quoted in the notes); `CHAOS_SEEDS` seeds each (default 1,000).
/// A seed left undecided is counted apart, never as clean.
#[test]
#[ignore = "a measurement: CHAOS_SEEDS=10000 cargo test --release --test it published::rates -- --ignored --nocapture"]
fn rates() {
    let seeds: u64 = std::env::var("CHAOS_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    for (name, build) in [
        (
            "dashmap",
            &dashmap as &(dyn Fn(u64) -> Box<dyn ChaosMap> + Send + Sync),
        ),
        ("papaya", &papaya),
    ] {
        for mode in [Mode::Sched, Mode::Stress] {
            for mix in [FULL_MIX, NO_CLEAR] {
                let s = scenario(name, mode, mix);
                let (mut failing, mut undecided) = (0, 0);
                for seed in 0..seeds {
                    let e = execute(&s, Seed(seed), build);
                    if let Some(f) = e.findings.first() {
                        failing += 1;
                        if failing <= 3 {
                            println!(
                                "  {name} seed {seed}: {f}: {}",
                                f.detail.chars().take(300).collect::<String>()
                            );
                        }
                    } else if let Some(why) = &e.checked.undecided {
                        undecided += 1;
                        if undecided <= 2 {
                            println!("  {name} seed {seed}: undecided: {why}");
                        }
                    }
                }
                println!(
                    "{name} {mode:?} {}: {failing}/{seeds} seeds with a finding, {undecided} undecided",
                    if mix == FULL_MIX {
                        "full mix"
                    } else {
                        "no clear"
                    }
                );
            }
        }
    }
}
