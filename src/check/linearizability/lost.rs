//! Lost writes: what the quiescent contents say about a key's last writes,
//! and how a key whose quiescent value no linearization explains is told.

use std::collections::BTreeMap;

use crate::maps::{Key, Value};

use super::model::{Call, Res};
use super::project::{certainly_changes, written_value, KeyOp};
use super::Counterexample;

/// [`super::check_last_writes`] on a history already projected.
pub(super) fn last_writes(
    per_key: &BTreeMap<Key, Vec<KeyOp>>,
    final_state: &BTreeMap<Key, Value>,
) -> Result<(), Counterexample> {
    for (&key, kops) in per_key {
        let may_change = |o: &KeyOp| match (o.call, o.res) {
            (Call::Read, _) => false,
            (_, Res::Unknown) => true,
            _ => certainly_changes(o),
        };
        let Some(last) = kops
            .iter()
            .filter(|o| may_change(o))
            .max_by_key(|o| o.invoke)
        else {
            continue;
        };
        let certainly_last = last.ret != u64::MAX
            && kops
                .iter()
                .filter(|o| may_change(o) && !std::ptr::eq(*o, last))
                .all(|o| o.ret < last.invoke);
        let found = final_state.get(&key).copied();
        let expected = written_value(last);
        if certainly_last && found != expected {
            let show = |v: Option<Value>| v.map_or("absent".to_string(), |v| format!("{v:#x}"));
            return Err(Counterexample {
                key: Some(key),
                summary: format!(
                    "key {key}: the last write, {}, completed after every other write to the key, \
                     yet at quiescence the key is {} instead of {}",
                    last.call,
                    show(found),
                    show(expected)
                ),
                ops: vec![last.origin],
            });
        }
    }
    Ok(())
}

/// Says which writes could have been last, for a key whose quiescent value
/// no linearization explains (its final read is the last of `kops`).
pub(super) fn describe_lost(
    key: Key,
    kops: &[KeyOp],
    found: Option<Value>,
    mut e: Counterexample,
) -> Counterexample {
    let real = |o: &&KeyOp| o.origin != usize::MAX;
    let could_be_last: Vec<String> = kops
        .iter()
        .filter(real)
        .filter(|o| o.ret != u64::MAX && certainly_changes(o))
        .filter(|w| {
            !kops
                .iter()
                .filter(real)
                .any(|o| certainly_changes(o) && o.invoke > w.ret)
        })
        .map(|w| match written_value(w) {
            Some(v) => format!("{v:#x}"),
            None => "absent".into(),
        })
        .collect();
    e.ops.retain(|&i| i != usize::MAX);
    let shown = |v: Option<Value>| v.map_or("absent".to_string(), |v| format!("{v:#x}"));
    let now = match found {
        Some(v) => format!("holds {v:#x}"),
        None => "is absent".into(),
    };
    e.summary = if could_be_last.contains(&shown(found)) {
        // The value is one a last write could have left: what rules it out
        // is what the other ops returned, not the writes alone.
        format!(
            "key {key}: at quiescence it {now}, a value one of the writes that could have come last ({}) leaves, \
             but no order of the key's ops that agrees with what each of them returned ends with it",
            could_be_last.join(" or ")
        )
    } else {
        format!(
            "key {key}: at quiescence it {now}, but the writes that could have come last leave {}",
            if could_be_last.is_empty() {
                "it as it was".to_string()
            } else {
                could_be_last.join(" or ")
            }
        )
    };
    e
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::check::linearizability::tests::{none, op, pending, A, B};
    use crate::check::linearizability::{check_final, check_last_writes};
    use crate::maps::{Key, Value};
    use crate::op::{Op, Ret};

    #[test]
    fn a_write_missing_at_quiescence_is_a_lost_write() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 0, 2, Op::Store { key: B, value: 2 }, Ret::Unit),
        ];
        let good: BTreeMap<Key, Value> = [(A, 1), (B, 2)].into();
        assert_eq!(check_final(&h, &none, &good, &[]), Ok(()));
        let lost: BTreeMap<Key, Value> = [(A, 1)].into();
        let e = check_final(&h, &none, &lost, &[]).unwrap_err();
        assert_eq!(e.key, Some(B));
        assert!(
            e.summary.contains("is absent") && e.summary.contains("0x2"),
            "{}",
            e.summary
        );
        // A prefilled key that nobody touched must still be there.
        let init = |k: Key| (k == 9).then_some(90);
        assert!(check_final(&h, &init, &good, &[9]).is_err());
        let mut kept = good.clone();
        kept.insert(9, 90);
        assert_eq!(check_final(&h, &init, &kept, &[9]), Ok(()));
    }

    /// The final value is one a last write could have left, but a read
    /// after both writes saw the other: the message must not say the key
    /// "holds X but the writes left X or Y".
    #[test]
    fn a_final_value_ruled_out_by_a_read_says_so_without_contradiction() {
        let h = [
            op(0, 1, 10, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 2, 11, Op::Store { key: A, value: 2 }, Ret::Unit),
            op(0, 12, 13, Op::Load { key: A }, Ret::Value(Some(1))),
        ];
        let f: BTreeMap<Key, Value> = [(A, 2)].into();
        let e = check_final(&h, &none, &f, &[]).unwrap_err();
        assert!(e.summary.contains("it holds 0x2, a value one of the writes that could have come last (0x1 or 0x2) leaves"), "{}", e.summary);
        assert!(
            e.summary.contains("no order of the key's ops"),
            "{}",
            e.summary
        );
        // A value no last write leaves says which ones they leave.
        let f: BTreeMap<Key, Value> = [(A, 3)].into();
        let e = check_final(&h, &none, &f, &[]).unwrap_err();
        assert!(
            e.summary
                .ends_with("holds 0x3, but the writes that could have come last leave 0x1 or 0x2"),
            "{}",
            e.summary
        );
    }

    #[test]
    fn overlapping_final_writes_may_end_either_way() {
        let h = [
            op(0, 0, 5, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 1, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
        ];
        for v in [1, 2] {
            let f: BTreeMap<Key, Value> = [(A, v)].into();
            assert_eq!(check_final(&h, &none, &f, &[]), Ok(()));
        }
    }
    #[test]
    fn a_last_write_missing_at_quiescence_is_named() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 2, 3, Op::Store { key: A, value: 2 }, Ret::Unit),
            op(1, 4, 5, Op::Load { key: A }, Ret::Value(Some(1))),
        ];
        let lost: BTreeMap<Key, Value> = [(A, 1)].into();
        let e = check_last_writes(&h, &lost, &[]).unwrap_err();
        assert_eq!(e.ops, vec![1]);
        assert!(e.summary.contains("0x1 instead of 0x2"), "{}", e.summary);
        let kept: BTreeMap<Key, Value> = [(A, 2)].into();
        assert_eq!(check_last_writes(&h, &kept, &[]), Ok(()));
        // Overlapping last writes: either may be last, so no verdict here.
        let overlap = [
            op(0, 0, 5, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 1, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
        ];
        assert_eq!(check_last_writes(&overlap, &lost, &[]), Ok(()));
        // A pending write may still land: no verdict either.
        let pending_after = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            pending(1, 2, Op::Delete { key: A }),
        ];
        assert_eq!(
            check_last_writes(&pending_after, &BTreeMap::new(), &[]),
            Ok(())
        );
    }
}
