//! The per-key search segment by segment: where a key's history is cut,
//! the states each segment may end in, and the driver that chains the
//! segments' searches ([`super::search`] walks each one).
//!
//! A *quiescent point* of a key is an instant at which none of its
//! operations is in flight: every call and return before it comes before
//! every call and return after it. The key's operations are cut there into
//! segments; the last holds every pending operation (one is in flight
//! forever). In any linearization all of a segment's ops come before the
//! next segment's, so the key is linearizable iff a chain of segment
//! linearizations exists from its initial state: each segment is searched
//! from the *set* of states the segments before it may end in, with its
//! own memo — the working set is the largest segment's, not the key's.
//!
//! The set is usually one state, known in advance: every op either leaves
//! the state as it was or sets one state whatever it was (a store, a
//! delete, a swap, a successful compare-and-swap...), so a linearization of
//! the segment ends in what its last setter sets, and that can only be a
//! setter no other setter follows in real time ([`candidates`]). With one
//! candidate, the first linearization found gives the whole set. With more,
//! the search goes on until it has found every candidate or tried
//! everything — except in a segment of more than [`LARGE`] ops, where that
//! can be long: there the first end state found is carried on alone, and if
//! a later segment fails from it, the segments since the last complete set
//! are searched again for every end state, and that segment is tried again.
//! A segment is searched for every end state at most once, so this costs
//! at most that; in recorded runs almost no segment needs it.

use super::budget::{Budget, Cost, Undecided};
use super::model::{Call, State};
use super::project::KeyOp;
use super::search::{counterexample, read_only, Goal, KeyError, Search};
use super::Counterexample;
use crate::maps::Key;

/// [`check_key_within`] without a budget.
pub(super) fn check_key(key: Key, kops: &[KeyOp], initial: State) -> Result<(), Counterexample> {
    match check_key_within(key, kops, initial, &Budget::UNLIMITED, &mut Cost::default()) {
        Ok(()) => Ok(()),
        Err(KeyError::Fails(e)) => Err(e),
        Err(KeyError::Undecided(u)) => unreachable!("no budget, yet {u:?}"),
    }
}

/// Searches one key's sub-history for a linearization from `initial`,
/// segment by segment (see the module docs), within `budget`.
pub(super) fn check_key_within(
    key: Key,
    kops: &[KeyOp],
    initial: State,
    budget: &Budget,
    cost: &mut Cost,
) -> Result<(), KeyError> {
    search_key(key, kops, initial, budget, cost, LARGE)
}

/// Segments of more ops than this that may end in more than one state are
/// searched for one end state first (see the module docs).
const LARGE: usize = 1024;

