//! The per-key search: Wing–Gong–Lowe over one key's sub-history, segment
//! by segment, with a memo whose entries are as small as the key's
//! concurrency; and the counterexample it fails with.
//!
//! # The search
//!
//! Calls and returns are listed in time order (a call before a return at
//! the same time: a clock tie counts as overlap, never as precedence). The
//! search walks the list from its head: at a call whose operation can take
//! effect in the current state ([`step`]) and whose resulting configuration
//! (linearized set, state) is not in the memo, it linearizes the operation
//! (lifts its call and return out of the list) and starts again from the
//! head; at a return, the operation is not linearized yet, so it undoes the
//! last linearization and tries the next call after it. Every completed
//! operation linearized: the key is linearizable. Nothing left to undo: it
//! is not. A pending operation (threw, panicked, never returned) returns at
//! `u64::MAX`: it may be linearized anywhere after its call, or never.
//!
//! # The memo
//!
//! A configuration is keyed by the highest-ranked completed operation `m`
//! it has linearized, the completed ones below `m` it has not (the
//! *holes*), the pending ones it has, and the state: one-to-one with
//! (linearized set, state), and small, because every hole was in flight
//! when `m` was invoked — at most one per thread ([`super::memo`]). An
//! entry costs 20 bytes plus 4 per hole and per 32 pending ops, and a table
//! slot (8 bytes, the table at most 3/4 full); the bit set over every op of
//! the key it replaces cost
//! `n / 8` bytes and a copy per step, which on a key of 250,000 ops made
//! the search quadratic in time and memory.
//!
//! # Reduction
//!
//! An op that leaves the state as it was in every state its result allows
//! ([`read_only`]: a read, a failed compare-and-swap, a `load_or_store`
//! that loaded...) is linearized where the walk meets its call, and
//! undoing it is not a choice: undoing it undoes the one before too. This
//! loses no linearization and no end state: in any way to complete the
//! configuration, that op can be moved to the front — no state changes
//! (it changes none, wherever it sits), and no op it passes had to come
//! before it (their returns are all after its call, or the walk would have
//! stopped there). For the same reason, when linearizing such an op meets a
//! configuration already explored, so has everything from the one before.
//! The plain walk, without it, is kept for counterexamples.
//!
//! # Segments
//!
//! Each key's history is cut where none of its ops is in flight and
//! searched segment by segment ([`super::segments`]); this module walks one
//! segment (or, for a counterexample, a whole prefix of the key).
//!
//! # Counterexamples
//!
//! A key that fails is searched once more by the plain walk, without
//! segments or reduction, up to the end of the failing segment (no
//! linearization reaches past it, so that is the walk the plain search of
//! the whole key makes): its deepest point makes the counterexample,
//! exactly the one the plain search always gave. If that runs out of the
//! memory budget, the failing segment's own deepest point is used.
//!
//! # Budget and cost
//!
//! A key may take [`Budget::steps`] steps over its segments, and a segment
//! hold [`Budget::memo_bytes`] of memo; past either the key is
//! [`Undecided`]. A linearizable recorded history takes a few steps and
//! memo entries per op (`benches/checker_scale.rs`: 1,000,000 ops in about
//! 4 steps an op over 4 keys, 1 over 1,000); a violation makes the failing
//! segment's search exhaustive, as it must be.

use crate::maps::Key;

use super::budget::{Budget, Cost, Limit, Undecided};
use super::memo::{BitSet, Encoder, Memo, NONE};
use super::model::{step, Call, Res, State};
use super::project::KeyOp;
pub(super) use super::segments::{check_key, check_key_within};
use super::Counterexample;

/// How a key's search ended short of a linearization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum KeyError {
    /// It has none.
    Fails(Counterexample),
    /// The budget ran out first.
    Undecided(Undecided),
}

/// What one run of the search is after, and how it walks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Goal {
    /// One linearization.
    Any,
    /// Every state a linearization ends in, or this many of them (all the
    /// segment's candidates: there are no more).
    All(usize),
    /// One linearization, walking exactly as the plain search always has
    /// (no reduction): the search a counterexample is read from.
    Plain,
}

/// How a run ended: the end states found (for [`Goal::Any`], the one it
/// stopped at; empty: no linearization), and the deepest point reached.
pub(super) struct Ran {
    pub(super) ends: Vec<State>,
    pub(super) deepest: Deepest,
}

