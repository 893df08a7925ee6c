//! `sync.Map`'s `entry`: one key's slot, shared by the read and dirty maps.
//!
//! # State machine of `p`
//!
//! ```text
//!             Store/LoadOrStore (CAS, lock-free or under mu)
//!     ┌──────────────────────────────────────────────────────┐
//!     ▼                                                      │
//!   value ──── Delete/LoadAndDelete/CompareAndDelete ────►  nil
//!   value ──── Store/Swap/CompareAndSwap ───────────────►  value'
//!    nil  ──── dirtyLocked: tryExpungeLocked (under mu) ──►  expunged
//! expunged ─── Store/LoadOrStore slow path: unexpungeLocked
//!              (under mu, then dirty[key] = e) ──────────►  nil ──► value
//! ```
//!
//! - `nil`: deleted; either `dirty == nil` or `dirty[key]` is this entry.
//! - `expunged`: deleted, `dirty != nil`, and the key is **absent** from
//!   `dirty`. Only `mu` holders move an entry into or out of this state, so a
//!   lock-free path that sees it must fall back to the locked slow path
//!   (that is what makes it safe to leave the entry out of dirty).
//! - a value: live; the entry is in `read.m` and, if `dirty != nil`, in dirty.
//!
//! `try_` methods are lock-free attempts that fail on `expunged`;
//! `_locked` methods require the caller to hold `mu`.
//!
//! # Representation
//!
//! `p` is an [`ArcSwapOption<Value>`]: `None` is Go's nil pointer, a boxed
//! value is `Some(Arc<Value>)`, and `expunged` is one process-wide sentinel
//! `Arc` compared **by pointer**, as Go compares `p == expunged`. A CAS
//! compares pointers too; the expected pointer is an `Arc` the caller holds,
//! so its address cannot be freed and reused meanwhile (no ABA), the way Go's
//! GC keeps a loaded pointer alive.

use std::sync::{Arc, LazyLock};

use arc_swap::{ArcSwapOption, Guard};

use crate::maps::Value;
use crate::sync::{cover, yield_point, Cover, Site};

/// Go's `expunged = new(any)`: a unique pointer, never a real value.
static EXPUNGED: LazyLock<Arc<Value>> = LazyLock::new(|| Arc::new(0));

type Ptr = Option<Arc<Value>>;

fn is_expunged(p: &Ptr) -> bool {
    matches!(p, Some(a) if Arc::ptr_eq(a, &EXPUNGED))
}

/// The value `p` points to; `None` for nil and expunged.
fn value_of(p: &Ptr) -> Option<Value> {
    match p {
        Some(a) if !Arc::ptr_eq(a, &EXPUNGED) => Some(**a),
        _ => None,
    }
}

fn raw(p: &Ptr) -> *const Value {
    p.as_ref().map_or(std::ptr::null(), Arc::as_ptr)
}

/// One key's slot; see the module docs for its state machine.
#[derive(Debug, Default)]
pub(super) struct Entry {
    p: ArcSwapOption<Value>,
}

impl Entry {
    /// A live entry holding `value` (`newEntry`).
    pub(super) fn new(value: Value) -> Self {
        Self {
            p: ArcSwapOption::new(Some(Arc::new(value))),
        }
    }

    /// A nil entry: the arena's slot 0, Go's nil `*entry` (see the arena).
    pub(super) fn nil() -> Self {
        Self::default()
    }

    /// `CAS(p: current → new)`, a race window. On failure returns what `p`
    /// held instead, which the caller retries from (as Go reloads).
    fn cas(&self, current: &Ptr, new: Ptr) -> Result<(), Ptr> {
        let _ = yield_point(Site::SyncMapEntryCas);
        let prev = self.p.compare_and_swap(current, new);
        if raw(&prev) == raw(current) {
            Ok(())
        } else {
            Err(Guard::into_inner(prev))
        }
    }

    /// `load`: the value, or `None` when nil or expunged.
    pub(super) fn load(&self) -> Option<Value> {
        value_of(&self.p.load())
    }

    /// Whether the entry is expunged (for invariant checks).
    pub(super) fn is_expunged(&self) -> bool {
        is_expunged(&self.p.load())
    }

    /// `tryLoadOrStore`: `(actual, loaded)`, or `None` if expunged (the
    /// caller must take the slow path).
    pub(super) fn try_load_or_store(&self, value: Value) -> Option<(Value, bool)> {
        let mut p = self.p.load_full();
        let boxed = Some(Arc::new(value));
        loop {
            if is_expunged(&p) {
                return None;
            }
            if let Some(v) = value_of(&p) {
                return Some((v, true));
            }
            match self.cas(&p, boxed.clone()) {
                Ok(()) => return Some((value, false)),
                Err(now) => p = now,
            }
        }
    }

