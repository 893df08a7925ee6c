//! Whole-map linearizability: the operations over every key at one instant
//! (an atomic `Clear`, an exact `len`), which the per-key decomposition
//! cannot see.
//!
//! Per key, an atomic `Clear` is a delete of every key — but the deletes of
//! one `Clear` must take effect at the *same* instant, and a `len` must
//! count the keys of one instant. A history can pass every per-key check
//! and still need a `Clear` at two instants: a clear that empties shard by
//! shard leaves one key written before another cleared and the other not.
//!
//! This module searches for one linearization of the whole history over
//! the joint state (the map itself), within its budget; a history too
//! long for it whose only such operations are atomic clears is decided key
//! by key instead ([`super::instants`]: one instant per clear, shared by
//! every key), which scales with the history. The search:
//! Wing–Gong–Lowe as in the per-key search, with the sequential
//! [`crate::check::Model`] as the specification and a memo of (set of
//! linearized ops, map). A `Range` takes part as what the backend declares:
//! a snapshot is checked against the map at its instant; a weakly
//! consistent one is left to the per-key check (here it reads nothing).
//!
//! Cost: the memo holds at most one entry per reachable (linearized set,
//! map), each O(ops/64 + keys) words. A linearizable history is usually
//! found in near time order (linear); a violation makes the search
//! exhaustive. Both are bounded by [`WholeBudget`]: past it the check is
//! *undecided* (said, with the budget), never a finding.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet as HashSet;

use crate::check::Model;
use crate::history::Operation;
use crate::maps::{ClearSemantics, Key, LenSemantics, RangeSemantics, Semantics, Value};
use crate::op::{Op, Ret};

use super::budget::Budget;
use super::entries::Entries;
use super::instants::{self, Placed};
use super::Counterexample;

/// How much the whole-map search may do before it says "undecided".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WholeBudget {
    /// Most bytes its memo may hold. An entry costs about `ops / 8 +
    /// 16 × keys` bytes; a linearizable history needs about two entries per
    /// op, so a history too long for that is undecided at once.
    pub max_bytes: usize,
}

impl Default for WholeBudget {
    fn default() -> Self {
        WholeBudget {
            max_bytes: 256 << 20,
        }
    }
}

impl WholeBudget {
    /// Memo entries allowed for `ops` ops over `keys` keys.
    fn max_states(&self, ops: usize, keys: usize) -> usize {
        self.max_bytes / (ops.div_ceil(8) + 16 * keys + 64)
    }
}

/// What the whole-map search concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Whole {
    /// No operation needed it: nothing to check.
    NotNeeded,
    /// A linearization of the whole history exists.
    Linearizable,
    /// None exists.
    Violation(Counterexample),
    /// The budget ran out first: why, in one line.
    Undecided(String),
}

/// Whether `op` must take effect at one instant for every key, as the
/// backend declares.
fn is_whole(op: &Op, sem: Semantics) -> bool {
    match op {
        Op::Clear => sem.clear == ClearSemantics::Atomic,
        Op::Len => sem.len == LenSemantics::Exact,
        _ => false,
    }
}

/// Checks `ops` for one linearization over the whole map, when any of them
/// is a whole-map operation the backend declares atomic; `initial` is the
/// map before the history.
pub fn check_whole(
    ops: &[Operation],
    sem: Semantics,
    initial: &BTreeMap<Key, Value>,
    budget: WholeBudget,
) -> Whole {
    if !ops.iter().any(|o| is_whole(&o.op, sem)) {
        return Whole::NotNeeded;
    }
    // The joint search where it fits; past its budget, clears alone are
    // placed key by key (`instants`), at any length.
    let len = ops
        .iter()
        .any(|o| matches!(o.op, Op::Len) && is_whole(&o.op, sem));
    let place = || match instants::place_clears(ops, initial, &Budget::default()) {
        Placed::Linearizable => Whole::Linearizable,
        Placed::Violation(ce) => Whole::Violation(ce),
        Placed::Undecided(why) => Whole::Undecided(why),
    };
    match joint_search(ops, sem, initial, budget) {
        Whole::Undecided(why) if !len => match place() {
            Whole::Undecided(placing) => Whole::Undecided(format!("{why}; {placing}")),
            decided => decided,
        },
        w => w,
    }
}

/// The search over the joint state: exact for every whole-map operation,
/// within `budget`.
pub(super) fn joint_search(
    ops: &[Operation],
    sem: Semantics,
    initial: &BTreeMap<Key, Value>,
    budget: WholeBudget,
) -> Whole {
    let keys: std::collections::BTreeSet<Key> = ops
        .iter()
        .filter_map(|o| o.op.key())
        .chain(initial.keys().copied())
        .collect();
    let max_states = budget.max_states(ops.len(), keys.len());
    if max_states < 2 * ops.len() {
        return Whole::Undecided(format!(
            "the whole-map check (atomic clear, exact len) was skipped: {} ops over {} keys need more than its {} MiB",
            ops.len(),
            keys.len(),
            budget.max_bytes >> 20
        ));
    }
    Search::new(ops, sem).run(initial.clone(), max_states)
}

