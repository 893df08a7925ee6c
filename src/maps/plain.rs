//! A Go runtime map model as an unsynchronised backend: `sync.Map`'s API
//! written exactly as a Go programmer writes it over a plain map, separate
//! map operations in sequence, not atomic. Under concurrency each step may
//! throw, or another thread may run between them.
//!
//! One macro, for every model with Go's primitives as inherent methods
//! (`get`, `insert`, `remove`, `iter`, `clear`, `len`, `force_resize`,
//! `check_invariants`): `GoMap` (the classic map) and `SwissMap`.

/// Implements [`crate::maps::ChaosMap`] for `$map` over its inherent Go
/// primitives.
macro_rules! plain_go_map {
    ($map:ty, $classes:expr) => {
        impl $crate::maps::ChaosMap for $map {
            fn load(
                &self,
                key: $crate::maps::Key,
            ) -> $crate::maps::OpResult<Option<$crate::maps::Value>> {
                self.get(key)
            }

            fn store(
                &self,
                key: $crate::maps::Key,
                value: $crate::maps::Value,
            ) -> $crate::maps::OpResult<()> {
                self.insert(key, value)
            }

            fn delete(&self, key: $crate::maps::Key) -> $crate::maps::OpResult<()> {
                self.remove(key)
            }

            /// `if v, ok := m[k]; ok { return v, true }; m[k] = value; return value, false`.
            fn load_or_store(
                &self,
                key: $crate::maps::Key,
                value: $crate::maps::Value,
            ) -> $crate::maps::OpResult<($crate::maps::Value, bool)> {
                if let Some(v) = self.get(key)? {
                    return Ok((v, true));
                }
                self.insert(key, value)?;
                Ok((value, false))
            }

            /// `v, ok := m[k]; delete(m, k)`.
            fn load_and_delete(
                &self,
                key: $crate::maps::Key,
            ) -> $crate::maps::OpResult<Option<$crate::maps::Value>> {
                let v = self.get(key)?;
                self.remove(key)?;
                Ok(v)
            }

            /// `v, ok := m[k]; m[k] = value`.
            fn swap(
                &self,
                key: $crate::maps::Key,
                value: $crate::maps::Value,
            ) -> $crate::maps::OpResult<Option<$crate::maps::Value>> {
                let v = self.get(key)?;
                self.insert(key, value)?;
                Ok(v)
            }

            /// `if v, ok := m[k]; ok && v == old { m[k] = new }`.
            fn compare_and_swap(
                &self,
                key: $crate::maps::Key,
                old: $crate::maps::Value,
                new: $crate::maps::Value,
            ) -> $crate::maps::OpResult<bool> {
                if self.get(key)? != Some(old) {
                    return Ok(false);
                }
                self.insert(key, new)?;
                Ok(true)
            }

            /// `if v, ok := m[k]; ok && v == old { delete(m, k) }`.
            fn compare_and_delete(
                &self,
                key: $crate::maps::Key,
                old: $crate::maps::Value,
            ) -> $crate::maps::OpResult<bool> {
                if self.get(key)? != Some(old) {
                    return Ok(false);
                }
                self.remove(key)?;
                Ok(true)
            }

            /// `for k, v := range m { if !f(k, v) { break } }`; a throw
            /// mid-iteration is returned.
            fn range(
                &self,
                f: &mut dyn FnMut($crate::maps::Key, $crate::maps::Value) -> bool,
            ) -> $crate::maps::OpResult<()> {
                for kv in self.iter() {
                    let (k, v) = kv?;
                    if !f(k, v) {
                        break;
                    }
                }
                Ok(())
            }

            fn clear(&self) -> $crate::maps::OpResult<()> {
                <$map>::clear(self)
            }

            fn len(&self) -> Option<$crate::maps::OpResult<usize>> {
                Some(Ok(<$map>::len(self)))
            }

            fn force_resize(&self, fault: $crate::sync::Fault) -> $crate::maps::OpResult<bool> {
                <$map>::force_resize(self, fault)
            }

            fn interleaving_classes(&self) -> &'static [$crate::sync::Class] {
                $classes
            }

            fn check_invariants(&self) -> Vec<$crate::maps::Violation> {
                <$map>::check_invariants(self)
            }

            fn range_semantics(&self) -> $crate::maps::RangeSemantics {
                $crate::maps::RangeSemantics::Snapshot
            }
        }
    };
}

pub(crate) use plain_go_map;
