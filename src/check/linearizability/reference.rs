//! The search as it was before its memo was made canonical: a bit set over
//! every operation of the key, no segments. Kept as the reference the
//! search must agree with, verdict and counterexample, on random histories.

use rustc_hash::FxHashSet as HashSet;

use crate::maps::Key;

use super::entries::{Entries, END};
use super::model::{step, State};
use super::project::KeyOp;
use super::Counterexample;

/// A fixed-size bit set: the set of linearized operations of one key.
/// Inline up to 128 operations (most keys of most histories), so the memo's
/// keys cost no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Bits {
    Small(u128),
    Large(Box<[u64]>),
}

impl Bits {
    fn new(n: usize) -> Self {
        if n <= 128 {
            Bits::Small(0)
        } else {
            Bits::Large(vec![0; n.div_ceil(64)].into_boxed_slice())
        }
    }
    fn set(&mut self, i: usize) {
        match self {
            Bits::Small(b) => *b |= 1 << i,
            Bits::Large(b) => b[i / 64] |= 1 << (i % 64),
        }
    }
    fn clear(&mut self, i: usize) {
        match self {
            Bits::Small(b) => *b &= !(1 << i),
            Bits::Large(b) => b[i / 64] &= !(1 << (i % 64)),
        }
    }
}

/// Wing–Gong–Lowe search over one key's sub-history.
pub(super) fn check_key_reference(
    key: Key,
    kops: &[KeyOp],
    initial: State,
) -> Result<(), Counterexample> {
    let n = kops.len();
    if n == 0 {
        return Ok(());
    }
    let mut list = Entries::new(n, |i| (kops[i].invoke, kops[i].ret));
    let mut remaining = kops.iter().filter(|o| o.ret != u64::MAX).count();
    let mut linearized = Bits::new(n);
    let mut cache: HashSet<(Bits, State)> =
        HashSet::with_capacity_and_hasher(2 * n, Default::default());
    let mut stack: Vec<(usize, State)> = Vec::new();
    let mut state = initial;
    let mut entry = list.first();
    // The deepest point reached, for the counterexample.
    let mut deepest: (usize, usize, Vec<usize>) = (0, usize::MAX, Vec::new());

    while remaining > 0 {
        debug_assert_ne!(entry, END, "a completed return is always ahead");
        let i = entry / 2;
        if entry.is_multiple_of(2) {
            let op = &kops[i];
            if let Some(new_state) = step(state, op.call, op.res) {
                let mut bits = linearized.clone();
                bits.set(i);
                if cache.insert((bits, new_state)) {
                    stack.push((entry, state));
                    state = new_state;
                    linearized.set(i);
                    list.lift(entry);
                    if op.ret != u64::MAX {
                        remaining -= 1;
                    }
                    entry = list.first();
                    continue;
                }
            }
            entry = list.after(entry);
        } else {
            if stack.len() >= deepest.0 {
                deepest = (stack.len(), i, stack.iter().map(|(e, _)| e / 2).collect());
            }
            let Some((call, s)) = stack.pop() else {
                return Err(counterexample(key, kops, initial, deepest));
            };
            let j = call / 2;
            state = s;
            linearized.clear(j);
            list.unlift(call);
            if kops[j].ret != u64::MAX {
                remaining += 1;
            }
            entry = list.after(call);
        }
    }
    Ok(())
}

