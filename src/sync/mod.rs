//! The one switch point between the two worlds a backend runs in.
//!
//! Backends never talk to the engine directly. They call three things from
//! here, and this module decides what those calls mean:
//!
//! - [`yield_point`] at a race window. With no engine installed it is a single
//!   relaxed load and a predicted branch. Under the deterministic scheduler it
//!   is where the current logical thread may be switched out; under the stress
//!   runner it may spin or yield to widen the window; the fault injector may
//!   answer with a [`Fault`] to apply right there.
//! - the locks [`Mutex`] and [`RwLock`]. In stress mode (or with no engine)
//!   they are plain OS locks. Under the scheduler a contended acquire hands
//!   control back to the scheduler instead of blocking the one OS thread that
//!   runs every logical thread, and a release tells the scheduler who may run
//!   again. A wrapper that uses `std::sync` locks still works in stress mode,
//!   but the scheduler cannot explore it (and a contended `std` lock hangs it).
//! - the atomics ([`AtomicBool`], [`AtomicU32`], [`AtomicU64`],
//!   [`AtomicUsize`], [`AtomicPtr`]) and [`Condvar`], with `std`'s names and
//!   signatures: every atomic access is a yield point, and a condition
//!   variable's waiter is blocked for the scheduler until a notify (so a
//!   lost wake-up is a deadlock finding). Swap them in for `std`'s behind a
//!   `cfg`, as loom's are: `#[cfg(chaos)] use chaos::sync::AtomicU64;
//!   #[cfg(not(chaos))] use std::sync::atomic::AtomicU64;`.
//! - [`cover`] to record that a rare path ran (coverage marks), so tests can
//!   prove that forced resizes reached the states they are for.
//!
//! The engine installs a [`Hook`] on the OS thread that runs a workload
//! thread (stress) or the logical threads (sched) with [`install`].

mod access;
mod atomic;
mod cover;
mod hook;
#[cfg(test)]
pub(crate) use hook::testing;
mod lock;
mod shape;
mod site;

pub use access::{access, observe, Access, AccessGuard, AccessObserver, ObserverGuard};
pub use atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
pub use cover::{
    under_one_lock, Class, Cover, GOMAP_CLASSES, SWISS_CLASSES, SWISS_LOCKED_CLASSES,
    SYNCMAP_CLASSES, TRIE_CLASSES,
};
pub(crate) use hook::{blocked_on, released};
pub use hook::{install, yield_now, Blocking, Fault, Hook, HookGuard, ResourceId};
pub use lock::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use shape::Shape;
pub use site::Site;

/// Marks a race window: the engine may switch threads, perturb timing or
/// inject a fault here. Returns the fault to apply, if any.
///
/// A backend applies a fault only where it keeps the backend's own contract
/// (for `gomap`, inside its own write window — see
/// [`Site::in_map_write_window`]) and ignores it elsewhere.
#[inline(always)]
pub fn yield_point(site: Site) -> Option<Fault> {
    if hook::any_installed() {
        hook::yield_point_slow(site)
    } else {
        None
    }
}

/// Records that a rare path ran, for coverage counters. A no-op unless an
/// engine installed a hook on this thread.
#[inline(always)]
pub fn cover(mark: Cover) {
    if hook::any_installed() {
        hook::cover_slow(mark)
    }
}
