//! Regression test emitted by `chaos shrink --emit-test`.
//!
//! It replays the minimal repro embedded below against the backend that
//! `new_map` builds, and asserts that the bug stays fixed: the recorded
//! finding must not occur again. If the backend changed since the repro was
//! recorded, the recorded schedule is followed as far as it still fits and
//! the execution finishes under the recorded seed.

mod common;

use chaos::maps::ChaosMap;
use chaos::repro::{replay_with, ReplayOptions, Repro};

/// Builds the backend under test; `seed` is for its own randomness.
fn new_map(seed: u64) -> Box<dyn ChaosMap> {
    let _ = seed;
    Box::new(common::Locked::default())
}

#[test]
fn lossy_store_stays_fixed() {
    let repro = Repro::from_toml(REPRO).expect("the embedded repro is valid");
    let opts = ReplayOptions {
        continue_on_divergence: true,
        ..ReplayOptions::default()
    };
    let replayed = replay_with(&repro, &new_map, &opts);
    assert!(
        !replayed.reproduced(),
        "the bug is back:\n{}",
        replayed.report(&repro)
    );
}

// chaos-repro-begin
// linearizability: no linearization of the history [locked]
// What happens: thread 1 store(0, 0x20000000001); thread 0 store(0, 0x10000000002); thread 1 load(0) → Some(0x20000000001); linearizability: no linearization of the history
const REPRO: &str = r#"
# chaos repro: linearizability: no linearization of the history [locked]
# Replay it with `chaos replay <this file>`; see `chaos replay --help`.

format = 1
chaos_version = "0.1.0"
description = "thread 1 store(0, 0x20000000001); thread 0 store(0, 0x10000000002); thread 1 load(0) → Some(0x20000000001); linearizability: no linearization of the history"
seed = "0x1d0b14e4db018fed"
run = "chaos run --backend locked --threads 2 --ops 2 --keys 1 --mix load=50,store=50 --mode sched --seed 0x1d0b14e4db018fed"

[finding]
signature = "linearizability: no linearization of the history [locked]"
kind = "linearizability"
message = "no linearization of the history"
thread = 1
op = 1
step = 6
detail = "key 0: Read returning Value(Some(2199023255553)) cannot be placed after 2 earlier op(s) (value then 0x10000000002); ops involved: t1#0 Store { key: 0, value: 2199023255553 } → Unit [2..3]; t0#0 Store { key: 0, value: 1099511627778 } → Unit [5..5]; t1#1 Load { key: 0 } → Value(Some(2199023255553)) [6..7]"

[scenario]
backend = "locked"
threads = 2
ops = 2
keys = 1
distribution = "uniform"
prefill = 0
mode = "sched"
strategy = "random"
depth = 3
resize_rate = 0.0
evacuate_rate = 0.0
promote_rate = 0.0
perturb = "none"
expect = "clean"
max_steps = 1000000
timeout_ms = 10000

[scenario.mix]
load = 50
store = 50

[script]
seed = "0x1d0b14e4db018fed"
history_hash = "0x8edf7e85f50d4d8c"
# each thread's ops, in order
threads = [
    ["store(0, 0x10000000002)"],
    ["store(0, 0x20000000001)", "load(0)"],
]

[script.trace]
# the thread chosen at each scheduling decision
choices = [
    1, 1, 1, 0, 0, 1, 1,
]
# the faults that fired: at = visit index in the run; op, in_op = the thread's op and the visit within it
faults = []
"#;
// chaos-repro-end
