//! Atomics the deterministic scheduler can interleave: `std`'s atomics with
//! every load, store, swap, read-modify-write and compare-and-swap a yield
//! point ([`Site::Atomic`]) first.
//!
//! Under the scheduler a thread may be switched out right before any atomic
//! access, so a lock-free path's every step can be interleaved with other
//! threads'. With no engine installed each access costs one relaxed load
//! and a predicted branch more than `std`'s. The method names and
//! signatures are `std`'s, so the loom pattern swaps them in:
//!
//! ```
//! #[cfg(chaos)]
//! use chaos::sync::AtomicU64;
//! #[cfg(not(chaos))]
//! use std::sync::atomic::AtomicU64;
//! # use std::sync::atomic::Ordering;
//! let hits = AtomicU64::new(0);
//! hits.fetch_add(1, Ordering::Relaxed);
//! ```
//!
//! What the scheduler explores is interleavings: every access takes effect
//! in the order the threads run, as if sequentially consistent. A weaker
//! ordering's reorderings (a `Relaxed` store seen late by another core) are
//! not explored — that is loom's model checker's job; stress mode runs the
//! same code on real cores.

use std::sync::atomic::{self as std_atomic, Ordering};

use super::{yield_point, Site};

/// The scheduling point before every access.
#[inline(always)]
fn point() {
    let _ = yield_point(Site::Atomic);
}

