//! Detection measurements (not timings of one function, so a plain main):
//!
//! 1. Time to find Go's check-then-set race — 2 threads × 1 store on `gomap`,
//!    sched mode, random strategy: schedules and milliseconds to the first
//!    throw, over 20 base seeds; the median is printed.
//! 2. Stress-mode detection on `gomap` (real threads, no deletes): the share
//!    of runs that throw and the median time from release to the throw, for
//!    2 threads × 100 ops over 16 keys and 8 threads × 10,000 ops over
//!    100,000 keys, at 70/30 and 30/70 read:write.
//!
//! Run: `cargo bench --bench detection`.

use std::time::Instant;

use chaos::check::FindingKind;
use chaos::engine::execute;
use chaos::history::Event;
use chaos::maps::registry;
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes benches; nothing to list.
    }
    let gomap = registry::lookup("gomap").unwrap();
    let build = |seed| gomap.build(seed);

    let race = Scenario {
        backend: "gomap".into(),
        threads: 2,
        ops: 1,
        keys: 16,
        mix: "store=1".parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    };
    let (mut schedules, mut millis) = (Vec::new(), Vec::new());
    for base in 0..20u64 {
        let t = Instant::now();
        let n = (0..10_000u64)
            .position(|i| {
                let e = execute(&race, Seed(base * 1_000_000 + i), &build);
                e.findings.iter().any(|f| f.kind == FindingKind::Throw)
            })
            .expect("found within 10,000 schedules") as f64
            + 1.0;
        schedules.push(n);
        millis.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "go check-then-set race (2 threads x 1 store, sched): median {} schedules, {:.3} ms to the first throw (20 base seeds; max {} schedules)",
        median(schedules.clone()),
        median(millis),
        schedules.iter().cloned().fold(0.0, f64::max)
    );

    for (threads, ops, keys, runs) in [(2u32, 100u32, 16u64, 400u64), (8, 10_000, 100_000, 40)] {
        for mix in ["load=70,store=30", "load=30,store=70"] {
            let s = Scenario {
                backend: "gomap".into(),
                threads,
                ops,
                keys,
                mix: mix.parse().unwrap(),
                mode: Mode::Stress,
                ..Scenario::default()
            };
            let mut thrown = 0;
            let mut times = Vec::new();
            for seed in 0..runs {
                let e = execute(&s, Seed(seed), &build);
                if let Some(f) = e.findings.iter().find(|f| f.kind == FindingKind::Throw) {
                    thrown += 1;
                    // The throwing op's return time: ns since the release.
                    let at = e.history.events.iter().rev().find_map(|ev| match ev {
                        Event::Return {
                            thread,
                            index,
                            time,
                            ..
                        } if Some(*thread) == f.thread && Some(*index) == f.op => Some(*time),
                        _ => None,
                    });
                    if let Some(ns) = at {
                        times.push(ns as f64 / 1e3);
                    }
                }
            }
            println!(
                "stress gomap {threads} threads x {ops} ops, {keys} keys, {mix}: {thrown}/{runs} runs threw ({:.0}%), median {:.1} us from release to throw",
                100.0 * thrown as f64 / runs as f64,
                median(times)
            );
        }
    }
}