/// A fixed-size bit set over the history's ops.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
}

/// One operation as the search sees it.
struct Call<'a> {
    op: &'a Op,
    /// `None` while pending (threw, panicked or never returned): it may take
    /// effect, with any result, or never.
    ret: Option<&'a Ret>,
    invoke: u64,
    /// `u64::MAX` while pending.
    ret_time: u64,
}

struct Search<'a> {
    calls: Vec<Call<'a>>,
    sem: Semantics,
}

impl<'a> Search<'a> {
    fn new(ops: &'a [Operation], sem: Semantics) -> Self {
        let calls = ops
            .iter()
            .map(|o| match &o.ret {
                Some((t, r)) if !matches!(r, Ret::Throw(_) | Ret::Panic(_)) => Call {
                    op: &o.op,
                    ret: Some(r),
                    invoke: o.invoke,
                    ret_time: *t,
                },
                _ => Call {
                    op: &o.op,
                    ret: None,
                    invoke: o.invoke,
                    ret_time: u64::MAX,
                },
            })
            .collect();
        Search { calls, sem }
    }

    /// Whether `c`, applied to `m`, returns what it returned, and the map
    /// after it.
    fn step(&self, m: &Model, c: &Call<'_>) -> Option<Model> {
        let weak_range =
            matches!(c.op, Op::Range { .. }) && self.sem.range != RangeSemantics::Snapshot;
        let loose_len = matches!(c.op, Op::Len) && self.sem.len != LenSemantics::Exact;
        if weak_range || loose_len {
            // Left to the per-key and quiescent checks: reads nothing here.
            return Some(m.clone());
        }
        if let Some(r) = c.ret {
            if !m.agrees(c.op, r) {
                return None;
            }
        }
        let mut next = m.clone();
        next.apply(c.op);
        Some(next)
    }

    fn run(&self, initial: BTreeMap<Key, Value>, max_states: usize) -> Whole {
        let n = self.calls.len();
        let mut list = Entries::new(n, |i| (self.calls[i].invoke, self.calls[i].ret_time));
        let mut remaining = self.calls.iter().filter(|c| c.ret.is_some()).count();
        let mut linearized = Bits::new(n);
        let mut memo: HashSet<(Bits, BTreeMap<Key, Value>)> = HashSet::default();
        let mut stack: Vec<(usize, Model)> = Vec::new();
        let mut state = Model::new(initial);
        let mut entry = list.first();
        let mut deepest: (usize, usize) = (0, usize::MAX);
        while remaining > 0 {
            let i = entry / 2;
            if entry.is_multiple_of(2) {
                if let Some(after) = self.step(&state, &self.calls[i]) {
                    let mut bits = linearized.clone();
                    bits.set(i);
                    if memo.insert((bits, after.map.clone())) {
                        if memo.len() > max_states {
                            return Whole::Undecided(format!(
                                "the whole-map check (atomic clear, exact len) ran out of its budget of {max_states} states over {n} ops"
                            ));
                        }
                        stack.push((entry, std::mem::replace(&mut state, after)));
                        linearized.set(i);
                        list.lift(entry);
                        if self.calls[i].ret.is_some() {
                            remaining -= 1;
                        }
                        entry = list.first();
                        continue;
                    }
                }
                entry = list.after(entry);
            } else {
                if stack.len() >= deepest.0 {
                    deepest = (stack.len(), i);
                }
                let Some((call, s)) = stack.pop() else {
                    return Whole::Violation(self.counterexample(deepest.1));
                };
                let j = call / 2;
                state = s;
                linearized.clear(j);
                list.unlift(call);
                if self.calls[j].ret.is_some() {
                    remaining += 1;
                }
                entry = list.after(call);
            }
        }
        Whole::Linearizable
    }

