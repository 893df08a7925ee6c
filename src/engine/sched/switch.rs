//! The coroutine switch: the only `unsafe` in the crate outside
//! `maps/gomap/` (whose arena links are the other).
//!
//! Each logical thread is a [`corosensei::ScopedCoroutine`] on a pooled stack.
//! Its body reaches the scheduler through `crate::sync`'s hook, deep inside
//! backend code that has no [`Yielder`] in hand, so the hook must suspend "the
//! coroutine that is running now" through a pointer to its `Yielder`. A
//! [`Slot`] holds that pointer, and checks before every use that the pointer
//! is live and that the caller is running on that coroutine's own stack.
//!
//! Everything else (creating coroutines without `'static` bounds, unwinding
//! them, reusing stacks) is corosensei's safe API.

use std::cell::Cell;
use std::ptr;

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{ScopedCoroutine, ScopedCoroutineRef, Yielder};

/// A logical thread: a coroutine that takes and yields nothing (decisions
/// travel through the executor's state) and returns how its body ended.
pub(super) type Coroutine<'s, R> = ScopedCoroutine<'s, (), (), R, &'s mut DefaultStack>;

/// A [`Coroutine`] inside its scope, where it can be resumed.
pub(super) type CoroutineRef<'r, 's, R> = ScopedCoroutineRef<'r, (), (), R, &'s mut DefaultStack>;

/// Where a logical thread's coroutine can be suspended from.
///
/// Invariant: `yielder` is non-null exactly while the coroutine's closure is
/// running [`Slot::enter`] (set on entry, reset by a guard on return *and* on
/// unwind); the `Yielder` it points to lives on that coroutine's stack for
/// all of that time. `lo..hi` is the coroutine's stack.
#[derive(Debug)]
pub(super) struct Slot {
    yielder: Cell<*const Yielder<(), ()>>,
    lo: Cell<usize>,
    hi: Cell<usize>,
}

impl Slot {
    pub(super) fn new() -> Self {
        Self {
            yielder: Cell::new(ptr::null()),
            lo: Cell::new(0),
            hi: Cell::new(0),
        }
    }

    /// Creates the coroutine of this slot's thread on `stack`, running `body`.
    pub(super) fn coroutine<'s, R, F>(
        &'s self,
        stack: &'s mut DefaultStack,
        body: F,
    ) -> Coroutine<'s, R>
    where
        F: FnOnce() -> R + 's,
    {
        // Stacks grow down from `base` to `limit` on every supported target.
        self.lo.set(stack.limit().get());
        self.hi.set(stack.base().get());
        self.yielder.set(ptr::null());
        ScopedCoroutine::with_stack(stack, move |yielder: &Yielder<(), ()>, ()| {
            self.enter(yielder, body)
        })
    }

    /// Runs `body` with this slot pointing at `yielder`, and clears the slot
    /// however `body` ends.
    fn enter<R>(&self, yielder: &Yielder<(), ()>, body: impl FnOnce() -> R) -> R {
        struct Clear<'a>(&'a Cell<*const Yielder<(), ()>>);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                self.0.set(ptr::null());
            }
        }
        self.yielder.set(yielder);
        let _clear = Clear(&self.yielder);
        body()
    }

    /// True when the caller runs on this slot's coroutine, inside its body:
    /// only then may [`Slot::suspend`] switch.
    #[inline]
    pub(super) fn is_here(&self) -> bool {
        if self.yielder.get().is_null() {
            return false;
        }
        // The address of a local is a point of the stack we run on.
        let marker = 0u8;
        let here = std::hint::black_box(ptr::addr_of!(marker)) as usize;
        self.lo.get() < here && here <= self.hi.get()
    }

    /// Suspends this slot's coroutine, returning to the executor, and returns
    /// when the executor resumes it. Returns `false` without switching when
    /// the caller is not running inside this slot's coroutine.
    ///
    /// If the executor unwinds the coroutine instead of resuming it, this
    /// call unwinds (corosensei's forced unwind) and never returns.
    #[expect(
        unsafe_code,
        reason = "a hook deep inside backend code must suspend the running coroutine, \
                  which only a pointer to its Yielder allows"
    )]
    #[inline]
    pub(super) fn suspend(&self) -> bool {
        if !self.is_here() {
            return false;
        }
        let yielder = self.yielder.get();
        // SAFETY: `is_here` just checked that `yielder` is non-null and that
        // we are executing on this slot's coroutine stack. By the `Slot`
        // invariant, a non-null pointer means the coroutine's closure is still
        // inside `enter`, so the `Yielder` (which lives on that stack for the
        // whole closure) is alive; nobody else can hold a `&mut` to it
        // (corosensei only hands out shared references). Running on its stack
        // means this coroutine is the one executing, which is what
        // `Yielder::suspend` requires of its caller.
        let yielder = unsafe { &*yielder };
        yielder.suspend(());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corosensei::CoroutineResult;

    #[test]
    fn suspends_only_from_its_own_coroutine() {
        let mut stack_a = DefaultStack::new(64 * 1024).unwrap();
        let mut stack_b = DefaultStack::new(64 * 1024).unwrap();
        let a = Slot::new();
        let b = Slot::new();
        assert!(!a.suspend(), "outside any coroutine");
        let log = Cell::new(0);
        let co_a = a.coroutine(&mut stack_a, || {
            assert!(!b.suspend(), "b's yielder is not ours");
            log.set(1);
            assert!(a.suspend());
            log.set(2);
            7
        });
        let co_b = b.coroutine(&mut stack_b, || {
            assert!(!a.suspend(), "a is suspended; we run on b's stack");
            assert!(b.suspend());
        });
        co_a.scope(|mut ra| {
            co_b.scope(|mut rb| {
                assert!(matches!(ra.as_mut().resume(()), CoroutineResult::Yield(())));
                assert_eq!(log.get(), 1);
                assert!(matches!(rb.as_mut().resume(()), CoroutineResult::Yield(())));
                assert!(matches!(ra.as_mut().resume(()), CoroutineResult::Return(7)));
                assert_eq!(log.get(), 2);
                // b is still suspended: unwound when its scope ends.
            });
        });
        assert!(a.yielder.get().is_null() && b.yielder.get().is_null());
    }
}
