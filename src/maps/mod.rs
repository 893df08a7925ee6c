//! Backends: the public map trait, the registry, and the built-in maps.
//!
//! Every backend implements [`ChaosMap`], the operations of Go's `sync.Map`
//! API over `u64` keys and values, each returning its result or a Go-style
//! [`Throw`]. The engine drives backends only through this trait, so a library
//! author's wrapper is explored exactly like the built-in ones.

mod delegate;
pub mod gomap;
pub mod hashtriemap;
pub mod locked;
pub mod mutants;
pub mod mutex;
mod plain;
pub mod registry;
pub mod rwmutex;
pub mod sharded;
pub mod swiss_rwmutex;
pub mod swissmap;
pub mod syncmap;
mod throw;
pub mod typed;

pub use delegate::Delegate;
pub use throw::Throw;

use crate::sync::{Class, Fault};

use serde::{Deserialize, Serialize};

/// Builds a fresh backend from the seed it must use for its own randomness
/// (hash seeds, iteration starts): the one shape of a backend constructor.
/// The registry holds them; the engine, the shrinker and replay take them.
/// A closure works: `&|seed| Box::new(MyMap::new(seed))`.
pub type Constructor<'a> = dyn Fn(u64) -> Box<dyn ChaosMap> + Send + Sync + 'a;

/// A map key. The workload draws keys from a small key space.
pub type Key = u64;
/// A map value. The workload writes values that are unique in a run.
pub type Value = u64;
/// The result of one map operation: its value, or a Go-style fatal error.
pub type OpResult<T> = Result<T, Throw>;

/// What the checker may assume about [`ChaosMap::range`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RangeSemantics {
    /// Range returns the map's contents at one instant (a lock-held walk).
    #[default]
    Snapshot,
    /// Go's `sync.Map.Range` promise: no key twice; each visited key's value is
    /// one it held at some moment during the call; keys present for the whole
    /// call are visited; others may or may not be.
    WeakConsistent,
}

/// What the checker may assume about [`ChaosMap::clear`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClearSemantics {
    /// `Clear` empties the whole map at one instant (Go's `clear(m)` under
    /// a lock, `sync.Map.Clear`): checked as one operation over every key.
    #[default]
    Atomic,
    /// `Clear` deletes each key at its own instant during the call (a
    /// sharded map that clears shard by shard and documents it): checked as
    /// a delete of each key.
    PerKey,
    /// `Clear` removes what it finds and may miss or outlive concurrent
    /// writes (a lock-free map whose clear is an iteration, documented as
    /// not exact under concurrent modification — papaya's sweeps the table
    /// again after a resize): each key is checked as deleted at an instant
    /// during the call, and again once for each write to it that overlaps
    /// the call (a write that lands behind the sweep survives it).
    BestEffort,
}

/// What the checker may assume about [`ChaosMap::len`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LenSemantics {
    /// `len` is the number of keys at one instant during the call (Go's
    /// `len(m)` under a lock): checked against the linearization.
    #[default]
    Exact,
    /// `len` may be off while operations are in flight (a relaxed
    /// counter): checked only at quiescence, where it must be exact.
    Approximate,
}

/// Everything the checker may assume about a backend's whole-map
/// operations, as [`ChaosMap`] declares it; the report names what was
/// checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Semantics {
    /// How `Range` behaves.
    pub range: RangeSemantics,
    /// How `Clear` behaves.
    pub clear: ClearSemantics,
    /// How `len` behaves.
    pub len: LenSemantics,
}

/// One structural invariant a backend found broken.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Violation {
    /// Short stable name of the invariant (used in signatures), e.g. `count-mismatch`.
    pub invariant: &'static str,
    /// Human detail: where and what.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.invariant, self.detail)
    }
}

/// The map trait every backend implements: Go's `sync.Map` API over `u64`.
///
/// Object safe: the registry holds `Box<dyn ChaosMap>`. Implementations must
/// be `Send + Sync` because stress mode shares one map between OS threads;
/// they should take locks from [`crate::sync`] so that the deterministic
/// scheduler can explore them, and may mark their own race windows with
/// [`crate::sync::yield_point`].
///
/// Every operation returns `Err(Throw)` where Go's runtime would have died
/// with a fatal error. A backend that panics is recorded as a finding; it
/// does not bring the engine down.
#[expect(
    clippy::len_without_is_empty,
    reason = "mirrors Go's API: `len(m)`, and sync.Map has no len at all"
)]
pub trait ChaosMap: Send + Sync {
    /// `Load`: the value stored for `key`, if any.
    fn load(&self, key: Key) -> OpResult<Option<Value>>;

    /// `Store`: sets the value for `key`.
    fn store(&self, key: Key, value: Value) -> OpResult<()>;

    /// `Delete`: removes `key` (a no-op when absent).
    fn delete(&self, key: Key) -> OpResult<()>;

    /// `LoadOrStore`: the existing value and `true` if present; otherwise
    /// stores `value` and returns it with `false`.
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)>;

    /// `LoadAndDelete`: removes `key`, returning its previous value if any.
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>>;

    /// `Swap`: stores `value`, returning the previous value if any.
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>>;

    /// `CompareAndSwap`: stores `new` if the current value is `old`.
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool>;

    /// `CompareAndDelete`: removes `key` if its current value is `old`.
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool>;

    /// `Range`: calls `f` for entries until it returns `false`.
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()>;

    /// `Clear`: removes every entry.
    fn clear(&self) -> OpResult<()>;

    /// `len(m)`, where the backend has one (`sync.Map` has none).
    fn len(&self) -> Option<OpResult<usize>> {
        None
    }

    /// The fault injector's resize hook: do `fault` now, even while other
    /// threads are mid-operation, without breaking the backend's contract.
    /// Returns whether anything was done. Default: not supported. A backend
    /// built on [`gomap::GoMap`] takes its own lock and calls
    /// [`gomap::GoMap::force_resize`].
    fn force_resize(&self, _fault: Fault) -> OpResult<bool> {
        Ok(false)
    }

    /// Structural invariants, checked at quiescence. Default: none known.
    fn check_invariants(&self) -> Vec<Violation> {
        Vec::new()
    }

    /// The interleavings a hunt reports it reached on this backend
    /// ([`Class`]: a coverage mark fired while another thread was
    /// mid-op). Default: none; a map built on a Go map model returns the
    /// model's ([`crate::sync::GOMAP_CLASSES`], ...).
    fn interleaving_classes(&self) -> &'static [Class] {
        &[]
    }

    /// What the checker may assume about [`ChaosMap::range`].
    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }

    /// What the checker may assume about [`ChaosMap::clear`]; default
    /// [`ClearSemantics::Atomic`], what Go's map and `sync.Map` promise.
    fn clear_semantics(&self) -> ClearSemantics {
        ClearSemantics::Atomic
    }

    /// What the checker may assume about [`ChaosMap::len`]; default
    /// [`LenSemantics::Exact`], what Go's `len(m)` under a lock promises.
    fn len_semantics(&self) -> LenSemantics {
        LenSemantics::Exact
    }

    /// Everything the checker may assume, as one value.
    fn semantics(&self) -> Semantics {
        Semantics {
            range: self.range_semantics(),
            clear: self.clear_semantics(),
            len: self.len_semantics(),
        }
    }
}
