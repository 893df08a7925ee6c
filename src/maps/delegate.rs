//! [`Delegate`]: a wrapper that forwards every [`ChaosMap`] method to an
//! inner map and overrides only the ones it changes.

use crate::maps::{
    ChaosMap, ClearSemantics, Key, LenSemantics, OpResult, RangeSemantics, Value, Violation,
};
use crate::sync::{Class, Fault};

/// A [`ChaosMap`] that forwards to an inner map, overriding only what it
/// changes.
///
/// Implement [`Delegate::inner`] and the methods your wrapper changes; every
/// other method (the optional ones too: [`len`](Delegate::len),
/// [`force_resize`](Delegate::force_resize),
/// [`check_invariants`](Delegate::check_invariants),
/// [`range_semantics`](Delegate::range_semantics)) is the inner map's. Every
/// `Delegate` is a [`ChaosMap`] through a blanket implementation, so it can
/// be boxed as `Box<dyn ChaosMap>`, registered, and explored like any backend.
///
/// A wrapper whose stores take a detour (here: counting them):
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// use chaos::maps::rwmutex::RwMutexMap;
/// use chaos::maps::{ChaosMap, Delegate, Key, OpResult, Value};
///
/// /// Counts stores; everything else is the inner map's.
/// struct CountingStores {
///     inner: RwMutexMap,
///     stores: AtomicU64,
/// }
///
/// impl Delegate for CountingStores {
///     type Inner = RwMutexMap;
///     fn inner(&self) -> &RwMutexMap {
///         &self.inner
///     }
///     fn store(&self, key: Key, value: Value) -> OpResult<()> {
///         self.stores.fetch_add(1, Ordering::Relaxed);
///         self.inner.store(key, value)
///     }
/// }
///
/// let counting = CountingStores {
///     inner: RwMutexMap::new(0x5eed),
///     stores: AtomicU64::new(0),
/// };
/// let map: &dyn ChaosMap = &counting;
/// map.store(1, 10).unwrap();
/// map.store(2, 20).unwrap();
/// assert_eq!(map.load(1).unwrap(), Some(10));
/// assert_eq!(map.len(), Some(Ok(2))); // the inner map's `len`
/// assert_eq!(counting.stores.load(Ordering::Relaxed), 2);
/// ```
///
/// The inner map may be any backend, a boxed one included: `type Inner =
/// dyn ChaosMap`, with `inner` returning `&*self.boxed` (declare it as
/// returning `&Self::Inner`: a bare `&dyn ChaosMap` there means a shorter
/// lifetime than the trait's `dyn ChaosMap + 'static`). Such a wrapper fits
/// around every registered backend:
///
/// ```
/// use chaos::maps::registry;
/// use chaos::maps::{ChaosMap, Delegate, Key, OpResult};
///
/// /// Deletes do nothing: a lost-delete bug around any backend.
/// struct IgnoresDeletes(Box<dyn ChaosMap>);
///
/// impl Delegate for IgnoresDeletes {
///     type Inner = dyn ChaosMap;
///     fn inner(&self) -> &Self::Inner {
///         &*self.0
///     }
///     fn delete(&self, _key: Key) -> OpResult<()> {
///         Ok(())
///     }
/// }
///
/// for name in ["rwmutex", "syncmap"] {
///     let inner = registry::lookup(name).unwrap().build(7);
///     let map: Box<dyn ChaosMap> = Box::new(IgnoresDeletes(inner));
///     map.store(1, 10).unwrap();
///     map.delete(1).unwrap();
///     assert_eq!(map.load(1).unwrap(), Some(10), "{name}");
///     assert!(map.check_invariants().is_empty(), "{name}");
/// }
/// ```
///
/// A `Delegate`'s methods have the same names as [`ChaosMap`]'s. Where both
/// traits are in scope, calling one on the wrapper's own type is ambiguous:
/// call it through `&dyn ChaosMap` (as above) or as `ChaosMap::load(&w, key)`.
#[expect(
    clippy::len_without_is_empty,
    reason = "mirrors ChaosMap, which mirrors Go's API"
)]
pub trait Delegate: Send + Sync {
    /// The map every method not overridden forwards to.
    type Inner: ChaosMap + ?Sized;

    /// The inner map.
    fn inner(&self) -> &Self::Inner;

