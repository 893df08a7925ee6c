//! Race detection in sched mode, as Go's `-race` reports it: two operations
//! on the same Go map that overlap in time, at least one a write.
//!
//! The Go map notes when each of its operations begins and ends
//! ([`crate::sync::access`]); under the scheduler the logical threads run on
//! one OS thread, so this observer sees every note in step order and can
//! tell which accesses are in flight at once. A lock between two accesses
//! serialises them, so they never overlap; only unsynchronised accesses can.
//!
//! Go's own `hashWriting` check catches only some of these (it reads a flag
//! that a racing writer may not have set yet, or has already cleared); this
//! check sees every overlap, so a report can say whether the runtime check
//! missed it: a silent-corruption risk.

use std::cell::RefCell;

use super::sched;
use crate::sync::{Access, AccessObserver};

/// One overlap of two accesses to the same map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Race {
    /// The access already in flight: (logical thread, read or write).
    pub first: (u32, Access),
    /// The access that began while it was: (logical thread, read or write).
    pub second: (u32, Access),
    /// The scheduler step at which they overlapped.
    pub step: u64,
}

/// Collects the first race of an execution.
#[derive(Default)]
pub struct RaceObserver {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// Accesses in flight: (object, thread, kind). Few at a time (one per
    /// thread at most), so a vector beats a map.
    active: Vec<(usize, u32, Access)>,
    first_race: Option<Race>,
}

impl RaceObserver {
    /// The first race seen, if any.
    pub fn into_race(self) -> Option<Race> {
        self.state.into_inner().first_race
    }
}

impl AccessObserver for RaceObserver {
    fn begin(&self, object: usize, access: Access) {
        let Some(thread) = sched::current_thread() else {
            return;
        };
        let thread = thread as u32;
        let mut st = self.state.borrow_mut();
        if st.first_race.is_none() {
            if let Some(&(_, other, kind)) = st.active.iter().find(|(o, t, k)| {
                *o == object && *t != thread && (*k == Access::Write || access == Access::Write)
            }) {
                st.first_race = Some(Race {
                    first: (other, kind),
                    second: (thread, access),
                    step: sched::logical_time().unwrap_or(0),
                });
            }
        }
        st.active.push((object, thread, access));
    }

    fn end(&self, object: usize, access: Access) {
        let Some(thread) = sched::current_thread() else {
            return;
        };
        let thread = thread as u32;
        let mut st = self.state.borrow_mut();
        if let Some(i) = st
            .active
            .iter()
            .rposition(|&(o, t, k)| o == object && t == thread && k == access)
        {
            st.active.swap_remove(i);
        }
    }
}
