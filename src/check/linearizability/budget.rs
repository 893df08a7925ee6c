//! The per-key search's budget, what it reports when the budget runs out,
//! and what it cost.

use crate::maps::Key;

/// How much one key's search may spend before the key is [`Undecided`].
///
/// The default, 50,000,000 steps a key and 256 MiB of memo a segment, is
/// about 5 s of one core (100–130 ns a step where the memo is large) and
/// stays under 1 GiB with the history. Measured against what recorded runs
/// need: a 1,000,000-op stress history of 8 threads over 4 keys (250,000
/// ops a key) takes about 1,000,000 steps a key and at most 13 MiB of memo
/// (`benches/checker_scale.rs`); a synthetic key of 32,000 ops that never
/// rests, about 45 steps and 650 bytes of memo an op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Search steps (a call tried, a return met), over all of a key's
    /// segments.
    pub steps: u64,
    /// Bytes the memo may allocate (its table and its arena of entries),
    /// in any one segment: the memo is emptied between segments. While it
    /// grows, the old table or arena lives until the copy is done.
    pub memo_bytes: usize,
}

impl Budget {
    /// No limit: every key is decided, however long it takes.
    pub const UNLIMITED: Budget = Budget {
        steps: u64::MAX,
        memo_bytes: usize::MAX,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            steps: 50_000_000,
            memo_bytes: 256 << 20,
        }
    }
}

/// Which part of a [`Budget`] ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// [`Budget::steps`].
    Steps,
    /// [`Budget::memo_bytes`].
    MemoBytes,
}

/// A key whose search ran out of its budget: neither a linearization nor a
/// counterexample was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undecided {
    /// The key.
    pub key: Key,
    /// What ran out.
    pub limit: Limit,
    /// The budget it ran out of.
    pub budget: Budget,
    /// The key's operations (after projection).
    pub key_ops: usize,
    /// The operations of the segment being searched.
    pub segment_ops: usize,
    /// The segment's first invoke and last return (`u64::MAX`: it holds a
    /// pending operation).
    pub span: (u64, u64),
}

impl std::fmt::Display for Undecided {
    /// One line: which key, what ran out, where.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.limit {
            Limit::Steps => format!("its {} steps", self.budget.steps),
            Limit::MemoBytes => format!("its {} MiB of memo", self.budget.memo_bytes >> 20),
        };
        let until = match self.span.1 {
            u64::MAX => "on (a pending op)".to_string(),
            t => t.to_string(),
        };
        write!(
            f,
            "the linearizability search of key {} ran out of {what} in a stretch of {} of its {} ops \
             with no quiescent point (times {}..{until}): that key is neither shown linearizable nor not",
            self.key, self.segment_ops, self.key_ops, self.span.0
        )
    }
}

