//! Regression test emitted by `chaos shrink --emit-test`.
//!
//! It replays the minimal repro embedded below against the backend that
//! `new_map` builds, and asserts that the bug stays fixed: neither the
//! recorded finding nor any other may occur. If the backend changed since the repro was
//! recorded, the recorded schedule is followed as far as it still fits and
//! the execution finishes under the recorded seed.

use crate::support::Locked;

use chaos::maps::ChaosMap;
use chaos::repro::{replay_with, ReplayOptions, Repro};

/// Builds the backend under test; `seed` is for its own randomness.
fn new_map(seed: u64) -> Box<dyn ChaosMap> {
    let _ = seed;
    Box::new(Locked::default())
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
        !replayed.failed(),
        "the bug is back:\n{}",
        replayed.report(&repro)
    );
}

// chaos-repro-begin
// lost-write: the last write to a key is missing at quiescence [locked]
// What happens: thread 1 store(0, 0x20000000001); thread 0 store(0, 0x10000000001); lost-write: the last write to a key is missing at quiescence
const REPRO: &str = r#"
# chaos repro: lost-write: the last write to a key is missing at quiescence [locked]
# Replay it with `chaos replay <this file>`; see `chaos replay --help`.

format = 1
chaos_version = "0.1.0"
description = "thread 1 store(0, 0x20000000001); thread 0 store(0, 0x10000000001); lost-write: the last write to a key is missing at quiescence"
seed = "0x9e5651b0ef953636"
run = "chaos run --backend locked --threads 2 --ops 1 --keys 1 --mix store=50 --mode sched --seed 0x9e5651b0ef953636"

[finding]
signature = "lost-write: the last write to a key is missing at quiescence [locked]"
kind = "lost-write"
message = "the last write to a key is missing at quiescence"
thread = 0
op = 0
step = 5
detail = "key 0: the last write, store(0x10000000001), completed after every other write to the key, yet at quiescence the key is 0x20000000001 instead of 0x10000000001; ops involved: t0#0 store(0, 0x10000000001) → () [5..5]"

[scenario]
backend = "locked"
threads = 2
ops = 1
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
timeout_ms = 10000

[scenario.mix]
store = 50

[script]
seed = "0x9e5651b0ef953636"
history_hash = "0xbda9e06ed719cb81"
# a hash of the script's seed, ops, choices and faults: an edited script is refused (delete this line to replay one)
digest = "0xa3846bc603a0412c"
# each thread's ops, in order
threads = [
    ["store(0, 0x10000000001)"],
    ["store(0, 0x20000000001)"],
]

[script.trace]
# the thread chosen at each scheduling decision
choices = [
    1, 0, 1, 1, 0,
]
# the faults that fired: at = visit index in the run; op, in_op = the thread's op and the visit within it
faults = []
"#;
// chaos-repro-end
