//! Projection of a history onto keys: each key's sub-history of per-key
//! calls and results, whole-map operations spread over every key, and what a
//! completed per-key operation certainly did.

use std::collections::BTreeMap;

// Fx hashing: the memo and the projections hash small integer keys millions
// of times; SipHash's DoS resistance buys nothing here.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::history::Operation;
use crate::maps::{ClearSemantics, Key, Value};
use crate::op::{Op, Ret};

use super::model::{Call, Res};

/// One operation of a key's sub-history.
#[derive(Clone, Debug)]
pub(super) struct KeyOp {
    pub(super) call: Call,
    pub(super) res: Res,
    pub(super) invoke: u64,
    /// `u64::MAX` while pending.
    pub(super) ret: u64,
    /// Index of the originating operation in the checker's input.
    pub(super) origin: usize,
}

/// Splits the history into per-key sub-histories, projecting whole-map ops
/// onto every key the history or `extra_keys` mentions.
pub(super) fn project(
    ops: &[Operation],
    extra_keys: &[Key],
    clear: ClearSemantics,
) -> BTreeMap<Key, Vec<KeyOp>> {
    // Every key named, visited or given; then each key's list sized for
    // its own ops and one of each whole-map op (a million ops and a
    // thousand clears over a thousand keys would otherwise regrow each
    // list a dozen times).
    let mut own: HashMap<Key, usize> = HashMap::default();
    let mut universe: Vec<Key> = extra_keys.to_vec();
    let mut whole = 0;
    for o in ops {
        if let Some(k) = o.op.key() {
            *own.entry(k).or_default() += 1;
        } else if matches!(o.op, Op::Clear | Op::Range { .. }) {
            whole += 1;
        }
        if let Some((_, Ret::Entries(es))) = &o.ret {
            universe.extend(es.iter().map(|(k, _)| *k));
        }
    }
    universe.extend(own.keys());
    universe.sort_unstable();
    universe.dedup();
    let mut per_key: BTreeMap<Key, Vec<KeyOp>> = universe
        .iter()
        .map(|k| {
            let n = own.get(k).copied().unwrap_or(0) + whole;
            (*k, Vec::with_capacity(n))
        })
        .collect();
    let mut best_effort = Vec::new();
    for (origin, o) in ops.iter().enumerate() {
        let (ret_time, ret) = match &o.ret {
            Some((t, r)) if !matches!(r, Ret::Throw(_) | Ret::Panic(_)) => (*t, Some(r)),
            _ => (u64::MAX, None),
        };
        let mut push = |key: Key, call: Call, res: Res| {
            per_key.entry(key).or_default().push(KeyOp {
                call,
                res,
                invoke: o.invoke,
                ret: ret_time,
                origin,
            })
        };
        let res = |r: Option<&Ret>| match r {
            None => Res::Unknown,
            Some(Ret::Unit) => Res::Unit,
            Some(Ret::Value(v)) => Res::Value(*v),
            Some(Ret::LoadOrStore { actual, loaded }) => Res::LoadOrStore(*actual, *loaded),
            Some(Ret::Bool(b)) => Res::Bool(*b),
            Some(_) => Res::Unknown,
        };
        match o.op {
            Op::Load { key } => push(key, Call::Read, res(ret)),
            Op::Store { key, value } => push(key, Call::Store(value), res(ret)),
            Op::Delete { key } => push(key, Call::Delete, res(ret)),
            Op::LoadOrStore { key, value } => push(key, Call::LoadOrStore(value), res(ret)),
            Op::LoadAndDelete { key } => push(key, Call::LoadAndDelete, res(ret)),
            Op::Swap { key, value } => push(key, Call::Swap(value), res(ret)),
            Op::CompareAndSwap { key, old, new } => push(key, Call::Cas(old, new), res(ret)),
            Op::CompareAndDelete { key, old } => push(key, Call::Cad(old), res(ret)),
            Op::Clear if clear == ClearSemantics::BestEffort => {
                // Placed once every key's ops are known: see below.
                best_effort.push(origin);
            }
            Op::Clear => {
                // Every key of the universe has its list: walk them rather
                // than look each up (a clear over 1,000 keys is 1,000 ops).
                let res = if ret.is_some() {
                    Res::Unit
                } else {
                    Res::Unknown
                };
                for kops in per_key.values_mut() {
                    kops.push(KeyOp {
                        call: Call::Delete,
                        res,
                        invoke: o.invoke,
                        ret: ret_time,
                        origin,
                    });
                }
            }
            Op::Range { limit } => {
                // A pending or failed range observed nothing usable.
                let Some(Ret::Entries(es)) = ret else {
                    continue;
                };
                let complete = limit == 0 || es.len() < limit as usize;
                let mut seen = HashSet::with_capacity_and_hasher(es.len(), Default::default());
                for &(k, v) in es {
                    seen.insert(k);
                    push(k, Call::Read, Res::Value(Some(v)));
                }
                if complete {
                    for (k, kops) in per_key.iter_mut() {
                        if !seen.contains(k) {
                            kops.push(KeyOp {
                                call: Call::Read,
                                res: Res::Value(None),
                                invoke: o.invoke,
                                ret: ret_time,
                                origin,
                            });
                        }
                    }
                }
            }
            Op::Len => {}
        }
    }
    for origin in best_effort {
        spread_best_effort_clear(&mut per_key, &ops[origin], origin);
    }
    per_key
}

