//! Access notes: an unsynchronised data structure (the Go map) says when an
//! operation on it begins and ends, so an engine can report two operations on
//! the same map that overlapped in time, at least one a write — the races
//! Go's `-race` detector reports, whether or not the map's own
//! `hashWriting` check happened to catch them.

use std::cell::RefCell;
use std::rc::Rc;

/// Whether an access reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Lookup, iteration step, `len`.
    Read,
    /// Assign, delete, clear, forced grow.
    Write,
}

/// What an engine installs to hear about accesses.
pub trait AccessObserver {
    /// An operation on the structure identified by `object` began.
    fn begin(&self, object: usize, access: Access);
    /// The matching operation ended (also on an early return or a throw).
    fn end(&self, object: usize, access: Access);
}

thread_local! {
    static OBSERVER: RefCell<Option<Rc<dyn AccessObserver>>> = const { RefCell::new(None) };
}

/// Ends the access when dropped.
#[must_use = "the access ends when the guard drops"]
pub struct AccessGuard {
    note: Option<(usize, Access)>,
}

impl Drop for AccessGuard {
    fn drop(&mut self) {
        if let Some((object, access)) = self.note {
            if let Some(o) = OBSERVER.with(|c| c.borrow().clone()) {
                o.end(object, access);
            }
        }
    }
}

/// Notes that an access to `object` begins; it ends when the guard drops.
/// A no-op (one relaxed load) unless an engine installed an observer.
#[inline(always)]
pub fn access(object: usize, access: Access) -> AccessGuard {
    if super::hook::any_installed() {
        begin_slow(object, access)
    } else {
        AccessGuard { note: None }
    }
}

#[cold]
fn begin_slow(object: usize, access: Access) -> AccessGuard {
    match OBSERVER.with(|c| c.borrow().clone()) {
        Some(o) => {
            o.begin(object, access);
            AccessGuard {
                note: Some((object, access)),
            }
        }
        None => AccessGuard { note: None },
    }
}

/// Restores the previous observer when dropped.
#[must_use = "the observer is uninstalled when the guard drops"]
pub struct ObserverGuard {
    previous: Option<Rc<dyn AccessObserver>>,
}

/// Installs `observer` on this OS thread until the guard drops. Observers
/// are only consulted while a [`super::Hook`] is installed too (the fast path
/// checks one counter for both).
pub fn observe(observer: Rc<dyn AccessObserver>) -> ObserverGuard {
    let previous = OBSERVER.with(|c| c.borrow_mut().replace(observer));
    ObserverGuard { previous }
}

impl Drop for ObserverGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        OBSERVER.with(|c| *c.borrow_mut() = previous);
    }
}
