//! A sharded map: keys spread over [`SHARDS`] maps, each under its own
//! lock — the design of many concurrent maps (dashmap's, Java's old
//! `ConcurrentHashMap`). A single-key op locks one shard. Its whole-map
//! operations lock every shard, in shard order (so they cannot deadlock with
//! each other), and so take effect at one instant: `Clear` is atomic,
//! `Range` a snapshot, `len` exact — the checker holds it to all three.
//!
//! Three planted bugs ([`Plant`]) break one whole-map promise each while
//! every single-key op stays correct, so only the whole-map checks can see
//! them: a `Clear` that empties one shard at a time, a `len` kept in a
//! counter updated without its shard's lock, a `Range` that walks one shard
//! at a time and still claims a snapshot.

use std::collections::BTreeMap;

use crate::maps::{ChaosMap, Key, OpResult, Value, Violation};
use crate::sync::{yield_point, Mutex, RwLock, Site};

/// Number of shards; a key's shard is `key % SHARDS`.
pub const SHARDS: usize = 4;

/// Which whole-map promise a planted bug breaks (`None`: the correct map).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Plant {
    /// The correct map.
    #[default]
    None,
    /// `Clear` locks, empties and unlocks one shard after another: a store
    /// into a shard already cleared survives a clear that a later store, in
    /// a shard not yet cleared, does not.
    ClearShardByShard,
    /// `len` returns a counter that each insert and removal updates after
    /// releasing its shard's lock, by a load and a store: two updates can
    /// lose one.
    RacyLen,
    /// `Range` read-locks one shard at a time, yet the map declares a
    /// snapshot range.
    TornRange,
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct Sharded {
    shards: [RwLock<BTreeMap<Key, Value>>; SHARDS],
    /// [`Plant::RacyLen`]'s counter.
    count: Mutex<i64>,
    plant: Plant,
}

impl Sharded {
    /// The correct map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The map with a planted bug.
    pub fn with_plant(plant: Plant) -> Self {
        Sharded {
            plant,
            ..Self::default()
        }
    }

    fn shard(&self, key: Key) -> &RwLock<BTreeMap<Key, Value>> {
        &self.shards[(key % SHARDS as u64) as usize]
    }

    /// Runs `f` on `key`'s shard under its write lock; `f` returns its
    /// result and how it changed the number of keys. [`Plant::RacyLen`]'s
    /// counter is updated after the lock is released, by a separate load
    /// and store with a scheduling point between them.
    fn write<T>(&self, key: Key, f: impl FnOnce(&mut BTreeMap<Key, Value>) -> (T, i64)) -> T {
        let (out, delta) = {
            let mut m = self.shard(key).write();
            f(&mut m)
        };
        if self.plant == Plant::RacyLen && delta != 0 {
            let seen = *self.count.lock();
            yield_point(Site::User("len counter read"));
            *self.count.lock() = seen + delta;
        }
        out
    }
}

/// The change in the number of keys when `before` becomes `after`.
fn delta(before: Option<Value>, after: bool) -> i64 {
    i64::from(after) - i64::from(before.is_some())
}

impl ChaosMap for Sharded {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.shard(key).read().get(&key).copied())
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.write(key, |m| ((), delta(m.insert(key, value), true)));
        Ok(())
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.write(key, |m| ((), delta(m.remove(&key), false)));
        Ok(())
    }

    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        Ok(self.write(key, |m| match m.get(&key) {
            Some(&v) => ((v, true), 0),
            None => {
                m.insert(key, value);
                ((value, false), 1)
            }
        }))
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.write(key, |m| {
            let old = m.remove(&key);
            (old, delta(old, false))
        }))
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Ok(self.write(key, |m| {
            let old = m.insert(key, value);
            (old, delta(old, true))
        }))
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        Ok(self.write(key, |m| match m.get_mut(&key) {
            Some(v) if *v == old => {
                *v = new;
                (true, 0)
            }
            _ => (false, 0),
        }))
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        Ok(self.write(key, |m| {
            if m.get(&key) == Some(&old) {
                m.remove(&key);
                (true, -1)
            } else {
                (false, 0)
            }
        }))
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        if self.plant == Plant::TornRange {
            for shard in &self.shards {
                let entries: Vec<(Key, Value)> =
                    shard.read().iter().map(|(k, v)| (*k, *v)).collect();
                for (k, v) in entries {
                    if !f(k, v) {
                        return Ok(());
                    }
                }
            }
            return Ok(());
        }
        let guards: Vec<_> = self.shards.iter().map(|s| s.read()).collect();
        for g in &guards {
            for (&k, &v) in g.iter() {
                if !f(k, v) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn clear(&self) -> OpResult<()> {
        if self.plant == Plant::ClearShardByShard {
            for shard in &self.shards {
                shard.write().clear();
            }
            return Ok(());
        }
        let mut guards: Vec<_> = self.shards.iter().map(|s| s.write()).collect();
        let removed: i64 = guards.iter().map(|g| g.len() as i64).sum();
        for g in &mut guards {
            g.clear();
        }
        drop(guards);
        if self.plant == Plant::RacyLen && removed != 0 {
            let seen = *self.count.lock();
            yield_point(Site::User("len counter read"));
            *self.count.lock() = seen - removed;
        }
        Ok(())
    }

    fn len(&self) -> Option<OpResult<usize>> {
        if self.plant == Plant::RacyLen {
            return Some(Ok((*self.count.lock()).max(0) as usize));
        }
        let guards: Vec<_> = self.shards.iter().map(|s| s.read()).collect();
        Some(Ok(guards.iter().map(|g| g.len()).sum()))
    }

    fn interleaving_classes(&self) -> &'static [crate::sync::Class] {
        crate::sync::GOMAP_CLASSES
    }

    fn check_invariants(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        for (i, shard) in self.shards.iter().enumerate() {
            if let Some(k) = shard
                .read()
                .keys()
                .find(|k| (**k % SHARDS as u64) as usize != i)
            {
                out.push(Violation {
                    invariant: "key-in-wrong-shard",
                    detail: format!("key {k} is in shard {i}"),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_thread_sees_a_plain_map_whatever_the_plant() {
        for plant in [
            Plant::None,
            Plant::ClearShardByShard,
            Plant::RacyLen,
            Plant::TornRange,
        ] {
            let m = Sharded::with_plant(plant);
            for k in 0..10 {
                m.store(k, k + 100).unwrap();
            }
            m.delete(3).unwrap();
            assert_eq!(m.len().unwrap().unwrap(), 9, "{plant:?}");
            let mut seen = Vec::new();
            m.range(&mut |k, v| {
                seen.push((k, v));
                true
            })
            .unwrap();
            assert_eq!(seen.len(), 9, "{plant:?}");
            m.clear().unwrap();
            assert_eq!(m.len().unwrap().unwrap(), 0, "{plant:?}");
            assert_eq!(m.load(5).unwrap(), None);
            assert!(m.check_invariants().is_empty());
        }
    }
}
