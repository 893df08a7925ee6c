//! Backends: the public map trait, the registry, and the built-in maps.
//!
//! Every backend implements [`ChaosMap`], the operations of Go's `sync.Map`
//! API over `u64` keys and values, each returning its result or a Go-style
//! [`Throw`]. The engine drives backends only through this trait, so a library
//! author's wrapper is explored exactly like the built-in ones.

mod delegate;
pub mod gomap;
pub mod mutants;
pub mod registry;
pub mod rwmutex;
pub mod syncmap;
mod throw;

pub use delegate::Delegate;
pub use throw::Throw;

use crate::sync::Fault;

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
pub enum RangeSemantics {
    /// Range returns the map's contents at one instant (a lock-held walk).
    #[default]
    Snapshot,
    /// Go's `sync.Map.Range` promise: no key twice; each visited key's value is
    /// one it held at some moment during the call; keys present for the whole
    /// call are visited; others may or may not be.
    WeakConsistent,
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

    /// What the checker may assume about [`ChaosMap::range`].
    fn range_semantics(&self) -> RangeSemantics {
        RangeSemantics::Snapshot
    }
}