/// Describes the deepest failure: the op that could not be placed, the
/// linearization before it, and the ops overlapping it.
fn counterexample(
    key: Key,
    kops: &[KeyOp],
    initial: State,
    (_, stuck, prefix): (usize, usize, Vec<usize>),
) -> Counterexample {
    let stuck_op = &kops[stuck.min(kops.len() - 1)];
    let state = prefix
        .iter()
        .try_fold(initial, |s, &i| step(s, kops[i].call, kops[i].res))
        .flatten();
    let overlapping: Vec<usize> = kops
        .iter()
        .filter(|o| o.invoke <= stuck_op.ret && stuck_op.invoke <= o.ret)
        .map(|o| o.origin)
        .collect();
    let mut involved: Vec<usize> = prefix
        .iter()
        .rev()
        .take(3)
        .map(|&i| kops[i].origin)
        .collect();
    involved.extend(overlapping);
    involved.sort_unstable();
    involved.dedup();
    Counterexample {
        key: Some(key),
        summary: format!(
            "key {key}: {} returning {} cannot be placed after {} earlier op(s) (value then {})",
            stuck_op.call,
            stuck_op.res,
            prefix.len(),
            match state {
                Some(v) => format!("{v:#x}"),
                None => "absent".into(),
            }
        ),
        ops: involved,
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::check_key_reference;
    use crate::check::linearizability::budget::{Budget, Cost};
    use crate::check::linearizability::model::{Call, Res, State};
    use crate::check::linearizability::project::KeyOp;
    use crate::check::linearizability::search::{check_key, KeyError};
    use crate::check::linearizability::segments::search_key;
    use crate::check::linearizability::Counterexample;
    use crate::maps::{Key, Value};

    const K: Key = 5;
    /// Few values, so compare-and-swap and compare-and-delete hit as often
    /// as they miss, and reads can be explained several ways.
    const VALUES: std::ops::RangeInclusive<Value> = 1..=3;

    fn random_call(rng: &mut ChaCha8Rng) -> Call {
        let v = |rng: &mut ChaCha8Rng| rng.random_range(VALUES);
        match rng.random_range(0..8) {
            0 => Call::Read,
            1 => Call::Store(v(rng)),
            2 => Call::Delete,
            3 => Call::LoadOrStore(v(rng)),
            4 => Call::LoadAndDelete,
            5 => Call::Swap(v(rng)),
            6 => Call::Cas(v(rng), v(rng)),
            _ => Call::Cad(v(rng)),
        }
    }

    /// What `call` returns from `s`, and the state after it.
    fn apply(s: State, call: Call) -> (Res, State) {
        match call {
            Call::Read => (Res::Value(s), s),
            Call::Store(v) => (Res::Unit, Some(v)),
            Call::Delete => (Res::Unit, None),
            Call::LoadOrStore(v) => match s {
                Some(x) => (Res::LoadOrStore(x, true), s),
                None => (Res::LoadOrStore(v, false), Some(v)),
            },
            Call::LoadAndDelete => (Res::Value(s), None),
            Call::Swap(v) => (Res::Value(s), Some(v)),
            Call::Cas(old, new) => {
                let hit = s == Some(old);
                (Res::Bool(hit), if hit { Some(new) } else { s })
            }
            Call::Cad(old) => {
                let hit = s == Some(old);
                (Res::Bool(hit), if hit { None } else { s })
            }
        }
    }

    /// A result of the same shape as `res`, drawn at random (possibly the same).
    fn other_result(rng: &mut ChaCha8Rng, res: Res) -> Res {
        let v = |rng: &mut ChaCha8Rng| rng.random_bool(0.8).then(|| rng.random_range(VALUES));
        match res {
            Res::Value(_) => Res::Value(v(rng)),
            Res::LoadOrStore(..) => {
                Res::LoadOrStore(rng.random_range(VALUES), rng.random_bool(0.5))
            }
            Res::Bool(b) => Res::Bool(!b),
            r => r,
        }
    }

    /// A random history of one key, with its initial state. Intervals come
    /// in bursts separated by quiet gaps (so there are segments), on a
    /// coarse clock (so there are ties); some ops are pending. Results come
    /// from applying the ops in the order of random instants within their
    /// intervals (a pending op takes effect or not), so the history is
    /// linearizable — unless `corrupt` then changes one completed result.
    /// `wide` adds one long op that overlaps every other.
    fn history(
        rng: &mut ChaCha8Rng,
        n: usize,
        pending: f64,
        malformed: f64,
        wide: bool,
        corrupt: bool,
    ) -> (Vec<KeyOp>, State) {
        let initial: State = rng.random_bool(0.5).then(|| rng.random_range(VALUES));
        let mut t = 0u64;
        let mut ops: Vec<KeyOp> = (0..n)
            .map(|i| {
                if rng.random_bool(0.3) {
                    t += rng.random_range(1..10); // a quiet gap, maybe
                }
                let invoke = t + rng.random_range(0..3);
                let ret = if rng.random_bool(pending) {
                    u64::MAX
                } else if invoke > 0 && rng.random_bool(malformed) {
                    invoke - 1 // malformed: returns before its call
                } else {
                    invoke + rng.random_range(0..6)
                };
                let call = random_call(rng);
                KeyOp {
                    call,
                    res: apply(initial, call).0,
                    invoke,
                    ret,
                    origin: i,
                }
            })
            .collect();
        if wide {
            let end = ops.iter().map(|o| o.invoke).max().unwrap_or(0) + 1;
            ops.push(KeyOp {
                call: Call::Store(rng.random_range(VALUES)),
                res: Res::Unit,
                invoke: 0,
                ret: end,
                origin: n,
            });
        }
        // The ops take effect at random instants within their intervals.
        let mut at: Vec<(u64, usize)> = Vec::new();
        for (i, o) in ops.iter().enumerate() {
            if o.ret < o.invoke {
                continue; // never linearizable: its result stays as it is
            }
            let until = if o.ret == u64::MAX {
                if rng.random_bool(0.5) {
                    continue; // never takes effect
                }
                o.invoke + 8
            } else {
                o.ret
            };
            at.push((rng.random_range(o.invoke..=until), i));
        }
        at.sort_unstable();
        let mut s = initial;
        for (_, i) in at {
            let (res, next) = apply(s, ops[i].call);
            ops[i].res = res;
            s = next;
        }
        for o in ops.iter_mut().filter(|o| o.ret == u64::MAX) {
            o.res = Res::Unknown;
        }
        if corrupt {
            let completed: Vec<usize> =
                (0..ops.len()).filter(|&i| ops[i].ret != u64::MAX).collect();
            if !completed.is_empty() {
                let i = completed[rng.random_range(0..completed.len())];
                ops[i].res = other_result(rng, ops[i].res);
            }
        }
        // Projection keeps the history's order: shuffle sometimes, so the
        // search cannot count on invoke order.
        if rng.random_bool(0.2) {
            for i in (1..ops.len()).rev() {
                ops.swap(i, rng.random_range(0..=i));
            }
        }
        (ops, initial)
    }

    /// The search of [`search_key`], with every segment that may end in
    /// more than one state searched for all of them (`large` = MAX) or
    /// for one first (`large` = 0).
    fn search(
        ops: &[KeyOp],
        initial: State,
        large: usize,
        cost: &mut Cost,
    ) -> Result<(), Counterexample> {
        search_key(K, ops, initial, &Budget::UNLIMITED, cost, large).map_err(|e| match e {
            KeyError::Fails(c) => c,
            KeyError::Undecided(u) => panic!("{u:?}"),
        })
    }

    /// Property: on 20,000 random one-key histories (seeds 0..20000 of
    /// ChaCha8; 1 to 14 ops, a tenth of them pending and a hundredth
    /// returning before their call; every fourth with a long op overlapping
    /// all others; half of them with one result changed, most of those not
    /// linearizable), the search and the reference agree exactly — the
    /// same verdict, and on failure the same counterexample — whether
    /// segments with several possible end states are searched for all of
    /// them at once or for one first.
    #[test]
    fn the_search_agrees_with_the_reference_on_random_histories() {
        let (mut passed, mut failed, mut segmented, mut all, mut redone) = (0, 0, 0, 0, 0);
        for case in 0..20_000u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(case);
            let n = rng.random_range(1..=14);
            let (ops, initial) = history(&mut rng, n, 0.1, 0.01, case % 4 == 0, case % 2 == 1);
            let want = check_key_reference(K, &ops, initial);
            let mut cost = Cost::default();
            let got = search(&ops, initial, usize::MAX, &mut cost);
            assert_eq!(got, want, "case {case}: {ops:#?} from {initial:?}");
            all += u32::from(cost.exact_segments > 0);
            segmented += u32::from(cost.segments > 1);
            let mut cost = Cost::default();
            let got = search(&ops, initial, 0, &mut cost);
            assert_eq!(
                got, want,
                "case {case}, one end state first: {ops:#?} from {initial:?}"
            );
            redone += u32::from(cost.exact_segments > 0);
            if want.is_ok() {
                passed += 1;
            } else {
                failed += 1;
            }
        }
        // Both verdicts, segments, and both ways of finding end states are
        // well represented.
        assert!(
            passed > 2000 && failed > 1000,
            "{passed} passed, {failed} failed"
        );
        assert!(segmented > 1500, "{segmented} cases with several segments");
        assert!(
            all > 300 && redone > 300,
            "{all} searched for all end states, {redone} redone"
        );
    }

    /// The same (the search as [`check_key`] runs it, and both ways of
    /// finding end states) on longer histories (40 ops), every third followed by 70
    /// pending reads and a completed read with an unknown result: pending
    /// bits over several words (anywhere else, so many pending ops would
    /// make the search try every subset of them on backtracking).
    #[test]
    fn the_search_agrees_with_the_reference_on_longer_histories_and_many_pending_ops() {
        for case in 0..300u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(case);
            let (mut ops, initial) = history(&mut rng, 40, 0.05, 0.0, false, case % 2 == 1);
            if case % 3 == 0 {
                let end = ops.iter().map(|o| o.ret).filter(|&r| r != u64::MAX).max();
                let t = end.unwrap_or(0) + 1;
                for j in 0..70 {
                    ops.push(KeyOp {
                        call: Call::Read,
                        res: Res::Unknown,
                        invoke: t + j,
                        ret: u64::MAX,
                        origin: 1000 + j as usize,
                    });
                }
                ops.push(KeyOp {
                    call: Call::Read,
                    res: Res::Unknown,
                    invoke: t + 100,
                    ret: t + 101,
                    origin: 2000,
                });
            }
            let want = check_key_reference(K, &ops, initial);
            assert_eq!(check_key(K, &ops, initial), want, "case {case}");
            for large in [0, usize::MAX] {
                let got = search(&ops, initial, large, &mut Cost::default());
                assert_eq!(got, want, "case {case}, large {large}");
            }
        }
    }
}
