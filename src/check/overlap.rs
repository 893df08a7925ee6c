//! How much the threads of a history overlapped: what a clean verdict is
//! worth.
//!
//! The checker can only catch a bug that the execution let happen, and a
//! concurrency bug needs operations that ran at the same time. A stress run
//! on a starved machine may run its threads one after another; every check
//! then passes and says little. [`Overlap`] measures it from the history:
//!
//! - `ops_concurrent`: the fraction of operations whose interval overlapped
//!   an operation of another thread;
//! - `same_key_concurrent`: the fraction that overlapped another thread's
//!   operation on the same key, a whole-map operation (`range`, `clear`,
//!   `len`) counting as one on every key: the overlaps the per-key
//!   linearizability check can use;
//! - `thread_pairs`: how many distinct pairs of threads had at least one
//!   pair of operations overlap, of the `thread_pairs_possible` pairs of the
//!   threads that ran an operation.
//!
//! Two intervals overlap when each starts strictly before the other ends:
//! intervals that only touch (one returns at the instant the other is
//! invoked) ran one after the other, and an operation with equal invoke and
//! return stamps overlaps only an interval that strictly contains that
//! instant. A pending operation (no return) runs to the end of the history.
//!
//! Both modes have it. In stress mode time is real time (nanoseconds); in
//! sched mode it is the scheduler's step counter, so an overlap there is a
//! schedule that switched threads inside an operation. Low overlap is a
//! warning in stress mode only: in sched mode it is the strategy's choice
//! (PCT runs threads in priority order between a few change points, by
//! design), not a sign the machine got in the way.
//!
//! Cost: sorting the 2n interval ends, O(n log n), plus one word operation
//! per 64 threads at each invoke for the pairs.

use crate::history::{History, Operation};

/// Below this fraction of concurrent operations, a stress run's threads
/// "barely overlapped": fewer than one operation in twenty ran while
/// another thread was inside one.
pub const BARELY: f64 = 0.05;

/// How much the threads of a history overlapped (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Overlap {
    /// Operations in the history (completed, failed and pending).
    pub ops: u64,
    /// Fraction of `ops` that overlapped an operation of another thread.
    pub ops_concurrent: f64,
    /// Fraction of `ops` that overlapped another thread's operation on the
    /// same key (a whole-map operation is on every key).
    pub same_key_concurrent: f64,
    /// Distinct pairs of threads with overlapping operations.
    pub thread_pairs: u64,
    /// Pairs of the threads that ran at least one operation.
    pub thread_pairs_possible: u64,
}

impl Overlap {
    /// The overlap of `history`.
    pub fn of(history: &History) -> Overlap {
        Self::of_operations(&history.operations())
    }

    /// The overlap of a history's operations.
    pub fn of_operations(ops: &[Operation]) -> Overlap {
        let n = ops.len();
        if n == 0 {
            return Overlap::default();
        }
        let span = |o: &Operation, asks: bool, counts: bool| Item {
            invoke: o.invoke,
            // A pending op runs to the end; a malformed one (return before
            // invoke) is read as an instant.
            ret: o.ret.as_ref().map_or(u64::MAX, |(t, _)| (*t).max(o.invoke)),
            thread: o.thread,
            asks,
            counts,
        };

        // Any operation of another thread, and the thread pairs.
        let all: Vec<Item> = ops.iter().map(|o| span(o, true, true)).collect();
        let threads = ops.iter().map(|o| o.thread as usize + 1).max().unwrap_or(0);
        let mut pairs = Pairs::new(threads);
        let concurrent = sweep(&all, Some(&mut pairs));

        // The same key: each key's operations among themselves...
        let mut same_key = vec![false; n];
        let mut keyed: Vec<(u64, usize)> = ops
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.op.key().map(|k| (k, i)))
            .collect();
        keyed.sort_unstable();
        for group in keyed.chunk_by(|a, b| a.0 == b.0) {
            let items: Vec<Item> = group
                .iter()
                .map(|&(_, i)| span(&ops[i], true, true))
                .collect();
            for (flag, &(_, i)) in sweep(&items, None).into_iter().zip(group) {
                same_key[i] |= flag;
            }
        }
        // ...and against whole-map operations, which are on every key (and
        // overlap on some key whatever the other thread did).
        if keyed.len() < n {
            let items: Vec<Item> = ops
                .iter()
                .map(|o| span(o, o.op.key().is_some(), o.op.key().is_none()))
                .collect();
            for (i, flag) in sweep(&items, None).into_iter().enumerate() {
                same_key[i] |= flag;
            }
            for (i, o) in ops.iter().enumerate() {
                if o.op.key().is_none() {
                    same_key[i] = concurrent[i];
                }
            }
        }

