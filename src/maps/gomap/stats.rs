//! A snapshot of the header and the overflow chains, for tests and reports.

use std::sync::atomic::Ordering::Relaxed;

use super::bucket::BucketArray;
use super::{GoMap, HASH_WRITING, SAME_SIZE_GROW};

/// The map's header fields and a count of its overflow buckets. Read field
/// by field without synchronisation: exact only when no write is running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// `count`: live entries.
    pub count: usize,
    /// `B`: log2 of the bucket count.
    pub b: u8,
    /// `noverflow`: overflow buckets of the current generation (sampled for B ≥ 16).
    pub noverflow: u16,
    /// A grow is in progress (`oldbuckets != nil`).
    pub growing: bool,
    /// The flag `sameSizeGrow`.
    pub same_size_grow: bool,
    /// `nevacuate`: old buckets below it are evacuated.
    pub nevacuate: usize,
    /// Overflow buckets in the chains of `buckets` and, while growing, of
    /// `oldbuckets` (the lengths of Go's `extra.overflow` and
    /// `extra.oldoverflow`): drops when a grow finishes.
    pub overflow_buckets: usize,
    /// The flag `hashWriting`.
    pub hash_writing: bool,
    /// Buckets in the current array (2^B; 0 before the first assign of a
    /// map made without a hint).
    pub buckets: usize,
}

impl GoMap {
    /// The header and overflow-bucket counts (see [`Stats`]); O(1).
    pub fn stats(&self) -> Stats {
        // Relaxed: a diagnostic snapshot; exact only at quiescence.
        let flags = self.flags.load(Relaxed);
        let buckets = self.buckets.load();
        let old = self.oldbuckets.load();
        Stats {
            count: self.count.load(Relaxed),
            b: self.b.load(Relaxed),
            noverflow: self.noverflow.load(Relaxed),
            growing: old.is_some(),
            same_size_grow: flags & SAME_SIZE_GROW != 0,
            nevacuate: self.nevacuate.load(Relaxed),
            overflow_buckets: self
                .overflow
                .load(Relaxed)
                .wrapping_add(self.oldoverflow.load(Relaxed)),
            hash_writing: flags & HASH_WRITING != 0,
            buckets: buckets.map_or(0, BucketArray::len),
        }
    }
}
