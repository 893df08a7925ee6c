//! Scheduler-aware locks.
//!
//! Both are a `std::sync` lock plus two rules:
//! 1. every acquire is a yield point ([`Site::LockAcquire`]), so the
//!    scheduler can switch right before a thread takes a lock;
//! 2. an acquire first *tries*; when the lock is held it asks the installed
//!    hook ([`blocked_on`]) what to do. Under the deterministic scheduler the
//!    answer is "run somebody else, then retry" — the one OS thread that runs
//!    every logical thread never blocks. With no scheduler the answer is
//!    "block on the OS lock", which is the plain fast lock of stress mode.
//!
//! Poisoning is ignored: a panic inside a backend is a finding the engine
//! records, and the lock's data is whatever the panicking thread left.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{self as std_sync, TryLockError};

use super::{blocked_on, released, yield_point, Blocking, Cover, ResourceId, Site};

/// The acquire protocol of every lock here (rules 1 and 2 above): a yield
/// point, then `try_acquire`; while the lock is held, ask the scheduler,
/// and either retry or `block` on the OS lock. Poison is ignored.
fn acquire<G>(
    id: ResourceId,
    try_acquire: impl Fn() -> Result<G, TryLockError<G>>,
    block: impl FnOnce() -> std_sync::LockResult<G>,
) -> G {
    let _ = yield_point(Site::LockAcquire);
    loop {
        match try_acquire() {
            Ok(g) => return g,
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                super::cover(Cover::LockContended);
                if blocked_on(id) == Blocking::Wait {
                    return block().unwrap_or_else(|p| p.into_inner());
                }
            }
        }
    }
}

/// `Deref`, `DerefMut` and `Drop` for a guard of exclusive access: the OS
/// guard is released first, then the scheduler is told the resource is free.
macro_rules! exclusive_guard {
    ($guard:ident) => {
        impl<T> Deref for $guard<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                self.guard.as_ref().expect("guard present until drop")
            }
        }

        impl<T> DerefMut for $guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                self.guard.as_mut().expect("guard present until drop")
            }
        }

        impl<T> Drop for $guard<'_, T> {
            fn drop(&mut self) {
                drop(self.guard.take());
                released(self.id);
            }
        }
    };
}

exclusive_guard!(MutexGuard);
exclusive_guard!(RwLockWriteGuard);

/// A mutual-exclusion lock that the deterministic scheduler can explore.
#[derive(Debug, Default)]
pub struct Mutex<T> {
    inner: std_sync::Mutex<T>,
}

/// Holds a [`Mutex`] until dropped.
#[derive(Debug)]
pub struct MutexGuard<'a, T> {
    // `Option` so `Drop` can release the OS guard before telling the scheduler.
    guard: Option<std_sync::MutexGuard<'a, T>>,
    id: ResourceId,
    /// The mutex, for a [`Condvar`] wait to take it again.
    mutex: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub const fn new(value: T) -> Self {
        Self {
            inner: std_sync::Mutex::new(value),
        }
    }

    fn id(&self) -> ResourceId {
        self as *const Self as usize
    }

    /// Acquires the lock, yielding to the scheduler while it is contended.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let g = acquire(self.id(), || self.inner.try_lock(), || self.inner.lock());
        self.guard(g)
    }

    fn guard<'a>(&'a self, g: std_sync::MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        MutexGuard {
            guard: Some(g),
            id: self.id(),
            mutex: self,
        }
    }

    /// Mutable access without locking: `&mut self` proves nobody else holds it.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(|p| p.into_inner())
    }
}

/// A reader-writer lock that the deterministic scheduler can explore.
#[derive(Debug, Default)]
pub struct RwLock<T> {
    inner: std_sync::RwLock<T>,
    /// Readers holding the lock. Only the last reader's release can let a
    /// blocked writer in, so only it tells the scheduler: waking writers at
    /// every read release would make them retry and fail. Relaxed: it is a
    /// wake-up hint; the OS lock itself provides the exclusion.
    readers: AtomicUsize,
}

/// Shared access to an [`RwLock`] until dropped.
#[derive(Debug)]
pub struct RwLockReadGuard<'a, T> {
    guard: Option<std_sync::RwLockReadGuard<'a, T>>,
    id: ResourceId,
    readers: &'a AtomicUsize,
}