/// Where the search got furthest before backtracking (the last such
/// point, at equal depth), for the counterexample.
#[derive(Clone, Copy)]
pub(super) struct Deepest {
    /// Operations linearized there.
    depth: usize,
    /// The operation whose return was met unlinearized (index into `kops`).
    stuck: usize,
    /// The state there.
    state: State,
    /// The last three linearized (indices into `kops`), latest first.
    recent: [usize; 3],
}

impl Deepest {
    /// The same point, with `ops` more linearized before it (the ops of
    /// the segments before the one it was found in).
    pub(super) fn after(self, ops: usize) -> Deepest {
        Deepest {
            depth: self.depth + ops,
            ..self
        }
    }
}

/// One linearization on the stack: its call entry, and the state and `m`
/// before it.
struct Frame {
    entry: u32,
    m: u32,
    state: State,
    /// Its op is [`read_only`].
    same: bool,
}

const NIL: u32 = u32::MAX;

/// The search's buffers, reused from segment to segment.
#[derive(Default)]
pub(super) struct Search {
    invoke: Vec<u64>,
    ret: Vec<u64>,
    /// Index among the pending ops, or [`NIL`] for a completed op, by rank.
    pend: Vec<u32>,
    order: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    /// The linearized set, as the memo encodes it: the highest completed
    /// rank `m` in it is on the stack's side; here the holes below it in
    /// increasing order and the linearized pending ops.
    holes: Vec<u32>,
    plin: BitSet,
    /// By rank: the op is the same as the one ranked just before it (same
    /// call, result and interval), so it is only linearized after that one:
    /// either order gives the same linearizations, and a best-effort clear
    /// projects several such deletes onto a key.
    twin: Vec<bool>,
    /// By rank: linearized now.
    taken: Vec<bool>,
    stack: Vec<Frame>,
    memo: Memo,
    encoder: Encoder,
}

