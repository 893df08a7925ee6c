//! Linearizability of a history against a sequential map, checked per key.
//!
//! A map is a collection of independent registers, one per key, so a history
//! of single-key operations is linearizable iff each key's sub-history is
//! (P-compositionality, Horn & Kroening). Each key is checked with the
//! Wing–Gong search as improved by Lowe: walk the time-ordered list of calls
//! and returns; linearize a pending call whose effect matches the register's
//! state; on reaching a return whose call is not linearized, backtrack. A
//! memo of (set of linearized ops, register state) prunes every state already
//! explored, which makes the common case — a history that is linearizable
//! almost in time order — linear in its length.
//!
//! The search (`search`) keys its memo by a canonical form of the
//! linearized set whose size is the number of ops in flight at once, not
//! the length of the key's history (`memo`); it cuts each key's history at
//! the instants when none of its ops is in flight and searches segment by
//! segment, carrying the states a segment may end in (`segments`); and it
//! never makes a choice of when to linearize an op that cannot change the
//! state. All three are exact: the verdicts, and the counterexamples, are
//! the plain search's. A 1,000,000-op history of 8 threads over 4 keys —
//! 250,000 ops a key — is checked in under a second
//! (`benches/checker_scale.rs`).
//!
//! [`check_all`], what the engine runs, bounds each key's search by a
//! [`Budget`]: a key that exhausts it is [`Undecided`] — reported in
//! [`Checked`], never a failure. [`check`] and [`check_final`] search
//! without a bound.
//!
//! Whole-map operations are projected onto keys:
//! - `Clear` is a delete of every key the history mentions;
//! - a `Range` that visited `(k, v)` is a read of `k` returning `v`; a
//!   complete `Range` (it did not stop early) that did not visit `k` is a read
//!   of `k` returning "absent". This is exactly Go's `sync.Map.Range` promise
//!   (any mapping the key had during the call; a key present for the whole
//!   call is visited), so [`RangeSemantics::WeakConsistent`] needs nothing more;
//! - for [`RangeSemantics::Snapshot`] backends a `Range` must also have one
//!   instant at which every value it returned was current at once: see
//!   `check_snapshot_ranges`;
//! - `Len` is not projected: an exact one is checked over the whole map.
//!
//! An atomic `Clear` must also delete every key at one instant, and an
//! exact `Len` count the keys of one instant: [`check_whole`] checks those
//! after every key has passed (see `instants` and `whole`).
//!
//! An operation that threw, panicked, or never returned (the execution
//! stopped) is *pending*: it may take effect at any point after its invoke,
//! or never.

mod budget;
mod entries;
mod instants;
mod lost;
mod memo;
mod model;
mod project;
#[cfg(test)]
mod reference;
mod search;
mod segments;
mod snapshot;
mod whole;

use std::collections::BTreeMap;

use crate::history::Operation;
use crate::maps::{ClearSemantics, Key, RangeSemantics, Semantics, Value};

use lost::{describe_lost, last_writes};
use project::{end_of, project, push_final_read};
use search::{check_key, check_key_within, KeyError};
use snapshot::check_snapshot_ranges;
pub use whole::{check_whole, Whole, WholeBudget};

pub use budget::{Budget, Cost, Limit, Undecided};

/// A history that is not linearizable, with the operations that show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The key whose sub-history has no linearization (`None` for a
    /// cross-key snapshot violation).
    pub key: Option<Key>,
    /// One line: what could not be explained.
    pub summary: String,
    /// Indices (into the input operations) of the operations involved.
    pub ops: Vec<usize>,
}

/// Checks `ops` (as from [`crate::history::History::operations`]) for
/// linearizability against a sequential map whose key `k` initially holds
/// `initial(k)`. `initial_keys` are the keys that hold a value before the
/// history starts: whole-map operations (`Clear`, a complete `Range`) speak
/// of them too, even if no single-key operation names them. Returns the
/// first counterexample found. The search has no budget: see [`check_all`]
/// for one that cannot exhaust the machine.
pub fn check(
    ops: &[Operation],
    semantics: RangeSemantics,
    initial: &dyn Fn(Key) -> Option<Value>,
    initial_keys: &[Key],
) -> Result<(), Counterexample> {
    let per_key = project(ops, initial_keys, ClearSemantics::Atomic);
    for (key, kops) in &per_key {
        check_key(*key, kops, initial(*key))?;
    }
    if semantics == RangeSemantics::Snapshot {
        check_snapshot_ranges(ops, &per_key, initial)?;
    }
    Ok(())
}

/// The plainest lost write: for each key, the write that certainly took
/// effect last — every other operation that may change the key returned
/// before it was invoked — must be what the key holds at quiescence.
/// Runs before the full search, so a write that vanished is reported as
/// such even when later reads also saw through it.
pub fn check_last_writes(
    ops: &[Operation],
    final_state: &BTreeMap<Key, Value>,
    extra_keys: &[Key],
) -> Result<(), Counterexample> {
    let keys: Vec<Key> = final_state.keys().chain(extra_keys).copied().collect();
    last_writes(&project(ops, &keys, ClearSemantics::Atomic), final_state)
}

