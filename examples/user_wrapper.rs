//! A library author's own map wrapper, plugged into `chaos` through the
//! public API only: a map sharded over N Go maps, each behind its own
//! scheduler-aware mutex.
//!
//! ```text
//! cargo run --example user_wrapper
//! ```
//!
//! Three things make a wrapper explorable by `chaos`:
//! 1. implement [`ChaosMap`] (Go's `sync.Map` API over `u64`);
//! 2. take locks from `chaos::sync` — under the deterministic scheduler only
//!    those hand control back when contended (a `std` lock would hang it);
//! 3. register a constructor, so scenarios and the command line can name it.
//!
//! The end of `main` runs the engine against the wrapper over hundreds of
//! seeds in both modes: the few lines a library author puts in a test.

use chaos::engine::execute;
use chaos::maps::gomap::GoMap;
use chaos::maps::registry::{BackendInfo, Registry};
use chaos::maps::{locked, ChaosMap, Key, OpResult, Value};
use chaos::report;
use chaos::scenario::{Mode, Scenario};
use chaos::seed::sub_seed;
use chaos::seed::Seed;
use chaos::sync::{Fault, Mutex, MutexGuard};

const SHARDS: usize = 4;

/// `N` Go maps, each guarded by its own mutex; a key lives in shard
/// `key % N`. Every operation on a key locks exactly one shard, so
/// composite operations are atomic per key; `Range` and `Clear` visit the
/// shards one at a time (so `Range` is not a snapshot across shards).
struct ShardedMap {
    shards: Vec<Mutex<GoMap>>,
}

impl ShardedMap {
    fn new(seed: u64) -> Self {
        let shards = (0..SHARDS as u64)
            // Each inner map gets its own sub-seed of the run's seed, so the
            // whole backend replays exactly from one seed.
            .map(|i| Mutex::new(GoMap::new(sub_seed(seed, i))))
            .collect();
        Self { shards }
    }

    fn shard(&self, key: Key) -> MutexGuard<'_, GoMap> {
        self.shards[(key % SHARDS as u64) as usize].lock()
    }
}

impl ChaosMap for ShardedMap {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.shard(key).get(key)
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.shard(key).insert(key, value)
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.shard(key).remove(key)
    }

    // The composite operations, each under its shard's one lock: the
    // helpers of `chaos::maps::locked` do the load and the write together.
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        locked::load_or_store_locked(&self.shard(key), key, value)
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        locked::load_and_delete_locked(&self.shard(key), key)
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        locked::swap_locked(&self.shard(key), key, value)
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        locked::compare_and_swap_locked(&self.shard(key), key, old, new)
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        locked::compare_and_delete_locked(&self.shard(key), key, old)
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        for shard in &self.shards {
            let mut go_on = true;
            locked::range_locked(&shard.lock(), &mut |k, v| {
                go_on = f(k, v);
                go_on
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    // The fault injector's resize hook: forward it to every shard, under
    // its lock, or forced resizes never reach the inner maps.
    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        let mut any = false;
        for shard in &self.shards {
            any |= shard.lock().force_resize(fault)?;
        }
        Ok(any)
    }

    fn clear(&self) -> OpResult<()> {
        for shard in &self.shards {
            shard.lock().clear()?;
        }
        Ok(())
    }

    fn len(&self) -> Option<OpResult<usize>> {
        Some(Ok(self.shards.iter().map(|s| s.lock().len()).sum()))
    }

    fn check_invariants(&self) -> Vec<chaos::maps::Violation> {
        self.shards
            .iter()
            .flat_map(|s| s.lock().check_invariants())
            .collect()
    }

    fn range_semantics(&self) -> chaos::maps::RangeSemantics {
        // Shards are visited one after another, each under its own lock.
        chaos::maps::RangeSemantics::WeakConsistent
    }
}

fn main() {
    let mut registry = Registry::builtin();
    registry
        .register(BackendInfo::new(
            "my-sharded",
            "4 Go maps, each behind its own chaos::sync::Mutex",
            |seed| Box::new(ShardedMap::new(seed)),
        ))
        .expect("the name is free");

    let map = registry
        .build("my-sharded", 0x5eed)
        .expect("just registered");
    for k in 0..10 {
        map.store(k, k * 100).expect("no throw behind a lock");
    }
    assert_eq!(map.swap(3, 333).unwrap(), Some(300));
    assert_eq!(map.load_or_store(42, 1).unwrap(), (1, false));
    assert!(map.compare_and_delete(42, 1).unwrap());
    println!("load(3) = {:?}", map.load(3).unwrap());
    println!("len = {:?}", map.len().map(Result::unwrap));

    // The same wrapper from several threads: it never throws.
    let map: std::sync::Arc<dyn ChaosMap> = map.into();
    let workers: Vec<_> = (0..4u64)
        .map(|t| {
            let map = map.clone();
            std::thread::spawn(move || {
                for i in 0..10_000 {
                    map.store(t * 1_000 + i % 100, i).expect("no throw");
                    map.load((t + 1) * 1_000 + i % 100).expect("no throw");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(map.check_invariants().is_empty());
    println!("4 threads x 10000 ops: no throw, invariants clean");

    println!("\nchaos backends (with yours):");
    for line in registry.describe_lines() {
        println!("  {line}");
    }

    // The engine against the wrapper, as a test in your crate would run it:
    // build a scenario, run it over many seeds, look at the outcome.
    let sharded = registry.lookup("my-sharded").expect("registered above");
    for mode in [Mode::Sched, Mode::Stress] {
        let scenario = Scenario {
            backend: "my-sharded".into(),
            threads: 4,
            ops: 100,
            keys: 32,
            mix: "load=50,store=20,delete=10,load_or_store=10,swap=5,range=5"
                .parse()
                .expect("a valid mix"),
            mode,
            resize_rate: 0.05,
            ..Scenario::default()
        };
        let seeds = if mode == Mode::Sched { 300 } else { 20 };
        for seed in 0..seeds {
            let exec = execute(&scenario, Seed(seed), &|seed| sharded.build(seed));
            assert!(exec.findings.is_empty(), "{}", report::run_human(&exec));
        }
        println!("{seeds} seeds in {mode:?} mode: clean");
    }
}
