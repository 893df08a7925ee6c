//! Single-thread behaviour against `std`'s map, and the structure it leaves.

use std::collections::HashMap;

use super::*;

/// A small xorshift for the differential: the test needs a fixed stream.
struct Xs(u64);

impl Xs {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs `ops` random operations over `keys` keys on `m` and on a
/// `HashMap`, asserting equal results, with faults sprinkled in and the
/// invariants checked every 1,000 ops.
fn differential(m: &HashTrieMap, ops: u64, keys: u64, seed: u64) {
    let mut model: HashMap<u64, u64> = HashMap::new();
    let mut rng = Xs(seed | 1);
    for n in 0..ops {
        let r = rng.next();
        let k = (r >> 8) % keys;
        let v = n + 1;
        match r % 12 {
            0 | 1 => assert_eq!(
                m.load(k).unwrap(),
                model.get(&k).copied(),
                "op {n} load {k}"
            ),
            2 | 3 => {
                m.store(k, v).unwrap();
                model.insert(k, v);
            }
            4 => {
                m.delete(k).unwrap();
                model.remove(&k);
            }
            5 => {
                let want = match model.get(&k) {
                    Some(&old) => (old, true),
                    None => {
                        model.insert(k, v);
                        (v, false)
                    }
                };
                assert_eq!(
                    m.load_or_store(k, v).unwrap(),
                    want,
                    "op {n} load_or_store {k}"
                );
            }
            6 => assert_eq!(m.load_and_delete(k).unwrap(), model.remove(&k), "op {n}"),
            7 => assert_eq!(m.swap(k, v).unwrap(), model.insert(k, v), "op {n}"),
            8 => {
                let old = if r & 0x100 == 0 {
                    model.get(&k).copied().unwrap_or(7)
                } else {
                    7
                };
                let hit = model.get(&k) == Some(&old);
                if hit {
                    model.insert(k, v);
                }
                assert_eq!(
                    m.compare_and_swap(k, old, v).unwrap(),
                    hit,
                    "op {n} cas {k}"
                );
            }
            9 => {
                let old = if r & 0x100 == 0 {
                    model.get(&k).copied().unwrap_or(7)
                } else {
                    7
                };
                let hit = model.get(&k) == Some(&old);
                if hit {
                    model.remove(&k);
                }
                assert_eq!(m.compare_and_delete(k, old).unwrap(), hit, "op {n} cad {k}");
            }
            10 => {
                // Range while writing: each key at most once, present keys
                // that the callback does not touch are seen with their value.
                let mut seen = HashMap::new();
                let mut wrote = None;
                m.range(&mut |rk, rv| {
                    assert!(seen.insert(rk, rv).is_none(), "key {rk} twice");
                    if wrote.is_none() {
                        let wk = (rk + 1) % keys;
                        m.store(wk, v).unwrap();
                        wrote = Some(wk);
                    }
                    true
                })
                .unwrap();
                for (k, v) in &seen {
                    if Some(*k) != wrote {
                        assert_eq!(model.get(k), Some(v), "op {n}: range saw {k}={v}");
                    }
                }
                if let Some(wk) = wrote {
                    model.insert(wk, v);
                }
                let untouched = model.keys().filter(|k| Some(**k) != wrote).count();
                let seen_untouched = seen.keys().filter(|k| Some(**k) != wrote).count();
                assert_eq!(seen_untouched, untouched, "op {n}: range missed a key");
            }
            _ => {
                if r & 0xff00 == 0 {
                    m.clear().unwrap();
                    model.clear();
                } else {
                    let fault = if r & 0x10000 == 0 {
                        Fault::Grow
                    } else {
                        Fault::Evacuate
                    };
                    m.force_resize(fault).unwrap();
                }
            }
        }
        if n % 1000 == 999 {
            let bad = m.check_invariants();
            assert!(bad.is_empty(), "op {n}: {bad:?}");
        }
    }
    for k in 0..keys {
        assert_eq!(m.load(k).unwrap(), model.get(&k).copied(), "final {k}");
    }
}

#[test]
fn a_million_single_thread_ops_agree_with_std_and_keep_the_invariants() {
    // 600,000 ops over 4,096 keys (a trie three levels deep) and 400,000
    // with a 12-bit hash, where most keys share a full hash with others, so
    // every path through the overflow chains runs.
    differential(&HashTrieMap::new(1), 600_000, 4096, 0x9e37_79b9);
    differential(
        &HashTrieMap::with_hash_mask(2, 0xfff0_0000_0000_0000),
        400_000,
        512,
        0x2545_f491,
    );
}

#[test]
fn a_fault_changes_the_structure_but_never_the_contents() {
    let m = HashTrieMap::new(3);
    for k in 0..100 {
        m.store(k, k + 1000).unwrap();
    }
    let depth_before = m.max_depth();
    // Each forced grow pushes the first entry one level down, until it sits
    // in the last level (15 below the root), where there is nowhere to go.
    let pushed = (0..20)
        .take_while(|_| m.force_resize(Fault::Grow).unwrap())
        .count();
    assert!(
        pushed >= 1 && depth_before < 15,
        "{pushed} pushes from depth {depth_before}"
    );
    assert_eq!(m.max_depth(), 15, "after {pushed} pushes");
    assert!(m.force_resize(Fault::Evacuate).unwrap());
    assert!(!m.force_resize(Fault::Promote).unwrap());
    assert!(
        m.check_invariants().is_empty(),
        "{:?}",
        m.check_invariants()
    );
    for k in 0..100 {
        assert_eq!(m.load(k).unwrap(), Some(k + 1000));
    }
    // Deleting everything prunes every node the faults made.
    for k in 0..100 {
        m.delete(k).unwrap();
    }
    assert!(
        m.check_invariants().is_empty(),
        "{:?}",
        m.check_invariants()
    );
    assert_eq!(m.max_depth(), 0);
}

#[test]
fn the_invariants_catch_a_misplaced_entry_and_an_empty_node() {
    let m = HashTrieMap::new(4);
    m.store(1, 10).unwrap();
    let root = m.root();
    // Move key 1's entry into a slot its hash does not lead to.
    let right = HashTrieMap::index(m.hash(1), HASH_BITS - CHILDREN_LOG2);
    let wrong = (right + 1) % CHILDREN;
    let e = m.indirect(root).load(right);
    m.indirect(root).store(wrong, e);
    m.indirect(root).store(right, NodeRef::NIL);
    let names: Vec<&str> = m.check_invariants().iter().map(|v| v.invariant).collect();
    assert_eq!(names, ["trie-misplaced-entry"]);
    // An empty node below the root.
    let ind = m.new_indirect(Some(root));
    m.indirect(root).store(right, NodeRef::indirect(ind));
    let names: Vec<&str> = m.check_invariants().iter().map(|v| v.invariant).collect();
    assert!(names.contains(&"trie-empty-node"), "{names:?}");
}

impl HashTrieMap {
    /// Levels of indirect nodes below the root (0: every entry in the root).
    fn max_depth(&self) -> usize {
        fn depth(m: &HashTrieMap, i: usize) -> usize {
            (0..CHILDREN)
                .map(|s| m.indirect(i).load(s))
                .filter(|n| n.is_indirect())
                .map(|n| 1 + depth(m, n.index()))
                .max()
                .unwrap_or(0)
        }
        depth(self, self.root())
    }
}
