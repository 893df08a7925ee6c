//! The deliberate bugs of `GoMapMutation` fail exactly where they should:
//! a checker tuned on them learns to see those bug classes, not noise.

use std::collections::HashSet;

use chaos::maps::gomap::{GoMap, GoMapMutation};

fn keys_present(m: &GoMap, keys: &[u64]) -> usize {
    keys.iter()
        .filter(|&&k| m.get(k).unwrap().is_some())
        .count()
}

#[test]
fn evacuate_skips_overflow_loses_entries_only_when_a_grow_moves_overflow_chains() {
    // One bucket, full, no overflow: a forced grow moves it whole.
    for same_size in [false, true] {
        let m = GoMap::with_mutation(1, GoMapMutation::EvacuateSkipsOverflow);
        let keys: Vec<u64> = (0..8).collect();
        for &k in &keys {
            m.insert(k, k).unwrap();
        }
        assert_eq!(m.stats().overflow_buckets, 0);
        assert!(m.force_grow(same_size).unwrap());
        m.force_evacuate(usize::MAX).unwrap();
        assert_eq!(keys_present(&m, &keys), 8);
        assert!(m.check_invariants().is_empty());
    }

    // Inserting distinct keys: every grow whose old array had no overflow
    // bucket keeps every key; the first grow of an array with overflow
    // chains loses some.
    let m = GoMap::with_mutation(2, GoMapMutation::EvacuateSkipsOverflow);
    let mut keys = Vec::new();
    let mut old_had_overflow = false;
    let mut clean_grows = 0;
    let mut lossy_grows = 0;
    for k in 0..20_000u64 {
        let before = m.stats();
        m.insert(k, k).unwrap();
        keys.push(k);
        let after = m.stats();
        if !before.growing && after.growing {
            old_had_overflow = before.overflow_buckets > 0;
        }
        if before.growing && !after.growing {
            let lost = keys.len() - keys_present(&m, &keys);
            if old_had_overflow {
                lossy_grows += usize::from(lost > 0);
                break;
            }
            assert_eq!(lost, 0, "grow without overflow chains lost keys");
            clean_grows += 1;
        }
    }
    assert!(
        clean_grows >= 1 && lossy_grows == 1,
        "{clean_grows} {lossy_grows}"
    );
    assert!(m
        .check_invariants()
        .iter()
        .any(|v| v.invariant == "count-mismatch"));

    // The real map, same seed and keys, loses nothing.
    let real = GoMap::new(2);
    for &k in &keys {
        real.insert(k, k).unwrap();
    }
    assert_eq!(keys_present(&real, &keys), keys.len());
}

#[test]
fn iter_ignores_old_buckets_misses_keys_during_a_grow_and_only_then() {
    let count = |m: &GoMap| {
        let mut seen = HashSet::new();
        for kv in m.iter() {
            assert!(seen.insert(kv.unwrap().0));
        }
        seen.len()
    };
    for same_size in [false, true] {
        let m = GoMap::with_mutation(3, GoMapMutation::IterIgnoresOldBuckets);
        for k in 0..300 {
            m.insert(k, k).unwrap();
        }
        m.force_evacuate(usize::MAX).unwrap();
        assert_eq!(count(&m), 300, "not growing: complete");
        assert!(m.force_grow(same_size).unwrap());
        m.force_evacuate(2).unwrap();
        assert!(count(&m) < 300, "growing: misses the old buckets' keys");
        m.force_evacuate(usize::MAX).unwrap();
        assert_eq!(count(&m), 300, "grow finished: complete again");
        // The real map iterates completely during the same grow.
        let real = GoMap::new(3);
        for k in 0..300 {
            real.insert(k, k).unwrap();
        }
        real.force_evacuate(usize::MAX).unwrap();
        assert!(real.force_grow(same_size).unwrap());
        real.force_evacuate(2).unwrap();
        assert_eq!(count(&real), 300);
    }
}
