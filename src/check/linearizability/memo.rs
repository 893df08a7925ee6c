//! The search's memo key: a canonical encoding of (linearized set, state)
//! whose size is bounded by how many operations are in flight at once, not
//! by the length of the key's history.
//!
//! Number a run's operations by invoke order (*rank*: by invoke time, ties
//! by index in the key's sub-history — the order in which the search meets
//! their calls). For a set `L` of linearized operations, let `m` be the
//! highest rank of a *completed* operation in `L`, and the *holes* `H` the
//! completed operations ranked below `m` that are not in `L`. Then `L` is
//! exactly: the completed operations ranked up to `m`, less `H`, and the
//! pending operations it holds (a pending operation — it threw, panicked or
//! never returned — may be linearized or not wherever it sits). So
//! (`m`, `H`, the pending operations' bits, state) is a one-to-one image of
//! (`L`, state), and the memo prunes exactly what a bit set over every
//! operation pruned.
//!
//! It is small because every hole was in flight when `m` was invoked. The
//! search linearizes `m` when its walk over the time-ordered calls and
//! returns meets `m`'s call, and the walk never passes the return of an
//! operation it has not linearized. A hole `h` was not linearized then (the
//! operations linearized before `m` are still there below it), and its call
//! comes before `m`'s (lower rank): so `h` was invoked no later than `m`
//! and returned no earlier. A thread runs one operation at a time, so there
//! are at most as many holes as threads.
//!
//! An encoding by the first completed operation `p` not in `L` and the bits
//! of the operations invoked while `p` ran is as exact, but its size is the
//! number of operations invoked during `p`: a thread preempted inside an
//! operation for 30 ms of a stress run makes that tens of thousands.

use super::model::State;

/// A rank that is none (no completed operation linearized).
pub(super) const NONE: u32 = u32::MAX;

/// The memo: a set of encoded configurations, each a run of `u32` words
/// kept in one arena, found through an open-addressing table of slots
/// (linear probing; a slot holds 24 bits of the hash and the entry's
/// offset in the arena, 0 when empty). Looking a configuration up
/// allocates nothing; an entry costs its words plus one, and a slot.
#[derive(Default)]
pub(super) struct Memo {
    slots: Vec<u64>,
    len: usize,
    arena: Vec<u32>,
}

/// Bits of a slot that hold the offset (plus one) into the arena.
const OFFSET_BITS: u32 = 40;
/// The smallest table.
const MIN_SLOTS: usize = 64;

