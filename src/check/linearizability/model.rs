//! The sequential specification of one key: a register holding a value or
//! nothing, and what each per-key call may return from each state.

use crate::maps::Value;

/// A key's register state: its value, or absent.
pub(super) type State = Option<Value>;

/// The call part of a per-key operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Call {
    Read,
    Store(Value),
    Delete,
    LoadOrStore(Value),
    LoadAndDelete,
    Swap(Value),
    Cas(Value, Value),
    Cad(Value),
}

impl std::fmt::Display for Call {
    /// The per-key view of an op, values in hex as everywhere else.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Call::Read => write!(f, "a read"),
            Call::Store(v) => write!(f, "store({v:#x})"),
            Call::Delete => write!(f, "delete"),
            Call::LoadOrStore(v) => write!(f, "load_or_store({v:#x})"),
            Call::LoadAndDelete => write!(f, "load_and_delete"),
            Call::Swap(v) => write!(f, "swap({v:#x})"),
            Call::Cas(old, new) => write!(f, "compare_and_swap({old:#x}, {new:#x})"),
            Call::Cad(old) => write!(f, "compare_and_delete({old:#x})"),
        }
    }
}

impl std::fmt::Display for Res {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Res::Unit => write!(f, "()"),
            Res::Value(None) => write!(f, "absent"),
            Res::Value(Some(v)) => write!(f, "{v:#x}"),
            Res::LoadOrStore(v, loaded) => write!(f, "({v:#x}, loaded={loaded})"),
            Res::Bool(b) => write!(f, "{b}"),
            Res::Unknown => write!(f, "nothing (pending)"),
        }
    }
}

/// The result part; `Unknown` for a pending operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Res {
    Unit,
    Value(Option<Value>),
    LoadOrStore(Value, bool),
    Bool(bool),
    Unknown,
}

/// The sequential specification of one key: the state after `call` returning
/// `res` from `s`, or `None` if that result is impossible in state `s`.
pub(super) fn step(s: State, call: Call, res: Res) -> Option<State> {
    let known = res != Res::Unknown;
    match call {
        Call::Read => (!known || res == Res::Value(s)).then_some(s),
        Call::Store(v) => Some(Some(v)),
        Call::Delete => Some(None),
        Call::LoadOrStore(v) => {
            let expect = match s {
                Some(x) => Res::LoadOrStore(x, true),
                None => Res::LoadOrStore(v, false),
            };
            (!known || res == expect).then_some(s.or(Some(v)))
        }
        Call::LoadAndDelete => (!known || res == Res::Value(s)).then_some(None),
        Call::Swap(v) => (!known || res == Res::Value(s)).then_some(Some(v)),
        Call::Cas(old, new) => {
            let hit = s == Some(old);
            (!known || res == Res::Bool(hit)).then_some(if hit { Some(new) } else { s })
        }
        Call::Cad(old) => {
            let hit = s == Some(old);
            (!known || res == Res::Bool(hit)).then_some(if hit { None } else { s })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::linearizability::project::project;
    use crate::check::linearizability::search::check_key;
    use crate::check::linearizability::tests::op;
    use crate::maps::Key;
    use crate::op::Op;

    /// Property: on one key, the checker's sequential specification
    /// ([`step`]) is the model's ([`Model::apply`]). 2000 cases (seeds
    /// 0..2000 of ChaCha8), each a random initial state and 1..=24 random ops
    /// on one key — every single-key op, plus `Clear` and `Range` (limit 0
    /// or 1) as [`project`] turns them into a delete or a read — applied in
    /// sequence to the model and recorded as a sequential history. Op by op,
    /// `step` must accept the model's return and reach the model's state;
    /// must reach it too with the result unknown (a pending op that took
    /// effect); and must reject every other result of an op that returns
    /// something. `Store` and `Delete` return nothing: `step` does not look
    /// at their result, so only the first two are checked for them. Finally
    /// the whole sequential history must be linearizable.
    #[test]
    fn step_agrees_with_the_model_on_random_single_key_sequences() {
        use crate::check::Model;
        use rand::{Rng, SeedableRng};
        use rand_chacha::ChaCha8Rng;

        const CASES: u64 = 2000;
        const MAX_OPS: usize = 24;
        const K: Key = 3;
        // Few values, so compare-and-swap and compare-and-delete hit as
        // often as they miss.
        const VALUES: std::ops::RangeInclusive<Value> = 1..=3;
        let mut results = vec![
            Res::Unit,
            Res::Value(None),
            Res::Bool(false),
            Res::Bool(true),
        ];
        for v in VALUES {
            results.extend([
                Res::Value(Some(v)),
                Res::LoadOrStore(v, false),
                Res::LoadOrStore(v, true),
            ]);
        }

        let mut ops_checked = 0;
        for case in 0..CASES {
            let mut rng = ChaCha8Rng::seed_from_u64(case);
            let initial: State = rng.random_bool(0.5).then(|| rng.random_range(VALUES));
            let mut model = Model::new(initial.map(|v| (K, v)).into_iter().collect());
            let len = rng.random_range(1..=MAX_OPS);
            let mut history = Vec::with_capacity(len);
            let mut after: Vec<State> = Vec::with_capacity(len);
            for i in 0..len {
                let o = match rng.random_range(0..11) {
                    0 => Op::Load { key: K },
                    1 => Op::Store {
                        key: K,
                        value: rng.random_range(VALUES),
                    },
                    2 => Op::Delete { key: K },
                    3 => Op::LoadOrStore {
                        key: K,
                        value: rng.random_range(VALUES),
                    },
                    4 => Op::LoadAndDelete { key: K },
                    5 => Op::Swap {
                        key: K,
                        value: rng.random_range(VALUES),
                    },
                    6 => Op::CompareAndSwap {
                        key: K,
                        old: rng.random_range(VALUES),
                        new: rng.random_range(VALUES),
                    },
                    7 => Op::CompareAndDelete {
                        key: K,
                        old: rng.random_range(VALUES),
                    },
                    8 => Op::Clear,
                    9 => Op::Range { limit: 0 },
                    _ => Op::Range { limit: 1 },
                };
                let ret = model.apply(&o);
                after.push(model.map.get(&K).copied());
                let t = 2 * i as u64;
                history.push(op(0, t, t + 1, o, ret));
            }

            let per_key = project(&history, &[K], crate::maps::ClearSemantics::Atomic);
            assert_eq!(per_key.len(), 1, "case {case}");
            let kops = &per_key[&K];
            assert_eq!(kops.len(), len, "case {case}: one per-key op per op");
            let mut s = initial;
            for (i, kop) in kops.iter().enumerate() {
                assert_eq!(kop.origin, i, "case {case}");
                let what = format!(
                    "case {case}, op {i} ({:?} as {} returning {}) from {s:?}",
                    history[i].op, kop.call, kop.res
                );
                assert_eq!(step(s, kop.call, kop.res), Some(after[i]), "{what}");
                assert_eq!(step(s, kop.call, Res::Unknown), Some(after[i]), "{what}");
                if !matches!(kop.call, Call::Store(_) | Call::Delete) {
                    for &other in results.iter().filter(|&&r| r != kop.res) {
                        assert_eq!(
                            step(s, kop.call, other),
                            None,
                            "{what}: also accepts {other}"
                        );
                    }
                }
                s = after[i];
            }
            assert_eq!(check_key(K, kops, initial), Ok(()), "case {case}");
            ops_checked += len;
        }
        // About 12.5 ops a case: the cases are not trivially short.
        assert!(ops_checked > 20_000, "{ops_checked} ops");
    }
}
