//! Yield-point sites: the named race windows of the built-in backends.
//!
//! A site names *where* a thread is when it reaches a yield point, so that a
//! scheduler can switch there, a stress run can perturb there, the fault
//! injector can decide whether a fault applies there, and a timeline can say
//! "thread 1 passed the hashWriting check" instead of printing an address.
//! The names follow `docs/go-maps.md` §3–§5 and §11 (the ◆ marks), and for
//! `swissmap` the race windows S1–S15 of `docs/go-swiss-map.md` §13.

use serde::{Deserialize, Serialize};

/// Where a thread stands when it reaches a yield point.
///
/// The `gomap` sites sit at Go's race windows; a write path passes, in order:
/// `AssignChecked` → `AssignFlagSet` → `GrowWork` → (`Evacuate*`) →
/// `AssignInsertSlot` → `AssignKeyStored` → `AssignCounted` → `AssignExit` →
/// `AssignValue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Site {
    // --- gomap lookup (mapaccess) ---
    /// A lookup passed its `hashWriting` check (the read's only check).
    AccessChecked,
    /// A lookup chose which array (old or new) to search.
    AccessBucketChosen,
    /// A lookup found the slot and is about to copy the value out, outside any check.
    AccessValueCopy,

    // --- gomap assign (mapassign) ---
    /// An assign passed its entry check, before it toggles `hashWriting` on.
    AssignChecked,
    /// An assign toggled `hashWriting` (XOR) and now owns the write window.
    AssignFlagSet,
    /// A write is about to do its `growWork` (the bucket in use, then `nevacuate`).
    GrowWork,
    /// `hashGrow` is between two of its commit stores (B, flags, oldbuckets, buckets, ...).
    HashGrowCommit,
    /// `newoverflow` is about to link a fresh overflow bucket.
    NewOverflow,
    /// An assign found where the key goes (existing slot or insert position).
    AssignInsertSlot,
    /// An assign wrote the first of tophash/key and not yet the other.
    AssignKeyStored,
    /// An assign incremented `count`.
    AssignCounted,
    /// An assign is about to run its exit check and clear `hashWriting`.
    AssignExit,
    /// An assign returned its slot; the value store happens after the write window.
    AssignValue,

    // --- gomap evacuation ---
    /// `evacuate` is between two slots of an old bucket chain.
    EvacuateSlot,
    /// `advanceEvacuationMark` is about to move `nevacuate`.
    AdvanceEvacuationMark,

    // --- gomap delete (mapdelete) ---
    /// A delete passed its entry check, before it toggles `hashWriting`.
    DeleteChecked,
    /// A delete toggled `hashWriting` and owns the write window.
    DeleteFlagSet,
    /// A delete cleared a slot (tophash = emptyOne) and is about to fix up `emptyRest`.
    DeleteSlotCleared,
    /// A delete is about to run its exit check and clear `hashWriting`.
    DeleteExit,

    // --- gomap clear (mapclear) ---
    /// A clear passed its entry check, before it toggles `hashWriting`.
    ClearChecked,
    /// A clear is wiping the arrays.
    ClearWiping,
    /// A clear is about to run its exit check.
    ClearExit,

    // --- gomap iteration (mapiterinit / mapiternext) ---
    /// An iterator passed the check at the start of a step.
    IterChecked,
    /// An iterator chose the bucket (old or new) to walk next.
    IterBucketChosen,
    /// An iterator is about to re-look-up an entry that moved since it started.
    IterRelookup,

    // --- swissmap (Go 1.24+ Swiss table; docs/go-swiss-map.md §13, rows S1..S15) ---
    /// A swissmap lookup entered, before it reads `used` for its early
    /// return (S3: a read of an empty map is never checked).
    SwissAccessEntry,
    /// A swissmap lookup passed its one `writing` check and is probing with
    /// no more checks (S2; S5 for a small map, S6–S8 for the table it picks).
    SwissAccessChecked,
    /// A swissmap lookup found the key and is about to copy the elem out
    /// (S2, S4: the elem may not be written yet).
    SwissAccessValueCopy,
    /// A swissmap assign passed its entry check and is hashing the key,
    /// before `writing ^= 1` (S1).
    SwissAssignChecked,
    /// A swissmap assign flipped `writing` and owns the write window; it has
    /// not chosen a table yet (a forced grow may apply here).
    SwissAssignFlagSet,
    /// `putSlotSmall` picked a free slot and has not yet written it (S12).
    SwissSmallSlotChosen,
    /// `growToTable` stored `dirPtr` but not yet `dirLen = 1` (S5).
    SwissGrowToTable,
    /// A swissmap lookup, assign or delete hashed its key, read its table
    /// from the directory and is about to probe it (S2, S6, S7, S9, S15: the
    /// table or the seed may be replaced under it).
    SwissTableChosen,
    /// A swissmap assign stored the key of a new entry, not yet its control
    /// byte (S2).
    SwissInsertSlot,
    /// A swissmap writer is between its counter updates (`growthLeft`,
    /// `t.used`, `m.used`: plain read-modify-writes, S10).
    SwissCounters,
    /// A swissmap assign rehashed its table and is about to read the
    /// directory again and retry (S9; a forced grow may apply here).
    SwissRehashed,
    /// `replaceTable` is between two directory slot stores, or about to mark
    /// the old table with `index = -1` (S6).
    SwissReplaceTable,
    /// A split installed `left` and not yet `right` (S7).
    SwissSplitInstall,
    /// A directory doubling is between its steps: tables' `index` updated,
    /// `globalDepth`, `globalShift`, `dirPtr`, `dirLen` (S8).
    SwissDirectoryDouble,
    /// A swissmap assign is about to run its exit check (S1).
    SwissAssignExit,
    /// A swissmap assign flipped `writing` back; the value store is still
    /// to come (S4).
    SwissAssignValue,
    /// A swissmap delete passed its entry check and is hashing, before
    /// `writing ^= 1` (S1).
    SwissDeleteChecked,
    /// A swissmap delete flipped `writing` and owns the write window; it has
    /// not chosen a table yet (a forced grow may apply here).
    SwissDeleteFlagSet,
    /// `table.Delete` decided between `ctrlEmpty` and a tombstone and has
    /// not yet written it (S11).
    SwissDeleteDecide,
    /// A delete emptied the map and is about to draw a new seed (S15).
    SwissDeleteReseed,
    /// A swissmap delete is about to run its exit check (S1).
    SwissDeleteExit,
    /// A swissmap clear passed its entry check, before `writing ^= 1` (S1).
    SwissClearChecked,
    /// A swissmap clear is zeroing a table or the small group (S14).
    SwissClearWiping,
    /// A swissmap clear is about to run its exit check (S14).
    SwissClearExit,
    /// A swissmap iterator passed its once-per-`Next` check (S13).
    SwissIterChecked,
    /// A swissmap iterator resolved the table it walks next (S8, S13).
    SwissIterTableChosen,
    /// A swissmap iterator is re-looking-up a key of a replaced table
    /// (`grownKeyElem`, S13: may throw the *read* message).
    SwissIterRelookup,

    // --- locks from `crate::sync` ---
    /// A thread is about to acquire a lock.
    LockAcquire,
    /// A thread released a lock.
    LockRelease,
    /// A thread is about to load, store, swap or compare-and-swap an atomic
    /// from [`crate::sync`].
    Atomic,
    /// A thread is about to wait on, or has notified, a
    /// [`crate::sync::Condvar`].
    Condvar,

    // --- syncmap (sync.Map clone) ---
    /// A lock-free fast path loaded the read-only view.
    SyncMapReadLoaded,
    /// A lock-free fast path is about to CAS an entry.
    SyncMapEntryCas,
    /// A slow path holds `mu` (promotion and dirty rebuild may be forced here).
    SyncMapLocked,
    /// `missLocked` is about to promote dirty to read.
    SyncMapPromote,

    // --- hashtriemap (Go 1.24+ sync.Map, docs/go-maps.md §8.11) ---
    /// A walk loaded a child slot, lock-free (loads, writers, `Range`).
    TrieSlotLoaded,
    /// A writer walked to its slot and is about to lock the node and
    /// re-check the slot and the `dead` flag.
    TrieRecheck,
    /// A writer holds the node's lock and is about to publish into the slot.
    TriePublish,
    /// A delete emptied a node and is about to lock its parent to prune it.
    TriePrune,

    // --- anything else ---
    /// Between two operations of a workload thread.
    OpBoundary,
    /// A yield point placed by a user's own backend.
    User(&'static str),
}

