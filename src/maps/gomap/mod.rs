//! TEMPORARY STAND-IN for Go's runtime map — this is NOT the Go map.
//!
//! The real `gomap` (hmap/bmap, incremental growth, Go's iteration order and
//! best-effort misuse detection) is being written on branch `gomap`. This
//! file only offers the same public API so that the backends built on top of
//! it (`rwmutex`, `syncmap`, the mutants) compile and can be tested before
//! that branch lands; merging `gomap` replaces it entirely.
//!
//! What it is: a `std::sync::Mutex<BTreeMap>` (sound under any racing, and
//! iterating in key order so runs are deterministic) plus a crude `writing` flag that makes overlapping writes, and
//! reads or iteration steps overlapping a write, return Go's throws. It has
//! no buckets, no growth (`force_grow`/`force_evacuate` do nothing) and
//! ignores [`GoMapMutation`]: nothing here may be used to judge the Go map.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::maps::{ChaosMap, Key, OpResult, Throw, Value, Violation};
use crate::sync::{yield_point, Site};

/// The stand-in's planted bugs: accepted and ignored (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GoMapMutation {
    /// Real map: evacuation copies only the head bucket of each old chain.
    EvacuateSkipsOverflow,
    /// Real map: an iterator started during a grow never looks at old buckets.
    IterIgnoresOldBuckets,
}

/// Stand-in statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Number of entries.
    pub count: usize,
}

/// STAND-IN (see module docs): a locked `BTreeMap` with a crude writing flag.
#[derive(Debug)]
pub struct GoMap {
    writing: AtomicBool,
    inner: std::sync::Mutex<BTreeMap<Key, Value>>,
}

impl GoMap {
    /// A new empty map.
    pub fn new(_seed: u64) -> Self {
        Self {
            writing: AtomicBool::new(false),
            inner: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// A new empty map sized for `hint` entries.
    pub fn with_hint(_hint: usize, seed: u64) -> Self {
        Self::new(seed)
    }

    /// A new map with a planted bug (ignored by the stand-in).
    pub fn with_mutation(seed: u64, _m: GoMapMutation) -> Self {
        Self::new(seed)
    }

    fn data(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Value>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write<T>(&self, f: impl FnOnce(&mut BTreeMap<Key, Value>) -> T) -> Result<T, Throw> {
        if self.writing.swap(true, Ordering::AcqRel) {
            return Err(Throw::ConcurrentMapWrites);
        }
        let _ = yield_point(Site::AssignFlagSet);
        let out = f(&mut self.data());
        let _ = yield_point(Site::AssignExit);
        self.writing.store(false, Ordering::Release);
        Ok(out)
    }

    fn check_read(&self) -> Result<(), Throw> {
        let _ = yield_point(Site::AccessChecked);
        if self.writing.load(Ordering::Acquire) {
            return Err(Throw::ConcurrentMapReadAndMapWrite);
        }
        Ok(())
    }

    /// `m[key]`.
    pub fn get(&self, key: u64) -> Result<Option<u64>, Throw> {
        self.check_read()?;
        Ok(self.data().get(&key).copied())
    }

    /// `m[key] = value`.
    pub fn insert(&self, key: u64, value: u64) -> Result<(), Throw> {
        self.write(|m| {
            m.insert(key, value);
        })
    }

    /// `delete(m, key)`.
    pub fn remove(&self, key: u64) -> Result<(), Throw> {
        self.write(|m| {
            m.remove(&key);
        })
    }

    /// `clear(m)`.
    pub fn clear(&self) -> Result<(), Throw> {
        self.write(|m| m.clear())
    }

    /// `len(m)`.
    pub fn len(&self) -> usize {
        self.data().len()
    }

    /// `len(m) == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `for k, v := range m` (stand-in: a snapshot, checked at every step).
    pub fn iter(&self) -> Iter<'_> {
        let entries: Vec<_> = self.data().iter().map(|(k, v)| (*k, *v)).collect();
        Iter {
            map: self,
            entries: entries.into_iter(),
        }
    }

    /// Stand-in: no growth; returns `Ok(false)`.
    pub fn force_grow(&self, _same_size: bool) -> Result<bool, Throw> {
        Ok(false)
    }

    /// Stand-in: no growth; returns `Ok(0)`.
    pub fn force_evacuate(&self, _steps: usize) -> Result<usize, Throw> {
        Ok(0)
    }

    /// Stand-in statistics.
    pub fn stats(&self) -> Stats {
        Stats { count: self.len() }
    }

    /// Stand-in: only checks that no write is in progress.
    pub fn check_invariants(&self) -> Vec<Violation> {
        if self.writing.load(Ordering::Acquire) {
            return vec![Violation {
                invariant: "hash-writing-set",
                detail: "stand-in writing flag set at quiescence".into(),
            }];
        }
        Vec::new()
    }
}

/// Stand-in iterator: a snapshot, with the iteration check at every step.
#[derive(Debug)]
pub struct Iter<'a> {
    map: &'a GoMap,
    entries: std::vec::IntoIter<(Key, Value)>,
}

impl Iterator for Iter<'_> {
    type Item = Result<(u64, u64), Throw>;
    fn next(&mut self) -> Option<Self::Item> {
        let next = self.entries.next()?;
        let _ = yield_point(Site::IterChecked);
        if self.map.writing.load(Ordering::Acquire) {
            return Some(Err(Throw::ConcurrentMapIterationAndMapWrite));
        }
        Some(Ok(next))
    }
}

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
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        match self.get(key)? {
            Some(v) => Ok((v, true)),
            None => self.insert(key, value).map(|()| (value, false)),
        }
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        let old = self.get(key)?;
        self.remove(key)?;
        Ok(old)
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        let old = self.get(key)?;
        self.insert(key, value)?;
        Ok(old)
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        if self.get(key)? != Some(old) {
            return Ok(false);
        }
        self.insert(key, new).map(|()| true)
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        if self.get(key)? != Some(old) {
            return Ok(false);
        }
        self.remove(key).map(|()| true)
    }
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
    fn check_invariants(&self) -> Vec<Violation> {
        GoMap::check_invariants(self)
    }
}
