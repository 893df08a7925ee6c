//! The per-key search: Wing–Gong–Lowe over one key's sub-history, with a
//! memo of (linearized set, state), and the counterexample it fails with.

// Fx hashing: the memo and the projections hash small integer keys millions
// of times; SipHash's DoS resistance buys nothing here.
use rustc_hash::FxHashSet as HashSet;

use crate::maps::Key;

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
pub(super) fn check_key(key: Key, kops: &[KeyOp], initial: State) -> Result<(), Counterexample> {
    let n = kops.len();
    if n == 0 {
        return Ok(());
    }
    // Entries: 2i = call of op i, 2i+1 = its return. Calls sort before
    // returns at equal times, so equal stamps count as overlapping (fewer
    // precedence constraints: never a false alarm from a clock tie).
    let mut order: Vec<usize> = (0..2 * n).collect();
    order.sort_by_key(|&e| {
        let op = &kops[e / 2];
        if e % 2 == 0 {
            (op.invoke, 0u8, e)
        } else {
            (op.ret, 1u8, e)
        }
    });
    // Doubly linked list over positions 0..2n (sentinel at 2n).
    let head = 2 * n;
    let mut next = vec![usize::MAX; 2 * n + 1];
    let mut prev = vec![usize::MAX; 2 * n + 1];
    let mut link_prev = head;
    for &e in &order {
        next[link_prev] = e;
        prev[e] = link_prev;
        link_prev = e;
    }
    next[link_prev] = usize::MAX;

    let lift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        for x in [e, e + 1] {
            let (p, nx) = (prev[x], next[x]);
            next[p] = nx;
            if nx != usize::MAX {
                prev[nx] = p;
            }
        }
    };
    let unlift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        for x in [e + 1, e] {
            let (p, nx) = (prev[x], next[x]);
            next[p] = x;
            if nx != usize::MAX {
                prev[nx] = x;
            }
        }
    };

    let mut remaining = kops.iter().filter(|o| o.ret != u64::MAX).count();
    let mut linearized = Bits::new(n);
    let mut cache: HashSet<(Bits, State)> =
        HashSet::with_capacity_and_hasher(2 * n, Default::default());
    let mut stack: Vec<(usize, State)> = Vec::new();
    let mut state = initial;
    let mut entry = next[head];
    // The deepest point reached, for the counterexample.
    let mut deepest: (usize, usize, Vec<usize>) = (0, usize::MAX, Vec::new());

    while remaining > 0 {
        debug_assert_ne!(entry, usize::MAX, "a completed return is always ahead");
        let i = entry / 2;
        if entry % 2 == 0 {
            let op = &kops[i];
            if let Some(new_state) = step(state, op.call, op.res) {
                let mut bits = linearized.clone();
                bits.set(i);
                if cache.insert((bits, new_state)) {
                    stack.push((entry, state));
                    state = new_state;
                    linearized.set(i);
                    lift(&mut next, &mut prev, entry);
                    if op.ret != u64::MAX {
                        remaining -= 1;
                    }
                    entry = next[head];
                    continue;
                }
            }
            entry = next[entry];
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
            unlift(&mut next, &mut prev, call);
            if kops[j].ret != u64::MAX {
                remaining += 1;
            }
            entry = next[call];
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
    use crate::check::linearizability::tests::{lin, op, A};
    use crate::op::{Op, Ret};

    #[test]
    fn backtracking_finds_a_late_linearization() {
        // Three overlapping writes and a read that forces the order w2, w0, w1
        // (the reverse of invoke order for w1/w2) — the search must backtrack.
        let h = [
            op(0, 0, 20, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 1, 21, Op::Store { key: A, value: 2 }, Ret::Unit),
            op(2, 2, 22, Op::Store { key: A, value: 3 }, Ret::Unit),
            op(3, 3, 4, Op::Load { key: A }, Ret::Value(Some(3))),
            op(3, 5, 6, Op::Load { key: A }, Ret::Value(Some(1))),
            op(3, 30, 31, Op::Load { key: A }, Ret::Value(Some(2))),
        ];
        assert_eq!(lin(&h), Ok(()));
        let mut bad = h.to_vec();
        bad.push(op(3, 32, 33, Op::Load { key: A }, Ret::Value(Some(3))));
        assert!(lin(&bad).is_err());
    }
}