impl Site {
    /// A short human phrase for what a thread has just done when it stands
    /// here (it completes "thread 1 store(3) …"); the timeline prints it.
    pub fn phrase(&self) -> String {
        let p = match self {
            Site::AccessChecked => "passed the read's hashWriting check",
            Site::AccessBucketChosen => "chose the bucket array to search",
            Site::AccessValueCopy => "found the slot, about to copy the value out",
            Site::AssignChecked => "passed the hashWriting check",
            Site::AssignFlagSet => "flipped hashWriting (flags ^= hashWriting)",
            Site::GrowWork => "is about to do grow work",
            Site::HashGrowCommit => "is halfway through committing a grow",
            Site::NewOverflow => "is about to link an overflow bucket",
            Site::AssignInsertSlot => "found the slot for the key",
            Site::AssignKeyStored => "wrote the tophash, not yet the key",
            Site::AssignCounted => "incremented count",
            Site::AssignExit => "is about to check and clear hashWriting",
            Site::AssignValue => "cleared hashWriting; the value store is still to come",
            Site::EvacuateSlot => "is halfway through evacuating an old bucket",
            Site::AdvanceEvacuationMark => "is about to advance nevacuate",
            Site::DeleteChecked => "passed the delete's hashWriting check",
            Site::DeleteFlagSet => "flipped hashWriting to delete (flags ^= hashWriting)",
            Site::DeleteSlotCleared => "emptied the slot, emptyRest not yet fixed",
            Site::DeleteExit => "is about to check and clear hashWriting after a delete",
            Site::ClearChecked => "passed the clear's hashWriting check",
            Site::ClearWiping => "is wiping the bucket arrays",
            Site::ClearExit => "is about to check and clear hashWriting after a clear",
            Site::IterChecked => "passed the iterator's hashWriting check",
            Site::IterBucketChosen => "chose the next bucket to walk",
            Site::IterRelookup => "is re-looking-up an entry that moved",
            Site::SwissAccessEntry => "entered a lookup, before reading used",
            Site::SwissAccessChecked => "passed the read's writing check",
            Site::SwissAccessValueCopy => "found the key, about to copy the elem out",
            Site::SwissAssignChecked => "passed the writing check, hashing the key",
            Site::SwissAssignFlagSet => "flipped writing (writing ^= 1)",
            Site::SwissSmallSlotChosen => "chose a free slot of the small map's group",
            Site::SwissGrowToTable => "stored dirPtr, not yet dirLen = 1",
            Site::SwissTableChosen => "hashed its key and read its table from the directory",
            Site::SwissInsertSlot => "stored the key, not yet its control byte",
            Site::SwissCounters => "is between its counter updates",
            Site::SwissRehashed => "rehashed its table, about to retry",
            Site::SwissReplaceTable => "is halfway through replacing a table in the directory",
            Site::SwissSplitInstall => "installed the left half of a split, not yet the right",
            Site::SwissDirectoryDouble => "is halfway through doubling the directory",
            Site::SwissAssignExit => "is about to check writing and flip it back",
            Site::SwissAssignValue => "flipped writing back; the value store is still to come",
            Site::SwissDeleteChecked => "passed the delete's writing check, hashing the key",
            Site::SwissDeleteFlagSet => "flipped writing to delete (writing ^= 1)",
            Site::SwissDeleteDecide => "chose between ctrlEmpty and a tombstone, not yet written",
            Site::SwissDeleteReseed => "emptied the map, about to draw a new seed",
            Site::SwissDeleteExit => "is about to check writing and flip it back after a delete",
            Site::SwissClearChecked => "passed the clear's writing check",
            Site::SwissClearWiping => "is zeroing the groups",
            Site::SwissClearExit => "is about to check writing and flip it back after a clear",
            Site::SwissIterChecked => "passed the iterator's writing check",
            Site::SwissIterTableChosen => "chose the next table to walk",
            Site::SwissIterRelookup => "is re-looking-up a key of a replaced table",
            Site::LockAcquire => "is about to take a lock",
            Site::LockRelease => "released a lock",
            Site::Atomic => "is about to access an atomic",
            Site::Condvar => "is at a condition variable",
            Site::SyncMapReadLoaded => "loaded sync.Map's read-only view",
            Site::SyncMapEntryCas => "is about to CAS an entry",
            Site::SyncMapLocked => "holds sync.Map's mu",
            Site::SyncMapPromote => "is about to promote dirty to read",
            Site::TrieSlotLoaded => "loaded a child slot of the hash-trie",
            Site::TrieRecheck => "walked to its slot, about to lock and re-check it",
            Site::TriePublish => "holds the node's lock, about to publish into the slot",
            Site::TriePrune => "emptied a node, about to lock its parent to prune it",
            Site::OpBoundary => "is between two ops",
            Site::User(name) => return format!("reached `{name}`"),
        };
        p.to_string()
    }