    /// The op the deepest attempt could not place, and every op that
    /// overlaps it.
    fn counterexample(&self, stuck: usize) -> Counterexample {
        let s = &self.calls[stuck.min(self.calls.len() - 1)];
        let mut ops: Vec<usize> = self
            .calls
            .iter()
            .enumerate()
            .filter(|(_, o)| o.invoke <= s.ret_time && s.invoke <= o.ret_time)
            .map(|(i, _)| i)
            .collect();
        ops.sort_unstable();
        let whole: Vec<&str> = self
            .calls
            .iter()
            .filter(|c| is_whole(c.op, self.sem))
            .map(|c| c.op.name())
            .collect();
        let mut kinds = whole.clone();
        kinds.sort_unstable();
        kinds.dedup();
        Counterexample {
            key: None,
            summary: format!(
                "every key's history has a linearization, but no single one of the whole map does: \
                 {} returning {} cannot be placed, with each {} taking effect at one instant for every key",
                s.op,
                s.ret.map_or("nothing (pending)".to_string(), |r| r.to_string()),
                kinds.join(" and each ")
            ),
            ops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::linearizability::tests::{op, pending};

    const ATOMIC: Semantics = Semantics {
        range: RangeSemantics::Snapshot,
        clear: ClearSemantics::Atomic,
        len: LenSemantics::Exact,
    };

    /// A clear overlapping two sequential stores: no atomic clear leaves
    /// the first store's key present and the second's absent.
    fn shard_by_shard() -> Vec<Operation> {
        vec![
            op(0, 0, 20, Op::Clear, Ret::Unit),
            op(1, 2, 4, Op::Store { key: 1, value: 10 }, Ret::Unit),
            op(1, 6, 8, Op::Store { key: 2, value: 20 }, Ret::Unit),
            op(1, 22, 23, Op::Load { key: 1 }, Ret::Value(Some(10))),
            op(1, 24, 25, Op::Load { key: 2 }, Ret::Value(None)),
        ]
    }

    #[test]
    fn a_clear_at_two_instants_is_a_violation_only_when_declared_atomic() {
        let h = shard_by_shard();
        // Every key alone is fine: key 1's delete before its store, key 2's
        // after.
        assert_eq!(
            crate::check::linearizability::check(&h, RangeSemantics::Snapshot, &|_| None, &[]),
            Ok(())
        );
        let Whole::Violation(e) = check_whole(&h, ATOMIC, &BTreeMap::new(), WholeBudget::default())
        else {
            panic!("an atomic clear cannot explain it");
        };
        assert!(
            e.summary.contains("clear taking effect at one instant"),
            "{}",
            e.summary
        );
        let per_key = Semantics {
            clear: ClearSemantics::PerKey,
            ..ATOMIC
        };
        assert_eq!(
            check_whole(&h, per_key, &BTreeMap::new(), WholeBudget::default()),
            Whole::NotNeeded
        );
        // The same stores with the clear after both: fine.
        let mut ok = h.clone();
        ok[4] = op(1, 24, 25, Op::Load { key: 2 }, Ret::Value(Some(20)));
        assert_eq!(
            check_whole(&ok, ATOMIC, &BTreeMap::new(), WholeBudget::default()),
            Whole::Linearizable
        );
    }

    #[test]
    fn len_counts_the_keys_of_one_instant() {
        let init: BTreeMap<Key, Value> = [(1, 10), (2, 20)].into();
        let h = vec![
            op(0, 0, 10, Op::Delete { key: 1 }, Ret::Unit),
            op(1, 1, 2, Op::Len, Ret::Len(2)),
            op(1, 11, 12, Op::Len, Ret::Len(1)),
        ];
        assert_eq!(
            check_whole(&h, ATOMIC, &init, WholeBudget::default()),
            Whole::Linearizable
        );
        let bad = vec![
            op(0, 0, 1, Op::Delete { key: 1 }, Ret::Unit),
            op(1, 2, 3, Op::Len, Ret::Len(2)),
        ];
        assert!(matches!(
            check_whole(&bad, ATOMIC, &init, WholeBudget::default()),
            Whole::Violation(_)
        ));
        let approx = Semantics {
            len: LenSemantics::Approximate,
            ..ATOMIC
        };
        assert_eq!(
            check_whole(&bad, approx, &init, WholeBudget::default()),
            Whole::NotNeeded
        );
    }

    #[test]
    fn a_pending_write_may_or_may_not_have_landed() {
        let h = vec![
            pending(0, 0, Op::Store { key: 1, value: 10 }),
            op(1, 1, 2, Op::Len, Ret::Len(1)),
            op(1, 3, 4, Op::Clear, Ret::Unit),
            op(1, 5, 6, Op::Len, Ret::Len(0)),
        ];
        assert_eq!(
            check_whole(&h, ATOMIC, &BTreeMap::new(), WholeBudget::default()),
            Whole::Linearizable
        );
    }

    #[test]
    fn the_joint_search_past_its_budget_is_undecided_not_a_finding() {
        let h = shard_by_shard();
        // Too small for the history at all.
        let tiny = WholeBudget { max_bytes: 500 };
        assert!(matches!(
            joint_search(&h, ATOMIC, &BTreeMap::new(), tiny),
            Whole::Undecided(why) if why.contains("skipped")
        ));
        // Enough to start, not for the exhaustive search a violation needs
        // once six concurrent stores can go in any order (2^6 subsets).
        let mut h = h;
        for k in 3..9 {
            h.push(op(
                2 + k as u32,
                0,
                20,
                Op::Store { key: k, value: k },
                Ret::Unit,
            ));
        }
        let few = WholeBudget { max_bytes: 5000 };
        assert!(matches!(
            joint_search(&h, ATOMIC, &BTreeMap::new(), few),
            Whole::Undecided(why) if why.contains("ran out")
        ));
    }
}
