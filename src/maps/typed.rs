//! Maps over keys and values of other types: `String` keys (Go's
//! `map[string]int` of the incident this tool exists for), or any
//! `K: Clone + Send + Sync`, plugged in without writing the `u64` plumbing.
//!
//! The workload speaks `u64`: small key indices, and values that name the
//! thread and op that wrote them. A [`Codec`] turns each into the user's
//! type and back — [`Strings`] writes `k11`-style strings (17 in hex), [`Same`] leaves
//! a `u64` alone — and [`Typed`] runs a [`TypedMap`] (the user's map, with
//! `sync.Map`'s operations over their own types) as a [`ChaosMap`]:
//!
//! ```
//! use std::collections::HashMap;
//! use chaos::maps::typed::{Strings, Typed, TypedMap};
//! use chaos::maps::ChaosMap;
//! use chaos::sync::Mutex;
//!
//! /// A `HashMap<String, String>` behind a lock.
//! #[derive(Default)]
//! struct Names(Mutex<HashMap<String, String>>);
//!
//! impl TypedMap<String, String> for Names {
//!     fn load(&self, k: &String) -> Option<String> { self.0.lock().get(k).cloned() }
//!     fn store(&self, k: String, v: String) { self.0.lock().insert(k, v); }
//!     fn delete(&self, k: &String) { self.0.lock().remove(k); }
//!     fn load_or_store(&self, k: String, v: String) -> (String, bool) {
//!         let mut m = self.0.lock();
//!         match m.get(&k) {
//!             Some(old) => (old.clone(), true),
//!             None => { m.insert(k, v.clone()); (v, false) }
//!         }
//!     }
//!     fn load_and_delete(&self, k: &String) -> Option<String> { self.0.lock().remove(k) }
//!     fn swap(&self, k: String, v: String) -> Option<String> { self.0.lock().insert(k, v) }
//!     fn compare_and_swap(&self, k: &String, old: &String, new: String) -> bool {
//!         let mut m = self.0.lock();
//!         let hit = m.get(k) == Some(old);
//!         if hit { m.insert(k.clone(), new); }
//!         hit
//!     }
//!     fn compare_and_delete(&self, k: &String, old: &String) -> bool {
//!         let mut m = self.0.lock();
//!         let hit = m.get(k) == Some(old);
//!         if hit { m.remove(k); }
//!         hit
//!     }
//!     fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
//!         for (k, v) in self.0.lock().iter() { if !f(k, v) { break; } }
//!     }
//!     fn clear(&self) { self.0.lock().clear() }
//!     fn len(&self) -> Option<usize> { Some(self.0.lock().len()) }
//! }
//!
//! let map = Typed::new(Names::default(), Strings::new("k"), Strings::new("v"));
//! map.store(17, 0x2000000003).unwrap();
//! assert_eq!(map.inner().load(&"k11".to_string()), Some("v2000000003".to_string()));
//! assert_eq!(map.load(17).unwrap(), Some(0x2000000003));
//! ```
//!
//! A value the map returns that its codec cannot read back (a string no
//! writer wrote) is reported to the checker as [`GARBLED`], a value no
//! writer wrote: a finding, as a made-up value is.

use std::marker::PhantomData;

use super::{ChaosMap, Key, LenSemantics, OpResult, RangeSemantics, Value};

/// The value a [`Typed`] map reports for one its codec cannot read back.
/// No workload writes it (written values name their writer).
pub const GARBLED: Value = u64::MAX;

/// A one-to-one encoding of the workload's `u64`s as `T`.
pub trait Codec<T>: Send + Sync {
    /// The `T` that stands for `n`.
    fn encode(&self, n: u64) -> T;
    /// The `n` that `t` stands for, or `None` if no `n` encodes to it.
    fn decode(&self, t: &T) -> Option<u64>;
}

/// `u64`s as strings: a prefix, then the number in lower-case hex
/// (`Strings::new("k")`: 17 is `"k11"`).
#[derive(Clone, Debug)]
pub struct Strings {
    prefix: &'static str,
}

impl Strings {
    /// Strings that begin with `prefix`.
    pub const fn new(prefix: &'static str) -> Self {
        Strings { prefix }
    }
}

impl Codec<String> for Strings {
    fn encode(&self, n: u64) -> String {
        format!("{}{n:x}", self.prefix)
    }

    fn decode(&self, t: &String) -> Option<u64> {
        let digits = t.strip_prefix(self.prefix)?;
        // Only the canonical form: no sign, no leading zeros, no upper case.
        let n = u64::from_str_radix(digits, 16).ok()?;
        (self.encode(n) == *t).then_some(n)
    }
}

/// `u64`s as themselves.
#[derive(Clone, Copy, Debug, Default)]
pub struct Same;

impl Codec<u64> for Same {
    fn encode(&self, n: u64) -> u64 {
        n
    }

    fn decode(&self, t: &u64) -> Option<u64> {
        Some(*t)
    }
}