    /// `delete`: nil-s a live entry, returning its value. Never fails.
    pub(super) fn delete(&self) -> Option<Value> {
        let mut p = self.p.load_full();
        loop {
            let v = value_of(&p)?;
            match self.cas(&p, None) {
                Ok(()) => return Some(v),
                Err(now) => p = now,
            }
        }
    }

    /// `trySwap`: stores `value` unless expunged; `Some(previous)` on
    /// success (previous is `None` for a nil entry), `None` if expunged.
    pub(super) fn try_swap(&self, value: Value) -> Option<Option<Value>> {
        let mut p = self.p.load_full();
        let boxed = Some(Arc::new(value));
        loop {
            if is_expunged(&p) {
                return None;
            }
            match self.cas(&p, boxed.clone()) {
                Ok(()) => return Some(value_of(&p)),
                Err(now) => p = now,
            }
        }
    }

    /// `swapLocked`: unconditional store; the caller holds `mu` and knows the
    /// entry is not expunged.
    pub(super) fn swap_locked(&self, value: Value) -> Option<Value> {
        let old = self.p.swap(Some(Arc::new(value)));
        debug_assert!(!is_expunged(&old), "swapLocked on an expunged entry");
        value_of(&old)
    }

    /// `tryCompareAndSwap`: stores `new` if the current value is `old`.
    /// Fails (false) on nil and expunged.
    pub(super) fn try_compare_and_swap(&self, old: Value, new: Value) -> bool {
        let mut p = self.p.load_full();
        if value_of(&p) != Some(old) {
            return false;
        }
        let boxed = Some(Arc::new(new));
        loop {
            match self.cas(&p, boxed.clone()) {
                Ok(()) => return true,
                Err(now) => p = now,
            }
            if value_of(&p) != Some(old) {
                return false;
            }
        }
    }

    /// The entry half of `CompareAndDelete`: nil-s the entry if its value is
    /// `old`; false when nil, expunged or different.
    pub(super) fn compare_and_delete(&self, old: Value) -> bool {
        let mut p = self.p.load_full();
        loop {
            if value_of(&p) != Some(old) {
                return false;
            }
            match self.cas(&p, None) {
                Ok(()) => return true,
                Err(now) => p = now,
            }
        }
    }

    /// `unexpungeLocked`: expunged → nil. When it returns true the caller
    /// (holding `mu`) must put the entry back into dirty before unlocking.
    pub(super) fn unexpunge_locked(&self) -> bool {
        let expunged = Some(Arc::clone(&EXPUNGED));
        let done = self.cas(&expunged, None).is_ok();
        if done {
            cover(Cover::SyncMapUnexpunge);
        }
        done
    }

    /// `tryExpungeLocked`: nil → expunged, racing lock-free stores that may
    /// revive the entry first. True iff the entry ends expunged (so the
    /// caller, rebuilding dirty under `mu`, leaves it out).
    pub(super) fn try_expunge_locked(&self) -> bool {
        let mut p = self.p.load_full();
        while p.is_none() {
            match self.cas(&None, Some(Arc::clone(&EXPUNGED))) {
                Ok(()) => {
                    cover(Cover::SyncMapExpunge);
                    return true;
                }
                Err(now) => p = now,
            }
        }
        is_expunged(&p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_machine_legal_transitions() {
        let e = Entry::new(1);
        assert_eq!(e.load(), Some(1));
        assert_eq!(e.try_load_or_store(9), Some((1, true)));
        assert_eq!(e.try_swap(2), Some(Some(1)));
        assert!(!e.try_compare_and_swap(1, 3));
        assert!(e.try_compare_and_swap(2, 3));
        assert!(!e.try_expunge_locked(), "a live entry is never expunged");
        assert!(!e.compare_and_delete(2));
        assert_eq!(e.delete(), Some(3));
        assert_eq!(e.delete(), None);
        assert!(!e.compare_and_delete(3));
        // nil → expunged: lock-free attempts now fail, plain ones see nothing.
        assert!(e.try_expunge_locked());
        assert!(e.is_expunged() && e.try_expunge_locked());
        assert_eq!(e.load(), None);
        assert_eq!(e.try_swap(4), None);
        assert_eq!(e.try_load_or_store(4), None);
        assert!(!e.try_compare_and_swap(3, 4));
        assert_eq!(e.delete(), None);
        // expunged → nil → value, only through the locked path.
        assert!(e.unexpunge_locked());
        assert!(!e.unexpunge_locked());
        assert_eq!(e.try_load_or_store(5), Some((5, false)));
        assert_eq!(e.swap_locked(6), Some(5));
    }

    #[test]
    fn a_stored_zero_is_not_expunged() {
        // The sentinel is compared by pointer, never by value.
        let e = Entry::new(0);
        assert!(!e.is_expunged());
        assert_eq!(e.load(), Some(0));
        assert!(!e.try_expunge_locked());
    }
}
