//! The hash-trie's structural invariants, checked at quiescence (Go keeps
//! them by its locking protocol; a broken protocol shows here).
//!
//! - `trie-root`: the root has no parent and is not dead.
//! - `trie-parent`: every reachable indirect node names the node that holds
//!   it as its parent.
//! - `trie-dead-reachable`: no reachable indirect node is dead (pruned).
//! - `trie-empty-node`: no reachable indirect node but the root is empty (a
//!   delete prunes the nodes it empties).
//! - `trie-misplaced-entry`: every entry sits on its hash's path: at depth
//!   `d` under child indices equal to its hash's top `4 (d + 1)` bits.
//! - `trie-chain-hash`: the entries of one overflow chain share one full hash.
//! - `trie-duplicate-key`: no key is reachable twice.

use std::collections::HashSet;

use super::node::{NodeRef, CHILDREN, CHILDREN_LOG2};
use super::{HashTrieMap, HASH_BITS};
use crate::maps::Violation;

impl HashTrieMap {
    pub(super) fn invariant_violations(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        let root = self.root();
        let r = self.indirect(root);
        if r.parent.is_some() || r.dead.load(std::sync::atomic::Ordering::SeqCst) {
            out.push(v(
                "trie-root",
                format!("root node {root} has a parent or is dead"),
            ));
        }
        let mut keys = HashSet::new();
        self.check_node(root, HASH_BITS, 0, &mut keys, &mut out);
        out
    }

    /// Checks node `i`, whose children sit at `shift - 4`, reached by the
    /// hash prefix `prefix` (the bits above `shift`).
    fn check_node(
        &self,
        i: usize,
        shift: u32,
        prefix: u64,
        keys: &mut HashSet<u64>,
        out: &mut Vec<Violation>,
    ) {
        let node = self.indirect(i);
        if node.dead.load(std::sync::atomic::Ordering::SeqCst) {
            out.push(v(
                "trie-dead-reachable",
                format!("node {i} is dead but reachable"),
            ));
        }
        if node.parent.is_some() && node.is_empty() {
            out.push(v(
                "trie-empty-node",
                format!("node {i} (not the root) is empty"),
            ));
        }
        let child_shift = shift - CHILDREN_LOG2;
        for slot in 0..CHILDREN {
            let n = node.load(slot);
            let path = prefix | ((slot as u64) << child_shift);
            if n.is_indirect() {
                let c = n.index();
                if self.indirect(c).parent != Some(i) {
                    out.push(v(
                        "trie-parent",
                        format!(
                            "node {c} in slot {slot} of node {i} names {:?} as its parent",
                            self.indirect(c).parent
                        ),
                    ));
                }
                if child_shift == 0 {
                    out.push(v(
                        "trie-misplaced-entry",
                        format!("node {c} lies below the last hash bit"),
                    ));
                    continue;
                }
                self.check_node(c, child_shift, path, keys, out);
            } else if n.is_entry() {
                self.check_chain(n, child_shift, path, keys, out);
            }
        }
    }

    fn check_chain(
        &self,
        head: NodeRef,
        shift: u32,
        path: u64,
        keys: &mut HashSet<u64>,
        out: &mut Vec<Violation>,
    ) {
        let mask = if shift == 0 {
            u64::MAX
        } else {
            !((1u64 << shift) - 1)
        };
        let head_hash = self.hash(self.entry(head).key);
        let mut e = head;
        while !e.is_nil() {
            let entry = self.entry(e);
            let h = self.hash(entry.key);
            if h & mask != path {
                out.push(v(
                    "trie-misplaced-entry",
                    format!(
                        "key {} (hash {h:#018x}) sits under prefix {path:#018x}",
                        entry.key
                    ),
                ));
            }
            if h != head_hash {
                out.push(v(
                    "trie-chain-hash",
                    format!(
                        "key {} chained behind key {} with another full hash",
                        entry.key,
                        self.entry(head).key
                    ),
                ));
            }
            if !keys.insert(entry.key) {
                out.push(v(
                    "trie-duplicate-key",
                    format!("key {} is reachable twice", entry.key),
                ));
            }
            e = entry.overflow();
        }
    }
}

fn v(invariant: &'static str, detail: String) -> Violation {
    Violation { invariant, detail }
}
