//! Histories through the public entry points, and the helpers that build
//! them for the tests beside each part of the checker.

use super::*;
use crate::maps::Throw;
use crate::op::{Op, Ret};

/// A completed operation on thread `t` over `[invoke, ret]`.
pub(super) fn op(t: u32, invoke: u64, ret: u64, op: Op, r: Ret) -> Operation {
    Operation {
        thread: t,
        index: invoke as u32,
        op,
        invoke,
        ret: Some((ret, r)),
    }
}
pub(super) fn pending(t: u32, invoke: u64, op: Op) -> Operation {
    Operation {
        thread: t,
        index: invoke as u32,
        op,
        invoke,
        ret: None,
    }
}
pub(super) fn none(_: Key) -> Option<Value> {
    None
}
pub(super) fn lin(ops: &[Operation]) -> Result<(), Counterexample> {
    check(ops, RangeSemantics::Snapshot, &none, &[])
}
pub(super) const A: Key = 1;
pub(super) const B: Key = 2;

#[test]
fn sequential_history_is_accepted() {
    let h = [
        op(0, 0, 1, Op::Store { key: A, value: 10 }, Ret::Unit),
        op(0, 2, 3, Op::Load { key: A }, Ret::Value(Some(10))),
        op(
            0,
            4,
            5,
            Op::Swap { key: A, value: 11 },
            Ret::Value(Some(10)),
        ),
        op(
            0,
            6,
            7,
            Op::CompareAndSwap {
                key: A,
                old: 11,
                new: 12,
            },
            Ret::Bool(true),
        ),
        op(
            0,
            8,
            9,
            Op::LoadOrStore { key: A, value: 13 },
            Ret::LoadOrStore {
                actual: 12,
                loaded: true,
            },
        ),
        op(
            0,
            10,
            11,
            Op::CompareAndDelete { key: A, old: 12 },
            Ret::Bool(true),
        ),
        op(0, 12, 13, Op::LoadAndDelete { key: A }, Ret::Value(None)),
        op(
            0,
            14,
            15,
            Op::LoadOrStore { key: A, value: 14 },
            Ret::LoadOrStore {
                actual: 14,
                loaded: false,
            },
        ),
    ];
    assert_eq!(lin(&h), Ok(()));
}

#[test]
fn a_value_nobody_wrote_is_rejected() {
    let h = [op(0, 0, 1, Op::Load { key: A }, Ret::Value(Some(99)))];
    let e = lin(&h).unwrap_err();
    assert_eq!(e.key, Some(A));
    assert_eq!(e.ops, vec![0]);
}

#[test]
fn a_stale_read_after_a_completed_write_is_rejected() {
    let h = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(0, 2, 3, Op::Store { key: A, value: 2 }, Ret::Unit),
        op(1, 4, 5, Op::Load { key: A }, Ret::Value(Some(1))),
    ];
    assert!(lin(&h).is_err());
}

#[test]
fn overlapping_operations_may_take_effect_in_either_order() {
    // The load overlaps the store: it may see the old or the new value.
    for seen in [None, Some(1)] {
        let h = [
            op(0, 0, 10, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 2, 3, Op::Load { key: A }, Ret::Value(seen)),
        ];
        assert_eq!(lin(&h), Ok(()), "{seen:?}");
    }
}