impl Search {
    /// Searches the ops `ids` (indices into `kops`, by rank) from each of
    /// `starts` in turn for `goal`.
    pub(super) fn run(
        &mut self,
        kops: &[KeyOp],
        ids: &[u32],
        starts: &[State],
        goal: Goal,
        budget: &Budget,
        cost: &mut Cost,
    ) -> Result<Ran, Limit> {
        let n = ids.len();
        let reduce = goal != Goal::Plain;
        let op = |r: usize| &kops[ids[r] as usize];
        // One completed op (most segments of a key with many others): it
        // is the linearization, from every start it can take effect in.
        // Where it can from none, or it returned before its call (then it
        // never can), the search below says so, and where.
        if n == 1 && reduce && op(0).ret != u64::MAX && op(0).invoke <= op(0).ret {
            let o = op(0);
            let mut ends = Vec::new();
            let mut tried = 0u64;
            for &start in starts {
                // One step a start, as the search below counts them.
                tried += 1;
                if tried > budget.steps {
                    cost.steps += tried;
                    return Err(Limit::Steps);
                }
                if let Some(end) = step(start, o.call, o.res) {
                    ends.push(end);
                    if goal == Goal::Any {
                        break;
                    }
                }
            }
            cost.steps += tried;
            if let Some(&end) = ends.first() {
                self.stack.clear();
                self.stack.push(Frame {
                    entry: 0,
                    m: NONE,
                    state: end,
                    same: read_only(o.call, o.res),
                });
                return Ok(Ran {
                    ends,
                    deepest: Deepest {
                        depth: 1,
                        stuck: usize::MAX,
                        state: end,
                        recent: [usize::MAX; 3],
                    },
                });
            }
        }
        self.invoke.clear();
        self.invoke.extend((0..n).map(|r| op(r).invoke));
        self.ret.clear();
        self.ret.extend((0..n).map(|r| op(r).ret));
        let mut pending = 0u32;
        self.pend.clear();
        for r in 0..n {
            if self.ret[r] == u64::MAX {
                self.pend.push(pending);
                pending += 1;
            } else {
                self.pend.push(NIL);
            }
        }
        let completed = n - pending as usize;
        self.twin.clear();
        self.twin.extend((0..n).map(|r| {
            r > 0 && {
                let (a, b) = (op(r - 1), op(r));
                a.call == b.call && a.res == b.res && a.invoke == b.invoke && a.ret == b.ret
            }
        }));
        self.taken.clear();
        self.taken.resize(n, false);

        // Entries: 2r = call of rank r, 2r+1 = its return; ties between
        // calls, or between returns, by index in `kops`.
        let (invoke, ret) = (&self.invoke, &self.ret);
        let time = |e: u32| {
            let r = e as usize / 2;
            let t = if e.is_multiple_of(2) {
                invoke[r]
            } else {
                ret[r]
            };
            (t, e % 2, ids[r])
        };
        self.order.clear();
        self.order.extend(0..2 * n as u32);
        self.order.sort_unstable_by_key(|&e| time(e));
        // Doubly linked list over entries 0..2n, sentinel head at 2n.
        let head = 2 * n as u32;
        self.next.clear();
        self.next.resize(2 * n + 1, NIL);
        self.prev.clear();
        self.prev.resize(2 * n + 1, NIL);
        let mut last = head;
        for &e in &self.order {
            self.next[last as usize] = e;
            self.prev[e as usize] = last;
            last = e;
        }
        self.holes.clear();
        self.plin.reset(pending as usize);
        self.stack.clear();
        self.memo.clear();
        let mut steps = 0u64;
        let mut ends = Vec::new();
        let mut deepest = Deepest {
            depth: 0,
            stuck: usize::MAX,
            state: None,
            recent: [usize::MAX; 3],
        };

        'starts: for &start in starts {
            let mut state = start;
            let mut m = NONE;
            let mut remaining = completed;
            let mut entry = self.next[head as usize];
            loop {
                if remaining == 0 {
                    ends.push(state);
                    match goal {
                        Goal::All(enough) if ends.len() < enough => {}
                        _ => break 'starts,
                    }
                    // Every end state: undo the last and go on.
                    match self.backtrack(reduce, &mut state, &mut m, &mut remaining) {
                        Some(call) => entry = self.next[call as usize],
                        None => continue 'starts,
                    }
                    continue;
                }
                steps += 1;
                if steps > budget.steps {
                    cost.steps += steps;
                    return Err(Limit::Steps);
                }
                debug_assert_ne!(entry, NIL, "a completed return is always ahead");
                let r = entry as usize / 2;
                if entry.is_multiple_of(2) && self.twin[r] && !self.taken[r - 1] {
                    entry = self.next[entry as usize];
                } else if entry.is_multiple_of(2) {
                    let o = op(r);
                    if let Some(new_state) = step(state, o.call, o.res) {
                        let pi = self.pend[r];
                        let rr = r as u32;
                        // The key of the set with r in it.
                        let (new_m, config) = if pi != NIL {
                            self.plin.set(pi as usize);
                            let c = self.encoder.config(
                                m,
                                &self.plin,
                                self.holes.iter().copied(),
                                new_state,
                            );
                            self.plin.clear(pi as usize);
                            (m, c)
                        } else if m == NONE || rr > m {
                            // Every completed op between m and r becomes a hole.
                            let from = if m == NONE { 0 } else { m + 1 };
                            let pend = &self.pend;
                            let new = (from..rr).filter(|&q| pend[q as usize] == NIL);
                            let holes = self.holes.iter().copied().chain(new);
                            (rr, self.encoder.config(rr, &self.plin, holes, new_state))
                        } else {
                            let holes = self.holes.iter().copied().filter(|&h| h != rr);
                            (m, self.encoder.config(m, &self.plin, holes, new_state))
                        };
                        let Some(added) = self.memo.insert(config, budget.memo_bytes) else {
                            cost.steps += steps;
                            return Err(Limit::MemoBytes);
                        };
                        if added {
                            cost.peak_memo_entries = cost.peak_memo_entries.max(self.memo.len());
                            cost.peak_memo_bytes = cost.peak_memo_bytes.max(self.memo.bytes());
                            self.stack.push(Frame {
                                entry,
                                m,
                                state,
                                same: read_only(o.call, o.res),
                            });
                            if pi != NIL {
                                self.plin.set(pi as usize);
                            } else {
                                if new_m != m {
                                    let from = if m == NONE { 0 } else { m + 1 };
                                    let pend = &self.pend;
                                    self.holes
                                        .extend((from..rr).filter(|&q| pend[q as usize] == NIL));
                                } else {
                                    let at = self.holes.binary_search(&rr);
                                    self.holes.remove(at.expect("r is a hole"));
                                }
                                remaining -= 1;
                            }
                            state = new_state;
                            m = new_m;
                            self.lift(entry);
                            entry = self.next[head as usize];
                            continue;
                        }
                        if reduce && read_only(o.call, o.res) {
                            // Everything from here was explored from there.
                            match self.backtrack(reduce, &mut state, &mut m, &mut remaining) {
                                Some(call) => entry = self.next[call as usize],
                                None => continue 'starts,
                            }
                            continue;
                        }
                    }
                    entry = self.next[entry as usize];
                } else {
                    if self.stack.len() >= deepest.depth {
                        let mut recent = [usize::MAX; 3];
                        for (slot, f) in recent.iter_mut().zip(self.stack.iter().rev()) {
                            *slot = ids[f.entry as usize / 2] as usize;
                        }
                        deepest = Deepest {
                            depth: self.stack.len(),
                            stuck: ids[r] as usize,
                            state,
                            recent,
                        };
                    }
                    match self.backtrack(reduce, &mut state, &mut m, &mut remaining) {
                        Some(call) => entry = self.next[call as usize],
                        None => continue 'starts,
                    }
                }
            }
        }
        cost.steps += steps;
        Ok(Ran { ends, deepest })
    }

    /// Backtracks: undoes the last linearization and returns its call
    /// entry, from which the walk goes on (`None`: nothing to undo). With
    /// `reduce`, a linearization that left the state as it was is not a
    /// choice (see the module docs): undoing it undoes the one before too.
    /// After a [`Search::run`] for [`Goal::Any`] that found one: the
    /// linearization, as positions in the `ids` it was given, in order.
    pub(super) fn order(&self) -> impl Iterator<Item = usize> + '_ {
        self.stack.iter().map(|f| f.entry as usize / 2)
    }

    fn backtrack(
        &mut self,
        reduce: bool,
        state: &mut State,
        m: &mut u32,
        remaining: &mut usize,
    ) -> Option<u32> {
        loop {
            let same = self.stack.last()?.same;
            let call = self.undo(state, m, remaining)?;
            if !(reduce && same) {
                return Some(call);
            }
        }
    }

    /// Undoes the last linearization: returns its call entry, or `None`
    /// with nothing to undo.
    fn undo(&mut self, state: &mut State, m: &mut u32, remaining: &mut usize) -> Option<u32> {
        let f = self.stack.pop()?;
        let r = f.entry / 2;
        *state = f.state;
        let pi = self.pend[r as usize];
        if pi != NIL {
            self.plin.clear(pi as usize);
        } else {
            if f.m != *m {
                // r raised m: the holes it opened above the old m close.
                let keep = if f.m == NONE {
                    0
                } else {
                    self.holes.partition_point(|&h| h < f.m)
                };
                self.holes.truncate(keep);
            } else {
                let at = self.holes.partition_point(|&h| h < r);
                self.holes.insert(at, r);
            }
            *remaining += 1;
        }
        *m = f.m;
        self.unlift(f.entry);
        Some(f.entry)
    }

    /// Takes a call entry and its return out of the list.
    fn lift(&mut self, call: u32) {
        self.taken[call as usize / 2] = true;
        for x in [call, call + 1] {
            let (p, nx) = (self.prev[x as usize], self.next[x as usize]);
            self.next[p as usize] = nx;
            if nx != NIL {
                self.prev[nx as usize] = p;
            }
        }
    }

    /// Puts them back, in the reverse order.
    fn unlift(&mut self, call: u32) {
        self.taken[call as usize / 2] = false;
        for x in [call + 1, call] {
            let (p, nx) = (self.prev[x as usize], self.next[x as usize]);
            self.next[p as usize] = x;
            if nx != NIL {
                self.prev[nx as usize] = x;
            }
        }
    }
}

