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
//! - `Len` is not projected (the single-thread model check covers it).
//!
//! An operation that threw, panicked, or never returned (the execution
//! stopped) is *pending*: it may take effect at any point after its invoke,
//! or never.

mod lost;
mod model;
mod project;
mod search;
mod snapshot;
mod whole;

use std::collections::BTreeMap;

use crate::history::Operation;
use crate::maps::{ClearSemantics, Key, RangeSemantics, Semantics, Value};

use lost::{describe_lost, last_writes};
use project::{end_of, project, push_final_read};
use search::check_key;
use snapshot::check_snapshot_ranges;
pub use whole::{check_whole, Whole, WholeBudget};

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
/// first counterexample found.
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
/// lost an acknowledged write (or resurrected a deleted one).
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

/// Everything [`check`], [`check_last_writes`] and [`check_final`] check, in
/// one pass: the history is projected once, and each key is searched once
/// with its quiescent read appended. Only a key that fails is searched
/// again without that read, to tell a non-linearizable history from a lost
/// write. `final_state` is `None` when the contents could not be read.
pub fn check_all(
    ops: &[Operation],
    semantics: Semantics,
    initial: &dyn Fn(Key) -> Option<Value>,
    initial_keys: &[Key],
    final_state: Option<&BTreeMap<Key, Value>>,
) -> Result<(), (Failure, Counterexample)> {
    let mut keys: Vec<Key> = initial_keys.to_vec();
    if let Some(f) = final_state {
        keys.extend(f.keys());
    }
    let mut per_key = project(ops, &keys, semantics.clear);
    if let Some(f) = final_state {
        last_writes(&per_key, f).map_err(|e| (Failure::LastWriteLost, e))?;
    }
    let end = end_of(ops);
    for (&key, kops) in per_key.iter_mut() {
        let Some(f) = final_state else {
            check_key(key, kops, initial(key)).map_err(|e| (Failure::NotLinearizable, e))?;
            continue;
        };
        let found = f.get(&key).copied();
        push_final_read(kops, found, end);
        if let Err(e) = check_key(key, kops, initial(key)) {
            kops.pop();
            return Err(match check_key(key, kops, initial(key)) {
                Err(e) => (Failure::NotLinearizable, e),
                Ok(()) => {
                    push_final_read(kops, found, end);
                    (Failure::LostWrite, describe_lost(key, kops, found, e))
                }
            });
        }
        kops.pop();
    }
    if semantics.range == RangeSemantics::Snapshot {
        check_snapshot_ranges(ops, &per_key, initial).map_err(|e| (Failure::NotLinearizable, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
