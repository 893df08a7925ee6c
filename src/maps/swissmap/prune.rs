//! `pruneTombstones` (Go 1.25+, docs/go-swiss-map.md §7 "Tombstone
//! reclamation"): when an insert finds `growthLeft == 0`, turn back into
//! empty slots the tombstones no key's probe has to walk past — if that
//! frees at least 10% of the capacity — instead of growing. No entry moves
//! (moving entries would break iterators).
//!
//! Runs inside the writer's window with plain loads and stores, so a racing
//! writer's insert into a group judged "not needed" can be cut off from its
//! probe (as in Go).

use std::sync::atomic::Ordering::Relaxed;

use super::ctrl::{self, ProbeSeq, CTRL_EMPTY};
use super::table::Table;
use super::SwissMap;

impl SwissMap {
    /// `table.pruneTombstones`.
    pub(super) fn prune_tombstones(&self, t: &Table) {
        // Not worth it below 10% of the capacity.
        if u32::from(t.tombstones()) * 10 < u32::from(t.capacity) {
            return;
        }
        let groups = t.groups.len();
        // Groups whose tombstones a probe needs, or that hold an empty slot.
        let mut needed = vec![false; groups];
        for (i, g) in t.groups.iter().enumerate() {
            let w = g.ctrls();
            let mut full = ctrl::match_full(w);
            while full != 0 {
                let j = ctrl::first(full);
                full = ctrl::remove_first(full);
                let hash = self.hash(g.key(j));
                // Every tombstone group this key's probe passes is needed.
                let mut seq = ProbeSeq::new(ctrl::h1(hash), t.length_mask());
                for _ in 0..groups {
                    if seq.offset as usize == i {
                        break;
                    }
                    if ctrl::match_empty_or_deleted(t.group(seq.offset).ctrls()) != 0 {
                        needed[seq.offset as usize] = true;
                    }
                    seq = seq.next();
                }
            }
            if ctrl::match_empty(w) != 0 {
                needed[i] = true;
            }
        }
        let freeable: u32 = t
            .groups
            .iter()
            .zip(&needed)
            .filter(|(_, &n)| !n)
            .map(|(g, _)| ctrl::match_empty_or_deleted(g.ctrls()).count_ones())
            .sum();
        // Can we restore 10% of the capacity? If not, the caller grows.
        if freeable * 10 < u32::from(t.capacity) {
            return;
        }
        for (g, _) in t.groups.iter().zip(&needed).filter(|(_, &n)| !n) {
            let mut m = ctrl::match_empty_or_deleted(g.ctrls());
            while m != 0 {
                let k = ctrl::first(m);
                m = ctrl::remove_first(m);
                g.set_ctrl(k, CTRL_EMPTY);
                // Relaxed: a plain read-modify-write in Go.
                let gl = t.growth_left.load(Relaxed);
                t.growth_left.store(gl.wrapping_add(1), Relaxed);
            }
        }
        // Relaxed: a statistic of ours.
        self.prunes.fetch_add(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::super::GoVersion;
    use super::*;

    /// Delete/insert churn at constant size (golang/go#70886): Go 1.24's
    /// table keeps growing on tombstones; 1.25's prunes them and stays put.
    fn churn(version: GoVersion) -> (usize, usize) {
        let m = SwissMap::with_version(3, version);
        for k in 0..100 {
            m.insert(k, k).unwrap();
        }
        for k in 100..100_000u64 {
            m.remove(k - 100).unwrap();
            m.insert(k, k).unwrap();
        }
        assert_eq!(m.check_invariants(), vec![]);
        assert_eq!(m.len(), 100);
        for k in 99_900..100_000 {
            assert_eq!(m.get(k), Ok(Some(k)));
        }
        let s = m.stats();
        (s.capacity, m.prunes.load(Relaxed))
    }

    #[test]
    fn pruning_keeps_a_churned_map_from_growing() {
        let (cap_124, prunes_124) = churn(GoVersion::Go124);
        let (cap_125, prunes_125) = churn(GoVersion::Go125);
        assert_eq!(prunes_124, 0);
        assert!(prunes_125 > 0);
        assert!(cap_125 < cap_124, "1.24: {cap_124} slots, 1.25: {cap_125}");
        assert!(cap_125 <= 256, "{cap_125}");
    }
}
