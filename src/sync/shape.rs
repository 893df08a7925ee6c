//! Structure-aware faults: what a fault may look at in the backend's
//! structure before it lands, and the rules that decide whether it lands.
//!
//! The injector draws a fault by its rate at an injection site
//! ([`crate::engine::faults`]); the backend that receives it describes its
//! own structure at that instant as a [`Shape`] and asks [`Fault::admit`]
//! what to apply. A fault should make a rare state more likely, never erase
//! one: a doubling grow of a classic map with no overflow chains spreads its
//! entries over twice the buckets, so the chains that an evacuation bug
//! needs become rarer still; a forced split of a Swiss table far from its
//! split size only builds empty tables.
//!
//! | backend | fault | lands when | otherwise |
//! |---|---|---|---|
//! | `gomap` (and wrappers) | [`Fault::Grow`] | the map has overflow buckets | a same-size grow: a grow in progress (reads, writes and iterations across an evacuation) without thinning the buckets |
//! | `gomap` | [`Fault::SameSizeGrow`], [`Fault::WithholdEvacuation`] | always | — |
//! | `gomap` | [`Fault::Evacuate`] | the next old bucket to evacuate has an overflow chain, or no iterator has started on the map | dropped: while an iterator may walk the grow, finishing it early ends the state the iterator must handle |
//! | `swissmap` | [`Fault::Grow`] | the table has fewer than 64 slots, or is at least a quarter full, or is near its split (at least half of `maxTableCapacity` slots) and an eighth full | dropped: rehashing a sparse table only builds emptier ones, and a fault injector forcing it repeatedly would inflate a small map to any number of empty tables (a split leaves each half about a sixteenth full, so splits cannot repeat on one table) |
//! | `syncmap`, `hashtriemap` | every fault | always (each already does nothing where it would do nothing) | — |
//!
//! A dropped or changed fault is decided from the backend's state alone, so
//! a replay of the same trace drops or changes it again: traces and repro
//! files record the fault as drawn.

use super::Fault;

/// A Swiss table smaller than this always takes a forced grow.
const SWISS_FREE_CAPACITY: u64 = 64;

/// The part of a backend's structure the fault rules read, taken by the
/// thread that received the fault, at that instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// A classic Go map (`gomap`).
    GoMap {
        /// Overflow buckets exist (in the current or the old array).
        overflow: bool,
        /// The next old bucket to evacuate (`nevacuate`) has an overflow chain.
        next_has_overflow: bool,
        /// An iterator has started on the map (Go's `iterator` flag, which
        /// stays set).
        iterated: bool,
    },
    /// A Swiss table (`swissmap`), the one the write is in.
    Swiss {
        /// The table's slots.
        capacity: u64,
        /// Its live entries.
        used: u64,
        /// `maxTableCapacity`: where a table splits instead of growing.
        max_capacity: u64,
    },
    /// Any other backend: every fault lands.
    #[default]
    Other,
}

impl Fault {
    /// The fault to apply to a backend of shape `shape` (maybe another
    /// kind), or `None` to drop it; see the module's table.
    pub fn admit(self, shape: &Shape) -> Option<Fault> {
        match (self, *shape) {
            (Fault::Grow, Shape::GoMap { overflow, .. }) => Some(if overflow {
                Fault::Grow
            } else {
                Fault::SameSizeGrow
            }),
            (
                Fault::Evacuate,
                Shape::GoMap {
                    next_has_overflow,
                    iterated,
                    ..
                },
            ) => (next_has_overflow || !iterated).then_some(Fault::Evacuate),
            (
                Fault::Grow,
                Shape::Swiss {
                    capacity,
                    used,
                    max_capacity,
                },
            ) => {
                let near_split = 2 * capacity >= max_capacity && 8 * used >= capacity;
                (capacity < SWISS_FREE_CAPACITY || near_split || 4 * used >= capacity)
                    .then_some(Fault::Grow)
            }
            (fault, _) => Some(fault),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gomap(overflow: bool, next_has_overflow: bool, iterated: bool) -> Shape {
        Shape::GoMap {
            overflow,
            next_has_overflow,
            iterated,
        }
    }

    #[test]
    fn a_doubling_grow_without_overflow_chains_becomes_a_same_size_grow() {
        assert_eq!(
            Fault::Grow.admit(&gomap(false, false, false)),
            Some(Fault::SameSizeGrow)
        );
        assert_eq!(
            Fault::Grow.admit(&gomap(true, false, false)),
            Some(Fault::Grow)
        );
        assert_eq!(
            Fault::SameSizeGrow.admit(&gomap(false, false, false)),
            Some(Fault::SameSizeGrow)
        );
    }

    #[test]
    fn evacuation_is_kept_for_overflow_chains_or_maps_never_iterated() {
        assert_eq!(Fault::Evacuate.admit(&gomap(true, false, true)), None);
        assert_eq!(
            Fault::Evacuate.admit(&gomap(true, true, true)),
            Some(Fault::Evacuate)
        );
        assert_eq!(
            Fault::Evacuate.admit(&gomap(false, false, false)),
            Some(Fault::Evacuate)
        );
    }

    #[test]
    fn a_swiss_grow_lands_on_small_tables_near_the_split_or_a_quarter_full() {
        let t = |capacity, used| Shape::Swiss {
            capacity,
            used,
            max_capacity: 1024,
        };
        assert_eq!(Fault::Grow.admit(&t(32, 1)), Some(Fault::Grow));
        assert_eq!(Fault::Grow.admit(&t(64, 15)), None);
        assert_eq!(Fault::Grow.admit(&t(64, 16)), Some(Fault::Grow));
        assert_eq!(Fault::Grow.admit(&t(256, 63)), None);
        assert_eq!(Fault::Grow.admit(&t(512, 63)), None);
        assert_eq!(Fault::Grow.admit(&t(512, 64)), Some(Fault::Grow));
        assert_eq!(Fault::Grow.admit(&t(1024, 128)), Some(Fault::Grow));
        assert_eq!(Fault::Grow.admit(&t(1024, 127)), None);
        assert_eq!(Fault::Promote.admit(&Shape::Other), Some(Fault::Promote));
    }
}