/// [`check_key_within`], with segments of more than `large` ops searched
/// for one end state first.
pub(super) fn search_key(
    key: Key,
    kops: &[KeyOp],
    initial: State,
    budget: &Budget,
    cost: &mut Cost,
    large: usize,
) -> Result<(), KeyError> {
    let n = kops.len();
    if n == 0 {
        return Ok(());
    }
    let ranked = by_invoke(kops);
    let cuts = quiescent_cuts(kops, &ranked);
    let segments = cuts.len() - 1;
    let mut search = Search::default();
    let first_step = cost.steps;
    let run = |search: &mut Search, k: usize, starts: &[State], goal: Goal, cost: &mut Cost| {
        let (lo, hi) = (cuts[k], cuts[k + 1]);
        let ids = &ranked[lo..hi];
        cost.segments += 1;
        // The steps are the key's; the memo is each segment's.
        let left = Budget {
            steps: budget.steps.saturating_sub(cost.steps - first_step),
            ..*budget
        };
        search
            .run(kops, ids, starts, goal, &left, cost)
            .map_err(|limit| {
                let span = (
                    kops[ids[0] as usize].invoke,
                    ids.iter().map(|&i| kops[i as usize].ret).max().unwrap_or(0),
                );
                KeyError::Undecided(Undecided {
                    key,
                    limit,
                    budget: *budget,
                    key_ops: n,
                    segment_ops: hi - lo,
                    span,
                })
            })
    };
    // The start states of segment `k`, whether they are all of them, and
    // the last segment whose start states were all known, with them.
    let mut k = 0;
    let mut starts = vec![initial];
    let mut complete = true;
    let mut anchor = (0, starts.clone());
    loop {
        let (lo, hi) = (cuts[k], cuts[k + 1]);
        let last = k + 1 == segments;
        let ends = candidates(kops, &ranked[lo..hi]);
        let known = ends.len().max(1);
        // One linearization: in the last segment; where it gives every end
        // state (one candidate, or no setter and one start); or, in a large
        // segment, as a first try.
        let one = known == 1 && (starts.len() == 1 || !ends.is_empty());
        let goal = if last || one || hi - lo > large {
            Goal::Any
        } else {
            cost.exact_segments += 1;
            Goal::All(if ends.is_empty() {
                starts.len()
            } else {
                ends.len()
            })
        };
        let ran = run(&mut search, k, &starts, goal, cost)?;
        if !ran.ends.is_empty() {
            if last {
                return Ok(());
            }
            let mut next = ran.ends;
            next.sort_unstable();
            next.dedup();
            complete = match goal {
                // Every candidate found: all there are, whatever the starts.
                _ if !ends.is_empty() && next == ends => true,
                // Every end state from these starts.
                Goal::All(_) => complete,
                // Nothing set the state, and it had one start: it ends so.
                _ if ends.is_empty() && starts.len() == 1 => complete,
                _ => false,
            };
            k += 1;
            starts = next;
            if complete {
                anchor = (k, starts.clone());
            }
            continue;
        }
        if !complete {
            // Some end state was missed: redo the segments since the
            // anchor for all of theirs, then this one again.
            let mut set = anchor.1.clone();
            for j in anchor.0..k {
                let ends = candidates(kops, &ranked[cuts[j]..cuts[j + 1]]);
                let enough = if ends.is_empty() {
                    set.len()
                } else {
                    ends.len()
                };
                cost.exact_segments += 1;
                set = run(&mut search, j, &set, Goal::All(enough), cost)?.ends;
                set.sort_unstable();
                set.dedup();
                debug_assert!(!set.is_empty(), "a segment passed from fewer states");
            }
            starts = set;
            complete = true;
            anchor = (k, starts.clone());
            continue;
        }
        // No linearization. The counterexample is the plain search's up
        // to the end of this segment: run it, within the same memory; if
        // that runs out, take this segment's own deepest point.
        let again = Budget {
            steps: budget.steps.saturating_add(64 * hi as u64),
            memo_bytes: budget.memo_bytes,
        };
        let deepest = match search.run(kops, &ranked[..hi], &[initial], Goal::Plain, &again, cost) {
            Ok(plain) => {
                debug_assert!(plain.ends.is_empty(), "segments disagree");
                plain.deepest
            }
            Err(_) => ran.deepest.after(lo),
        };
        return Err(KeyError::Fails(counterexample(key, kops, deepest)));
    }
}

/// The key's operations (indices into `kops`) by invoke time, ties by index:
/// the order in which the search meets their calls.
pub(super) fn by_invoke(kops: &[KeyOp]) -> Vec<u32> {
    let mut ranked: Vec<u32> = (0..kops.len() as u32).collect();
    // Projection keeps the history's order, which is invoke order for a
    // recorded history; sort only if it is not.
    if !kops.windows(2).all(|w| w[0].invoke <= w[1].invoke) {
        ranked.sort_by_key(|&i| (kops[i as usize].invoke, i));
    }
    ranked
}

/// The ranks where a segment starts, then `n`: rank `r > 0` starts one
/// when every call and return of the ops ranked before it comes strictly
/// earlier than every call and return of the ops from it on (for ops that
/// return after their call: every op before it returned before it was
/// invoked, and a tie is overlap). Then the search's list holds the earlier
/// segment's calls and returns first, and no linearization interleaves the
/// two.
pub(super) fn quiescent_cuts(kops: &[KeyOp], ranked: &[u32]) -> Vec<usize> {
    let n = ranked.len();
    let op = |r: usize| &kops[ranked[r] as usize];
    // The earliest return from each rank on (a malformed op may return
    // before its call).
    let mut earliest_ret = vec![u64::MAX; n + 1];
    for r in (0..n).rev() {
        earliest_ret[r] = earliest_ret[r + 1].min(op(r).ret);
    }
    let mut cuts = vec![0];
    let mut latest = 0;
    for (r, &earliest) in earliest_ret[..n].iter().enumerate() {
        let o = op(r);
        if r > 0 && latest < o.invoke.min(earliest) {
            cuts.push(r);
        }
        latest = latest.max(o.ret).max(o.invoke);
    }
    cuts.push(n);
    cuts
}

