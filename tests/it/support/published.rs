//! Published concurrent maps behind `ChaosMap`, each declaring what its
//! documentation promises — the controls from outside this crate: the
//! checker must find nothing wrong with them.
//!
//! - `dashmap` (sharded `RwLock`s): single-key ops are linearizable; `len`
//!   sums the shards one at a time and `clear` retains shard by shard, so
//!   both are per shard (len approximate, clear per key); iteration read-locks
//!   one shard at a time (weakly consistent).
//! - `papaya` (lock-free): single-key ops are linearizable; its docs say
//!   iteration, `clear` and `len` rely on a weak snapshot and "may not
//!   produce perfect results" under concurrent writes: weakly consistent,
//!   best-effort clear, approximate len. Its clear is a sweep that, meeting
//!   a resize, sweeps the new table again: a key can be deleted twice in one
//!   call, which a per-key clear (one delete each) does not allow — declared
//!   per key, 20 of 1,000 stress seeds gave a finding.
//!
//! Neither uses `chaos::sync`, so under the scheduler only whole ops
//! interleave; stress mode is where they are really raced.

use chaos::maps::{ChaosMap, ClearSemantics, Key, LenSemantics, OpResult, RangeSemantics, Value};

/// `dashmap::DashMap<u64, u64>`.
#[derive(Default)]
pub struct DashMapAdapter(dashmap::DashMap<Key, Value>);

impl ChaosMap for DashMapAdapter {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.0.get(&key).map(|v| *v))
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.0.insert(key, value);
        Ok(())
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        self.0.remove(&key);
        Ok(())
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        match self.0.entry(key) {
            dashmap::Entry::Occupied(e) => Ok((*e.get(), true)),
            dashmap::Entry::Vacant(e) => {
                e.insert(value);
                Ok((value, false))
            }
        }
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.0.remove(&key).map(|(_, v)| v))
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Ok(self.0.insert(key, value))
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        Ok(match self.0.get_mut(&key) {
            Some(mut v) if *v == old => {
                *v = new;
                true
            }
            _ => false,
        })
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        Ok(self.0.remove_if(&key, |_, v| *v == old).is_some())
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        for e in self.0.iter() {
            let (k, v) = (*e.key(), *e.value());
            // The shard's read lock is held while `e` lives: call out after.
            drop(e);
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        self.0.clear();
        Ok(())
    }
    fn len(&self) -> Option<OpResult<usize>> {
        Some(Ok(self.0.len()))
    }
    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::WeakConsistent
    }
    fn clear_semantics(&self) -> ClearSemantics {
        ClearSemantics::PerKey
    }
    fn len_semantics(&self) -> LenSemantics {
        LenSemantics::Approximate
    }
}

/// `papaya::HashMap<u64, u64>`.
#[derive(Default)]
pub struct PapayaAdapter(papaya::HashMap<Key, Value>);

impl ChaosMap for PapayaAdapter {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.0.pin().get(&key).copied())
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.0.pin().insert(key, value);
        Ok(())
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        self.0.pin().remove(&key);
        Ok(())
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        Ok(match self.0.pin().try_insert(key, value) {
            Ok(_) => (value, false),
            Err(e) => (*e.current, true),
        })
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.0.pin().remove(&key).copied())
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Ok(self.0.pin().insert(key, value).copied())
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        let m = self.0.pin();
        let r = m.compute(key, |e| match e {
            Some((_, v)) if *v == old => papaya::Operation::Insert(new),
            _ => papaya::Operation::Abort(()),
        });
        Ok(matches!(r, papaya::Compute::Updated { .. }))
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        let m = self.0.pin();
        Ok(matches!(m.remove_if(&key, |_, v| *v == old), Ok(Some(_))))
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        let m = self.0.pin();
        for (k, v) in m.iter() {
            if !f(*k, *v) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        self.0.pin().clear();
        Ok(())
    }
    fn len(&self) -> Option<OpResult<usize>> {
        Some(Ok(self.0.len()))
    }
    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::WeakConsistent
    }
    fn clear_semantics(&self) -> ClearSemantics {
        ClearSemantics::BestEffort
    }
    fn len_semantics(&self) -> LenSemantics {
        LenSemantics::Approximate
    }
}
