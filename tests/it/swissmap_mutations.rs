//! The deliberate bug of `SwissMutation` fails exactly where it should: a
//! Swiss map whose table split sorts entries by the wrong hash bit is a
//! correct map until a table splits, and a broken one from that split on.

use chaos::maps::swissmap::{SwissMap, SwissMutation};
use chaos::maps::ChaosMap;
use chaos::sync::Fault;

use crate::support::{run_sequence, Model, OpGen};

const BUG: SwissMutation = SwissMutation::SplitUsesOldDepthBit;

#[test]
fn split_uses_old_depth_bit_is_right_until_the_first_split_and_wrong_from_it() {
    let m = SwissMap::with_mutation(1, BUG);
    let real = SwissMap::new(1);
    let mut n = 0u64;
    // Distinct keys up to the first split: the map goes small → 16 → … →
    // 1024 slots (six grows) and every key stays where a lookup finds it.
    while m.stats().splits == 0 {
        m.insert(n, n).unwrap();
        real.insert(n, n).unwrap();
        n += 1;
        if m.stats().splits == 0 && (n.is_multiple_of(64) || n == 896) {
            assert!((0..n).all(|k| m.get(k) == Ok(Some(k))), "{n} keys");
            assert_eq!(m.check_invariants(), vec![], "{n} keys");
        }
    }
    // The first split comes with the 897th key (docs/go-swiss-map.md §15).
    assert_eq!(n, 897);
    assert_eq!(m.stats().grows, 6);
    // At depth 0 the old depth's mask is 0: every entry went left, and the
    // keys whose top hash bit is 1 sit where the directory never looks.
    let missing = (0..n).filter(|&k| m.get(k) == Ok(None)).count();
    assert!(
        (200..700).contains(&missing),
        "{missing} of {n} keys missing"
    );
    assert!(
        m.check_invariants()
            .iter()
            .any(|v| v.invariant == "wrong-table"),
        "{:?}",
        m.check_invariants()
    );
    // The real map, same seed and keys, split correctly.
    assert_eq!(real.stats().splits, 1);
    assert!((0..n).all(|k| real.get(k) == Ok(Some(k))));
    assert_eq!(real.check_invariants(), vec![]);
}

/// Runs `ops` random single-thread operations over keys `0..keys` on the
/// mutant from `seed` (the real map with `real`), forcing a grow before 1
/// op in 25 when `forced`; returns the first divergence from a sequential
/// map and the map's (grows, splits) at the end.
fn sequence(
    seed: u64,
    keys: u64,
    ops: usize,
    forced: bool,
    real: bool,
) -> (Option<String>, usize, usize) {
    let m = if real {
        SwissMap::new(seed)
    } else {
        SwissMap::with_mutation(seed, BUG)
    };
    let mut model = Model::default();
    let mut gen = OpGen::new(seed);
    let mut resize = |g: &mut OpGen| {
        use rand::Rng;
        (forced && g.rng.random_ratio(1, 25)).then_some(Fault::Grow)
    };
    let diverged = run_sequence(
        &m as &dyn ChaosMap,
        &mut model,
        &mut gen,
        ops,
        keys,
        &mut resize,
        "mutant",
    )
    .err();
    let s = m.stats();
    (diverged, s.grows, s.splits)
}

#[test]
fn split_uses_old_depth_bit_passes_the_differential_until_something_splits() {
    // 120 keys: at most 120 entries, so no table reaches the 128 a forced
    // split of a 1024-slot table needs (`chaos::sync::Shape`) (nor the 896 of a natural one), and
    // hundreds of forced grows change nothing a single thread can see.
    for seed in 0..3 {
        let (diverged, grows, splits) = sequence(seed, 120, 20_000, true, false);
        assert_eq!(diverged, None, "seed {seed}");
        assert!(grows > 0, "seed {seed}: no grow");
        assert_eq!(splits, 0, "seed {seed}");
    }
    // 600 keys (about 300 present) with the same forced grows: a 1024-slot
    // table holding 128 or more splits, and the sequence diverges; the
    // real map, same sequence, splits and stays right.
    for seed in 0..3 {
        let (diverged, _, splits) = sequence(seed, 600, 20_000, true, false);
        assert!(splits > 0, "seed {seed}: never split");
        assert!(diverged.is_some(), "seed {seed}: split, yet no divergence");
        let (diverged, _, splits) = sequence(seed, 600, 20_000, true, true);
        assert!(splits > 0, "seed {seed}: the real map never split");
        assert_eq!(diverged, None, "seed {seed}: the real map");
    }
}