#[test]
fn new_then_old_inversion_is_rejected() {
    // Two sequential reads during one store: new value, then old value.
    let h = [
        op(0, 0, 10, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(1, 2, 3, Op::Load { key: A }, Ret::Value(Some(1))),
        op(1, 4, 5, Op::Load { key: A }, Ret::Value(None)),
    ];
    let e = lin(&h).unwrap_err();
    assert!(e.ops.contains(&2), "{e:?}");
}

#[test]
fn check_then_act_load_or_store_is_rejected() {
    // Both callers "stored" a different value for the same fresh key.
    let h = [
        op(
            0,
            0,
            10,
            Op::LoadOrStore { key: A, value: 1 },
            Ret::LoadOrStore {
                actual: 1,
                loaded: false,
            },
        ),
        op(
            1,
            1,
            11,
            Op::LoadOrStore { key: A, value: 2 },
            Ret::LoadOrStore {
                actual: 2,
                loaded: false,
            },
        ),
    ];
    assert!(lin(&h).is_err());
    // One of them seeing the other's value is fine.
    let ok = [
        op(
            0,
            0,
            10,
            Op::LoadOrStore { key: A, value: 1 },
            Ret::LoadOrStore {
                actual: 1,
                loaded: false,
            },
        ),
        op(
            1,
            1,
            11,
            Op::LoadOrStore { key: A, value: 2 },
            Ret::LoadOrStore {
                actual: 1,
                loaded: true,
            },
        ),
    ];
    assert_eq!(lin(&ok), Ok(()));
}

#[test]
fn split_swap_returning_the_same_previous_twice_is_rejected() {
    let h = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(1, 2, 10, Op::Swap { key: A, value: 2 }, Ret::Value(Some(1))),
        op(2, 3, 11, Op::Swap { key: A, value: 3 }, Ret::Value(Some(1))),
    ];
    assert!(lin(&h).is_err());
}

#[test]
fn pending_writes_may_or_may_not_take_effect() {
    for seen in [None, Some(1)] {
        let h = [
            pending(0, 0, Op::Store { key: A, value: 1 }),
            op(1, 5, 6, Op::Load { key: A }, Ret::Value(seen)),
        ];
        assert_eq!(lin(&h), Ok(()), "{seen:?}");
    }
    // A throw is pending too: its effect is unknown.
    let thrown = [
        op(
            0,
            0,
            1,
            Op::Store { key: A, value: 1 },
            Ret::Throw(Throw::ConcurrentMapWrites),
        ),
        op(1, 5, 6, Op::Load { key: A }, Ret::Value(Some(1))),
    ];
    assert_eq!(lin(&thrown), Ok(()));
    // But it cannot take effect before it was invoked.
    let early = [
        op(1, 0, 1, Op::Load { key: A }, Ret::Value(Some(1))),
        pending(0, 5, Op::Store { key: A, value: 1 }),
    ];
    assert!(lin(&early).is_err());
}

#[test]
fn clear_is_a_delete_of_every_key() {
    let base = vec![
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(0, 2, 3, Op::Clear, Ret::Unit),
    ];
    let mut ok = base.clone();
    ok.push(op(1, 4, 5, Op::Load { key: A }, Ret::Value(None)));
    assert_eq!(lin(&ok), Ok(()));
    let mut bad = base;
    bad.push(op(1, 4, 5, Op::Load { key: A }, Ret::Value(Some(1))));
    assert!(lin(&bad).is_err());
}

#[test]
fn a_complete_range_that_misses_a_present_key_is_rejected() {
    let h = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(0, 2, 3, Op::Store { key: B, value: 2 }, Ret::Unit),
        op(1, 4, 5, Op::Range { limit: 0 }, Ret::Entries(vec![(B, 2)])),
    ];
    assert!(lin(&h).is_err());
    // A range that stopped early says nothing about the keys it did not reach.
    let early = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(0, 2, 3, Op::Store { key: B, value: 2 }, Ret::Unit),
        op(1, 4, 5, Op::Range { limit: 1 }, Ret::Entries(vec![(B, 2)])),
    ];
    assert_eq!(lin(&early), Ok(()));
}

#[test]
fn initial_values_come_from_the_prefill() {
    let h = [op(0, 0, 1, Op::Load { key: A }, Ret::Value(Some(7)))];
    assert_eq!(
        check(
            &h,
            RangeSemantics::Snapshot,
            &|k| (k == A).then_some(7),
            &[A]
        ),
        Ok(())
    );
    assert!(lin(&h).is_err());
}