/// Whether an op leaves the state as it was in every state its result
/// allows: then linearizing it as soon as the walk meets its call loses no
/// linearization (module docs, *Reduction*).
pub(super) fn read_only(call: Call, res: Res) -> bool {
    match (call, res) {
        (Call::Read, _) => true,
        (Call::Swap(v), Res::Value(Some(was))) => v == was,
        (Call::LoadOrStore(_), Res::LoadOrStore(_, loaded)) => loaded,
        (Call::LoadAndDelete, Res::Value(None)) => true,
        (Call::Cas(old, new), Res::Bool(hit)) => !hit || old == new,
        (Call::Cad(_), Res::Bool(hit)) => !hit,
        _ => false,
    }
}

/// Describes the deepest failure: the op that could not be placed, the
/// linearization before it, and the ops overlapping it.
pub(super) fn counterexample(key: Key, kops: &[KeyOp], deepest: Deepest) -> Counterexample {
    let stuck_op = &kops[deepest.stuck.min(kops.len() - 1)];
    let overlapping: Vec<usize> = kops
        .iter()
        .filter(|o| o.invoke <= stuck_op.ret && stuck_op.invoke <= o.ret)
        .map(|o| o.origin)
        .collect();
    let mut involved: Vec<usize> = deepest
        .recent
        .iter()
        .filter(|&&i| i != usize::MAX)
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
            deepest.depth,
            match deepest.state {
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
