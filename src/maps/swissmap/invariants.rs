//! Structural invariants, checked at quiescence: Go's own debug checks
//! (`table_debug.go`, docs/go-swiss-map.md §5) and the directory's (§8,
//! end of §13), each under a stable name.
//!
//! | name | what must hold |
//! |---|---|
//! | `writing-set` | no writer is running, so `writing == 0` |
//! | `unallocated-nonempty` | nothing allocated ⇒ `used == 0` |
//! | `small-tombstone` | a small map holds no `ctrlDeleted` |
//! | `small-overfull` | a small map holds at most 8 entries (it is promoted at 8) |
//! | `used-mismatch` | `m.used` equals the full slots of the live tables (or the small group) |
//! | `table-used-mismatch` | a table's `used` equals its full slots (Go) |
//! | `growth-left` | `growthLeft` = capacity·7/8 − used − tombstones (Go) |
//! | `no-empty-slot` | every table keeps an empty slot, or probes never end (Go) |
//! | `tombstone-beside-empty` | a group holding a tombstone has no empty slot (a delete writes a tombstone only into a full group, and a group with one never gains an empty slot until it is rehashed; a racing delete, S11, can break it) |
//! | `capacity` | a table's capacity is a power of two in 8..=1024 with capacity/8 groups |
//! | `h2-mismatch` | a full slot's control byte is its key's H2 |
//! | `key-unreachable` | probing finds every full slot's key (Go) |
//! | `duplicate-key` | no key is in two slots |
//! | `wrong-table` | a key's top `localDepth` hash bits are its table's |
//! | `dir-len` | `dirLen == 1 << globalDepth`, `globalShift == 64 − globalDepth` |
//! | `dangling-directory` | every directory slot names a table |
//! | `retired-table` | no directory slot names a table whose `index` is −1 |
//! | `local-depth` | a table's `localDepth` ≤ `globalDepth` |
//! | `directory-run` | a table of depth d fills exactly `1 << (globalDepth − d)` consecutive slots from its `index`, which is a multiple of that |

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;

use super::ctrl::{self, ProbeSeq, CTRL_DELETED, SLOTS};
use super::group::NIL;
use super::table::{max_growth_left, Table, MAX_AVG_GROUP_LOAD, MAX_TABLE_CAPACITY};
use super::{depth_to_shift, hash, SwissMap};
use crate::maps::Violation;

fn v(invariant: &'static str, detail: String) -> Violation {
    Violation { invariant, detail }
}

/// Whether probing `t` for `key` (hash `h`) reaches it: Go's `Get` with no
/// checks and no yield points.
fn findable(t: &Table, h: u64, key: u64) -> bool {
    let mut seq = ProbeSeq::new(ctrl::h1(h), t.length_mask());
    for _ in 0..t.groups.len() {
        let g = t.group(seq.offset);
        let w = g.ctrls();
        let mut m = ctrl::match_h2(w, ctrl::h2(h));
        while m != 0 {
            if g.key(ctrl::first(m)) == key {
                return true;
            }
            m = ctrl::remove_first(m);
        }
        if ctrl::match_empty(w) != 0 {
            return false;
        }
        seq = seq.next();
    }
    false
}

impl SwissMap {
    /// Every broken invariant, by name (see the module table). Meaningful
    /// at quiescence only.
    pub fn check_invariants(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        // Relaxed: quiescent reads.
        if self.writing.load(Relaxed) != 0 {
            out.push(v(
                "writing-set",
                "writing != 0 with no writer running".into(),
            ));
        }
        let used = self.used.load(Relaxed);
        let seed = self.seed.load(Relaxed);
        if self.dir_ptr.load(Relaxed) == NIL {
            if used != 0 {
                out.push(v("unallocated-nonempty", format!("used = {used}")));
            }
            return out;
        }
        let mut keys = HashSet::new();
        if self.dir_len() == 0 {
            let Ok(g) = self.small_group() else {
                out.push(v("dangling-directory", "dirPtr names no group".into()));
                return out;
            };
            let full = g.full_count() as u64;
            for i in 0..SLOTS {
                let c = ctrl::get(g.ctrls(), i);
                if c == CTRL_DELETED {
                    out.push(v("small-tombstone", format!("slot {i}")));
                }
                if ctrl::is_full(c) {
                    let k = g.key(i);
                    if c != ctrl::h2(hash::hash(k, seed)) {
                        out.push(v("h2-mismatch", format!("small slot {i}, key {k}")));
                    }
                    if !keys.insert(k) {
                        out.push(v("duplicate-key", format!("key {k} (small map)")));
                    }
                }
            }
            if full != used {
                out.push(v(
                    "used-mismatch",
                    format!("used = {used}, {full} full slots"),
                ));
            }
            if used > SLOTS as u64 {
                out.push(v("small-overfull", format!("used = {used}")));
            }
            return out;
        }
        self.check_directory(&mut out);
        let mut total = 0u64;
        for (id, t) in self.live_tables() {
            total += self.check_table(id, t, seed, &mut keys, &mut out);
        }
        if total != used {
            out.push(v(
                "used-mismatch",
                format!("used = {used}, {total} full slots in the tables"),
            ));
        }
        out
    }