    /// [`ChaosMap::load`]; default: the inner map's.
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.inner().load(key)
    }

    /// [`ChaosMap::store`]; default: the inner map's.
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.inner().store(key, value)
    }

    /// [`ChaosMap::delete`]; default: the inner map's.
    fn delete(&self, key: Key) -> OpResult<()> {
        self.inner().delete(key)
    }

    /// [`ChaosMap::load_or_store`]; default: the inner map's.
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        self.inner().load_or_store(key, value)
    }

    /// [`ChaosMap::load_and_delete`]; default: the inner map's.
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        self.inner().load_and_delete(key)
    }

    /// [`ChaosMap::swap`]; default: the inner map's.
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        self.inner().swap(key, value)
    }

    /// [`ChaosMap::compare_and_swap`]; default: the inner map's.
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        self.inner().compare_and_swap(key, old, new)
    }

    /// [`ChaosMap::compare_and_delete`]; default: the inner map's.
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        self.inner().compare_and_delete(key, old)
    }

    /// [`ChaosMap::range`]; default: the inner map's.
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        self.inner().range(f)
    }

    /// [`ChaosMap::clear`]; default: the inner map's.
    fn clear(&self) -> OpResult<()> {
        self.inner().clear()
    }

    /// [`ChaosMap::len`]; default: the inner map's.
    fn len(&self) -> Option<OpResult<usize>> {
        self.inner().len()
    }

    /// [`ChaosMap::force_resize`]; default: the inner map's.
    fn force_resize(&self, kind: Fault) -> OpResult<bool> {
        self.inner().force_resize(kind)
    }

    /// [`ChaosMap::check_invariants`]; default: the inner map's.
    fn check_invariants(&self) -> Vec<Violation> {
        self.inner().check_invariants()
    }

    /// [`ChaosMap::range_semantics`]; default: the inner map's.
    fn range_semantics(&self) -> RangeSemantics {
        self.inner().range_semantics()
    }

    /// [`ChaosMap::clear_semantics`]; default: the inner map's.
    fn clear_semantics(&self) -> ClearSemantics {
        self.inner().clear_semantics()
    }

    /// [`ChaosMap::len_semantics`]; default: the inner map's.
    fn len_semantics(&self) -> LenSemantics {
        self.inner().len_semantics()
    }

    /// [`ChaosMap::interleaving_classes`]; default: the inner map's.
    fn interleaving_classes(&self) -> &'static [Class] {
        self.inner().interleaving_classes()
    }
}

impl<D: Delegate> ChaosMap for D {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Delegate::load(self, key)
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        Delegate::store(self, key, value)
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        Delegate::delete(self, key)
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        Delegate::load_or_store(self, key, value)
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Delegate::load_and_delete(self, key)
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Delegate::swap(self, key, value)
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        Delegate::compare_and_swap(self, key, old, new)
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        Delegate::compare_and_delete(self, key, old)
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        Delegate::range(self, f)
    }
    fn clear(&self) -> OpResult<()> {
        Delegate::clear(self)
    }
    fn len(&self) -> Option<OpResult<usize>> {
        Delegate::len(self)
    }
    fn force_resize(&self, kind: Fault) -> OpResult<bool> {
        Delegate::force_resize(self, kind)
    }
    fn check_invariants(&self) -> Vec<Violation> {
        Delegate::check_invariants(self)
    }
    fn range_semantics(&self) -> RangeSemantics {
        Delegate::range_semantics(self)
    }
    fn clear_semantics(&self) -> ClearSemantics {
        Delegate::clear_semantics(self)
    }
    fn len_semantics(&self) -> LenSemantics {
        Delegate::len_semantics(self)
    }
    fn interleaving_classes(&self) -> &'static [Class] {
        Delegate::interleaving_classes(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::gomap::GoMap;
    use crate::maps::syncmap::SyncMap;

    /// Overrides nothing.
    struct Plain<M>(M);

    impl<M: ChaosMap> Delegate for Plain<M> {
        type Inner = M;
        fn inner(&self) -> &M {
            &self.0
        }
    }

    /// Overrides nothing, around a boxed map.
    struct Boxed(Box<dyn ChaosMap>);

    impl Delegate for Boxed {
        type Inner = dyn ChaosMap;
        fn inner(&self) -> &Self::Inner {
            &*self.0
        }
    }

    #[test]
    fn the_optional_methods_are_the_inner_maps_too() {
        // GoMap has len and resizes; SyncMap has no len and a weak range.
        let bare = GoMap::new(1);
        let wrapped: Box<dyn ChaosMap> = Box::new(Plain(GoMap::new(1)));
        for map in [&bare as &dyn ChaosMap, &*wrapped] {
            for k in 0..20 {
                map.store(k, k).unwrap();
            }
        }
        assert_eq!(wrapped.len(), Some(Ok(20)));
        for kind in [Fault::Grow, Fault::Evacuate, Fault::Promote] {
            assert_eq!(
                wrapped.force_resize(kind),
                bare.force_resize(kind),
                "{kind:?}"
            );
        }
        assert_eq!(
            wrapped.check_invariants(),
            ChaosMap::check_invariants(&bare)
        );
        let syncmap = Boxed(Box::new(SyncMap::new(1)));
        let map: &dyn ChaosMap = &syncmap;
        map.store(1, 10).unwrap();
        assert_eq!(map.len(), None);
        assert_eq!(map.range_semantics(), RangeSemantics::WeakConsistent);
        assert_eq!(map.force_resize(Fault::Promote), Ok(true));
        assert_eq!(map.load_and_delete(1), Ok(Some(10)));
        assert_eq!(map.load(1), Ok(None));
    }
}
