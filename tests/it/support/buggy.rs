//! Buggy backends for the shrinking, replay and engine tests, written
//! against the public API only (as a library author would), each with one
//! bug class:
//!
//! - [`GoLike`]: an unsynchronised map with Go's `hashWriting` check around
//!   yield points: throws `concurrent map writes` / `... read and map write`
//!   in both modes, and reacts to faults (a longer write window);
//! - [`OsWindow`]: a bug that needs two *OS* threads inside a window at
//!   once: it never shows under the deterministic scheduler, only on real
//!   threads;
//! - [`GrowLoses`]: drops a store when a forced grow fires in its window: a
//!   bug that only a fault shows;
//! - [`Crossed`]: two locks taken in opposite orders: a deadlock.
//!
//! All but `GoLike` wrap [`Locked`] through [`chaos::maps::Delegate`],
//! overriding only the methods that carry the bug.
//!
//! [`Locked::lossy`] and [`Locked::panicky`] give lost writes and panics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};

use chaos::maps::{ChaosMap, Delegate, Key, OpResult, Throw, Value};
use chaos::sync::{yield_point, Fault, Mutex, Site};

use super::Locked;

/// Go's map misuse check, on a plain map: a write checks `writing`, toggles
/// it (XOR, as Go does), writes, and checks it again before clearing it; a
/// read checks it once. Yield points sit in the window, so the scheduler can
/// interleave two writers there. A fault fired at `AssignFlagSet` (a forced
/// grow in Go) makes the window two yield points longer.
#[derive(Default)]
pub struct GoLike {
    writing: AtomicBool,
    m: StdMutex<BTreeMap<Key, Value>>,
}

impl GoLike {
    fn write<T>(&self, f: impl FnOnce(&mut BTreeMap<Key, Value>) -> T) -> OpResult<T> {
        // Relaxed throughout: this models Go's plain, racy flag accesses.
        if self.writing.load(Ordering::Relaxed) {
            return Err(Throw::ConcurrentMapWrites);
        }
        let _ = yield_point(Site::AssignChecked);
        let flag = self.writing.load(Ordering::Relaxed);
        self.writing.store(!flag, Ordering::Relaxed);
        if yield_point(Site::AssignFlagSet).is_some() {
            let _ = yield_point(Site::EvacuateSlot);
            let _ = yield_point(Site::EvacuateSlot);
        }
        let r = f(&mut self.m.lock().unwrap_or_else(|p| p.into_inner()));
        let _ = yield_point(Site::AssignExit);
        if !self.writing.load(Ordering::Relaxed) {
            return Err(Throw::ConcurrentMapWrites);
        }
        self.writing.store(false, Ordering::Relaxed);
        Ok(r)
    }

    fn read<T>(&self, f: impl FnOnce(&BTreeMap<Key, Value>) -> T) -> OpResult<T> {
        if self.writing.load(Ordering::Relaxed) {
            return Err(Throw::ConcurrentMapReadAndMapWrite);
        }
        let _ = yield_point(Site::AccessChecked);
        Ok(f(&self.m.lock().unwrap_or_else(|p| p.into_inner())))
    }
}

impl ChaosMap for GoLike {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.read(|m| m.get(&key).copied())
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.write(|m| {
            m.insert(key, value);
        })
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        self.write(|m| {
            m.remove(&key);
        })
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        self.write(|m| match m.get(&key) {
            Some(&v) => (v, true),
            None => {
                m.insert(key, value);
                (value, false)
            }
        })
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        self.write(|m| m.remove(&key))
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        self.write(|m| m.insert(key, value))
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        self.write(|m| {
            let hit = m.get(&key) == Some(&old);
            if hit {
                m.insert(key, new);
            }
            hit
        })
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        self.write(|m| {
            let hit = m.get(&key) == Some(&old);
            if hit {
                m.remove(&key);
            }
            hit
        })
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        let entries = self.read(|m| m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>())?;
        for (k, v) in entries {
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        self.write(BTreeMap::clear)
    }
}

thread_local! {
    static TAG: u8 = const { 0 };
}

/// A non-zero number naming the calling OS thread.
fn os_thread() -> u64 {
    TAG.with(|t| t as *const u8 as u64)
}

/// How long a store outside the scheduler waits in its window for a second
/// OS thread: long enough that two threads released together overlap even
/// on a loaded machine.
const WINDOW: Duration = Duration::from_millis(5);

/// A map whose bug needs two OS threads inside its store window at once: the
/// window remembers which OS thread is in it, and a store from another OS
/// thread that finds it occupied throws `concurrent map writes`. Under the
/// deterministic scheduler every logical thread runs on one OS thread, so it
/// never fails there; on real threads it fails whenever two stores overlap.
/// Outside the scheduler a store waits in the window (up to [`WINDOW`]) for
/// another thread to arrive, which makes the overlap likely.
#[derive(Default)]
pub struct OsWindow {
    occupant: AtomicU64,
    collided: AtomicBool,
    pub inner: Locked,
}

impl Delegate for OsWindow {
    type Inner = Locked;
    fn inner(&self) -> &Locked {
        &self.inner
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        let me = os_thread();
        match self
            .occupant
            .compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                if chaos::engine::sched::current_thread().is_none() {
                    let until = Instant::now() + WINDOW;
                    while !self.collided.load(Ordering::Acquire) && Instant::now() < until {
                        std::thread::yield_now();
                    }
                }
                self.occupant.store(0, Ordering::Release);
            }
            Err(other) if other != me => {
                self.collided.store(true, Ordering::Release);
                return Err(Throw::ConcurrentMapWrites);
            }
            Err(_) => {}
        }
        self.inner.store(key, value)
    }
}

/// Loses a store when a forced grow fires inside its write window: a bug
/// that only a fault shows.
#[derive(Default)]
pub struct GrowLoses {
    inner: Locked,
}

impl Delegate for GrowLoses {
    type Inner = Locked;
    fn inner(&self) -> &Locked {
        &self.inner
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        if let Some(Fault::Grow | Fault::SameSizeGrow) = yield_point(Site::AssignFlagSet) {
            return Ok(());
        }
        self.inner.store(key, value)
    }
}

/// Loads take lock `a` then `b`, stores `b` then `a`: a deadlock.
#[derive(Default)]
pub struct Crossed {
    a: Mutex<()>,
    b: Mutex<()>,
    inner: Locked,
}

impl Delegate for Crossed {
    type Inner = Locked;
    fn inner(&self) -> &Locked {
        &self.inner
    }
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        let _a = self.a.lock();
        let _b = self.b.lock();
        self.inner.load(key)
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        let _b = self.b.lock();
        let _a = self.a.lock();
        self.inner.store(key, value)
    }
}
