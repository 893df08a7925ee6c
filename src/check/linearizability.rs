//! Linearizability of a history against a sequential map, checked per key.
//!
//! A map is a collection of independent registers, one per key, so a history
//! of single-key operations is linearizable iff each key's sub-history is
//! (P-compositionality, Horn & Kroening). Each key is checked with the
//! Wing–Gong search as improved by Lowe: walk the time-ordered list of calls
//! and returns; linearize a pending call whose effect matches the register's
//! state; on reaching a return whose call is not linearized, backtrack. A
//! memo of (set of linearized ops, register state) prunes every state already
//! explored, which makes the common case — a history that is linearizable
//! almost in time order — linear in its length.
//!
//! Whole-map operations are projected onto keys:
//! - `Clear` is a delete of every key the history mentions;
//! - a `Range` that visited `(k, v)` is a read of `k` returning `v`; a
//!   complete `Range` (it did not stop early) that did not visit `k` is a read
//!   of `k` returning "absent". This is exactly Go's `sync.Map.Range` promise
//!   (any mapping the key had during the call; a key present for the whole
//!   call is visited), so [`RangeSemantics::WeakConsistent`] needs nothing more;
//! - for [`RangeSemantics::Snapshot`] backends a `Range` must also have one
//!   instant at which every value it returned was current at once: see
//!   [`check_snapshot_ranges`];
//! - `Len` is not projected (the single-thread model check covers it).
//!
//! An operation that threw, panicked, or never returned (the execution
//! stopped) is *pending*: it may take effect at any point after its invoke,
//! or never.

use std::collections::{BTreeMap, BTreeSet};

// Fx hashing: the memo and the projections hash small integer keys millions
// of times; SipHash's DoS resistance buys nothing here.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::history::Operation;
use crate::maps::{Key, RangeSemantics, Value};
use crate::workload::{Op, Ret};

/// A key's register state: its value, or absent.
type State = Option<Value>;

/// The call part of a per-key operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
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
enum Res {
    Unit,
    Value(Option<Value>),
    LoadOrStore(Value, bool),
    Bool(bool),
    Unknown,
}

/// The sequential specification of one key: the state after `call` returning
/// `res` from `s`, or `None` if that result is impossible in state `s`.
fn step(s: State, call: Call, res: Res) -> Option<State> {
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

/// One operation of a key's sub-history.
#[derive(Clone, Debug)]
struct KeyOp {
    call: Call,
    res: Res,
    invoke: u64,
    /// `u64::MAX` while pending.
    ret: u64,
    /// Index of the originating operation in the checker's input.
    origin: usize,
}

/// A history that is not linearizable, with the operations that show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The key whose sub-history has no linearization (`None` for a
    /// cross-key snapshot violation).
    pub key: Option<Key>,
    /// One line: what could not be explained.
    pub summary: String,
    /// Indices (into the input operations) of the operations involved.
    pub ops: Vec<usize>,
}

/// Checks `ops` (as from [`crate::history::History::operations`]) for
/// linearizability against a sequential map whose key `k` initially holds
/// `initial(k)`. `initial_keys` are the keys that hold a value before the
/// history starts: whole-map operations (`Clear`, a complete `Range`) speak
/// of them too, even if no single-key operation names them. Returns the
/// first counterexample found.
pub fn check(
    ops: &[Operation],
    semantics: RangeSemantics,
    initial: &dyn Fn(Key) -> Option<Value>,
    initial_keys: &[Key],
) -> Result<(), Counterexample> {
    let per_key = project(ops, initial_keys);
    for (key, kops) in &per_key {
        check_key(*key, kops, initial(*key))?;
    }
    if semantics == RangeSemantics::Snapshot {
        check_snapshot_ranges(ops, &per_key, initial)?;
    }
    Ok(())
}

