//! A small correct backend, written against the public API only, with
//! switches that break it in known ways.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chaos::maps::{ChaosMap, Key, OpResult, Value};
use chaos::sync::Mutex;

/// A correct map: every operation under one lock.
#[derive(Default)]
pub struct Locked {
    pub m: Mutex<BTreeMap<Key, Value>>,
    /// Drop every n-th store (0 = never): a lost-write bug.
    pub lose_every: u64,
    pub stores: AtomicU64,
    /// Panic on the n-th load (0 = never).
    pub panic_at: u64,
    pub loads: AtomicU64,
}

impl Locked {
    /// A lossy `Locked`: drops every `n`-th store.
    pub fn lossy(n: u64) -> Self {
        Self {
            lose_every: n,
            ..Self::default()
        }
    }

    /// A `Locked` that panics on its `n`-th load.
    pub fn panicky(n: u64) -> Self {
        Self {
            panic_at: n,
            ..Self::default()
        }
    }
}

impl ChaosMap for Locked {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        let n = self.loads.fetch_add(1, Ordering::Relaxed) + 1;
        if self.panic_at != 0 && n == self.panic_at {
            panic!("user backend bug: index out of bounds");
        }
        Ok(self.m.lock().get(&key).copied())
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        let n = self.stores.fetch_add(1, Ordering::Relaxed) + 1;
        if self.lose_every != 0 && n.is_multiple_of(self.lose_every) {
            return Ok(());
        }
        self.m.lock().insert(key, value);
        Ok(())
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        self.m.lock().remove(&key);
        Ok(())
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        let mut m = self.m.lock();
        Ok(match m.get(&key) {
            Some(&v) => (v, true),
            None => {
                m.insert(key, value);
                (value, false)
            }
        })
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.m.lock().remove(&key))
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Ok(self.m.lock().insert(key, value))
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        let mut m = self.m.lock();
        let hit = m.get(&key) == Some(&old);
        if hit {
            m.insert(key, new);
        }
        Ok(hit)
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        let mut m = self.m.lock();
        let hit = m.get(&key) == Some(&old);
        if hit {
            m.remove(&key);
        }
        Ok(hit)
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        let snapshot: Vec<_> = self.m.lock().iter().map(|(k, v)| (*k, *v)).collect();
        for (k, v) in snapshot {
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        self.m.lock().clear();
        Ok(())
    }
    fn len(&self) -> Option<OpResult<usize>> {
        Some(Ok(self.m.lock().len()))
    }
}