/// A best-effort clear is a sweep that removes what it finds, and may sweep
/// again (papaya's clear, meeting a resize, clears the new table after the
/// old one). A write that lands behind the sweep survives it; a key the
/// sweep passes is deleted, perhaps more than once. So each key is deleted
/// at an instant during the call, and once more for each write to it that
/// overlaps the call (deleting twice with no write between is deleting
/// once, so more could not matter). A clear that never returned deletes
/// at any time after its call, at most once more than the
/// [`PENDING_SWEEPS`] writes that follow.
fn spread_best_effort_clear(per_key: &mut BTreeMap<Key, Vec<KeyOp>>, o: &Operation, origin: usize) {
    let (ret, res) = match &o.ret {
        Some((t, r)) if !matches!(r, Ret::Throw(_) | Ret::Panic(_)) => (*t, Res::Unit),
        _ => (u64::MAX, Res::Unknown),
    };
    for kops in per_key.values_mut() {
        let overlapping = kops
            .iter()
            .filter(|k| k.ret > o.invoke && k.invoke < ret && may_write(k))
            .count();
        let deletes = if ret == u64::MAX {
            overlapping.min(PENDING_SWEEPS)
        } else {
            overlapping
        };
        for _ in 0..=deletes {
            kops.push(KeyOp {
                call: Call::Delete,
                res,
                invoke: o.invoke,
                ret,
                origin,
            });
        }
    }
}

/// How many writes after a best-effort clear that never returned its
/// deletes may follow (a run with a pending op has a finding already; this
/// keeps its check from growing with the rest of the history).
const PENDING_SWEEPS: usize = 4;

/// Whether an op may have put a value in its key.
fn may_write(o: &KeyOp) -> bool {
    match (o.call, o.res) {
        (Call::Store(_) | Call::Swap(_), _) => true,
        (Call::LoadOrStore(_), Res::LoadOrStore(_, loaded)) => !loaded,
        (Call::Cas(..), Res::Bool(done)) => done,
        (Call::LoadOrStore(_) | Call::Cas(..), _) => true,
        _ => false,
    }
}

/// The latest time in the history.
pub(super) fn end_of(ops: &[Operation]) -> u64 {
    ops.iter()
        .flat_map(|o| [Some(o.invoke), o.ret.as_ref().map(|r| r.0)])
        .flatten()
        .filter(|&t| t != u64::MAX)
        .max()
        .unwrap_or(0)
}

/// Appends the quiescent read of a key, after everything else.
pub(super) fn push_final_read(kops: &mut Vec<KeyOp>, found: Option<Value>, end: u64) {
    kops.push(KeyOp {
        call: Call::Read,
        res: Res::Value(found),
        invoke: end.saturating_add(1),
        ret: end.saturating_add(2),
        origin: usize::MAX,
    });
}

/// The value an operation certainly wrote, if it is a completed write.
pub(super) fn written_value(o: &KeyOp) -> Option<Value> {
    match (o.call, o.res) {
        (Call::Store(v), Res::Unit) | (Call::Swap(v), Res::Value(_)) => Some(v),
        (Call::LoadOrStore(v), Res::LoadOrStore(_, false)) => Some(v),
        (Call::Cas(_, new), Res::Bool(true)) => Some(new),
        _ => None,
    }
}

/// Whether a completed op certainly changed the key's value (values are
/// unique in a run, so any completed write or successful delete does).
pub(super) fn certainly_changes(o: &KeyOp) -> bool {
    o.ret != u64::MAX
        && match (o.call, o.res) {
            (Call::Store(_), _) | (Call::Swap(_), _) => true,
            (Call::LoadOrStore(_), Res::LoadOrStore(_, false)) => true,
            (Call::Cas(..), Res::Bool(true)) | (Call::Cad(_), Res::Bool(true)) => true,
            // If the value was current, these end it; if it was not, it never comes back.
            (Call::Delete, _) | (Call::LoadAndDelete, _) => true,
            _ => false,
        }
}
