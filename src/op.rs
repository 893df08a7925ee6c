//! Operations and their results: the vocabulary shared by the workload, the
//! engine, the history and the checker.

use std::fmt;
use std::str::FromStr;

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

/// The one text form of an op: `store(3, 0x10000000001)`, `load(3)`,
/// `range()`. Keys and range limits in decimal, values in hex (they name
/// their writer, see [`crate::workload`]). Repro files store ops in this form
/// and [`Op::from_str`] reads it back.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Load { key } => write!(f, "load({key})"),
            Op::Store { key, value } => write!(f, "store({key}, {value:#x})"),
            Op::Delete { key } => write!(f, "delete({key})"),
            Op::LoadOrStore { key, value } => write!(f, "load_or_store({key}, {value:#x})"),
            Op::LoadAndDelete { key } => write!(f, "load_and_delete({key})"),
            Op::Swap { key, value } => write!(f, "swap({key}, {value:#x})"),
            Op::CompareAndSwap { key, old, new } => {
                write!(f, "compare_and_swap({key}, {old:#x}, {new:#x})")
            }
            Op::CompareAndDelete { key, old } => write!(f, "compare_and_delete({key}, {old:#x})"),
            Op::Range { limit: 0 } => f.write_str("range()"),
            Op::Range { limit } => write!(f, "range({limit})"),
            Op::Clear => f.write_str("clear()"),
            Op::Len => f.write_str("len()"),
        }
    }
}

/// An op text that did not parse; the message names the text and what is
/// wrong, on one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseOpError(String);

/// Parses the form [`Op`]'s `Display` prints. Numbers are decimal or
/// `0x`-hex, with `_` separators allowed; spaces around arguments are too.
impl FromStr for Op {
    type Err = ParseOpError;

    fn from_str(text: &str) -> Result<Op, ParseOpError> {
        let t = text.trim();
        let bad = |why: &str| ParseOpError(format!("bad op {text:?}: {why}"));
        let (name, rest) = t
            .split_once('(')
            .ok_or_else(|| bad("expected name(args), e.g. store(3, 0x10000000001)"))?;
        let args = rest
            .strip_suffix(')')
            .ok_or_else(|| bad("missing the closing parenthesis"))?;
        let args: Vec<u64> = args
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                let parsed = match a.strip_prefix("0x").or_else(|| a.strip_prefix("0X")) {
                    Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
                    None => a.replace('_', "").parse(),
                };
                parsed.map_err(|_| bad(&format!("{a:?} is not a number")))
            })
            .collect::<Result<_, _>>()?;
        let arity = |n: usize| -> Result<(), ParseOpError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(bad(&format!(
                    "{} takes {n} argument{}, got {}",
                    name.trim(),
                    if n == 1 { "" } else { "s" },
                    args.len()
                )))
            }
        };
        let a = |i: usize| args[i];
        Ok(match name.trim() {
            "load" => arity(1).map(|_| Op::Load { key: a(0) })?,
            "store" => arity(2).map(|_| Op::Store {
                key: a(0),
                value: a(1),
            })?,
            "delete" => arity(1).map(|_| Op::Delete { key: a(0) })?,
            "load_or_store" => arity(2).map(|_| Op::LoadOrStore {
                key: a(0),
                value: a(1),
            })?,
            "load_and_delete" => arity(1).map(|_| Op::LoadAndDelete { key: a(0) })?,
            "swap" => arity(2).map(|_| Op::Swap {
                key: a(0),
                value: a(1),
            })?,
            "compare_and_swap" => arity(3).map(|_| Op::CompareAndSwap {
                key: a(0),
                old: a(1),
                new: a(2),
            })?,
            "compare_and_delete" => arity(2).map(|_| Op::CompareAndDelete {
                key: a(0),
                old: a(1),
            })?,
            "range" if args.is_empty() => Op::Range { limit: 0 },
            "range" => arity(1).and_then(|_| {
                u32::try_from(a(0))
                    .map(|limit| Op::Range { limit })
                    .map_err(|_| bad("the range limit does not fit in 32 bits"))
            })?,
            "clear" => arity(0).map(|_| Op::Clear)?,
            "len" => arity(0).map(|_| Op::Len)?,
            other => {
                return Err(bad(&format!(
                    "unknown operation {other:?}; operations are: {}",
                    OP_NAMES.join(", ")
                )))
            }
        })
    }
}

impl Op {
    /// The op named by its kind and key only: `store(3)`, `range()`.
    pub fn short(&self) -> String {
        match self.key() {
            Some(k) => format!("{}({k})", self.name()),
            None => format!("{}()", self.name()),
        }
    }
}

/// What an op returned, as text: `()`, `Some(0x10000000001)`, `true`,
/// `3 entries`, Go's fatal error.
impl fmt::Display for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Unit => f.write_str("()"),
            Ret::Value(None) => f.write_str("None"),
            Ret::Value(Some(v)) => write!(f, "Some({v:#x})"),
            Ret::LoadOrStore { actual, loaded } => write!(f, "({actual:#x}, loaded={loaded})"),
            Ret::Bool(b) => write!(f, "{b}"),
            Ret::Entries(e) => write!(f, "{} entries", e.len()),
            Ret::Len(n) => write!(f, "{n}"),
            Ret::Unsupported => f.write_str("unsupported"),
            Ret::Throw(t) => write!(f, "{t}"),
            Ret::Panic(m) => write!(f, "panic: {m}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_round_trips_through_its_text() {
        let ops = [
            Op::Load { key: 3 },
            Op::Store {
                key: 3,
                value: 0x100_0000_0001,
            },
            Op::Delete { key: 0 },
            Op::LoadOrStore { key: 1, value: 9 },
            Op::LoadAndDelete { key: 2 },
            Op::Swap { key: 5, value: 7 },
            Op::CompareAndSwap {
                key: 1,
                old: 2,
                new: 3,
            },
            Op::CompareAndDelete { key: 1, old: 2 },
            Op::Range { limit: 0 },
            Op::Range { limit: 4 },
            Op::Clear,
            Op::Len,
        ];
        for op in ops {
            assert_eq!(op.to_string().parse::<Op>(), Ok(op), "{op}");
        }
        assert_eq!(
            " store( 3 ,10 ) ".parse::<Op>(),
            Ok(Op::Store { key: 3, value: 10 })
        );
        assert_eq!("range(0)".parse::<Op>(), Ok(Op::Range { limit: 0 }));
    }

    #[test]
    fn bad_op_text_says_what_is_wrong() {
        for (text, says) in [
            ("store(3)", "takes 2 arguments"),
            ("stor(3, 4)", "unknown operation"),
            ("load 3", "expected name(args)"),
            ("load(3", "closing parenthesis"),
            ("load(x)", "not a number"),
            ("range(99999999999)", "32 bits"),
        ] {
            let e = text.parse::<Op>().unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains('\n'));
        }
    }
}