/// Exclusive access to an [`RwLock`] until dropped.
#[derive(Debug)]
pub struct RwLockWriteGuard<'a, T> {
    guard: Option<std_sync::RwLockWriteGuard<'a, T>>,
    id: ResourceId,
}

impl<T> RwLock<T> {
    /// A new unlocked reader-writer lock.
    pub const fn new(value: T) -> Self {
        Self {
            inner: std_sync::RwLock::new(value),
            readers: AtomicUsize::new(0),
        }
    }

    fn id(&self) -> ResourceId {
        self as *const Self as usize
    }

    /// Acquires shared access (Go's `RLock`).
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let id = self.id();
        let g = acquire(id, || self.inner.try_read(), || self.inner.read());
        self.readers.fetch_add(1, Ordering::Relaxed);
        RwLockReadGuard {
            guard: Some(g),
            id,
            readers: &self.readers,
        }
    }

    /// Acquires exclusive access (Go's `Lock`).
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let id = self.id();
        let g = acquire(id, || self.inner.try_write(), || self.inner.write());
        RwLockWriteGuard { guard: Some(g), id }
    }

    /// Mutable access without locking: `&mut self` proves nobody else holds it.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.guard.take());
        if self.readers.fetch_sub(1, Ordering::Relaxed) == 1 {
            released(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn plain_locks_exclude_across_real_threads() {
        let m = Arc::new(Mutex::new(0u64));
        let rw = Arc::new(RwLock::new(0u64));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let (m, rw) = (m.clone(), rw.clone());
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        *m.lock() += 1;
                        *rw.write() += 1;
                        let _r = rw.read();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(*m.lock(), 40_000);
        assert_eq!(*rw.read(), 40_000);
    }

    #[test]
    fn poisoned_lock_still_usable() {
        let m = Arc::new(Mutex::new(1));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let _g = m2.lock();
            panic!("backend bug");
        })
        .join();
        assert_eq!(*m.lock(), 1);
    }
}

/// A condition variable the deterministic scheduler can explore, used with
/// a [`Mutex`] as `std::sync::Condvar` is.
///
/// Under the scheduler a waiting thread is blocked on the condition
/// variable: it runs again only after a notify, and a wait that nothing
/// will ever notify is a deadlock finding (a lost wake-up) instead of a hung
/// process. Elsewhere it blocks on an OS condition variable. Like `std`'s,
/// a wait may return without a notify meant for it (`notify_one` may wake
/// every waiter), so wait in a loop on the condition, or with
/// [`Condvar::wait_while`]. Waits with a timeout are not offered: time does
/// not pass under the scheduler.
#[derive(Debug, Default)]
pub struct Condvar {
    /// Notifications so far: a waiter returns once it has changed.
    generation: std_sync::Mutex<u64>,
    os: std_sync::Condvar,
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Self {
        Self {
            generation: std_sync::Mutex::new(0),
            os: std_sync::Condvar::new(),
        }
    }

    fn id(&self) -> ResourceId {
        self as *const Self as usize
    }

    fn generation(&self) -> std_sync::MutexGuard<'_, u64> {
        self.generation.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Releases `guard`'s mutex, waits for a notify, and takes the mutex
    /// again. A scheduling point on the way in.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let _ = yield_point(Site::Condvar);
        let mutex = guard.mutex;
        let mut generation = self.generation();
        let seen = *generation;
        // Released while the generation is held: a notify after this
        // point changes it, and is seen below.
        drop(guard);
        while *generation == seen {
            drop(generation);
            let how = blocked_on(self.id());
            generation = self.generation();
            if how == Blocking::Wait && *generation == seen {
                generation = self.os.wait(generation).unwrap_or_else(|p| p.into_inner());
            }
        }
        drop(generation);
        mutex.lock()
    }

    /// Waits while `condition` holds of the guarded value, as `std`'s.
    pub fn wait_while<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Wakes a waiting thread (here: every waiting thread, which a
    /// condition variable's waiters must allow for).
    pub fn notify_one(&self) {
        self.notify_all();
    }

    /// Wakes every waiting thread. A scheduling point after the notify.
    pub fn notify_all(&self) {
        *self.generation() += 1;
        self.os.notify_all();
        released(self.id());
        let _ = yield_point(Site::Condvar);
    }
}
