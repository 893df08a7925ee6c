//! Go's Swiss-table runtime map (`internal/runtime/maps`, Go 1.24+),
//! re-implemented over `u64` keys and values. Behaviour spec:
//! `docs/go-swiss-map.md` §1–§11; race windows §13.
//!
//! # Design
//!
//! A map ([`SwissMap`], Go's `Map`) is either *small* (`dirLen == 0`: one
//! group of 8 slots reached through `dirPtr`, §4) or a *directory* of
//! `dirLen = 1 << globalDepth` table references (§1, §8). A table holds
//! `capacity / 8` groups; a group is a 64-bit control word and 8 slots
//! (`ctrl`, §3). A key's seeded hash splits into H1 (the 57 high bits, which
//! start a triangular probe over groups, §6) and H2 (the 7 low bits, kept in
//! the control byte); the directory takes the hash's top `globalDepth` bits.
//!
//! A table rehashes when `growthLeft` reaches 0 (7/8 full, tombstones
//! counted): it doubles (`grow`) up to `maxTableCapacity` = 1024 slots,
//! beyond which it `split`s into two tables of 1024 by the next top hash
//! bit, doubling the directory first when the table's `localDepth` equals
//! `globalDepth` (§8). The whole move happens inside the write that filled
//! the table; there is no incremental evacuation.
//!
//! [`SwissMap::new`] is the **Go 1.24** shape (commit `5b8ef3bed`): no
//! `pruneTombstones`, no `tombstonePossible` — tombstones are reclaimed only
//! by replacing the table, and a table full of tombstones always grows (§7,
//! "Tombstone reclamation"). [`SwissMap::with_version`]`(seed,
//! GoVersion::Go125)` is the 1.25+ shape: an insert that finds `growthLeft
//! == 0` first prunes tombstones no probe needs (`pruneTombstones`), and
//! `tombstonePossible` lets `clear` wipe an empty map's tombstones (§7, §10). Keys and elems are `uint64`, so the compiler's `_fast64`
//! entry points are what run (§2): a small-map lookup hashes nothing, and
//! the assign's caller stores the value after the write window closes (S4).
//!
//! Go's map is unsynchronised and catches misuse with one byte, `writing`,
//! flipped by writers with a plain XOR (§9). Here the byte and every field
//! are atomics accessed as Go accesses plain memory (Relaxed load, compute,
//! Relaxed store), so racing threads lose updates and see torn state as Go
//! does, while Rust stays sound: groups, tables and directories live in
//! arenas (`group::Arena`) addressed by ids and kept until the map drops, an
//! id that does not resolve is [`Throw::Fault`](crate::maps::Throw::Fault)
//! (Go's wild pointer), and a probe that visits every group without meeting
//! an empty slot — Go would loop forever (S10) — is `Throw::Fault` too.
//!
//! The engine reaches in through [`crate::sync::yield_point`] at every race
//! window of §13 (the `Site::Swiss*` sites, each naming its S-row). Faults
//! apply only where this thread owns the write window and has not yet
//! chosen its table (`SwissAssignFlagSet`, `SwissDeleteFlagSet`,
//! `SwissRehashed`): a forced grow there is the map's own growth at an
//! unlucky moment (module `window`).
//!
//! Modules: `ctrl` (control bytes, H1/H2, probing), `group` (groups and the
//! arena), `table` (tables, `uncheckedPutSlot`), `hash`, `access` (lookup),
//! `assign` (`runtime_mapassign_fast64`, small maps, `growToTable`),
//! `delete`, `grow` (rehash, grow, split, directory doubling), `clear`,
//! `prune` (1.25+'s `pruneTombstones`), `iter`, `window` (the `writing` protocol, faults, forced resizes),
//! `invariants`, `stats`, `backend` (the `ChaosMap` impl).
//!
//! # Go names → Rust names
//!
//! | Go | here |
//! |---|---|
//! | `Map` (`used`, `seed`, `dirPtr`, `dirLen`, `globalDepth`, `globalShift`, `writing`, `clearSeq`) | [`SwissMap`] (same names, snake case) |
//! | `table` (`used`, `capacity`, `growthLeft`, `localDepth`, `index`, `groups`) | `table::Table` |
//! | `ctrlEmpty`, `ctrlDeleted`, `bitsetEmpty`, `abi.SwissMapGroupSlots` | `ctrl::CTRL_EMPTY`, `CTRL_DELETED`, `BITSET_EMPTY`, `SLOTS` |
//! | `maxTableCapacity`, `maxAvgGroupLoad` | `table::MAX_TABLE_CAPACITY`, `MAX_AVG_GROUP_LOAD` |
//! | `runtime_mapaccess2_fast64` | [`SwissMap::get`] |
//! | `runtime_mapassign_fast64` (+ the caller's store), `putSlotSmallFast64` | [`SwissMap::insert`], `put_slot_small` |
//! | `Map.Delete`, `deleteSmall`, `table.Delete` | [`SwissMap::remove`], `delete_small`, `table_delete` |
//! | `Map.Clear`, `clearSmall`, `table.Clear` | [`SwissMap::clear`], `clear_small`, `Table::clear` |
//! | `growToSmall`, `growToTable`, `rehash`, `grow`, `split`, `installTableSplit`, `replaceTable` | same names, snake case |
//! | `Iter`, `Iter.Init`, `Iter.Next`, `grownKeyElem` | [`Iter`], [`SwissMap::iter`], `Iter::next`, `grown_key_elem` |
//! | `fatal("concurrent map …")` | `Err(Throw::…)` |

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed};

