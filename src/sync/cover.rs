//! Coverage marks: named rare paths whose execution a test can assert.

use serde::{Deserialize, Serialize};

/// A rare path that ran. Counted per execution by the engine's hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cover {
    /// A doubling grow started by the load-factor trigger.
    Grow,
    /// A same-size grow started by the overflow trigger.
    SameSizeGrow,
    /// A grow (either kind) started by the fault injector in the middle of a write.
    ForcedGrowMidOp,
    /// Extra evacuation steps run by the fault injector.
    ForcedEvacuation,
    /// A write's progress evacuation (`evacuate(nevacuate)`) withheld by the fault injector.
    WithheldEvacuation,
    /// `evacuate` moved an old bucket whose chain had overflow buckets.
    EvacuatedOverflowChain,
    /// A lookup ran while a grow was in progress.
    ReadDuringGrow,
    /// A lookup searched an old (not yet evacuated) bucket.
    ReadFromOldBucket,
    /// An iteration step ran while a grow was in progress.
    IterDuringGrow,
    /// An iterator re-looked-up an entry that had moved since it started.
    IterRelookup,
    /// A grow finished (oldbuckets dropped).
    GrowFinished,
    /// `sync.Map` promoted dirty to read (misses reached len(dirty), or Range).
    SyncMapPromotion,
    /// The fault injector forced a `sync.Map` promotion.
    SyncMapForcedPromotion,
    /// `sync.Map` rebuilt dirty from read (`dirtyLocked`).
    SyncMapDirtyRebuild,
    /// The fault injector forced a `sync.Map` dirty rebuild.
    SyncMapForcedRebuild,
    /// A `sync.Map` entry was expunged.
    SyncMapExpunge,
    /// A `sync.Map` entry was unexpunged by a store.
    SyncMapUnexpunge,
    /// A scheduler-aware lock was contended and its acquirer yielded.
    LockContended,
    /// A hash-trie writer's re-check failed (the slot changed or the node
    /// died) and it restarted from the root.
    TrieRestart,
    /// A hash-trie delete pruned an emptied indirect node.
    TriePrune,
    /// The fault injector pushed a hash-trie entry one level down.
    TrieForcedExpand,
}