/// The states a linearization of the segment `ids` may end in, sorted:
/// each op either leaves the state as it was ([`read_only`]) or sets it to
/// one state whatever it was (a store, a delete, a swap, a successful
/// compare-and-swap...), so a linearization ends in the state the last of
/// the setters sets, and the last can only be one that no other setter
/// follows (invoked after it returned). Empty when no op sets the state:
/// then it ends as it started. (Completed ops only: pending ones are all
/// in the last segment, which does not ask.)
pub(super) fn candidates(kops: &[KeyOp], ids: &[u32]) -> Vec<State> {
    let sets = |o: &KeyOp| match (o.call, o.res) {
        _ if read_only(o.call, o.res) => None,
        (Call::Store(v) | Call::Swap(v) | Call::LoadOrStore(v), _) => Some(Some(v)),
        (Call::Cas(_, new), _) => Some(Some(new)),
        (Call::Delete | Call::LoadAndDelete | Call::Cad(_), _) => Some(None),
        (Call::Read, _) => None,
    };
    let setters = || {
        ids.iter()
            .map(|&i| &kops[i as usize])
            .filter(|o| sets(o).is_some())
    };
    let Some(latest_call) = setters().map(|o| o.invoke).max() else {
        return Vec::new();
    };
    let mut ends: Vec<State> = setters()
        .filter(|o| o.ret >= latest_call)
        .filter_map(sets)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends
}

#[cfg(test)]
mod tests {
    use super::{by_invoke, quiescent_cuts, search_key};
    use crate::check::linearizability::budget::{Budget, Cost};
    use crate::check::linearizability::project::project;
    use crate::check::linearizability::reference::check_key_reference;
    use crate::check::linearizability::search::KeyError;
    use crate::check::linearizability::tests::{op, pending, A};
    use crate::maps::ClearSemantics;
    use crate::op::{Op, Ret};

    #[test]
    fn segments_end_where_nothing_is_in_flight_and_never_after_a_pending_op() {
        let h = [
            op(0, 0, 5, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 1, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
            // A tie: invoked when the last one returned, so overlapping.
            op(0, 6, 7, Op::Load { key: A }, Ret::Value(Some(2))),
            op(0, 8, 9, Op::Load { key: A }, Ret::Value(Some(2))),
            pending(1, 10, Op::Delete { key: A }),
            op(0, 11, 12, Op::Load { key: A }, Ret::Value(None)),
            op(0, 13, 14, Op::Load { key: A }, Ret::Value(None)),
        ];
        let kops = &project(&h, &[], ClearSemantics::Atomic)[&A];
        assert_eq!(quiescent_cuts(kops, &by_invoke(kops)), vec![0, 3, 4, 7]);
    }

    /// Two overlapping stores end the first segment; the second segment's
    /// read says which came last. The first segment may end in either
    /// state, so it is searched for both and the read finds its own; a read
    /// of a value neither wrote fails, with the plain search's
    /// counterexample. Searched for one end state first, the same verdicts,
    /// the first segment searched again when the one found was not it.
    #[test]
    fn a_segment_that_may_end_in_several_states_passes_them_all_on() {
        for (seen, ok) in [(1, true), (2, true), (3, false)] {
            let h = [
                op(0, 0, 5, Op::Store { key: A, value: 1 }, Ret::Unit),
                op(1, 1, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
                op(0, 8, 9, Op::Load { key: A }, Ret::Value(Some(seen))),
            ];
            let kops = &project(&h, &[], ClearSemantics::Atomic)[&A];
            for large in [usize::MAX, 0] {
                let mut cost = Cost::default();
                let got = search_key(A, kops, None, &Budget::UNLIMITED, &mut cost, large);
                assert_eq!(got.is_ok(), ok, "{seen}: {got:?}");
                let redone = large == 0 && seen != 2;
                assert_eq!(
                    cost.exact_segments,
                    u64::from(large > 0 || redone),
                    "{seen}: {cost:?}"
                );
                if let Err(KeyError::Fails(e)) = got {
                    assert_eq!(Err(e), check_key_reference(A, kops, None));
                }
            }
        }
    }
}
