//! Snapshot ranges: for backends whose `Range` is a snapshot, one instant
//! within each complete `Range` at which every value it returned was current.

use std::collections::BTreeMap;

// Fx hashing: the memo and the projections hash small integer keys millions
// of times; SipHash's DoS resistance buys nothing here.
use rustc_hash::FxHashMap as HashMap;

use crate::history::Operation;
use crate::maps::{Key, Value};
use crate::op::{Op, Ret};

use super::project::{certainly_changes, written_value, KeyOp};
use super::Counterexample;

/// For snapshot backends: every complete `Range` must have one instant
/// within its call at which each value it returned was current.
///
/// For each visited `(k, v)`, `v` can only be current from its write's
/// invoke (or 0 for the initial value) until the latest return among the
/// writes of `k` that certainly follow that write (invoked after it
/// returned, and certainly changing the value). Intersecting these windows
/// with the range's own interval must leave an instant. The windows
/// over-approximate, so an empty intersection is a certain violation.
pub(super) fn check_snapshot_ranges(
    ops: &[Operation],
    per_key: &BTreeMap<Key, Vec<KeyOp>>,
    initial: &dyn Fn(Key) -> Option<Value>,
) -> Result<(), Counterexample> {
    // For each (key, value): when it was written and until when it can
    // have stayed current (the earliest return among the key's certain
    // changers invoked after the write returned: a suffix minimum over the
    // changers sorted by invoke).
    let mut window: HashMap<(Key, Value), (u64, u64, usize)> = HashMap::default();
    for (&k, kops) in per_key {
        let mut changers: Vec<(u64, u64)> = kops
            .iter()
            .filter(|o| certainly_changes(o))
            .map(|o| (o.invoke, o.ret))
            .collect();
        changers.sort_unstable();
        let mut suffix_min = vec![u64::MAX; changers.len() + 1];
        for i in (0..changers.len()).rev() {
            suffix_min[i] = suffix_min[i + 1].min(changers[i].1);
        }
        let until = |after: u64| suffix_min[changers.partition_point(|c| c.0 <= after)];
        for o in kops {
            if let Some(v) = written_value(o) {
                window.insert((k, v), (o.invoke, until(o.ret), o.origin));
            }
        }
        if let Some(v) = initial(k) {
            window.entry((k, v)).or_insert((0, until(0), usize::MAX));
        }
    }
    for (ri, r) in ops.iter().enumerate() {
        let (Op::Range { .. }, Some((ret, Ret::Entries(es)))) = (&r.op, &r.ret) else {
            continue;
        };
        let (mut lo, mut hi) = (r.invoke, *ret);
        let mut involved = vec![ri];
        for &(k, v) in es {
            // A value nobody wrote is the per-key check's to report.
            let Some(&(from, until, origin)) = window.get(&(k, v)) else {
                continue;
            };
            if from > lo {
                lo = from;
                if origin != usize::MAX {
                    involved.push(origin);
                }
            }
            hi = hi.min(until);
        }
        if lo > hi {
            involved.sort_unstable();
            involved.dedup();
            return Err(Counterexample {
                key: None,
                summary: format!(
                    "range returned {} entries that were never all current at one instant",
                    es.len()
                ),
                ops: involved,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::check::linearizability::check;
    use crate::check::linearizability::tests::{none, op, A, B};
    use crate::maps::RangeSemantics;
    use crate::op::{Op, Ret};

    #[test]
    fn sync_map_range_allowed_by_go_is_rejected_only_as_a_snapshot() {
        // a=1 is deleted before b=2 is stored, both during one Range that
        // reports a=1 and b=2: Go documents this for sync.Map.Range ("any
        // mapping for that key from any point during the Range call"), but no
        // single instant had both.
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(
                1,
                2,
                10,
                Op::Range { limit: 0 },
                Ret::Entries(vec![(A, 1), (B, 2)]),
            ),
            op(0, 3, 4, Op::Delete { key: A }, Ret::Unit),
            op(0, 5, 6, Op::Store { key: B, value: 2 }, Ret::Unit),
        ];
        assert_eq!(
            check(&h, RangeSemantics::WeakConsistent, &none, &[]),
            Ok(())
        );
        let e = check(&h, RangeSemantics::Snapshot, &none, &[]).unwrap_err();
        assert_eq!(e.key, None);
        assert!(e.ops.contains(&1), "{e:?}");
    }
}
