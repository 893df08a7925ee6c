//! A correct lock-free map over a small fixed key space: one `AtomicU64` per
//! key, 0 for absent (written values are never 0). Every operation is one
//! SeqCst access or CAS, a few nanoseconds: the shortest operations a
//! stress history can stamp, and so the ones where a stamp that is not
//! ordered with the operation's own memory access shows first.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use chaos::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value};

/// One atomic word per key, keys `0..n`.
pub struct Slots(Vec<AtomicU64>);

impl Slots {
    /// Keys `0..n` (a key outside panics: the scenario must fit).
    pub fn new(n: usize) -> Self {
        Self((0..n).map(|_| AtomicU64::new(0)).collect())
    }

    fn slot(&self, key: Key) -> &AtomicU64 {
        &self.0[key as usize]
    }
}

fn present(v: u64) -> Option<Value> {
    (v != 0).then_some(v)
}

impl ChaosMap for Slots {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(present(self.slot(key).load(SeqCst)))
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.slot(key).store(value, SeqCst);
        Ok(())
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        self.slot(key).store(0, SeqCst);
        Ok(())
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        Ok(
            match self.slot(key).compare_exchange(0, value, SeqCst, SeqCst) {
                Ok(_) => (value, false),
                Err(v) => (v, true),
            },
        )
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(present(self.slot(key).swap(0, SeqCst)))
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Ok(present(self.slot(key).swap(value, SeqCst)))
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        Ok(self
            .slot(key)
            .compare_exchange(old, new, SeqCst, SeqCst)
            .is_ok())
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        Ok(self
            .slot(key)
            .compare_exchange(old, 0, SeqCst, SeqCst)
            .is_ok())
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        for (k, s) in self.0.iter().enumerate() {
            if let Some(v) = present(s.load(SeqCst)) {
                if !f(k as Key, v) {
                    break;
                }
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        for s in &self.0 {
            s.store(0, SeqCst);
        }
        Ok(())
    }
    fn range_semantics(&self) -> RangeSemantics {
        // Each key is read once, at its own instant: sync.Map's promise.
        RangeSemantics::WeakConsistent
    }
}