mod access;
mod assign;
mod backend;
mod clear;
mod ctrl;
mod delete;
mod group;
mod grow;
mod hash;
mod invariants;
mod iter;
mod prune;
mod stats;
mod table;
mod window;

#[cfg(test)]
mod races;

pub use iter::Iter;
pub use stats::{Counters, Stats, TableLoad};

use group::{Arena, Group, NIL};
use hash::Rng;
use table::Table;

use crate::maps::Throw;

/// Which release's behaviour a [`SwissMap`] follows where they differ
/// (docs/go-swiss-map.md §0, §7, §10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GoVersion {
    /// Go 1.24: tombstones go only when their table is replaced.
    #[default]
    Go124,
    /// Go 1.25 and later: `pruneTombstones` before a rehash, and
    /// `tombstonePossible`.
    Go125,
}

/// Deliberate bugs, for the mutant backends (as
/// [`GoMapMutation`](crate::maps::gomap::GoMapMutation) is for the classic
/// map): each breaks one thing Go's map gets right, and only where the
/// variant says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SwissMutation {
    /// `split` sorts the old table's entries by `localDepthMask(t.localDepth)`
    /// — the hash bit the table's keys already share — instead of
    /// `localDepthMask(t.localDepth + 1)`: an off-by-one that sends every
    /// entry to the same half, so about half of them sit in a table the
    /// directory never sends their key to (loads miss them; a store inserts
    /// a second copy elsewhere). Growing a table, `growToTable` and every
    /// other operation are untouched: the map is correct until a table of
    /// 1024 slots splits.
    SplitUsesOldDepthBit,
}

/// Go's Swiss-table runtime map (`Map`), unsynchronised, with Go's
/// best-effort detection of concurrent misuse.
///
/// Callable from any number of threads at once (atomics only); doing so is
/// a race in the Go sense, and the map then behaves as Go's would: a Go
/// fatal error returned as [`Throw`], or silently wrong results and a
/// broken structure, which [`SwissMap::check_invariants`] reports. Never
/// undefined behaviour.
pub struct SwissMap {
    /// `used`: full slots over all tables (what `len` returns).
    used: AtomicU64,
    /// `seed`: the hash seed; drawn again by a delete that empties the map
    /// and by every clear.
    seed: AtomicU64,
    /// `dirPtr`: for a small map the id of its group in `smalls`; for a
    /// table map the id of its directory in `dirs`; `NIL` before the first
    /// write.
    dir_ptr: AtomicUsize,
    /// `dirLen`: `1 << globalDepth`; 0 marks a small map.
    dir_len: AtomicUsize,
    /// `globalDepth`: top hash bits that pick a table.
    global_depth: AtomicU8,
    /// `globalShift`: `64 - globalDepth`.
    global_shift: AtomicU8,
    /// `writing`: the concurrent-write detector, flipped with XOR 1.
    writing: AtomicU8,
    /// `clearSeq`: how many clears there have been.
    clear_seq: AtomicU64,
    /// `tombstonePossible` (Go 1.25+): false when no table can hold a
    /// tombstone. Unused under [`GoVersion::Go124`].
    tombstone_possible: AtomicBool,
    /// The release this map behaves as.
    version: GoVersion,
    /// Go's `rand()`.
    rng: Rng,
    /// Small maps' groups (`growToSmall`).
    smalls: Arena<Group>,
    /// Every table ever made.
    tables: Arena<Table>,
    /// Every directory ever made: table ids.
    dirs: Arena<Box<[AtomicUsize]>>,
    /// Statistics of ours (not Go fields): table grows, splits, and
    /// directory doublings so far.
    grows: AtomicUsize,
    splits: AtomicUsize,
    dir_doublings: AtomicUsize,
    /// Statistic of ours: successful `pruneTombstones` runs.
    prunes: AtomicUsize,
    /// A deliberate bug, for mutant backends; `None` for the real map.
    mutation: Option<SwissMutation>,
}

impl std::fmt::Debug for SwissMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwissMap")
            .field("stats", &self.stats())
            .field("mutation", &self.mutation)
            .finish()
    }
}

/// `depthToShift`: `64 - depth`.
fn depth_to_shift(depth: u8) -> u8 {
    64u8.wrapping_sub(depth)
}

/// `localDepthMask(d)`: the hash bit that splits a table of depth d − 1.
fn local_depth_mask(depth: u8) -> u64 {
    1u64.checked_shl(64u32.wrapping_sub(u32::from(depth)))
        .unwrap_or(0)
}