#[test]
fn clear_and_complete_ranges_speak_of_prefilled_keys_nobody_names() {
    // Key 9 is prefilled and never named by a single-key op: a clear
    // still removes it, and a complete range that misses it after the
    // clear is right (a regression: the projection once ignored it).
    let init = |k: Key| (k == 9).then_some(90);
    let h = [
        op(0, 0, 1, Op::Clear, Ret::Unit),
        op(0, 2, 3, Op::Range { limit: 0 }, Ret::Entries(vec![])),
    ];
    assert_eq!(check(&h, RangeSemantics::Snapshot, &init, &[9]), Ok(()));
    assert_eq!(check_final(&h, &init, &BTreeMap::new(), &[9]), Ok(()));
    // Before any clear, a complete range must see it.
    let early = [op(0, 0, 1, Op::Range { limit: 0 }, Ret::Entries(vec![]))];
    assert!(check(&early, RangeSemantics::Snapshot, &init, &[9]).is_err());
}

/// `check_all` under `clear` semantics, with nothing prefilled.
fn lin_clearing(ops: &[Operation], clear: ClearSemantics) -> bool {
    let sem = Semantics {
        range: RangeSemantics::WeakConsistent,
        clear,
        ..Semantics::default()
    };
    check_all(ops, sem, &none, &[], None).is_ok()
}

#[test]
fn a_best_effort_clear_may_delete_a_key_again_after_a_write_during_it() {
    // papaya's clear, meeting a resize, sweeps the new table too: within
    // one clear, A is read, found absent, written, read, and absent again.
    let h = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(1, 2, 20, Op::Clear, Ret::Unit),
        op(0, 3, 4, Op::Load { key: A }, Ret::Value(None)),
        op(0, 5, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
        op(0, 7, 8, Op::Load { key: A }, Ret::Value(Some(2))),
        op(0, 9, 10, Op::Load { key: A }, Ret::Value(None)),
    ];
    assert!(lin_clearing(&h, ClearSemantics::BestEffort));
    assert!(!lin_clearing(&h, ClearSemantics::PerKey));
}

#[test]
fn a_best_effort_clear_still_deletes_what_nobody_writes_during_it() {
    // No write overlaps the clear: A must be gone after it.
    let h = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(1, 2, 5, Op::Clear, Ret::Unit),
        op(0, 6, 7, Op::Load { key: A }, Ret::Value(Some(1))),
    ];
    assert!(!lin_clearing(&h, ClearSemantics::BestEffort));
    // A write during it may land behind the sweep and survive...
    let survives = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(1, 2, 5, Op::Clear, Ret::Unit),
        op(0, 3, 4, Op::Store { key: A, value: 2 }, Ret::Unit),
        op(0, 6, 7, Op::Load { key: A }, Ret::Value(Some(2))),
    ];
    assert!(lin_clearing(&survives, ClearSemantics::BestEffort));
    // ...but one write gives one more delete, not a resurrection of the
    // value the clear found.
    let resurrected = [
        op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
        op(1, 2, 9, Op::Clear, Ret::Unit),
        op(0, 3, 4, Op::Load { key: A }, Ret::Value(None)),
        op(0, 5, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
        op(0, 7, 8, Op::Load { key: A }, Ret::Value(Some(1))),
    ];
    assert!(!lin_clearing(&resurrected, ClearSemantics::BestEffort));
}

#[test]
fn a_best_effort_clear_over_many_writes_is_decided_in_few_steps() {
    // Twelve writes from two threads during one long clear: 13 deletes of
    // A, all alike. A last read of a value nobody wrote makes the search
    // try everything: taken in one order only, the deletes keep that
    // small; in every order it would not fit the budget below.
    let mut h = vec![op(2, 1, 1_000, Op::Clear, Ret::Unit)];
    for i in 0..12u64 {
        let t = 10 + 3 * i;
        h.push(op(
            (i % 2) as u32,
            t,
            t + 4,
            Op::Store { key: A, value: i },
            Ret::Unit,
        ));
    }
    h.push(op(0, 200, 201, Op::Load { key: A }, Ret::Value(Some(99))));
    let sem = Semantics {
        range: RangeSemantics::WeakConsistent,
        clear: ClearSemantics::BestEffort,
        ..Semantics::default()
    };
    let small = Budget {
        steps: 200_000,
        ..Budget::default()
    };
    let got = check_all_within(&h, sem, &none, &[], None, &small);
    assert!(got.is_err(), "{got:?}");
}