/// The plainest lost write: for each key, the write that certainly took
/// effect last — every other operation that may change the key returned
/// before it was invoked — must be what the key holds at quiescence.
/// Runs before the full search, so a write that vanished is reported as
/// such even when later reads also saw through it.
pub fn check_last_writes(
    ops: &[Operation],
    final_state: &BTreeMap<Key, Value>,
    extra_keys: &[Key],
) -> Result<(), Counterexample> {
    let keys: Vec<Key> = final_state.keys().chain(extra_keys).copied().collect();
    last_writes(&project(ops, &keys), final_state)
}

fn last_writes(
    per_key: &BTreeMap<Key, Vec<KeyOp>>,
    final_state: &BTreeMap<Key, Value>,
) -> Result<(), Counterexample> {
    for (&key, kops) in per_key {
        let may_change = |o: &KeyOp| match (o.call, o.res) {
            (Call::Read, _) => false,
            (_, Res::Unknown) => true,
            _ => certainly_changes(o),
        };
        let Some(last) = kops
            .iter()
            .filter(|o| may_change(o))
            .max_by_key(|o| o.invoke)
        else {
            continue;
        };
        let certainly_last = last.ret != u64::MAX
            && kops
                .iter()
                .filter(|o| may_change(o) && !std::ptr::eq(*o, last))
                .all(|o| o.ret < last.invoke);
        let found = final_state.get(&key).copied();
        let expected = written_value(last);
        if certainly_last && found != expected {
            let show = |v: Option<Value>| v.map_or("absent".to_string(), |v| format!("{v:#x}"));
            return Err(Counterexample {
                key: Some(key),
                summary: format!(
                    "key {key}: the last write, {}, completed after every other write to the key, \
                     yet at quiescence the key is {} instead of {}",
                    last.call,
                    show(found),
                    show(expected)
                ),
                ops: vec![last.origin],
            });
        }
    }
    Ok(())
}

/// Lost writes: checks that the state `final_state`, read at quiescence
/// after every operation of `ops` returned, is one that some linearization
/// of the history ends in, for every key in the history, in `final_state`
/// and in `extra_keys` (e.g. the prefilled ones).
///
/// Call it on a history that [`check`] accepted: a key that fails here then
/// lost an acknowledged write (or resurrected a deleted one).
pub fn check_final(
    ops: &[Operation],
    initial: &dyn Fn(Key) -> Option<Value>,
    final_state: &BTreeMap<Key, Value>,
    extra_keys: &[Key],
) -> Result<(), Counterexample> {
    let keys: Vec<Key> = final_state.keys().chain(extra_keys).copied().collect();
    let mut per_key = project(ops, &keys);
    let end = end_of(ops);
    for (&key, kops) in per_key.iter_mut() {
        push_final_read(kops, final_state.get(&key).copied(), end);
        if let Err(e) = check_key(key, kops, initial(key)) {
            return Err(describe_lost(key, kops, final_state.get(&key).copied(), e));
        }
    }
    Ok(())
}

/// The class of a failed [`check_all`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The history itself has no linearization.
    NotLinearizable,
    /// The write that certainly took effect last on a key is not there at
    /// quiescence ([`check_last_writes`]).
    LastWriteLost,
    /// The history does, but none ends in the quiescent contents.
    LostWrite,
}

