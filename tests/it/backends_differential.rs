//! `rwmutex` and `syncmap` driven by one thread behave exactly like a
//! sequential map with Go's semantics — through long random sequences with
//! every operation, range with early stops, clears, len where present, and
//! forced grows / evacuations / promotions / dirty rebuilds in between —
//! with their structural invariants clean throughout.

use std::rc::Rc;

use chaos::maps::registry;
use chaos::sync::Cover;

use crate::support::{differential, scale, Marks, DIFF_OPS_PER_BACKEND};

fn run(name: &str, seed: u64) {
    let backend = registry::lookup(name).unwrap();
    differential(&|s| backend.build(s), seed, DIFF_OPS_PER_BACKEND * scale());
}

#[test]
fn rwmutex_matches_the_sequential_model() {
    let marks = Rc::new(Marks::default());
    let _hook = chaos::sync::install(marks.clone());
    run("rwmutex", 0x5eed_0001);
    // The forced resizes put the inner Go map through its growth states.
    for mark in [
        Cover::ReadDuringGrow,
        Cover::ReadFromOldBucket,
        Cover::IterDuringGrow,
        Cover::EvacuatedOverflowChain,
        Cover::GrowFinished,
    ] {
        assert!(marks.0.borrow().contains(&mark), "{mark:?} never ran");
    }
}

#[test]
fn syncmap_matches_the_sequential_model() {
    let marks = Rc::new(Marks::default());
    let _hook = chaos::sync::install(marks.clone());
    run("syncmap", 0x5eed_0002);
    // The run went through every state of the sync.Map protocol.
    for mark in [
        Cover::SyncMapPromotion,
        Cover::SyncMapForcedPromotion,
        Cover::SyncMapDirtyRebuild,
        Cover::SyncMapForcedRebuild,
        Cover::SyncMapExpunge,
        Cover::SyncMapUnexpunge,
    ] {
        assert!(marks.0.borrow().contains(&mark), "{mark:?} never ran");
    }
}

/// The lock mutants are wrong only under concurrency: one thread cannot
/// tell them from `rwmutex` (so their findings are the concurrency's).
#[test]
fn lock_mutants_are_correct_single_threaded() {
    for name in [
        "mutant-write-under-rlock",
        "mutant-unlocked-read",
        "mutant-check-then-act",
        "mutant-split-swap",
    ] {
        let backend = registry::lookup(name).unwrap();
        differential(
            &|s| backend.build(s),
            7,
            DIFF_OPS_PER_BACKEND / 20 * scale(),
        );
    }
}
