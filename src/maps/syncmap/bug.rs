//! The planted bugs of the `sync.Map` mutants, beside the code they bend.
//!
//! A correct [`super::SyncMap`] is built with [`Bug::None`]; the mutants in
//! [`crate::maps::mutants`] build it with one of the others, and each bug is
//! switched on one line away from the real code it replaces, so that the
//! difference between right and wrong reads in one place.

use crate::maps::gomap::GoMap;
use crate::maps::OpResult;

/// The planted bugs of the `sync.Map` mutants (see [`crate::maps::mutants`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    /// The correct `sync.Map`.
    None,
    /// `mutant-expunged-store`.
    ExpungedStore,
    /// `mutant-lossy-promotion`.
    LossyPromotion,
}

/// The buggy promotion: a fresh map of `dirty`'s live entries only.
/// `is_live(handle)` says whether an entry holds a value.
pub(super) fn lossy_compacted(
    dirty: &GoMap,
    seed: u64,
    is_live: impl Fn(u64) -> OpResult<bool>,
) -> OpResult<GoMap> {
    let compact = GoMap::with_hint(dirty.len(), seed);
    for kv in dirty.iter() {
        let (k, h) = kv?;
        if is_live(h)? {
            compact.insert(k, h)?;
        }
    }
    Ok(compact)
}
