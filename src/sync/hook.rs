//! The engine's side of the switch point: the [`Hook`] trait and its
//! per-OS-thread installation.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use super::{Cover, Site};

/// A fault the injector asks a backend to apply at a yield point.
///
/// Faults only move a backend's own internal work to an unlucky moment; they
/// never change what the backend promises (docs/design.md step 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Fault {
    /// Start a doubling grow now (if none is in progress).
    Grow,
    /// Start a same-size grow now (if none is in progress).
    SameSizeGrow,
    /// Run extra evacuation steps now (if a grow is in progress).
    Evacuate,
    /// Skip this write's progress evacuation, so the grow lasts longer.
    WithholdEvacuation,
    /// Force `sync.Map`'s dirty-to-read promotion now.
    Promote,
    /// Force `sync.Map` to rebuild dirty from read now.
    RebuildDirty,
}

impl Fault {
    /// What the fault does, in words: "grow", "same-size grow", ...
    pub fn phrase(self) -> &'static str {
        match self {
            Fault::Grow => "grow",
            Fault::SameSizeGrow => "same-size grow",
            Fault::Evacuate => "evacuation",
            Fault::WithholdEvacuation => "withheld evacuation",
            Fault::Promote => "sync.Map promotion",
            Fault::RebuildDirty => "sync.Map dirty rebuild",
        }
    }
}

/// Identifies a lock for the scheduler: the lock's address, stable while it lives.
pub type ResourceId = usize;

/// What a contended acquire should do, as the installed hook decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocking {
    /// Another thread ran meanwhile; try to acquire again.
    Retry,
    /// No scheduler here: block on the OS lock.
    Wait,
}

/// What an engine installs on an OS thread to receive the calls backends make
/// into [`crate::sync`].
///
/// Guarantees to the implementor: calls arrive on the thread the hook was
/// installed on; `yield_point` may be re-entered from another logical thread
/// (coroutine) on the same OS thread after it switches, so implementations
/// must not hold a `RefCell` borrow across a switch.
pub trait Hook {
    /// A thread reached a yield point. May switch to another logical thread
    /// before returning. Returns a fault to apply here, if any.
    fn yield_point(&self, site: Site) -> Option<Fault>;

    /// A lock acquire found `resource` held. A scheduler marks the current
    /// logical thread blocked on it, runs others, and returns
    /// [`Blocking::Retry`] once it may have been released.
    fn blocked_on(&self, _resource: ResourceId) -> Blocking {
        Blocking::Wait
    }

    /// `resource` was released: threads blocked on it may run again.
    fn released(&self, _resource: ResourceId) {}

    /// A rare path ran.
    fn cover(&self, _mark: Cover) {}
}

/// Number of OS threads with a hook installed. Only a hint for the fast path:
/// a thread always sees its own `install` (program order), and no other
/// thread's hook matters to it, so `Relaxed` is enough.
static INSTALLED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static HOOK: RefCell<Option<Rc<dyn Hook>>> = const { RefCell::new(None) };
}

#[inline(always)]
pub(super) fn any_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed) != 0
}

/// The hook of this OS thread, cloned out so that no borrow is held while it
/// runs (it may switch to a coroutine that calls back in here).
fn current() -> Option<Rc<dyn Hook>> {
    HOOK.with(|h| h.borrow().clone())
}

#[cold]
pub(super) fn yield_point_slow(site: Site) -> Option<Fault> {
    current().and_then(|h| h.yield_point(site))
}

#[cold]
pub(super) fn cover_slow(mark: Cover) {
    if let Some(h) = current() {
        h.cover(mark);
    }
}

/// Called by a lock whose non-blocking acquire failed.
pub(crate) fn blocked_on(resource: ResourceId) -> Blocking {
    if !any_installed() {
        return Blocking::Wait;
    }
    match current() {
        Some(h) => h.blocked_on(resource),
        None => Blocking::Wait,
    }
}

/// Called by a lock after it released.
pub(crate) fn released(resource: ResourceId) {
    if any_installed() {
        if let Some(h) = current() {
            h.released(resource);
        }
    }
}

/// A plain yield point for a user's backend: the scheduler may switch here.
pub fn yield_now(name: &'static str) {
    let _ = super::yield_point(Site::User(name));
}

/// Restores the previously installed hook (if any) when dropped.
#[must_use = "the hook is uninstalled when the guard drops"]
pub struct HookGuard {
    previous: Option<Rc<dyn Hook>>,
}

/// Installs `hook` on the current OS thread until the returned guard drops.
pub fn install(hook: Rc<dyn Hook>) -> HookGuard {
    let previous = HOOK.with(|h| h.borrow_mut().replace(hook));
    if previous.is_none() {
        INSTALLED.fetch_add(1, Ordering::Relaxed);
    }
    HookGuard { previous }
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let restoring_none = previous.is_none();
        HOOK.with(|h| *h.borrow_mut() = previous);
        if restoring_none {
            INSTALLED.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Test support: hooks that act on a map at a chosen site.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::sync::Arc;

    use super::{Fault, Hook, Site};

    /// Runs `action` on the map the first time a thread reaches `site`.
    pub(crate) struct OnSite<M> {
        map: Arc<M>,
        site: Site,
        pub(crate) fired: Cell<bool>,
        action: Box<dyn Fn(&M)>,
    }

    impl<M> Hook for OnSite<M> {
        fn yield_point(&self, site: Site) -> Option<Fault> {
            if site == self.site && !self.fired.replace(true) {
                (self.action)(&self.map);
            }
            None
        }
    }

    /// A hook that runs `action` on `map` at the first visit of `site`.
    pub(crate) fn on_site<M: 'static>(
        map: &Arc<M>,
        site: Site,
        action: impl Fn(&M) + 'static,
    ) -> Rc<OnSite<M>> {
        Rc::new(OnSite {
            map: map.clone(),
            site,
            fired: Cell::new(false),
            action: Box::new(action),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Counting {
        yields: Cell<usize>,
        answer: Option<Fault>,
    }
    impl Hook for Counting {
        fn yield_point(&self, _site: Site) -> Option<Fault> {
            self.yields.set(self.yields.get() + 1);
            self.answer
        }
    }

    #[test]
    fn hook_sees_yields_only_while_installed() {
        let h = Rc::new(Counting {
            yields: Cell::new(0),
            answer: Some(Fault::Grow),
        });
        assert_eq!(crate::sync::yield_point(Site::GrowWork), None);
        {
            let _g = install(h.clone());
            assert_eq!(crate::sync::yield_point(Site::GrowWork), Some(Fault::Grow));
            // A hook installed on this thread is invisible to another thread.
            std::thread::spawn(|| assert_eq!(crate::sync::yield_point(Site::GrowWork), None))
                .join()
                .unwrap();
        }
        assert_eq!(crate::sync::yield_point(Site::GrowWork), None);
        assert_eq!(h.yields.get(), 1);
    }

    #[test]
    fn nested_install_restores_outer_hook() {
        let outer = Rc::new(Counting {
            yields: Cell::new(0),
            answer: None,
        });
        let inner = Rc::new(Counting {
            yields: Cell::new(0),
            answer: None,
        });
        let _a = install(outer.clone());
        {
            let _b = install(inner.clone());
            crate::sync::yield_now("x");
        }
        crate::sync::yield_now("y");
        assert_eq!((outer.yields.get(), inner.yields.get()), (1, 1));
    }
}