impl SwissMap {
    /// The release this map behaves as.
    pub fn version(&self) -> GoVersion {
        self.version
    }

    /// `NewEmptyMap` (`make(map[uint64]uint64)`): nothing allocated; the
    /// seed drawn from the map's random source seeded by `seed`.
    pub fn new(seed: u64) -> SwissMap {
        SwissMap::with_version(seed, GoVersion::Go124)
    }

    /// [`SwissMap::new`], behaving as Go release `version`.
    pub fn with_version(seed: u64, version: GoVersion) -> SwissMap {
        let rng = Rng::new(seed);
        let s = rng.next_u64();
        SwissMap {
            used: AtomicU64::new(0),
            seed: AtomicU64::new(s),
            dir_ptr: AtomicUsize::new(NIL),
            dir_len: AtomicUsize::new(0),
            global_depth: AtomicU8::new(0),
            global_shift: AtomicU8::new(depth_to_shift(0)),
            writing: AtomicU8::new(0),
            clear_seq: AtomicU64::new(0),
            tombstone_possible: AtomicBool::new(false),
            version,
            rng,
            smalls: Arena::new(),
            tables: Arena::new(),
            dirs: Arena::new(),
            grows: AtomicUsize::new(0),
            splits: AtomicUsize::new(0),
            dir_doublings: AtomicUsize::new(0),
            prunes: AtomicUsize::new(0),
            mutation: None,
        }
    }

    /// A Go 1.24 map with a deliberate bug, for mutant backends (see
    /// [`SwissMutation`]).
    pub fn with_mutation(seed: u64, mutation: SwissMutation) -> SwissMap {
        SwissMap {
            mutation: Some(mutation),
            ..SwissMap::new(seed)
        }
    }

    /// Notes an access for race detection (a no-op unless observed).
    #[inline(always)]
    fn note_access(&self, access: crate::sync::Access) -> crate::sync::AccessGuard {
        crate::sync::access(self as *const SwissMap as usize, access)
    }

    /// `len(m)`: `used`, read without any check.
    pub fn len(&self) -> usize {
        // Relaxed: Go reads used without synchronisation.
        self.used.load(Relaxed) as usize
    }

    /// `len(m) == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `typ.Hasher(key, m.seed)`.
    #[inline(always)]
    fn hash(&self, key: u64) -> u64 {
        // Relaxed: a plain read of seed in Go.
        hash::hash(key, self.seed.load(Relaxed))
    }

    /// `m.seed = uintptr(rand())`.
    fn reseed(&self) {
        // Relaxed: a plain store in Go.
        self.seed.store(self.rng.next_u64(), Relaxed);
    }

    /// `m.used += delta` as a plain load and store, a yield point between
    /// them: racing updates are lost (S10).
    fn add_used(&self, delta: i64) {
        // Relaxed: a plain read-modify-write in Go.
        let u = self.used.load(Relaxed);
        let _ = crate::sync::yield_point(crate::sync::Site::SwissCounters);
        self.used.store(u.wrapping_add_signed(delta), Relaxed);
    }

    /// `m.dirLen`.
    #[inline(always)]
    fn dir_len(&self) -> usize {
        // Relaxed: a plain load in Go.
        self.dir_len.load(Relaxed)
    }

    /// The small map's group (`groupReference{data: m.dirPtr}`).
    fn small_group(&self) -> Result<&Group, Throw> {
        // Relaxed: a plain load in Go.
        self.smalls.at(self.dir_ptr.load(Relaxed))
    }

    /// `directoryIndex(hash)`: 0 when `dirLen == 1`, else the top bits.
    #[inline(always)]
    fn directory_index(&self, hash: u64) -> usize {
        if self.dir_len() == 1 {
            return 0;
        }
        // Relaxed: a plain load in Go.
        (hash >> (self.global_shift.load(Relaxed) & 63)) as usize
    }

    /// `directoryAt(i)`: no bounds check in Go; an index past the directory
    /// (a torn `globalShift`/`dirPtr`, S8) is `Throw::Fault` here.
    fn directory_at(&self, i: usize) -> Result<(usize, &Table), Throw> {
        // Relaxed: plain loads in Go.
        let dir = self.dirs.at(self.dir_ptr.load(Relaxed))?;
        let id = dir.get(i).ok_or(Throw::Fault)?.load(Relaxed);
        Ok((id, self.tables.at(id)?))
    }

    /// `directorySet(i, t)`.
    fn directory_set(&self, i: usize, id: usize) -> Result<(), Throw> {
        // Relaxed: plain loads and stores in Go.
        let dir = self.dirs.at(self.dir_ptr.load(Relaxed))?;
        dir.get(i).ok_or(Throw::Fault)?.store(id, Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swissmap_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SwissMap>();
        assert_send_sync::<Iter<'static>>();
    }

    #[test]
    fn depth_helpers() {
        assert_eq!(depth_to_shift(0), 64);
        assert_eq!(depth_to_shift(3), 61);
        assert_eq!(local_depth_mask(1), 1 << 63);
        assert_eq!(local_depth_mask(2), 1 << 62);
    }
}