    /// True at the points where a Go map op reads or writes `hashWriting`
    /// (its checks, setting it, checking and clearing it): what explains a
    /// `concurrent map …` throw, so a timeline shows every one of them.
    pub fn touches_hash_writing(self) -> bool {
        matches!(
            self,
            Site::AccessChecked
                | Site::AssignChecked
                | Site::AssignFlagSet
                | Site::AssignExit
                | Site::AssignValue
                | Site::DeleteChecked
                | Site::DeleteFlagSet
                | Site::DeleteExit
                | Site::ClearChecked
                | Site::ClearExit
                | Site::IterChecked
                | Site::SwissAccessChecked
                | Site::SwissAssignChecked
                | Site::SwissAssignFlagSet
                | Site::SwissAssignExit
                | Site::SwissAssignValue
                | Site::SwissDeleteChecked
                | Site::SwissDeleteFlagSet
                | Site::SwissDeleteExit
                | Site::SwissClearChecked
                | Site::SwissClearExit
                | Site::SwissIterChecked
        )
    }

    /// True where the calling thread owns a Go map's write window
    /// (`gomap`'s `hashWriting` or `swissmap`'s `writing`, set by itself):
    /// the only places where a forced grow or forced evacuation keeps the
    /// backend's own contract (docs/design.md step 4). For `swissmap` these
    /// are the points before the writer reads its table from the directory,
    /// so a forced grow there is seen by the write that follows.
    pub fn in_map_write_window(self) -> bool {
        self.in_gomap_write_window() || self.in_swiss_write_window()
    }