/// The methods every atomic here shares (`std`'s on all of them): new,
/// load, store, swap, the compare-and-swaps, `fetch_update`, and the
/// accessors that need no scheduling point.
macro_rules! atomic_core {
    ($name:ident $(<$g:ident>)?, $std:ty, $t:ty) => {
        impl$(<$g>)? $name$(<$g>)? {
            /// A new atomic holding `v`.
            pub const fn new(v: $t) -> Self {
                Self(<$std>::new(v))
            }

            /// `std`'s `load`, after a scheduling point.
            pub fn load(&self, order: Ordering) -> $t {
                point();
                self.0.load(order)
            }

            /// `std`'s `store`, after a scheduling point.
            pub fn store(&self, v: $t, order: Ordering) {
                point();
                self.0.store(v, order)
            }

            /// `std`'s `swap`, after a scheduling point.
            pub fn swap(&self, v: $t, order: Ordering) -> $t {
                point();
                self.0.swap(v, order)
            }

            /// `std`'s `compare_exchange`, after a scheduling point.
            pub fn compare_exchange(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                point();
                self.0.compare_exchange(current, new, success, failure)
            }

            /// `std`'s `compare_exchange_weak`, after a scheduling point
            /// (it may fail spuriously on real hardware, as `std`'s may).
            pub fn compare_exchange_weak(
                &self,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$t, $t> {
                point();
                self.0.compare_exchange_weak(current, new, success, failure)
            }

            /// `std`'s `fetch_update`: each attempt's load and each
            /// compare-and-swap is a scheduling point, so another thread
            /// may run between them (and make the attempt retry).
            pub fn fetch_update<F>(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                mut f: F,
            ) -> Result<$t, $t>
            where
                F: FnMut($t) -> Option<$t>,
            {
                let mut prev = self.load(fetch_order);
                while let Some(next) = f(prev) {
                    match self.compare_exchange_weak(prev, next, set_order, fetch_order) {
                        Ok(x) => return Ok(x),
                        Err(now) => prev = now,
                    }
                }
                Err(prev)
            }

            /// The value, through `&mut self`: nobody else can access it.
            pub fn get_mut(&mut self) -> &mut $t {
                self.0.get_mut()
            }

            /// The value, consuming the atomic.
            pub fn into_inner(self) -> $t {
                self.0.into_inner()
            }
        }

        impl$(<$g>)? Default for $name$(<$g>)? {
            fn default() -> Self {
                Self(<$std>::default())
            }
        }

        impl$(<$g>)? From<$t> for $name$(<$g>)? {
            fn from(v: $t) -> Self {
                Self::new(v)
            }
        }

        impl$(<$g>)? std::fmt::Debug for $name$(<$g>)? {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // Not a scheduling point: printing is not an access of the
                // program under test.
                std::fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

/// `std`'s read-modify-write methods, each after a scheduling point.
macro_rules! atomic_rmw {
    ($name:ident, $t:ty, $($method:ident),*) => {
        impl $name {
            $(
                #[doc = concat!("`std`'s `", stringify!($method), "`, after a scheduling point.")]
                pub fn $method(&self, v: $t, order: Ordering) -> $t {
                    point();
                    self.0.$method(v, order)
                }
            )*
        }
    };
}

/// An atomic integer: the shared methods, the bitwise and the arithmetic
/// read-modify-writes.
macro_rules! atomic_int {
    ($(#[$doc:meta])* $name:ident, $std:ty, $t:ty) => {
        $(#[$doc])*
        pub struct $name($std);
        atomic_core!($name, $std, $t);
        atomic_rmw!(
            $name, $t, fetch_and, fetch_or, fetch_xor, fetch_nand, fetch_add, fetch_sub,
            fetch_max, fetch_min
        );
    };
}

/// A boolean the scheduler can interleave ([`std::sync::atomic::AtomicBool`]).
pub struct AtomicBool(std_atomic::AtomicBool);
atomic_core!(AtomicBool, std_atomic::AtomicBool, bool);
atomic_rmw!(AtomicBool, bool, fetch_and, fetch_or, fetch_xor, fetch_nand);

atomic_int!(
    /// A `u32` the scheduler can interleave ([`std::sync::atomic::AtomicU32`]).
    AtomicU32,
    std_atomic::AtomicU32,
    u32
);
atomic_int!(
    /// A `u64` the scheduler can interleave ([`std::sync::atomic::AtomicU64`]).
    AtomicU64,
    std_atomic::AtomicU64,
    u64
);
atomic_int!(
    /// A `usize` the scheduler can interleave ([`std::sync::atomic::AtomicUsize`]).
    AtomicUsize,
    std_atomic::AtomicUsize,
    usize
);

/// A raw pointer the scheduler can interleave
/// ([`std::sync::atomic::AtomicPtr`]).
pub struct AtomicPtr<T>(std_atomic::AtomicPtr<T>);
atomic_core!(AtomicPtr<T>, std_atomic::AtomicPtr<T>, *mut T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn they_behave_as_stds_do() {
        let a = AtomicU64::new(5);
        assert_eq!(a.fetch_add(2, Ordering::SeqCst), 5);
        assert_eq!(
            a.compare_exchange(7, 9, Ordering::SeqCst, Ordering::SeqCst),
            Ok(7)
        );
        assert_eq!(
            a.compare_exchange(7, 1, Ordering::SeqCst, Ordering::SeqCst),
            Err(9)
        );
        assert_eq!(
            a.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |x| Some(x * 2)),
            Ok(9)
        );
        assert_eq!(a.fetch_max(3, Ordering::SeqCst), 18);
        assert_eq!(a.swap(4, Ordering::SeqCst), 18);
        assert_eq!(a.into_inner(), 4);
        let b = AtomicBool::new(false);
        assert!(!b.fetch_or(true, Ordering::SeqCst));
        assert!(b.load(Ordering::SeqCst));
        let mut x = 3u8;
        let p = AtomicPtr::new(std::ptr::null_mut());
        assert!(p.swap(&mut x, Ordering::SeqCst).is_null());
        assert_eq!(p.load(Ordering::SeqCst), &mut x as *mut u8);
        let u = AtomicUsize::default();
        assert_eq!(u.fetch_sub(0, Ordering::SeqCst), 0);
        let w = AtomicU32::from(1);
        assert_eq!(w.fetch_min(0, Ordering::SeqCst), 1);
    }
}