        let ran = {
            let mut seen = vec![false; threads];
            ops.iter().for_each(|o| seen[o.thread as usize] = true);
            seen.iter().filter(|s| **s).count() as u64
        };
        let fraction = |flags: &[bool]| flags.iter().filter(|f| **f).count() as f64 / n as f64;
        Overlap {
            ops: n as u64,
            ops_concurrent: fraction(&concurrent),
            same_key_concurrent: fraction(&same_key),
            thread_pairs: pairs.count,
            thread_pairs_possible: ran * ran.saturating_sub(1) / 2,
        }
    }

    /// Whether the threads barely overlapped (below [`BARELY`]): a clean
    /// verdict then says little. Never for a single-thread history.
    pub fn barely(&self) -> bool {
        self.thread_pairs_possible > 0 && self.ops_concurrent < BARELY
    }
}

/// One interval of a sweep. An *asking* interval wants to know whether a
/// *counting* interval other than itself overlaps it.
#[derive(Clone, Copy)]
struct Item {
    invoke: u64,
    ret: u64,
    thread: u32,
    asks: bool,
    counts: bool,
}

/// Which thread pairs overlapped: a bit matrix, and the threads inside an
/// operation right now.
struct Pairs {
    words: usize,
    seen: Vec<u64>,
    active: Vec<u64>,
    count: u64,
}

impl Pairs {
    fn new(threads: usize) -> Self {
        let words = threads.div_ceil(64);
        Pairs {
            words,
            seen: vec![0; threads * words],
            active: vec![0; words],
            count: 0,
        }
    }

    /// Thread `t` overlaps every thread inside an operation now.
    fn meet(&mut self, t: usize) {
        for w in 0..self.words {
            let mut new = self.active[w] & !self.seen[t * self.words + w];
            // Thread t's own bit is clear while it starts an operation.
            new &= !(u64::from(t / 64 == w) << (t % 64));
            while new != 0 {
                let u = w * 64 + new.trailing_zeros() as usize;
                new &= new - 1;
                self.seen[t * self.words + u / 64] |= 1 << (u % 64);
                self.seen[u * self.words + t / 64] |= 1 << (t % 64);
                self.count += 1;
            }
        }
    }

    fn set_active(&mut self, t: usize, on: bool) {
        let bit = 1u64 << (t % 64);
        if on {
            self.active[t / 64] |= bit;
        } else {
            self.active[t / 64] &= !bit;
        }
    }
}

