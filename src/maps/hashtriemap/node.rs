//! The trie's nodes: indirect nodes and entry nodes, and the tagged
//! [`NodeRef`] a child slot holds (Go's `*node[K, V]` with its `isEntry`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::maps::{Key, Value};
use crate::sync::Mutex;

/// Children of an indirect node (Go's `nChildren`).
pub(super) const CHILDREN: usize = 1 << CHILDREN_LOG2;
/// Hash bits consumed per level (Go's `nChildrenLog2`).
pub(super) const CHILDREN_LOG2: u32 = 4;

/// A pointer to a node: 0 is nil; otherwise `(index + 1) << 1`, with the
/// low bit set for an entry node (index into the entry arena) and clear for
/// an indirect node (index into the indirect arena).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct NodeRef(u64);

impl NodeRef {
    pub(super) const NIL: NodeRef = NodeRef(0);

    pub(super) fn entry(index: usize) -> NodeRef {
        NodeRef(((index as u64 + 1) << 1) | 1)
    }

    pub(super) fn indirect(index: usize) -> NodeRef {
        NodeRef((index as u64 + 1) << 1)
    }

    pub(super) fn is_nil(self) -> bool {
        self.0 == 0
    }

    pub(super) fn is_entry(self) -> bool {
        self.0 & 1 == 1
    }

    pub(super) fn is_indirect(self) -> bool {
        !self.is_nil() && !self.is_entry()
    }

    /// The arena index (of either arena, as the tag says).
    pub(super) fn index(self) -> usize {
        debug_assert!(!self.is_nil());
        ((self.0 >> 1) - 1) as usize
    }
}

/// Go's `indirect[K, V]`.
#[derive(Debug)]
pub(super) struct Indirect {
    /// Set, under the parent's lock and this node's, when the node is pruned
    /// from its parent: a writer that locked it must restart.
    pub(super) dead: AtomicBool,
    /// Protects writes to `children` and to the entry chains they hold.
    pub(super) mu: Mutex<()>,
    /// `None` for a root.
    pub(super) parent: Option<usize>,
    children: [AtomicU64; CHILDREN],
}

impl Indirect {
    pub(super) fn new(parent: Option<usize>) -> Self {
        Indirect {
            dead: AtomicBool::new(false),
            mu: Mutex::new(()),
            parent,
            children: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// `children[slot].Load()` (Go's atomics are sequentially consistent).
    pub(super) fn load(&self, slot: usize) -> NodeRef {
        NodeRef(self.children[slot].load(Ordering::SeqCst))
    }

    /// `children[slot].Store(n)`, under `mu`.
    pub(super) fn store(&self, slot: usize, n: NodeRef) {
        self.children[slot].store(n.0, Ordering::SeqCst);
    }

    /// Every child nil (Go's `empty`).
    pub(super) fn is_empty(&self) -> bool {
        (0..CHILDREN).all(|s| self.load(s).is_nil())
    }
}

/// Go's `entry[K, V]`: immutable but for its `overflow` link, which only a
/// holder of the owning indirect node's lock rewrites.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) key: Key,
    pub(super) value: Value,
    overflow: AtomicU64,
}

impl Entry {
    pub(super) fn new(key: Key, value: Value, overflow: NodeRef) -> Self {
        Entry {
            key,
            value,
            overflow: AtomicU64::new(overflow.0),
        }
    }

    /// The next entry of a full-hash collision chain.
    pub(super) fn overflow(&self) -> NodeRef {
        NodeRef(self.overflow.load(Ordering::SeqCst))
    }

    pub(super) fn set_overflow(&self, n: NodeRef) {
        self.overflow.store(n.0, Ordering::SeqCst);
    }
}
