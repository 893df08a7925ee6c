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
    /// A classic-map write (assign or delete) did its `growWork` while a
    /// doubling grow was in progress.
    WriteDuringGrow,
    /// A classic-map write did its `growWork` while a same-size grow (the
    /// overflow trigger's, or a forced one) was in progress.
    WriteDuringSameSizeGrow,
    /// `sync.Map`'s misses reached `len(dirty)` and a miss promoted dirty.
    SyncMapMissPromotion,
    /// A Swiss table grew (rehashed into a table of twice its capacity).
    SwissGrow,
    /// A Swiss table split into two.
    SwissSplit,
    /// A Swiss map's directory doubled for a split.
    SwissDirectoryGrow,
    /// A Swiss iterator met a table replaced (grown or split) since it
    /// started, and looked its key up in the map as it is now.
    SwissIterAcrossGrow,
    /// A hash-trie insert expanded a slot into new indirect nodes.
    TrieExpand,
}

/// A named interleaving a hunt reports it reached: a coverage mark that
/// fired while another workload thread was in the middle of an op, so the
/// rare path ran *under* another thread's op, not beside an idle map.
/// A backend lists its classes ([`crate::maps::ChaosMap::interleaving_classes`]);
/// `docs/design.md` documents each set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Class {
    /// The class's stable name (`write-during-grow`).
    pub name: &'static str,
    /// The mark that must fire while another thread is mid-op.
    pub mark: Cover,
    /// What it means, in a few words.
    pub what: &'static str,
}

const fn class(name: &'static str, mark: Cover, what: &'static str) -> Class {
    Class { name, mark, what }
}

/// The classic Go map's interleavings (`gomap` and every map built on it).
pub const GOMAP_CLASSES: &[Class] = &[
    class(
        "write-during-grow",
        Cover::WriteDuringGrow,
        "a write did its growWork while a doubling grow was in progress",
    ),
    class(
        "read-during-grow",
        Cover::ReadDuringGrow,
        "a lookup ran while a grow was in progress",
    ),
    class(
        "read-from-old-bucket",
        Cover::ReadFromOldBucket,
        "a lookup searched an old, not yet evacuated bucket",
    ),
    class(
        "iteration-across-evacuation",
        Cover::IterDuringGrow,
        "an iteration step ran while a grow was moving buckets",
    ),
    class(
        "same-size-grow-under-churn",
        Cover::WriteDuringSameSizeGrow,
        "a write did its growWork during a same-size grow",
    ),
    class(
        "overflow-chain-evacuation",
        Cover::EvacuatedOverflowChain,
        "evacuate moved a bucket whose chain had overflow buckets",
    ),
];

/// Go 1.20–1.23's `sync.Map` (`syncmap`).
pub const SYNCMAP_CLASSES: &[Class] = &[
    class(
        "promotion",
        Cover::SyncMapPromotion,
        "dirty was promoted to read",
    ),
    class(
        "miss-promotion",
        Cover::SyncMapMissPromotion,
        "a miss reached len(dirty) and promoted dirty",
    ),
    class(
        "dirty-rebuild",
        Cover::SyncMapDirtyRebuild,
        "dirty was rebuilt from read (dirtyLocked)",
    ),
    class(
        "expunge",
        Cover::SyncMapExpunge,
        "a deleted entry was expunged",
    ),
    class(
        "unexpunge",
        Cover::SyncMapUnexpunge,
        "a store brought an expunged entry back",
    ),
];

const SWISS_GROW: Class = class(
    "table-grow",
    Cover::SwissGrow,
    "a table grew to twice its capacity",
);
const SWISS_SPLIT: Class = class(
    "table-split",
    Cover::SwissSplit,
    "a full-size table split in two",
);
const SWISS_DIRECTORY: Class = class(
    "directory-doubling",
    Cover::SwissDirectoryGrow,
    "the directory doubled for a split",
);

/// Go 1.24+'s Swiss-table map (`swissmap`).
pub const SWISS_CLASSES: &[Class] = &[
    SWISS_GROW,
    SWISS_SPLIT,
    SWISS_DIRECTORY,
    class(
        "iteration-across-grow",
        Cover::SwissIterAcrossGrow,
        "an iterator met a table grown or split since it started",
    ),
];

/// A Swiss map behind one map-wide lock (`swiss-rwmutex`): a grow is
/// never concurrent with an iteration there, so that class is left out
/// rather than reported as a gap every night.
pub const SWISS_LOCKED_CLASSES: &[Class] = &[SWISS_GROW, SWISS_SPLIT, SWISS_DIRECTORY];

/// The classes of a map whose every op holds one map-wide lock around a
/// map with `classes`: those a lock can still let happen. A classic map's
/// grow is incremental, so an iteration under the read lock still walks
/// it; a Swiss map's is not.
pub fn under_one_lock(classes: &'static [Class]) -> &'static [Class] {
    if classes == SWISS_CLASSES {
        SWISS_LOCKED_CLASSES
    } else {
        classes
    }
}

/// Go 1.24+'s `sync.Map` (`hashtriemap`).
pub const TRIE_CLASSES: &[Class] = &[
    class(
        "expand",
        Cover::TrieExpand,
        "an insert expanded a slot into new indirect nodes",
    ),
    class(
        "restart",
        Cover::TrieRestart,
        "a writer's re-check failed and it restarted from the root",
    ),
    class(
        "prune",
        Cover::TriePrune,
        "a delete pruned an emptied indirect node",
    ),
];
