//! Projection of a history onto keys: each key's sub-history of per-key
//! calls and results, whole-map operations spread over every key, and what a
//! completed per-key operation certainly did.

use std::collections::{BTreeMap, BTreeSet};

// Fx hashing: the memo and the projections hash small integer keys millions
// of times; SipHash's DoS resistance buys nothing here.
use rustc_hash::FxHashSet as HashSet;

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
    let universe: BTreeSet<Key> = ops
        .iter()
        .flat_map(|o| {
            let visited = match &o.ret {
                Some((_, Ret::Entries(es))) => es.iter().map(|(k, _)| *k).collect(),
                _ => Vec::new(),
            };
            o.op.key().into_iter().chain(visited)
        })
        .chain(extra_keys.iter().copied())
        .collect();
    let mut per_key: BTreeMap<Key, Vec<KeyOp>> =
        universe.iter().map(|k| (*k, Vec::new())).collect();
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
                // Each key's delete may land at any point after the call
                // starts, or never: a pending delete.
                for &k in &universe {
                    per_key.entry(k).or_default().push(KeyOp {
                        call: Call::Delete,
                        res: Res::Unknown,
                        invoke: o.invoke,
                        ret: u64::MAX,
                        origin,
                    });
                }
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
    per_key
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
