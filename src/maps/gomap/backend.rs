//! `GoMap` as the unsynchronised backend `gomap`.
//!
//! Composite operations are written exactly as a Go programmer writes them
//! over a plain map: separate map operations in sequence, not atomic. Under
//! concurrency each step may throw, or another thread may run between them.

use super::GoMap;
use crate::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value, Violation};
use crate::sync::Fault;

impl ChaosMap for GoMap {
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
        let v = self.get(key)?;
        self.remove(key)?;
        Ok(v)
    }

    /// `v, ok := m[k]; m[k] = value`.
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let v = self.get(key)?;
        self.insert(key, value)?;
        Ok(v)
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

    /// `for k, v := range m { if !f(k, v) { break } }`; a throw mid-iteration
    /// is returned.
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
        GoMap::clear(self)
    }

    fn len(&self) -> Option<OpResult<usize>> {
        Some(Ok(GoMap::len(self)))
    }

    fn force_resize(&self, fault: Fault) -> OpResult<bool> {
        GoMap::force_resize(self, fault)
    }

    fn check_invariants(&self) -> Vec<Violation> {
        GoMap::check_invariants(self)
    }

    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_ops_behave_like_the_go_idioms() {
        let m = GoMap::new(1);
        let c: &dyn ChaosMap = &m;
        assert_eq!(c.load_or_store(1, 10), Ok((10, false)));
        assert_eq!(c.load_or_store(1, 11), Ok((10, true)));
        assert_eq!(c.swap(1, 12), Ok(Some(10)));
        assert_eq!(c.swap(2, 20), Ok(None));
        assert_eq!(c.compare_and_swap(1, 99, 13), Ok(false));
        assert_eq!(c.compare_and_swap(1, 12, 13), Ok(true));
        assert_eq!(c.compare_and_swap(3, 0, 1), Ok(false));
        assert_eq!(c.load(1), Ok(Some(13)));
        assert_eq!(c.compare_and_delete(1, 12), Ok(false));
        assert_eq!(c.compare_and_delete(1, 13), Ok(true));
        assert_eq!(c.load_and_delete(2), Ok(Some(20)));
        assert_eq!(c.load_and_delete(2), Ok(None));
        assert_eq!(c.len(), Some(Ok(0)));
        assert_eq!(c.range_semantics(), RangeSemantics::Snapshot);
    }

    #[test]
    fn range_stops_early_and_resize_kinds_map_to_go_operations() {
        let m = GoMap::new(2);
        for k in 0..100 {
            m.insert(k, k).unwrap();
        }
        let c: &dyn ChaosMap = &m;
        let mut seen = 0;
        c.range(&mut |_, _| {
            seen += 1;
            seen < 10
        })
        .unwrap();
        assert_eq!(seen, 10);
        assert_eq!(c.force_resize(Fault::Promote), Ok(false));
        assert_eq!(c.force_resize(Fault::Evacuate), Ok(false));
        assert_eq!(c.force_resize(Fault::SameSizeGrow), Ok(true));
        assert_eq!(c.force_resize(Fault::Grow), Ok(false)); // already growing
        assert_eq!(c.force_resize(Fault::Evacuate), Ok(true));
        assert!(c.check_invariants().is_empty());
    }
}