/// For each item, whether it asks and a counting item overlaps it; with
/// `pairs`, also the thread pairs of overlapping counting items.
///
/// One pass over the interval ends in time order. At an instant, first the
/// intervals ending there close, then the zero-length intervals there are
/// seen, then the intervals starting there open: touching intervals never
/// meet. An asking interval is overlapped iff a counting interval was open
/// when it opened, or a counting interval opened (or a counting instant
/// fell) before it closed; the second is read off a counter of openings.
fn sweep(items: &[Item], mut pairs: Option<&mut Pairs>) -> Vec<bool> {
    const CLOSE: u8 = 0;
    const INSTANT: u8 = 1;
    const OPEN: u8 = 2;
    let mut ends: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * items.len());
    for (i, it) in items.iter().enumerate() {
        if it.ret == it.invoke {
            ends.push((it.invoke, INSTANT, i));
        } else {
            ends.push((it.invoke, OPEN, i));
            ends.push((it.ret, CLOSE, i));
        }
    }
    ends.sort_unstable();
    let mut flags = vec![false; items.len()];
    let mut opened_at = vec![0u64; items.len()];
    let (mut open_counting, mut openings) = (0u64, 0u64);
    for (_, kind, i) in ends {
        let it = items[i];
        match kind {
            CLOSE => {
                if it.counts {
                    open_counting -= 1;
                    if let Some(p) = pairs.as_deref_mut() {
                        p.set_active(it.thread as usize, false);
                    }
                }
                if it.asks && openings > opened_at[i] {
                    flags[i] = true;
                }
            }
            _ => {
                if it.asks && open_counting > 0 {
                    flags[i] = true;
                }
                if it.counts {
                    openings += 1;
                    if let Some(p) = pairs.as_deref_mut() {
                        p.meet(it.thread as usize);
                    }
                }
                if kind == OPEN {
                    opened_at[i] = openings;
                    if it.counts {
                        open_counting += 1;
                        if let Some(p) = pairs.as_deref_mut() {
                            p.set_active(it.thread as usize, true);
                        }
                    }
                }
            }
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{Op, Ret};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn op(thread: u32, invoke: u64, ret: Option<u64>, op: Op) -> Operation {
        Operation {
            thread,
            index: 0,
            op,
            invoke,
            ret: ret.map(|t| (t, Ret::Unit)),
        }
    }
    fn load(thread: u32, invoke: u64, ret: u64, key: u64) -> Operation {
        op(thread, invoke, Some(ret), Op::Load { key })
    }

    #[test]
    fn threads_that_ran_one_after_another_did_not_overlap() {
        // Thread 0 runs all its ops, then thread 1, then thread 2; the last
        // op of one touches the first of the next (touching is not overlap).
        let mut ops = Vec::new();
        for t in 0..3u32 {
            for i in 0..10u64 {
                let at = u64::from(t) * 100 + i * 10;
                ops.push(load(t, at, at + 10, 1));
            }
        }
        let o = Overlap::of_operations(&ops);
        assert_eq!(o.ops, 30);
        assert_eq!(o.ops_concurrent, 0.0);
        assert_eq!(o.same_key_concurrent, 0.0);
        assert_eq!((o.thread_pairs, o.thread_pairs_possible), (0, 3));
        assert!(o.barely());
    }

    #[test]
    fn threads_that_ran_side_by_side_overlapped_fully() {
        let mut ops = Vec::new();
        for t in 0..4u32 {
            for i in 0..10u64 {
                // Every thread's i-th op over the same [10i, 10i + 9].
                ops.push(load(t, i * 10, i * 10 + 9, i % 3));
            }
        }
        let o = Overlap::of_operations(&ops);
        assert_eq!(o.ops_concurrent, 1.0);
        assert_eq!(o.same_key_concurrent, 1.0);
        assert_eq!((o.thread_pairs, o.thread_pairs_possible), (6, 6));
        assert!(!o.barely());
    }

    #[test]
    fn other_keys_overlap_but_not_on_the_same_key_unless_whole_map() {
        let ops = vec![load(0, 0, 10, 1), load(1, 5, 15, 2)];
        let o = Overlap::of_operations(&ops);
        assert_eq!((o.ops_concurrent, o.same_key_concurrent), (1.0, 0.0));
        // A range on thread 2 overlapping thread 1's load only: on every
        // key, so both count as same-key concurrent; thread 0's does not.
        let mut ops = ops;
        ops.push(op(2, 12, Some(20), Op::Range { limit: 0 }));
        let o = Overlap::of_operations(&ops);
        assert_eq!(o.ops_concurrent, 1.0);
        assert!((o.same_key_concurrent - 2.0 / 3.0).abs() < 1e-12, "{o:?}");
        assert_eq!((o.thread_pairs, o.thread_pairs_possible), (2, 3));
    }

    #[test]
    fn instants_and_pending_ops() {
        // A zero-length op strictly inside another thread's op overlaps it;
        // one at its end does not.
        let o = Overlap::of_operations(&[load(0, 0, 10, 1), load(1, 5, 5, 1)]);
        assert_eq!(o.ops_concurrent, 1.0);
        let o = Overlap::of_operations(&[load(0, 0, 10, 1), load(1, 10, 10, 1)]);
        assert_eq!(o.ops_concurrent, 0.0);
        let o = Overlap::of_operations(&[load(0, 5, 5, 1), load(1, 5, 5, 1)]);
        assert_eq!(o.ops_concurrent, 0.0);
        // A pending op runs to the end of the history.
        let o = Overlap::of_operations(&[
            op(0, 3, None, Op::Store { key: 1, value: 9 }),
            load(1, 0, 2, 1),
            load(1, 1000, 1001, 1),
        ]);
        assert!((o.ops_concurrent - 2.0 / 3.0).abs() < 1e-12, "{o:?}");
        assert_eq!(Overlap::of_operations(&[]), Overlap::default());
        assert!(!Overlap::of_operations(&[load(0, 0, 1, 1)]).barely());
    }

    /// The definition, pair by pair: O(n²).
    fn reference(ops: &[Operation]) -> (usize, usize, u64) {
        let end = |o: &Operation| o.ret.as_ref().map_or(u64::MAX, |r| r.0);
        let meet = |a: &Operation, b: &Operation| {
            a.thread != b.thread && a.invoke < end(b) && b.invoke < end(a)
        };
        let same = |a: &Operation, b: &Operation| {
            meet(a, b) && (a.op.key().is_none() || b.op.key().is_none() || a.op.key() == b.op.key())
        };
        let any = ops
            .iter()
            .filter(|a| ops.iter().any(|b| meet(a, b)))
            .count();
        let keyed = ops
            .iter()
            .filter(|a| ops.iter().any(|b| same(a, b)))
            .count();
        let mut pairs = std::collections::BTreeSet::new();
        for a in ops {
            for b in ops {
                if meet(a, b) {
                    pairs.insert((a.thread.min(b.thread), a.thread.max(b.thread)));
                }
            }
        }
        (any, keyed, pairs.len() as u64)
    }

    #[test]
    fn the_sweep_agrees_with_the_definition_on_random_histories() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..500 {
            let threads = rng.random_range(1..=70u32);
            let mut ops = Vec::new();
            for t in 0..threads {
                let mut at = rng.random_range(0..20u64);
                for _ in 0..rng.random_range(0..8) {
                    let len = rng.random_range(0..6u64);
                    let o = match rng.random_range(0..10) {
                        0 => Op::Range { limit: 0 },
                        1 => Op::Clear,
                        _ => Op::Load {
                            key: rng.random_range(0..3),
                        },
                    };
                    ops.push(op(t, at, Some(at + len), o));
                    at += len + rng.random_range(0..4);
                }
                if rng.random_range(0..10) == 0 {
                    ops.push(op(t, at, None, Op::Load { key: 1 }));
                }
            }
            let o = Overlap::of_operations(&ops);
            let (any, keyed, pairs) = reference(&ops);
            let n = ops.len().max(1) as f64;
            assert_eq!(o.ops_concurrent, any as f64 / n, "{ops:?}");
            assert_eq!(o.same_key_concurrent, keyed as f64 / n, "{ops:?}");
            assert_eq!(o.thread_pairs, pairs, "{ops:?}");
        }
    }

    #[test]
    fn of_a_history_pairs_its_events() {
        use crate::history::Event;
        let ev = |thread, time, ret: bool| {
            if ret {
                Event::Return {
                    thread,
                    index: 0,
                    ret: Ret::Value(None),
                    time,
                }
            } else {
                Event::Invoke {
                    thread,
                    index: 0,
                    op: Op::Load { key: 1 },
                    time,
                }
            }
        };
        let h = History {
            events: vec![
                ev(0, 0, false),
                ev(1, 1, false),
                ev(0, 2, true),
                ev(1, 3, true),
            ],
        };
        let o = Overlap::of(&h);
        assert_eq!((o.ops, o.ops_concurrent, o.thread_pairs), (2, 1.0, 1));
    }
}
