//! `SwissMap` as the unsynchronised backend `swissmap`.
//!
//! Composite operations are written as a Go programmer writes them over a
//! plain map: separate map operations in sequence, not atomic.

use super::SwissMap;
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::Fault;

impl ChaosMap for SwissMap {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.get(key)
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.insert(key, value)
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.remove(key)
    }

    /// `if v, ok := m[k]; ok { return v, true }; m[k] = value; return value, false`.
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        if let Some(v) = self.get(key)? {
            return Ok((v, true));
        }
        self.insert(key, value)?;
        Ok((value, false))
    }

    /// `v, ok := m[k]; delete(m, k)`.
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        let old = self.get(key)?;
        self.remove(key)?;
        Ok(old)
    }

    /// `old, ok := m[k]; m[k] = value`.
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let old = self.get(key)?;
        self.insert(key, value)?;
        Ok(old)
    }

    /// `if v, ok := m[k]; ok && v == old { m[k] = new }`.
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        if self.get(key)? != Some(old) {
            return Ok(false);
        }
        self.insert(key, new)?;
        Ok(true)
    }

    /// `if v, ok := m[k]; ok && v == old { delete(m, k) }`.
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        if self.get(key)? != Some(old) {
            return Ok(false);
        }
        self.remove(key)?;
        Ok(true)
    }

    /// `for k, v := range m { if !f(k, v) { break } }`.
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        for kv in self.iter() {
            let (k, v) = kv?;
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }

    fn clear(&self) -> OpResult<()> {
        SwissMap::clear(self)
    }

    fn len(&self) -> Option<OpResult<usize>> {
        Some(Ok(SwissMap::len(self)))
    }

    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        SwissMap::force_resize(self, fault)
    }

    fn check_invariants(&self) -> Vec<Violation> {
        SwissMap::check_invariants(self)
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }
}