    /// [`Site::in_map_write_window`] for `gomap`: every resize fault applies.
    pub fn in_gomap_write_window(self) -> bool {
        matches!(
            self,
            Site::AssignFlagSet | Site::GrowWork | Site::DeleteFlagSet
        )
    }

    /// [`Site::in_map_write_window`] for `swissmap`, which has no incremental
    /// evacuation and no same-size grow: only a forced grow (or split)
    /// applies.
    pub fn in_swiss_write_window(self) -> bool {
        matches!(
            self,
            Site::SwissAssignFlagSet | Site::SwissDeleteFlagSet | Site::SwissRehashed
        )
    }

    /// True where a `syncmap` holds its mutex, so promotion or a dirty rebuild
    /// can be forced without breaking its protocol.
    pub fn in_syncmap_locked(self) -> bool {
        matches!(self, Site::SyncMapLocked)
    }

    /// A hash-trie writer between its walk and its lock, where the
    /// injector may change the writer's own slot under it.
    pub fn in_trie_recheck(self) -> bool {
        matches!(self, Site::TrieRecheck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_window_excludes_read_and_pre_flag_sites() {
        // A fault at a site before the flag is set would run a grow outside the
        // writer's window: a false positive factory. Guard the classification.
        for s in [
            Site::AccessChecked,
            Site::AssignChecked,
            Site::DeleteChecked,
            Site::IterChecked,
            Site::AssignValue,
            Site::SwissAssignChecked,
            Site::SwissTableChosen,
            Site::SwissAssignValue,
            Site::SwissIterChecked,
        ] {
            assert!(!s.in_gomap_write_window(), "{s:?}");
        }
        assert!(Site::GrowWork.in_gomap_write_window());
    }
}
