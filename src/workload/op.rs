//! Operations and their results: the vocabulary shared by the workload, the
//! engine, the history and the checker.

use serde::{Deserialize, Serialize};

use crate::maps::{ChaosMap, Key, OpResult, Throw, Value};

/// One operation of a workload thread, with its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[expect(
    missing_docs,
    reason = "fields are the Go API's arguments, named as in Go"
)]
pub enum Op {
    /// `Load(key)`.
    Load { key: Key },
    /// `Store(key, value)`.
    Store { key: Key, value: Value },
    /// `Delete(key)`.
    Delete { key: Key },
    /// `LoadOrStore(key, value)`.
    LoadOrStore { key: Key, value: Value },
    /// `LoadAndDelete(key)`.
    LoadAndDelete { key: Key },
    /// `Swap(key, value)`.
    Swap { key: Key, value: Value },
    /// `CompareAndSwap(key, old, new)`.
    CompareAndSwap { key: Key, old: Value, new: Value },
    /// `CompareAndDelete(key, old)`.
    CompareAndDelete { key: Key, old: Value },
    /// `Range`, stopping after `limit` entries (0 = visit all).
    Range { limit: u32 },
    /// `Clear()`.
    Clear,
    /// `len(m)`.
    Len,
}

/// The operation names, as used in mixes (`--mix load=70,store=30`).
pub const OP_NAMES: [&str; 11] = [
    "load",
    "store",
    "delete",
    "load_or_store",
    "load_and_delete",
    "swap",
    "compare_and_swap",
    "compare_and_delete",
    "range",
    "clear",
    "len",
];

impl Op {
    /// The operation's name, one of [`OP_NAMES`].
    pub fn name(&self) -> &'static str {
        OP_NAMES[self.kind_index()]
    }

    /// Index of this operation's kind in [`OP_NAMES`].
    pub fn kind_index(&self) -> usize {
        match self {
            Op::Load { .. } => 0,
            Op::Store { .. } => 1,
            Op::Delete { .. } => 2,
            Op::LoadOrStore { .. } => 3,
            Op::LoadAndDelete { .. } => 4,
            Op::Swap { .. } => 5,
            Op::CompareAndSwap { .. } => 6,
            Op::CompareAndDelete { .. } => 7,
            Op::Range { .. } => 8,
            Op::Clear => 9,
            Op::Len => 10,
        }
    }

    /// The key this operation touches; `None` for whole-map operations.
    pub fn key(&self) -> Option<Key> {
        match *self {
            Op::Load { key }
            | Op::Store { key, .. }
            | Op::Delete { key }
            | Op::LoadOrStore { key, .. }
            | Op::LoadAndDelete { key }
            | Op::Swap { key, .. }
            | Op::CompareAndSwap { key, .. }
            | Op::CompareAndDelete { key, .. } => Some(key),
            Op::Range { .. } | Op::Clear | Op::Len => None,
        }
    }

    /// Whether the operation may change the map.
    pub fn is_write(&self) -> bool {
        !matches!(self, Op::Load { .. } | Op::Range { .. } | Op::Len)
    }

    /// Runs the operation against `map` and returns what it returned.
    pub fn apply(&self, map: &dyn ChaosMap) -> Ret {
        fn ret<T>(r: OpResult<T>, f: impl FnOnce(T) -> Ret) -> Ret {
            match r {
                Ok(v) => f(v),
                Err(t) => Ret::Throw(t),
            }
        }
        match *self {
            Op::Load { key } => ret(map.load(key), Ret::Value),
            Op::Store { key, value } => ret(map.store(key, value), |_| Ret::Unit),
            Op::Delete { key } => ret(map.delete(key), |_| Ret::Unit),
            Op::LoadOrStore { key, value } => {
                ret(map.load_or_store(key, value), |(actual, loaded)| {
                    Ret::LoadOrStore { actual, loaded }
                })
            }
            Op::LoadAndDelete { key } => ret(map.load_and_delete(key), Ret::Value),
            Op::Swap { key, value } => ret(map.swap(key, value), Ret::Value),
            Op::CompareAndSwap { key, old, new } => {
                ret(map.compare_and_swap(key, old, new), Ret::Bool)
            }
            Op::CompareAndDelete { key, old } => ret(map.compare_and_delete(key, old), Ret::Bool),
            Op::Range { limit } => {
                let mut seen = Vec::new();
                let r = map.range(&mut |k, v| {
                    seen.push((k, v));
                    limit == 0 || seen.len() < limit as usize
                });
                ret(r, |_| Ret::Entries(seen))
            }
            Op::Clear => ret(map.clear(), |_| Ret::Unit),
            Op::Len => match map.len() {
                None => Ret::Unsupported,
                Some(r) => ret(r, Ret::Len),
            },
        }
    }
}

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "ret", content = "v", rename_all = "snake_case")]
pub enum Ret {
    /// Store, Delete, Clear.
    Unit,
    /// Load, LoadAndDelete, Swap: the value seen (or previous), if any.
    Value(Option<Value>),
    /// LoadOrStore.
    LoadOrStore {
        /// The value now stored for the key.
        actual: Value,
        /// Whether it was already there.
        loaded: bool,
    },
    /// CompareAndSwap, CompareAndDelete.
    Bool(bool),
    /// Range: the entries visited, in visiting order.
    Entries(Vec<(Key, Value)>),
    /// Len.
    Len(usize),
    /// The backend has no such operation (e.g. `len` on `sync.Map`).
    Unsupported,
    /// The operation died with a Go-style fatal error.
    Throw(Throw),
    /// The backend panicked; the panic's message.
    Panic(String),
}