/// Lost writes: checks that the state `final_state`, read at quiescence
/// after every operation of `ops` returned, is one that some linearization
/// of the history ends in, for every key in the history, in `final_state`
/// and in `extra_keys` (e.g. the prefilled ones).
///
/// Call it on a history that [`check`] accepted: a key that fails here then
/// lost an acknowledged write (or resurrected a deleted one). No budget, as
/// for [`check`].
pub fn check_final(
    ops: &[Operation],
    initial: &dyn Fn(Key) -> Option<Value>,
    final_state: &BTreeMap<Key, Value>,
    extra_keys: &[Key],
) -> Result<(), Counterexample> {
    let keys: Vec<Key> = final_state.keys().chain(extra_keys).copied().collect();
    let mut per_key = project(ops, &keys, ClearSemantics::Atomic);
    let end = end_of(ops);
    for (&key, kops) in per_key.iter_mut() {
        push_final_read(kops, final_state.get(&key).copied(), end);
        if let Err(e) = check_key(key, kops, initial(key)) {
            return Err(describe_lost(key, kops, final_state.get(&key).copied(), e));
        }
    }
    Ok(())
}

/// The class of a failed [`check_all`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The history itself has no linearization.
    NotLinearizable,
    /// The write that certainly took effect last on a key is not there at
    /// quiescence ([`check_last_writes`]).
    LastWriteLost,
    /// The history does, but none ends in the quiescent contents.
    LostWrite,
}

/// What a [`check_all`] that found no failure says: the keys it could not
/// decide within its budget (none: the history passed every check), and
/// what the searches cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Keys whose search ran out of budget, in key order: for these keys
    /// the history is neither shown linearizable nor shown not to be.
    pub undecided: Vec<Undecided>,
    /// Steps and peak memo of the searches.
    pub cost: Cost,
}

/// Everything [`check`], [`check_last_writes`] and [`check_final`] check, in
/// one pass: the history is projected once, and each key is searched once
/// with its quiescent read appended. Only a key that fails is searched
/// again without that read, to tell a non-linearizable history from a lost
/// write. `final_state` is `None` when the contents could not be read.
///
/// Each key's search is bounded by [`Budget::default`]
/// ([`check_all_within`] takes another): a key that exhausts it is
/// [`Undecided`], listed in the [`Checked`] result and not a failure, and
/// the other keys are still checked. A failure on any key wins over
/// undecided ones.
pub fn check_all(
    ops: &[Operation],
    semantics: Semantics,
    initial: &dyn Fn(Key) -> Option<Value>,
    initial_keys: &[Key],
    final_state: Option<&BTreeMap<Key, Value>>,
) -> Result<Checked, (Failure, Counterexample)> {
    check_all_within(
        ops,
        semantics,
        initial,
        initial_keys,
        final_state,
        &Budget::default(),
    )
}

/// [`check_all`] with each key's search bounded by `budget`.
pub fn check_all_within(
    ops: &[Operation],
    semantics: Semantics,
    initial: &dyn Fn(Key) -> Option<Value>,
    initial_keys: &[Key],
    final_state: Option<&BTreeMap<Key, Value>>,
    budget: &Budget,
) -> Result<Checked, (Failure, Counterexample)> {
    let mut keys: Vec<Key> = initial_keys.to_vec();
    if let Some(f) = final_state {
        keys.extend(f.keys());
    }
    let mut per_key = project(ops, &keys, semantics.clear);
    if let Some(f) = final_state {
        last_writes(&per_key, f).map_err(|e| (Failure::LastWriteLost, e))?;
    }
    let end = end_of(ops);
    let mut checked = Checked::default();
    let cost = &mut checked.cost;
    for (&key, kops) in per_key.iter_mut() {
        let mut search = |kops: &[_]| check_key_within(key, kops, initial(key), budget, cost);
        let Some(f) = final_state else {
            match search(kops) {
                Ok(()) => {}
                Err(KeyError::Fails(e)) => return Err((Failure::NotLinearizable, e)),
                Err(KeyError::Undecided(u)) => checked.undecided.push(u),
            }
            continue;
        };
        let found = f.get(&key).copied();
        push_final_read(kops, found, end);
        let with_final = search(kops);
        kops.pop();
        match with_final {
            Ok(()) => {}
            Err(KeyError::Undecided(u)) => checked.undecided.push(u),
            Err(KeyError::Fails(e)) => {
                return Err(match search(kops) {
                    Err(KeyError::Fails(e)) => (Failure::NotLinearizable, e),
                    // No linearization ends in the quiescent value; whether
                    // one of the history alone exists is either shown, or
                    // (rarely: a history with pending ops) out of budget,
                    // and then the quiescent value is what is known wrong.
                    Ok(()) | Err(KeyError::Undecided(_)) => {
                        push_final_read(kops, found, end);
                        (Failure::LostWrite, describe_lost(key, kops, found, e))
                    }
                });
            }
        }
    }
    if semantics.range == RangeSemantics::Snapshot {
        check_snapshot_ranges(ops, &per_key, initial).map_err(|e| (Failure::NotLinearizable, e))?;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests;