    fn check_directory(&self, out: &mut Vec<Violation>) {
        // Relaxed: quiescent reads.
        let gd = self.global_depth.load(Relaxed);
        let n = self.dir_len();
        if 1usize.checked_shl(u32::from(gd)) != Some(n)
            || self.global_shift.load(Relaxed) != depth_to_shift(gd)
        {
            out.push(v(
                "dir-len",
                format!(
                    "dirLen {n}, globalDepth {gd}, globalShift {}",
                    self.global_shift.load(Relaxed)
                ),
            ));
            return;
        }
        let mut slots: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..n {
            match self.directory_at(i) {
                Ok((id, t)) => {
                    if t.index() == -1 {
                        out.push(v("retired-table", format!("directory slot {i}")));
                    }
                    slots.entry(id).or_default().push(i);
                }
                Err(_) => out.push(v("dangling-directory", format!("directory slot {i}"))),
            }
        }
        for (id, run) in slots {
            let Some(t) = self.tables.get(id) else {
                continue;
            };
            if t.local_depth > gd {
                out.push(v(
                    "local-depth",
                    format!(
                        "table {id}: localDepth {} > globalDepth {gd}",
                        t.local_depth
                    ),
                ));
                continue;
            }
            let entries = 1usize << (gd - t.local_depth);
            let start = t.index();
            let want: Vec<usize> = (0..entries).map(|i| start as usize + i).collect();
            if start < 0 || !(start as usize).is_multiple_of(entries) || run != want {
                out.push(v(
                    "directory-run",
                    format!(
                        "table {id}: index {start}, {entries} slots expected, found at {run:?}"
                    ),
                ));
            }
        }
    }

    /// Checks one live table; returns its full slots.
    fn check_table(
        &self,
        id: usize,
        t: &Table,
        seed: u64,
        keys: &mut HashSet<u64>,
        out: &mut Vec<Violation>,
    ) -> u64 {
        // Relaxed: quiescent reads.
        let cap = t.capacity;
        if !cap.is_power_of_two()
            || !(SLOTS as u16..=MAX_TABLE_CAPACITY).contains(&cap)
            || t.groups.len() != usize::from(cap) / SLOTS
        {
            out.push(v(
                "capacity",
                format!("table {id}: capacity {cap}, {} groups", t.groups.len()),
            ));
        }
        let gd = self.global_depth.load(Relaxed);
        let (mut full, mut deleted, mut empty) = (0u64, 0u64, 0u64);
        for (gi, g) in t.groups.iter().enumerate() {
            let w = g.ctrls();
            if ctrl::match_empty(w) != 0 && ctrl::match_empty_or_deleted(w) != ctrl::match_empty(w)
            {
                out.push(v(
                    "tombstone-beside-empty",
                    format!("table {id} group {gi}"),
                ));
            }
            for i in 0..SLOTS {
                let c = ctrl::get(g.ctrls(), i);
                if c == CTRL_DELETED {
                    deleted += 1;
                } else if !ctrl::is_full(c) {
                    empty += 1;
                } else {
                    full += 1;
                    let k = g.key(i);
                    let h = hash::hash(k, seed);
                    if c != ctrl::h2(h) {
                        out.push(v(
                            "h2-mismatch",
                            format!("table {id} group {gi} slot {i}, key {k}"),
                        ));
                    } else if !findable(t, h, k) {
                        out.push(v(
                            "key-unreachable",
                            format!("table {id}: key {k} in group {gi}"),
                        ));
                    }
                    if !keys.insert(k) {
                        out.push(v("duplicate-key", format!("key {k} (table {id})")));
                    }
                    if t.local_depth > 0 && t.local_depth <= gd && gd < 64 {
                        let top = h >> (64 - u32::from(t.local_depth));
                        let mine = (t.index().max(0) as u64) >> (gd - t.local_depth);
                        if top != mine {
                            out.push(v("wrong-table", format!("table {id}: key {k}")));
                        }
                    }
                }
            }
        }
        let t_used = u64::from(t.used.load(Relaxed));
        if t_used != full {
            out.push(v(
                "table-used-mismatch",
                format!("table {id}: used {t_used}, {full} full slots"),
            ));
        }
        let gl = i64::from(t.growth_left.load(Relaxed));
        let want = i64::from(cap) * i64::from(MAX_AVG_GROUP_LOAD) / SLOTS as i64
            - full as i64
            - deleted as i64;
        let want = if cap <= SLOTS as u16 {
            i64::from(max_growth_left(cap)) - full as i64 - deleted as i64
        } else {
            want
        };
        if gl != want {
            out.push(v(
                "growth-left",
                format!("table {id}: growthLeft {gl}, expected {want} ({deleted} tombstones)"),
            ));
        } else if cap > SLOTS as u16 && u64::from(t.tombstones()) != deleted {
            out.push(v(
                "growth-left",
                format!(
                    "table {id}: tombstones() {} but {deleted} ctrlDeleted",
                    t.tombstones()
                ),
            ));
        }
        if empty == 0 {
            out.push(v("no-empty-slot", format!("table {id}")));
        }
        full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_and_a_grown_map_are_clean_and_corruption_is_named() {
        let m = SwissMap::new(1);
        assert!(m.check_invariants().is_empty());
        for k in 0..5000 {
            m.insert(k, k).unwrap();
        }
        assert_eq!(m.check_invariants(), vec![]);
        m.used.store(1, Relaxed);
        m.writing.store(1, Relaxed);
        let names: Vec<_> = m.check_invariants().iter().map(|v| v.invariant).collect();
        assert_eq!(names, ["writing-set", "used-mismatch"]);
        m.used.store(5000, Relaxed);
        m.writing.store(0, Relaxed);
        let (_, t) = m.directory_at(0).unwrap();
        t.growth_left.store(0, Relaxed);
        let names: Vec<_> = m.check_invariants().iter().map(|v| v.invariant).collect();
        assert_eq!(names, ["growth-left"]);
    }
}
