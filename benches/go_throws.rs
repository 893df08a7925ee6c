//! How often a racing map throws, `gomap` (Go ≤ 1.23's buckets) and
//! `swissmap` (Go 1.24+'s Swiss table) beside the real Go runtime's map
//! (`go:map`, a Swiss table on Go ≥ 1.24), in one run (a measurement, not a
//! timing: a plain main).
//!
//! For every configuration G goroutines/threads × N ops each × K keys ×
//! read/write mix, the share of stress runs that end in a throw on each
//! backend, with the Go release the target was built with. Runs per cell:
//! `GO_THROWS_RUNS` (default 20). Without a Go toolchain it says so and
//! measures `gomap` alone.
//!
//! Run: `cargo bench --bench go_throws` (or `GO_THROWS_RUNS=100 cargo bench
//! --bench go_throws`).

use chaos::check::FindingKind;
use chaos::engine::{execute, go};
use chaos::maps::registry;
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes benches; nothing to list.
    }
    let runs: u64 = std::env::var("GO_THROWS_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let real = match go::resolve(None) {
        Ok((target, _)) => {
            println!("real Go: {}", target.runtime());
            true
        }
        Err(e) => {
            println!("real Go: not measured: {e}");
            false
        }
    };
    let (gomap, swissmap) = (
        registry::lookup("gomap").unwrap(),
        registry::lookup("swissmap").unwrap(),
    );
    println!("{runs} stress runs per cell; share that threw (any of Go's map throws)\n");
    println!(
        "{:>3} {:>6} {:>7} {:>6}  {:>8}  {:>8}  {:>8}",
        "G", "N", "K", "R/W", "gomap", "swissmap", "go:map"
    );
    for threads in [2u32, 8, 50] {
        for ops in [100u32, 10_000] {
            for keys in [16u64, 100_000] {
                for (read, write) in [(70, 30), (30, 70)] {
                    let scenario = Scenario {
                        threads,
                        ops,
                        keys,
                        mix: format!("load={read},store={write}").parse().unwrap(),
                        mode: Mode::Stress,
                        ..Scenario::default()
                    };
                    let share = |backend: &str| {
                        let s = Scenario {
                            backend: backend.into(),
                            ..scenario.clone()
                        };
                        let threw = (0..runs)
                            .filter(|&seed| {
                                let build: &chaos::maps::Constructor<'_> = if s.is_go() {
                                    &go::IN_TARGET
                                } else if backend == "swissmap" {
                                    swissmap.constructor()
                                } else {
                                    gomap.constructor()
                                };
                                execute(&s, Seed(seed), build)
                                    .findings
                                    .iter()
                                    .any(|f| f.kind == FindingKind::Throw)
                            })
                            .count();
                        format!("{:>7.0}%", 100.0 * threw as f64 / runs as f64)
                    };
                    let ours = share("gomap");
                    let swiss = share("swissmap");
                    let theirs = if real { share("go:map") } else { "-".into() };
                    println!(
                        "{threads:>3} {ops:>6} {keys:>7} {:>6}  {ours:>8}  {swiss:>8}  {theirs:>8}",
                        format!("{read}/{write}")
                    );
                }
            }
        }
    }
}