fn hash(words: &[u32]) -> u64 {
    let mut h = words.len() as u64;
    for &w in words {
        h = (h.rotate_left(5) ^ u64::from(w)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    // A final mix: the table indexes by the low bits, the tag is the high.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

impl Memo {
    /// Empties it at a cost in proportion to its entries: a table much
    /// larger than they need (a large search before a small one) is
    /// replaced by one of their size rather than zeroed.
    pub(super) fn clear(&mut self) {
        if self.len == 0 {
            return;
        }
        let fit = (self.len * 2).next_power_of_two().max(MIN_SLOTS);
        if self.slots.len() > 4 * fit {
            self.slots = vec![0; fit];
        } else {
            self.slots.fill(0);
        }
        if self.arena.capacity() > 4 * self.arena.len().max(1024) {
            self.arena = Vec::new();
        } else {
            self.arena.clear();
        }
        self.len = 0;
    }

    /// Entries.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Bytes allocated: table and arena.
    pub(super) fn bytes(&self) -> usize {
        self.slots.capacity() * 8 + self.arena.capacity() * 4
    }

    /// Adds `key`: `Some(false)` if it was there, `Some(true)` if added,
    /// `None` if adding it would take the memo's allocation past `limit`
    /// bytes. So [`Memo::bytes`] never exceeds a limit it was given (while
    /// the table or the arena grows, the old one lives until the copy is
    /// done).
    pub(super) fn insert(&mut self, key: &[u32], limit: usize) -> Option<bool> {
        let h = hash(key);
        let Some(mut free) = self.probe(key, h) else {
            return Some(false);
        };
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let size = (self.slots.len() * 2).max(MIN_SLOTS);
            if size * 8 + self.arena.capacity() * 4 > limit {
                return None;
            }
            self.grow(size);
            free = self.probe(key, h).expect("not there");
        }
        let need = self.arena.len() + 1 + key.len();
        if need > self.arena.capacity() {
            let cap = (self.arena.capacity() * 2).max(need).max(1024);
            if self.slots.len() * 8 + cap * 4 > limit {
                return None;
            }
            self.arena.reserve_exact(cap - self.arena.len());
        }
        let at = self.arena.len() as u64;
        assert!(at + 1 < 1 << OFFSET_BITS, "memo arena full");
        self.arena.push(key.len() as u32);
        self.arena.extend_from_slice(key);
        self.slots[free] = h >> OFFSET_BITS << OFFSET_BITS | (at + 1);
        self.len += 1;
        Some(true)
    }

    /// The free slot `key` (of hash `h`) would take, or `None` if it is
    /// there. (An empty table has no slot: it grows before any insert.)
    fn probe(&self, key: &[u32], h: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return Some(0);
        }
        let mask = self.slots.len() - 1;
        let tag = h >> OFFSET_BITS;
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Some(i);
            }
            if s >> OFFSET_BITS == tag && self.entry(s) == key {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    fn entry(&self, slot: u64) -> &[u32] {
        let at = (slot & ((1 << OFFSET_BITS) - 1)) as usize - 1;
        let len = self.arena[at] as usize;
        &self.arena[at + 1..at + 1 + len]
    }

    fn grow(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        let mask = size - 1;
        for s in old.into_iter().filter(|&s| s != 0) {
            let mut i = hash(self.entry(s)) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }
}

/// A fixed-size bit set.
#[derive(Clone, Debug, Default)]
pub(super) struct BitSet(Vec<u64>);

impl BitSet {
    pub(super) fn reset(&mut self, n: usize) {
        self.0.clear();
        self.0.resize(n.div_ceil(64), 0);
    }
    pub(super) fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    pub(super) fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    fn words(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().flat_map(|&w| [w as u32, (w >> 32) as u32])
    }
}

/// Encodes configurations into one reused buffer: the state (present,
/// value), `m`, the pending operations' bits (a fixed number of words per
/// search), then the holes in increasing order.
#[derive(Default)]
pub(super) struct Encoder {
    buf: Vec<u32>,
}

impl Encoder {
    /// The key of (`L`, `state`), `L` given by `m` ([`NONE`] if it holds no
    /// completed operation), its `holes` in increasing order and the bits
    /// `pending` of the pending operations it holds.
    pub(super) fn config(
        &mut self,
        m: u32,
        pending: &BitSet,
        holes: impl Iterator<Item = u32>,
        state: State,
    ) -> &[u32] {
        let v = state.unwrap_or(0);
        self.buf.clear();
        self.buf
            .extend([u32::from(state.is_some()), v as u32, (v >> 32) as u32, m]);
        self.buf.extend(pending.words());
        self.buf.extend(holes);
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_differ_exactly_when_their_parts_do() {
        let mut e = Encoder::default();
        let mut none = BitSet::default();
        none.reset(70);
        let mut one = none.clone();
        one.set(65);
        let mut key = |m, p: &BitSet, h: &[u32], s| e.config(m, p, h.iter().copied(), s).to_vec();
        let a = key(9, &none, &[1, 4], Some(3));
        assert_eq!(a, key(9, &none, &[1, 4], Some(3)));
        for other in [
            key(9, &none, &[1, 4], None),
            key(9, &none, &[1, 4], Some(4)),
            key(9, &none, &[1, 4], Some(3 | 1 << 40)),
            key(9, &none, &[1], Some(3)),
            key(8, &none, &[1, 4], Some(3)),
            key(9, &one, &[1, 4], Some(3)),
        ] {
            assert_ne!(a, other);
        }
        // Absent is not the value 0.
        assert_ne!(key(NONE, &none, &[], None), key(NONE, &none, &[], Some(0)));
    }

    #[test]
    fn the_memo_is_a_set_of_word_runs() {
        let mut memo = Memo::default();
        let keys: Vec<Vec<u32>> = (0..5000u32)
            .map(|i| {
                let mut k = vec![i.wrapping_mul(2654435761)];
                k.extend((0..i % 7).map(|j| i ^ j));
                k
            })
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(memo.insert(k, usize::MAX), Some(true), "{i}");
            assert_eq!(memo.insert(k, usize::MAX), Some(false), "{i}");
        }
        assert_eq!(memo.len(), 5000);
        for k in &keys {
            assert_eq!(memo.insert(k, usize::MAX), Some(false));
        }
        // A prefix, or the key with a word more, is another key.
        assert_eq!(memo.insert(&keys[20][..1], usize::MAX), Some(true));
        assert_eq!(
            memo.insert(&[keys[100].as_slice(), &[7]].concat(), usize::MAX),
            Some(true)
        );
        memo.clear();
        assert_eq!(memo.len(), 0);
        assert_eq!(memo.insert(&keys[3], usize::MAX), Some(true));
        // Within a limit, it stops short of it, and still finds what it has.
        let mut small = Memo::default();
        let limit = 64 << 10;
        let added = keys
            .iter()
            .take_while(|k| small.insert(k, limit) == Some(true))
            .count();
        assert!(
            added > 1000 && small.bytes() <= limit,
            "{added} {}",
            small.bytes()
        );
        assert_eq!(small.insert(&keys[0], limit), Some(false));
    }
}