/// Everything [`check`], [`check_last_writes`] and [`check_final`] check, in
/// one pass: the history is projected once, and each key is searched once
/// with its quiescent read appended. Only a key that fails is searched
/// again without that read, to tell a non-linearizable history from a lost
/// write. `final_state` is `None` when the contents could not be read.
pub fn check_all(
    ops: &[Operation],
    semantics: RangeSemantics,
    initial: &dyn Fn(Key) -> Option<Value>,
    initial_keys: &[Key],
    final_state: Option<&BTreeMap<Key, Value>>,
) -> Result<(), (Failure, Counterexample)> {
    let mut keys: Vec<Key> = initial_keys.to_vec();
    if let Some(f) = final_state {
        keys.extend(f.keys());
    }
    let mut per_key = project(ops, &keys);
    if let Some(f) = final_state {
        last_writes(&per_key, f).map_err(|e| (Failure::LastWriteLost, e))?;
    }
    let end = end_of(ops);
    for (&key, kops) in per_key.iter_mut() {
        let Some(f) = final_state else {
            check_key(key, kops, initial(key)).map_err(|e| (Failure::NotLinearizable, e))?;
            continue;
        };
        let found = f.get(&key).copied();
        push_final_read(kops, found, end);
        if let Err(e) = check_key(key, kops, initial(key)) {
            kops.pop();
            return Err(match check_key(key, kops, initial(key)) {
                Err(e) => (Failure::NotLinearizable, e),
                Ok(()) => {
                    push_final_read(kops, found, end);
                    (Failure::LostWrite, describe_lost(key, kops, found, e))
                }
            });
        }
        kops.pop();
    }
    if semantics == RangeSemantics::Snapshot {
        check_snapshot_ranges(ops, &per_key, initial).map_err(|e| (Failure::NotLinearizable, e))?;
    }
    Ok(())
}

/// The latest time in the history.
fn end_of(ops: &[Operation]) -> u64 {
    ops.iter()
        .flat_map(|o| [Some(o.invoke), o.ret.as_ref().map(|r| r.0)])
        .flatten()
        .filter(|&t| t != u64::MAX)
        .max()
        .unwrap_or(0)
}

/// Appends the quiescent read of a key, after everything else.
fn push_final_read(kops: &mut Vec<KeyOp>, found: Option<Value>, end: u64) {
    kops.push(KeyOp {
        call: Call::Read,
        res: Res::Value(found),
        invoke: end.saturating_add(1),
        ret: end.saturating_add(2),
        origin: usize::MAX,
    });
}

/// Says which writes could have been last, for a key whose quiescent value
/// no linearization explains (its final read is the last of `kops`).
fn describe_lost(
    key: Key,
    kops: &[KeyOp],
    found: Option<Value>,
    mut e: Counterexample,
) -> Counterexample {
    let real = |o: &&KeyOp| o.origin != usize::MAX;
    let could_be_last: Vec<String> = kops
        .iter()
        .filter(real)
        .filter(|o| o.ret != u64::MAX && certainly_changes(o))
        .filter(|w| {
            !kops
                .iter()
                .filter(real)
                .any(|o| certainly_changes(o) && o.invoke > w.ret)
        })
        .map(|w| match written_value(w) {
            Some(v) => format!("{v:#x}"),
            None => "absent".into(),
        })
        .collect();
    e.ops.retain(|&i| i != usize::MAX);
    e.summary = format!(
        "key {key}: at quiescence {}, but the history's last completed write(s) left {}",
        match found {
            Some(v) => format!("holds {v:#x}"),
            None => "is absent".into(),
        },
        if could_be_last.is_empty() {
            "it unchanged".to_string()
        } else {
            could_be_last.join(" or ")
        }
    );
    e
}