/// `sync.Map`'s operations over a user's key and value types: what a map
/// implements to be run through [`Typed`]. Each has the meaning of the
/// [`ChaosMap`] method of the same name.
#[expect(
    clippy::len_without_is_empty,
    reason = "mirrors ChaosMap, which mirrors Go's API: len and no is_empty"
)]
pub trait TypedMap<K, V>: Send + Sync {
    /// The value stored for `key`, if any.
    fn load(&self, key: &K) -> Option<V>;
    /// Sets the value for `key`.
    fn store(&self, key: K, value: V);
    /// Removes `key`.
    fn delete(&self, key: &K);
    /// The existing value and `true`, or stores `value` and returns it
    /// with `false`.
    fn load_or_store(&self, key: K, value: V) -> (V, bool);
    /// Removes `key`, returning its value if any.
    fn load_and_delete(&self, key: &K) -> Option<V>;
    /// Stores `value`, returning the previous value if any.
    fn swap(&self, key: K, value: V) -> Option<V>;
    /// Stores `new` if the current value is `old`.
    fn compare_and_swap(&self, key: &K, old: &V, new: V) -> bool;
    /// Removes `key` if its current value is `old`.
    fn compare_and_delete(&self, key: &K, old: &V) -> bool;
    /// Calls `f` for entries until it returns `false`.
    fn range(&self, f: &mut dyn FnMut(&K, &V) -> bool);
    /// Removes every entry.
    fn clear(&self);
    /// The number of entries, where the map has a length.
    fn len(&self) -> Option<usize> {
        None
    }
    /// What the checker may assume about `range`.
    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }
    /// What the checker may assume about `len`.
    fn len_semantics(&self) -> LenSemantics {
        LenSemantics::Exact
    }
}

/// A [`TypedMap`] run as a [`ChaosMap`]: keys and values through their
/// codecs.
pub struct Typed<K, V, M, KC, VC> {
    map: M,
    keys: KC,
    values: VC,
    /// The key and value types (a function pointer: `Send` and `Sync`
    /// whatever they are).
    types: PhantomData<fn(K, V)>,
}

impl<K, V, M, KC, VC> Typed<K, V, M, KC, VC>
where
    M: TypedMap<K, V>,
    KC: Codec<K>,
    VC: Codec<V>,
{
    /// `map`, its keys encoded by `keys` and its values by `values`.
    pub fn new(map: M, keys: KC, values: VC) -> Self {
        Typed {
            map,
            keys,
            values,
            types: PhantomData,
        }
    }

    /// The user's map.
    pub fn inner(&self) -> &M {
        &self.map
    }

    fn value(&self, v: &V) -> Value {
        self.values.decode(v).unwrap_or(GARBLED)
    }
}

impl<K, V, M, KC, VC> ChaosMap for Typed<K, V, M, KC, VC>
where
    M: TypedMap<K, V>,
    KC: Codec<K>,
    VC: Codec<V>,
{
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self
            .map
            .load(&self.keys.encode(key))
            .map(|v| self.value(&v)))
    }

    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.map
            .store(self.keys.encode(key), self.values.encode(value));
        Ok(())
    }

    fn delete(&self, key: Key) -> OpResult<()> {
        self.map.delete(&self.keys.encode(key));
        Ok(())
    }

    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        let (v, loaded) = self
            .map
            .load_or_store(self.keys.encode(key), self.values.encode(value));
        Ok((self.value(&v), loaded))
    }

    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self
            .map
            .load_and_delete(&self.keys.encode(key))
            .map(|v| self.value(&v)))
    }

    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Ok(self
            .map
            .swap(self.keys.encode(key), self.values.encode(value))
            .map(|v| self.value(&v)))
    }

    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        Ok(self.map.compare_and_swap(
            &self.keys.encode(key),
            &self.values.encode(old),
            self.values.encode(new),
        ))
    }

    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        Ok(self
            .map
            .compare_and_delete(&self.keys.encode(key), &self.values.encode(old)))
    }

    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        self.map.range(&mut |k, v| {
            // A key no index encodes to is one the map made up: reported
            // as `GARBLED`, which no workload draws as a key.
            f(self.keys.decode(k).unwrap_or(GARBLED), self.value(v))
        });
        Ok(())
    }

    fn clear(&self) -> OpResult<()> {
        self.map.clear();
        Ok(())
    }

    fn len(&self) -> Option<OpResult<usize>> {
        self.map.len().map(Ok)
    }

    fn range_semantics(&self) -> RangeSemantics {
        self.map.range_semantics()
    }

    fn len_semantics(&self) -> LenSemantics {
        self.map.len_semantics()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_refuse_what_no_number_encodes_to() {
        let c = Strings::new("k");
        for n in [0, 17, u64::MAX] {
            assert_eq!(c.decode(&c.encode(n)), Some(n));
        }
        assert_eq!(c.encode(17), "k11");
        for bad in ["k", "x11", "k011", "kFF", "k-1", "k+1"] {
            assert_eq!(c.decode(&bad.to_string()), None, "{bad}");
        }
    }
}
