//! A lock-free fast path over a locked slow path, and the race in it that
//! only the deterministic scheduler finds — once its atomics come from
//! `chaos::sync`.
//!
//! ```text
//! cargo run --example lock_free
//! ```
//!
//! `FastPath` keeps up to [`SLOTS`] keys in fixed slots, each an atomic
//! "present" flag and an atomic value. Loads take no lock: they read the
//! flag, then the value. Writers serialise on a mutex. The planted bug is
//! the order of a store's two writes: the flag goes up before the value is
//! written, so a load that runs between them returns the slot's old value
//! (or 0) as if it were the key's. Locks alone give the scheduler nothing
//! to interleave inside a store; with `chaos::sync`'s atomics every access
//! is a scheduling point, and a load lands in the window.
//!
//! The loom pattern, in a crate of one's own, is a `cfg` swap:
//!
//! ```ignore
//! #[cfg(chaos)]
//! use chaos::sync::{AtomicBool, AtomicU64};
//! #[cfg(not(chaos))]
//! use std::sync::atomic::{AtomicBool, AtomicU64};
//! ```
//!
//! (`RUSTFLAGS="--cfg chaos" cargo test`, and `check-cfg = ['cfg(chaos)']`
//! under `[lints.rust] unexpected_cfgs` to declare the name.) Here both
//! builds live side by side, so one run compares them.

use chaos::engine::execute;
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;

/// Keys the map can hold: keys are slot indices.
pub const SLOTS: usize = 64;

/// `FastPath` over a given pair of atomic types.
macro_rules! fast_path {
    ($module:ident, $AtomicBool:ty, $AtomicU64:ty) => {
        /// `FastPath` built on these atomics.
        pub mod $module {
            use std::sync::atomic::Ordering::{Acquire, Release};

            use chaos::maps::{ChaosMap, Key, OpResult, Value};
            use chaos::sync::Mutex;

            /// One key's slot.
            #[derive(Default)]
            struct Slot {
                present: $AtomicBool,
                value: $AtomicU64,
            }

            /// Lock-free loads over locked writes; see the example's docs.
            pub struct FastPath {
                slots: Vec<Slot>,
                writers: Mutex<()>,
            }

            impl Default for FastPath {
                fn default() -> Self {
                    Self::new()
                }
            }

            impl FastPath {
                /// An empty map.
                pub fn new() -> Self {
                    FastPath {
                        slots: (0..super::SLOTS).map(|_| Slot::default()).collect(),
                        writers: Mutex::new(()),
                    }
                }

                fn slot(&self, key: Key) -> &Slot {
                    &self.slots[key as usize % super::SLOTS]
                }

                /// The fast path: no lock.
                fn get(&self, key: Key) -> Option<Value> {
                    let s = self.slot(key);
                    s.present.load(Acquire).then(|| s.value.load(Acquire))
                }

                /// Under `writers`. The bug: the flag before the value.
                fn put(&self, key: Key, value: Value) {
                    let s = self.slot(key);
                    s.present.store(true, Release);
                    s.value.store(value, Release);
                }

                /// Under `writers`.
                fn remove(&self, key: Key) {
                    self.slot(key).present.store(false, Release);
                }
            }

            impl ChaosMap for FastPath {
                fn load(&self, key: Key) -> OpResult<Option<Value>> {
                    Ok(self.get(key))
                }
                fn store(&self, key: Key, value: Value) -> OpResult<()> {
                    let _w = self.writers.lock();
                    self.put(key, value);
                    Ok(())
                }
                fn delete(&self, key: Key) -> OpResult<()> {
                    let _w = self.writers.lock();
                    self.remove(key);
                    Ok(())
                }
                fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
                    let _w = self.writers.lock();
                    Ok(match self.get(key) {
                        Some(v) => (v, true),
                        None => {
                            self.put(key, value);
                            (value, false)
                        }
                    })
                }
                fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
                    let _w = self.writers.lock();
                    let v = self.get(key);
                    self.remove(key);
                    Ok(v)
                }
                fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
                    let _w = self.writers.lock();
                    let v = self.get(key);
                    self.put(key, value);
                    Ok(v)
                }
                fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
                    let _w = self.writers.lock();
                    let hit = self.get(key) == Some(old);
                    if hit {
                        self.put(key, new);
                    }
                    Ok(hit)
                }
                fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
                    let _w = self.writers.lock();
                    let hit = self.get(key) == Some(old);
                    if hit {
                        self.remove(key);
                    }
                    Ok(hit)
                }
                fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
                    let _w = self.writers.lock();
                    for key in 0..super::SLOTS as Key {
                        if let Some(v) = self.get(key) {
                            if !f(key, v) {
                                break;
                            }
                        }
                    }
                    Ok(())
                }
                fn clear(&self) -> OpResult<()> {
                    let _w = self.writers.lock();
                    for key in 0..super::SLOTS as Key {
                        self.remove(key);
                    }
                    Ok(())
                }
            }
        }
    };
}

fast_path!(
    instrumented,
    chaos::sync::AtomicBool,
    chaos::sync::AtomicU64
);
fast_path!(
    plain,
    std::sync::atomic::AtomicBool,
    std::sync::atomic::AtomicU64
);

/// The scenario both builds are hunted with: 2 threads × 20 ops over 4
/// keys, loads, stores and deletes, under the deterministic scheduler.
pub fn scenario() -> Scenario {
    Scenario {
        backend: "fast-path".into(),
        threads: 2,
        ops: 20,
        keys: 4,
        mix: "load=50,store=30,delete=20".parse().expect("literal mix"),
        mode: Mode::Sched,
        ..Scenario::default()
    }
}

/// How many of `seeds` seeds find a bug in the build `instrumented` names.
pub fn found(instrumented: bool, seeds: std::ops::Range<u64>) -> usize {
    let s = scenario();
    seeds
        .filter(|&seed| {
            let exec = if instrumented {
                execute(&s, Seed(seed), &|_| Box::new(instrumented::FastPath::new()))
            } else {
                execute(&s, Seed(seed), &|_| Box::new(plain::FastPath::new()))
            };
            !exec.findings.is_empty()
        })
        .count()
}

#[allow(dead_code, reason = "the tests include this file as a module")]
fn main() {
    let n = 500;
    println!(
        "seeds of {n} that find the race: chaos::sync atomics {}, std atomics {}",
        found(true, 0..n),
        found(false, 0..n)
    );
}