/// Splits the history into per-key sub-histories, projecting whole-map ops
/// onto every key the history or `extra_keys` mentions.
fn project(ops: &[Operation], extra_keys: &[Key]) -> BTreeMap<Key, Vec<KeyOp>> {
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
            Op::Clear => {
                for &k in &universe {
                    push(
                        k,
                        Call::Delete,
                        if ret.is_some() {
                            Res::Unit
                        } else {
                            Res::Unknown
                        },
                    );
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
                    for &k in &universe {
                        if !seen.contains(&k) {
                            push(k, Call::Read, Res::Value(None));
                        }
                    }
                }
            }
            Op::Len => {}
        }
    }
    per_key
}

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
fn check_key(key: Key, kops: &[KeyOp], initial: State) -> Result<(), Counterexample> {
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

/// For snapshot backends: every complete `Range` must have one instant
/// within its call at which each value it returned was current.
///
/// For each visited `(k, v)`, `v` can only be current from its write's
/// invoke (or 0 for the initial value) until the latest return among the
/// writes of `k` that certainly follow that write (invoked after it
/// returned, and certainly changing the value). Intersecting these windows
/// with the range's own interval must leave an instant. The windows
/// over-approximate, so an empty intersection is a certain violation.
fn check_snapshot_ranges(
    ops: &[Operation],
    per_key: &BTreeMap<Key, Vec<KeyOp>>,
    initial: &dyn Fn(Key) -> Option<Value>,
) -> Result<(), Counterexample> {
    // For each (key, value): when it was written and until when it can
    // have stayed current (the earliest return among the key's certain
    // changers invoked after the write returned: a suffix minimum over the
    // changers sorted by invoke).
    let mut window: HashMap<(Key, Value), (u64, u64, usize)> = HashMap::default();
    for (&k, kops) in per_key {
        let mut changers: Vec<(u64, u64)> = kops
            .iter()
            .filter(|o| certainly_changes(o))
            .map(|o| (o.invoke, o.ret))
            .collect();
        changers.sort_unstable();
        let mut suffix_min = vec![u64::MAX; changers.len() + 1];
        for i in (0..changers.len()).rev() {
            suffix_min[i] = suffix_min[i + 1].min(changers[i].1);
        }
        let until = |after: u64| suffix_min[changers.partition_point(|c| c.0 <= after)];
        for o in kops {
            if let Some(v) = written_value(o) {
                window.insert((k, v), (o.invoke, until(o.ret), o.origin));
            }
        }
        if let Some(v) = initial(k) {
            window.entry((k, v)).or_insert((0, until(0), usize::MAX));
        }
    }
    for (ri, r) in ops.iter().enumerate() {
        let (Op::Range { .. }, Some((ret, Ret::Entries(es)))) = (&r.op, &r.ret) else {
            continue;
        };
        let (mut lo, mut hi) = (r.invoke, *ret);
        let mut involved = vec![ri];
        for &(k, v) in es {
            // A value nobody wrote is the per-key check's to report.
            let Some(&(from, until, origin)) = window.get(&(k, v)) else {
                continue;
            };
            if from > lo {
                lo = from;
                if origin != usize::MAX {
                    involved.push(origin);
                }
            }
            hi = hi.min(until);
        }
        if lo > hi {
            involved.sort_unstable();
            involved.dedup();
            return Err(Counterexample {
                key: None,
                summary: format!(
                    "range returned {} entries that were never all current at one instant",
                    es.len()
                ),
                ops: involved,
            });
        }
    }
    Ok(())
}

/// The value an operation certainly wrote, if it is a completed write.
fn written_value(o: &KeyOp) -> Option<Value> {
    match (o.call, o.res) {
        (Call::Store(v), Res::Unit) | (Call::Swap(v), Res::Value(_)) => Some(v),
        (Call::LoadOrStore(v), Res::LoadOrStore(_, false)) => Some(v),
        (Call::Cas(_, new), Res::Bool(true)) => Some(new),
        _ => None,
    }
}

/// Whether a completed op certainly changed the key's value (values are
/// unique in a run, so any completed write or successful delete does).
fn certainly_changes(o: &KeyOp) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::Throw;

    /// A completed operation on thread `t` over `[invoke, ret]`.
    fn op(t: u32, invoke: u64, ret: u64, op: Op, r: Ret) -> Operation {
        Operation {
            thread: t,
            index: invoke as u32,
            op,
            invoke,
            ret: Some((ret, r)),
        }
    }
    fn pending(t: u32, invoke: u64, op: Op) -> Operation {
        Operation {
            thread: t,
            index: invoke as u32,
            op,
            invoke,
            ret: None,
        }
    }
    fn none(_: Key) -> Option<Value> {
        None
    }
    fn lin(ops: &[Operation]) -> Result<(), Counterexample> {
        check(ops, RangeSemantics::Snapshot, &none, &[])
    }
    const A: Key = 1;
    const B: Key = 2;

    #[test]
    fn sequential_history_is_accepted() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 10 }, Ret::Unit),
            op(0, 2, 3, Op::Load { key: A }, Ret::Value(Some(10))),
            op(
                0,
                4,
                5,
                Op::Swap { key: A, value: 11 },
                Ret::Value(Some(10)),
            ),
            op(
                0,
                6,
                7,
                Op::CompareAndSwap {
                    key: A,
                    old: 11,
                    new: 12,
                },
                Ret::Bool(true),
            ),
            op(
                0,
                8,
                9,
                Op::LoadOrStore { key: A, value: 13 },
                Ret::LoadOrStore {
                    actual: 12,
                    loaded: true,
                },
            ),
            op(
                0,
                10,
                11,
                Op::CompareAndDelete { key: A, old: 12 },
                Ret::Bool(true),
            ),
            op(0, 12, 13, Op::LoadAndDelete { key: A }, Ret::Value(None)),
            op(
                0,
                14,
                15,
                Op::LoadOrStore { key: A, value: 14 },
                Ret::LoadOrStore {
                    actual: 14,
                    loaded: false,
                },
            ),
        ];
        assert_eq!(lin(&h), Ok(()));
    }

    #[test]
    fn a_value_nobody_wrote_is_rejected() {
        let h = [op(0, 0, 1, Op::Load { key: A }, Ret::Value(Some(99)))];
        let e = lin(&h).unwrap_err();
        assert_eq!(e.key, Some(A));
        assert_eq!(e.ops, vec![0]);
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_rejected() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(0, 2, 3, Op::Store { key: A, value: 2 }, Ret::Unit),
            op(1, 4, 5, Op::Load { key: A }, Ret::Value(Some(1))),
        ];
        assert!(lin(&h).is_err());
    }

    #[test]
    fn overlapping_operations_may_take_effect_in_either_order() {
        // The load overlaps the store: it may see the old or the new value.
        for seen in [None, Some(1)] {
            let h = [
                op(0, 0, 10, Op::Store { key: A, value: 1 }, Ret::Unit),
                op(1, 2, 3, Op::Load { key: A }, Ret::Value(seen)),
            ];
            assert_eq!(lin(&h), Ok(()), "{seen:?}");
        }
    }

    #[test]
    fn new_then_old_inversion_is_rejected() {
        // Two sequential reads during one store: new value, then old value.
        let h = [
            op(0, 0, 10, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 2, 3, Op::Load { key: A }, Ret::Value(Some(1))),
            op(1, 4, 5, Op::Load { key: A }, Ret::Value(None)),
        ];
        let e = lin(&h).unwrap_err();
        assert!(e.ops.contains(&2), "{e:?}");
    }

    #[test]
    fn check_then_act_load_or_store_is_rejected() {
        // Both callers "stored" a different value for the same fresh key.
        let h = [
            op(
                0,
                0,
                10,
                Op::LoadOrStore { key: A, value: 1 },
                Ret::LoadOrStore {
                    actual: 1,
                    loaded: false,
                },
            ),
            op(
                1,
                1,
                11,
                Op::LoadOrStore { key: A, value: 2 },
                Ret::LoadOrStore {
                    actual: 2,
                    loaded: false,
                },
            ),
        ];
        assert!(lin(&h).is_err());
        // One of them seeing the other's value is fine.
        let ok = [
            op(
                0,
                0,
                10,
                Op::LoadOrStore { key: A, value: 1 },
                Ret::LoadOrStore {
                    actual: 1,
                    loaded: false,
                },
            ),
            op(
                1,
                1,
                11,
                Op::LoadOrStore { key: A, value: 2 },
                Ret::LoadOrStore {
                    actual: 1,
                    loaded: true,
                },
            ),
        ];
        assert_eq!(lin(&ok), Ok(()));
    }

    #[test]
    fn split_swap_returning_the_same_previous_twice_is_rejected() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 2, 10, Op::Swap { key: A, value: 2 }, Ret::Value(Some(1))),
            op(2, 3, 11, Op::Swap { key: A, value: 3 }, Ret::Value(Some(1))),
        ];
        assert!(lin(&h).is_err());
    }

    #[test]
    fn pending_writes_may_or_may_not_take_effect() {
        for seen in [None, Some(1)] {
            let h = [
                pending(0, 0, Op::Store { key: A, value: 1 }),
                op(1, 5, 6, Op::Load { key: A }, Ret::Value(seen)),
            ];
            assert_eq!(lin(&h), Ok(()), "{seen:?}");
        }
        // A throw is pending too: its effect is unknown.
        let thrown = [
            op(
                0,
                0,
                1,
                Op::Store { key: A, value: 1 },
                Ret::Throw(Throw::ConcurrentMapWrites),
            ),
            op(1, 5, 6, Op::Load { key: A }, Ret::Value(Some(1))),
        ];
        assert_eq!(lin(&thrown), Ok(()));
        // But it cannot take effect before it was invoked.
        let early = [
            op(1, 0, 1, Op::Load { key: A }, Ret::Value(Some(1))),
            pending(0, 5, Op::Store { key: A, value: 1 }),
        ];
        assert!(lin(&early).is_err());
    }

    #[test]
    fn clear_is_a_delete_of_every_key() {
        let base = vec![
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(0, 2, 3, Op::Clear, Ret::Unit),
        ];
        let mut ok = base.clone();
        ok.push(op(1, 4, 5, Op::Load { key: A }, Ret::Value(None)));
        assert_eq!(lin(&ok), Ok(()));
        let mut bad = base;
        bad.push(op(1, 4, 5, Op::Load { key: A }, Ret::Value(Some(1))));
        assert!(lin(&bad).is_err());
    }

    #[test]
    fn a_complete_range_that_misses_a_present_key_is_rejected() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(0, 2, 3, Op::Store { key: B, value: 2 }, Ret::Unit),
            op(1, 4, 5, Op::Range { limit: 0 }, Ret::Entries(vec![(B, 2)])),
        ];
        assert!(lin(&h).is_err());
        // A range that stopped early says nothing about the keys it did not reach.
        let early = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(0, 2, 3, Op::Store { key: B, value: 2 }, Ret::Unit),
            op(1, 4, 5, Op::Range { limit: 1 }, Ret::Entries(vec![(B, 2)])),
        ];
        assert_eq!(lin(&early), Ok(()));
    }

    #[test]
    fn sync_map_range_allowed_by_go_is_rejected_only_as_a_snapshot() {
        // a=1 is deleted before b=2 is stored, both during one Range that
        // reports a=1 and b=2: Go documents this for sync.Map.Range ("any
        // mapping for that key from any point during the Range call"), but no
        // single instant had both.
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(
                1,
                2,
                10,
                Op::Range { limit: 0 },
                Ret::Entries(vec![(A, 1), (B, 2)]),
            ),
            op(0, 3, 4, Op::Delete { key: A }, Ret::Unit),
            op(0, 5, 6, Op::Store { key: B, value: 2 }, Ret::Unit),
        ];
        assert_eq!(
            check(&h, RangeSemantics::WeakConsistent, &none, &[]),
            Ok(())
        );
        let e = check(&h, RangeSemantics::Snapshot, &none, &[]).unwrap_err();
        assert_eq!(e.key, None);
        assert!(e.ops.contains(&1), "{e:?}");
    }

    #[test]
    fn initial_values_come_from_the_prefill() {
        let h = [op(0, 0, 1, Op::Load { key: A }, Ret::Value(Some(7)))];
        assert_eq!(
            check(
                &h,
                RangeSemantics::Snapshot,
                &|k| (k == A).then_some(7),
                &[A]
            ),
            Ok(())
        );
        assert!(lin(&h).is_err());
    }

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

    #[test]
    fn a_write_missing_at_quiescence_is_a_lost_write() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 0, 2, Op::Store { key: B, value: 2 }, Ret::Unit),
        ];
        let good: BTreeMap<Key, Value> = [(A, 1), (B, 2)].into();
        assert_eq!(check_final(&h, &none, &good, &[]), Ok(()));
        let lost: BTreeMap<Key, Value> = [(A, 1)].into();
        let e = check_final(&h, &none, &lost, &[]).unwrap_err();
        assert_eq!(e.key, Some(B));
        assert!(
            e.summary.contains("is absent") && e.summary.contains("0x2"),
            "{}",
            e.summary
        );
        // A prefilled key that nobody touched must still be there.
        let init = |k: Key| (k == 9).then_some(90);
        assert!(check_final(&h, &init, &good, &[9]).is_err());
        let mut kept = good.clone();
        kept.insert(9, 90);
        assert_eq!(check_final(&h, &init, &kept, &[9]), Ok(()));
    }

    #[test]
    fn overlapping_final_writes_may_end_either_way() {
        let h = [
            op(0, 0, 5, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 1, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
        ];
        for v in [1, 2] {
            let f: BTreeMap<Key, Value> = [(A, v)].into();
            assert_eq!(check_final(&h, &none, &f, &[]), Ok(()));
        }
    }

    #[test]
    fn clear_and_complete_ranges_speak_of_prefilled_keys_nobody_names() {
        // Key 9 is prefilled and never named by a single-key op: a clear
        // still removes it, and a complete range that misses it after the
        // clear is right (a regression: the projection once ignored it).
        let init = |k: Key| (k == 9).then_some(90);
        let h = [
            op(0, 0, 1, Op::Clear, Ret::Unit),
            op(0, 2, 3, Op::Range { limit: 0 }, Ret::Entries(vec![])),
        ];
        assert_eq!(check(&h, RangeSemantics::Snapshot, &init, &[9]), Ok(()));
        assert_eq!(check_final(&h, &init, &BTreeMap::new(), &[9]), Ok(()));
        // Before any clear, a complete range must see it.
        let early = [op(0, 0, 1, Op::Range { limit: 0 }, Ret::Entries(vec![]))];
        assert!(check(&early, RangeSemantics::Snapshot, &init, &[9]).is_err());
    }

    #[test]
    fn a_last_write_missing_at_quiescence_is_named() {
        let h = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 2, 3, Op::Store { key: A, value: 2 }, Ret::Unit),
            op(1, 4, 5, Op::Load { key: A }, Ret::Value(Some(1))),
        ];
        let lost: BTreeMap<Key, Value> = [(A, 1)].into();
        let e = check_last_writes(&h, &lost, &[]).unwrap_err();
        assert_eq!(e.ops, vec![1]);
        assert!(e.summary.contains("0x1 instead of 0x2"), "{}", e.summary);
        let kept: BTreeMap<Key, Value> = [(A, 2)].into();
        assert_eq!(check_last_writes(&h, &kept, &[]), Ok(()));
        // Overlapping last writes: either may be last, so no verdict here.
        let overlap = [
            op(0, 0, 5, Op::Store { key: A, value: 1 }, Ret::Unit),
            op(1, 1, 6, Op::Store { key: A, value: 2 }, Ret::Unit),
        ];
        assert_eq!(check_last_writes(&overlap, &lost, &[]), Ok(()));
        // A pending write may still land: no verdict either.
        let pending_after = [
            op(0, 0, 1, Op::Store { key: A, value: 1 }, Ret::Unit),
            pending(1, 2, Op::Delete { key: A }),
        ];
        assert_eq!(
            check_last_writes(&pending_after, &BTreeMap::new(), &[]),
            Ok(())
        );
    }

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

            let per_key = project(&history, &[K]);
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