/// What the searches cost, summed or maximised over keys and segments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Search steps, summed.
    pub steps: u64,
    /// Segments searched, summed.
    pub segments: u64,
    /// Of those, searched for every state they may end in.
    pub exact_segments: u64,
    /// The largest memo: entries.
    pub peak_memo_entries: usize,
    /// The largest memo: bytes, as [`Budget::memo_bytes`] counts them.
    pub peak_memo_bytes: usize,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::check::linearizability::tests::{none, op, A, B};
    use crate::check::linearizability::{check_all_within, Checked, Failure};
    use crate::history::Operation;
    use crate::maps::{RangeSemantics, Semantics, Value};
    use crate::op::{Op, Ret};

    /// 14 overlapping stores of `key`, then a read of a value none of them
    /// wrote: no linearization, and showing it means trying every order of
    /// the stores that leaves a different value last (about 2^14 sets).
    fn hard(key: Key, t: u32) -> Vec<Operation> {
        let mut h: Vec<Operation> = (0..14)
            .map(|i| {
                op(
                    t + i,
                    u64::from(i),
                    100,
                    Op::Store {
                        key,
                        value: 1 + u64::from(i),
                    },
                    Ret::Unit,
                )
            })
            .collect();
        h.push(op(t, 200, 201, Op::Load { key }, Ret::Value(Some(99))));
        h
    }

    fn snapshot() -> Semantics {
        Semantics {
            range: RangeSemantics::Snapshot,
            ..Semantics::default()
        }
    }

    fn run(
        h: &[Operation],
        budget: &Budget,
    ) -> Result<Checked, (Failure, crate::check::linearizability::Counterexample)> {
        check_all_within(h, snapshot(), &none, &[], None, budget)
    }

    #[test]
    fn a_key_past_its_budget_is_undecided_not_a_finding() {
        let h = hard(A, 0);
        let (failure, _) = run(&h, &Budget::UNLIMITED).unwrap_err();
        assert_eq!(failure, Failure::NotLinearizable);
        for (budget, limit) in [
            (
                Budget {
                    steps: 1_000,
                    ..Budget::UNLIMITED
                },
                Limit::Steps,
            ),
            (
                Budget {
                    memo_bytes: 64 << 10,
                    ..Budget::UNLIMITED
                },
                Limit::MemoBytes,
            ),
        ] {
            let checked = run(&h, &budget).expect("undecided is not a failure");
            assert_eq!(checked.undecided.len(), 1, "{checked:?}");
            let u = &checked.undecided[0];
            assert_eq!((u.key, u.limit, u.budget), (A, limit, budget));
            assert_eq!((u.key_ops, u.segment_ops, u.span), (15, 14, (0, 100)));
            assert!(checked.cost.peak_memo_bytes <= budget.memo_bytes);
            let line = u.to_string();
            assert!(
                line.contains("key 1 ran out of its") && line.contains("14 of its 15 ops"),
                "{line}"
            );
        }
    }

    #[test]
    fn a_failing_key_wins_over_an_undecided_one() {
        let mut h = hard(A, 0);
        h.push(op(20, 300, 301, Op::Load { key: B }, Ret::Value(Some(7))));
        let small = Budget {
            steps: 1_000,
            ..Budget::UNLIMITED
        };
        let (failure, e) = run(&h, &small).unwrap_err();
        assert_eq!((failure, e.key), (Failure::NotLinearizable, Some(B)));
        // With the contents read at quiescence, still undecided, not lost.
        let contents: BTreeMap<Key, Value> = [(A, 3)].into();
        let h = hard(A, 0);
        let checked = check_all_within(&h, snapshot(), &none, &[], Some(&contents), &small)
            .expect("undecided");
        assert_eq!(checked.undecided.len(), 1);
    }

    /// 8 threads × 4,000 ops on one key, every op overlapping others and
    /// the key never at rest, each op taking effect at a random instant of
    /// its call: linearizable, and decided by the default budget in a few
    /// steps per op (the search follows time order; a memo over every op
    /// made this quadratic).
    #[test]
    fn the_default_budget_decides_a_long_contended_key_in_linear_steps() {
        use rand::{Rng, SeedableRng};
        use rand_chacha::ChaCha8Rng;

        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut calls: Vec<(u64, u64, u64, u32, Op)> = Vec::new();
        for t in 0..8u32 {
            let mut at = u64::from(t);
            for i in 0..4_000u64 {
                let invoke = at + rng.random_range(0..3);
                let ret = invoke + rng.random_range(1..40);
                let value = (u64::from(t) << 32) | (i + 1);
                let o = match rng.random_range(0..10) {
                    0..=4 => Op::Load { key: A },
                    5..=7 => Op::Store { key: A, value },
                    8 => Op::Delete { key: A },
                    _ => Op::Swap { key: A, value },
                };
                calls.push((rng.random_range(invoke..=ret), invoke, ret, t, o));
                at = ret + 1;
            }
        }
        calls.sort_unstable_by_key(|c| c.0);
        let mut model = crate::check::Model::new(BTreeMap::new());
        let mut h: Vec<Operation> = calls
            .iter()
            .map(|&(_, invoke, ret, t, o)| op(t, invoke, ret, o, model.apply(&o)))
            .collect();
        h.sort_by_key(|o| o.invoke);
        let checked = run(&h, &Budget::default()).expect("linearizable");
        assert!(checked.undecided.is_empty(), "{checked:?}");
        let c = checked.cost;
        assert!(c.segments < 100, "{c:?}");
        assert!(
            c.steps < 100 * 32_000 && c.peak_memo_entries < 25 * 32_000,
            "{c:?}"
        );
    }
}
