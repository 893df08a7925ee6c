//! Bad and boundary input: behaves as Go's map does, never panics.

use std::collections::HashMap;

use chaos::maps::gomap::GoMap;

fn contents(m: &GoMap) -> HashMap<u64, u64> {
    let mut seen = HashMap::new();
    for kv in m.iter() {
        let (k, v) = kv.unwrap();
        assert!(seen.insert(k, v).is_none(), "key {k} twice");
    }
    seen
}

#[test]
fn zero_and_absurd_capacity_hints_give_a_working_empty_map() {
    for hint in [0, usize::MAX, 1 << 60, usize::MAX / 144 + 1] {
        let m = GoMap::with_hint(hint, 1);
        let s = m.stats();
        assert_eq!((s.b, s.count, s.buckets), (0, 0, 0), "hint {hint}");
        for k in 0..20 {
            m.insert(k, k + 1).unwrap();
        }
        assert_eq!(m.get(7), Ok(Some(8)));
        assert_eq!(m.stats().b, 2);
        assert!(m.check_invariants().is_empty());
    }
    // A sane hint allocates its array up front, sized like Go's makemap.
    let m = GoMap::with_hint(1000, 1);
    assert_eq!((m.stats().b, m.stats().buckets), (8, 256));
    for k in 0..1000 {
        m.insert(k, k).unwrap();
    }
    assert_eq!(
        m.stats().b,
        8,
        "a hinted map does not grow until its hint is exceeded"
    );
}

#[test]
fn keys_with_tophash_marker_bit_patterns_are_ordinary_keys() {
    // Keys 0..=5 equal the reserved tophash values; u64::MAX and friends have
    // extreme bit patterns. Among 50,000 keys about 2% (5/256) also have a
    // hash whose top byte is below minTopHash, under any seed — their tophash
    // is lifted by 5 and must still be found (`check_invariants` verifies
    // each stored tophash against its key's hash).
    let m = GoMap::new(3);
    let mut model = HashMap::new();
    let specials = [0, 1, 2, 3, 4, 5, u64::MAX, u64::MAX - 1, 1 << 63];
    for (i, k) in specials.into_iter().chain(6..50_000).enumerate() {
        m.insert(k, i as u64).unwrap();
        model.insert(k, i as u64);
    }
    for &k in &specials {
        assert_eq!(m.get(k).unwrap(), model.get(&k).copied(), "key {k}");
    }
    assert_eq!(contents(&m), model);
    assert!(m.check_invariants().is_empty());
    for k in specials {
        m.remove(k).unwrap();
        assert_eq!(m.get(k), Ok(None));
    }
    assert_eq!(m.len(), model.len() - specials.len());
    assert!(m.check_invariants().is_empty());
}

#[test]
fn deleting_absent_keys_and_from_empty_maps_is_a_harmless_no_op() {
    let m = GoMap::new(5);
    m.remove(42).unwrap(); // empty, never allocated
    assert_eq!(m.stats().buckets, 0);
    m.insert(1, 1).unwrap();
    m.remove(1).unwrap();
    m.remove(1).unwrap(); // empty again
    m.remove(2).unwrap();
    assert!(m.is_empty());
    for k in 0..100 {
        m.insert(k, k).unwrap();
    }
    for k in 1000..1100 {
        m.remove(k).unwrap();
    }
    assert_eq!(m.len(), 100);
    assert!(m.check_invariants().is_empty());
}

#[test]
fn a_delete_of_an_absent_key_is_still_a_write_that_evacuates() {
    // Go #40327: delete sets hashWriting and runs growWork even when the
    // key is absent, so it moves a grow along.
    let m = GoMap::new(6);
    for k in 0..500 {
        m.insert(k, k).unwrap();
    }
    m.force_evacuate(usize::MAX).unwrap();
    assert!(m.force_grow(true).unwrap());
    let before = m.stats().nevacuate;
    m.remove(1_000_000).unwrap();
    assert!(m.stats().nevacuate > before);
    assert!(m.check_invariants().is_empty());
}

#[test]
fn clear_ends_live_iterators_and_keeps_b() {
    for grow in [None, Some(false), Some(true)] {
        let m = GoMap::new(7);
        for k in 0..1000 {
            m.insert(k, k).unwrap();
        }
        m.force_evacuate(usize::MAX).unwrap();
        // Iterators that began before the grow and during it.
        let mut before_grow = m.iter();
        before_grow.next().unwrap().unwrap();
        if let Some(same_size) = grow {
            assert!(m.force_grow(same_size).unwrap());
            m.force_evacuate(3).unwrap();
        }
        let mut during = m.iter();
        during.next().unwrap().unwrap();
        let b = m.stats().b;
        m.clear().unwrap();
        assert_eq!(before_grow.next(), None, "grow {grow:?}");
        assert_eq!(during.next(), None, "grow {grow:?}");
        let s = m.stats();
        assert_eq!((s.count, s.b, s.growing, s.noverflow), (0, b, false, 0));
        assert_eq!(m.get(5), Ok(None));
        assert!(m.check_invariants().is_empty());
        // The cleared map is reused as is.
        for k in 0..1000 {
            m.insert(k, k * 2).unwrap();
        }
        assert_eq!(m.get(999), Ok(Some(1998)));
        assert_eq!(m.stats().b, b);
        assert!(m.check_invariants().is_empty());
    }
}

#[test]
fn clear_in_the_middle_of_an_iteration_ends_it() {
    let m = GoMap::new(8);
    for k in 0..300 {
        m.insert(k, k).unwrap();
    }
    let mut n = 0;
    for kv in m.iter() {
        kv.unwrap();
        n += 1;
        if n == 10 {
            m.clear().unwrap();
        }
    }
    assert_eq!(n, 10);
    assert!(m.is_empty());
}

#[test]
fn clear_and_iteration_of_empty_maps() {
    let m = GoMap::new(9);
    m.clear().unwrap();
    assert_eq!(m.iter().next(), None);
    m.insert(1, 1).unwrap();
    m.remove(1).unwrap();
    m.clear().unwrap();
    assert_eq!(m.iter().next(), None);
    assert_eq!(m.len(), 0);
    assert!(m.check_invariants().is_empty());
}

#[test]
fn forced_resizes_on_unallocated_small_and_growing_maps() {
    let m = GoMap::new(10);
    assert_eq!(m.force_grow(false), Ok(false), "nothing to grow yet");
    assert_eq!(m.force_grow(true), Ok(false));
    assert_eq!(m.force_evacuate(5), Ok(0), "not growing");
    m.insert(1, 1).unwrap();
    assert_eq!(m.force_grow(false), Ok(true), "small maps may double");
    assert_eq!(m.force_grow(true), Ok(false), "already growing");
    assert_eq!(m.force_evacuate(usize::MAX), Ok(1));
    assert!(!m.stats().growing);
    // Forced doubling stops once the doubled array would be sparser than
    // one entry per bucket (B >= 4).
    let mut grows = 0;
    while m.force_grow(false).unwrap() {
        m.force_evacuate(usize::MAX).unwrap();
        grows += 1;
        assert!(grows < 10);
    }
    assert_eq!(m.stats().b, 4);
    assert_eq!(m.get(1), Ok(Some(1)));
    assert!(m.check_invariants().is_empty());
}
