//! A library author's own `chaos`: every subcommand (`run`, `hunt`,
//! `shrink`, `replay`, `backends`) with their backends registered beside
//! the built-in ones. Its replay lines and repro files name this binary,
//! so what it finds replays with it:
//!
//! ```text
//! cargo run --example chaos -- backends
//! cargo run --example chaos -- hunt --backend my-split-swap --mix load=30,swap=50,delete=20 --seeds 0..200 --out repros
//! cargo run --example chaos -- replay repros/*.toml
//! ```
//!
//! The registered maps here are small on purpose: a reader-writer lock
//! around a Go map under the author's own name, and the same map with a
//! planted bug (a `Swap` made of a locked load and a separately locked
//! store), written with [`Delegate`] so that only `swap` is new.

use chaos::maps::registry::{BackendInfo, Registry};
use chaos::maps::rwmutex::RwMutexMap;
use chaos::maps::{ChaosMap, Delegate, Key, OpResult, Value};

/// A `Swap` that is a load, then a store: another thread's write between
/// them is lost, and the swap reports a previous value the key no longer
/// held.
struct SplitSwap(RwMutexMap);

impl Delegate for SplitSwap {
    type Inner = RwMutexMap;

    fn inner(&self) -> &RwMutexMap {
        &self.0
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let previous = self.0.load(key)?;
        self.0.store(key, value)?;
        Ok(previous)
    }
}

fn main() -> std::process::ExitCode {
    let mut registry = Registry::builtin();
    let locks = true; // a closure may capture the author's configuration
    registry
        .register(BackendInfo::new(
            "my-map",
            "my reader-writer-locked Go map",
            move |seed| -> Box<dyn ChaosMap> {
                assert!(locks);
                Box::new(RwMutexMap::new(seed))
            },
        ))
        .and_then(|r| {
            r.register(BackendInfo::new(
                "my-split-swap",
                "my map, with a Swap split into a load and a store",
                |seed| Box::new(SplitSwap(RwMutexMap::new(seed))),
            ))
        })
        .expect("names are free");
    chaos::cli::main_with(registry)
}
