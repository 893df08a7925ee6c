//! Growth exactly as Go grows (docs/go-maps.md §4, §7, §13): when B steps up, how fast
//! evacuation goes, same-size grows under churn, and iteration at every
//! evacuation stage of a grow.

use std::collections::{HashMap, HashSet};

use chaos::maps::gomap::GoMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Churn steps (delete one random live key, insert a fresh one) for the
/// same-size growth test.
const CHURN_STEPS: usize = 1_000_000;

/// Counts at which inserting distinct keys into a fresh map takes B to
/// 1, 2, …, 15 (docs/go-maps.md §7 and §13, measured on Go 1.19).
const B_STEPS: [usize; 15] = [
    9, 14, 27, 53, 105, 209, 417, 833, 1665, 3329, 6657, 13313, 26625, 53249, 106497,
];

#[test]
fn b_steps_up_exactly_at_gos_counts_and_evacuation_keeps_pace() {
    let m = GoMap::new(0x5eed);
    let mut grow_started_at = None;
    for count in 1..=200_000usize {
        let before = m.stats();
        // Spread keys over the whole u64 range.
        m.insert(
            (count as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            count as u64,
        )
        .unwrap();
        let after = m.stats();
        let expected_b = B_STEPS.iter().take_while(|&&c| c <= count).count() as u8;
        assert_eq!(after.b, expected_b, "B after inserting key #{count}");
        assert_eq!(after.count, count);
        if after.b != before.b {
            assert!(!before.growing, "a grow started while one was running");
            assert!(!after.same_size_grow);
            grow_started_at = Some((count, 1usize << before.b));
        }
        // (A grow of one or two old buckets can end in the write that began it.)
        if grow_started_at.is_some() && !after.growing {
            // Each write evacuates its own bucket and at least the one at
            // nevacuate, so a grow ends within noldbuckets writes; Go 1.19
            // took about 0.69 · 2^oldB writes (docs/go-maps.md §13).
            let (start, nold) = grow_started_at.take().unwrap();
            let writes = count - start + 1;
            assert!(
                writes <= nold,
                "grow of {nold} old buckets took {writes} writes"
            );
            if nold >= 1 << 10 {
                let pace = writes as f64 / nold as f64;
                assert!(
                    (0.6..0.8).contains(&pace),
                    "{nold} old buckets: {writes} writes"
                );
            }
            assert!(
                m.check_invariants().is_empty(),
                "{:?}",
                m.check_invariants()
            );
        }
        if before.growing {
            assert!(
                after.nevacuate > before.nevacuate || !after.growing,
                "nevacuate stalled at write #{count}"
            );
        }
    }
    assert!(m.check_invariants().is_empty());
}

#[test]
fn churn_leaves_overflow_chains_that_same_size_grows_remove() {
    const LIVE: usize = 1000;
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let m = GoMap::new(19);
    let mut live: Vec<u64> = Vec::with_capacity(LIVE);
    while live.len() < LIVE {
        let k = rng.random();
        if m.get(k).unwrap().is_none() {
            m.insert(k, k).unwrap();
            live.push(k);
        }
    }
    assert_eq!(m.stats().b, 8);
    let mut same_size_grows = 0;
    let mut overflow_at_start = 0;
    let mut grow_start_step = 0;
    let mut finished = 0;
    for step in 0..CHURN_STEPS {
        let at_step_start = m.stats();
        let i = rng.random_range(0..LIVE);
        m.remove(live[i]).unwrap();
        let k = rng.random();
        let before = m.stats();
        m.insert(k, k).unwrap();
        live[i] = k;
        let after = m.stats();
        assert_eq!(after.b, 8, "churn never doubles (step {step})");
        if !before.growing && after.growing {
            assert!(after.same_size_grow);
            // Starts exactly when noverflow reaches 2^B.
            assert_eq!(before.noverflow, 256, "step {step}");
            same_size_grows += 1;
            overflow_at_start = before.overflow_buckets;
            grow_start_step = step;
        }
        if at_step_start.growing && !after.growing {
            // Every write (delete or insert) evacuates at least one old
            // bucket: done within 2^B = 256 writes (Go 1.19: about 180).
            let writes = 2 * (step - grow_start_step) + 1;
            finished += 1;
            assert!(writes <= 256, "same-size grow took {writes} writes");
            // The old chains are gone; the re-packed ones are much shorter.
            assert!(
                after.overflow_buckets < overflow_at_start / 2,
                "{} overflow buckets after the grow, {overflow_at_start} before",
                after.overflow_buckets
            );
            let v = m.check_invariants();
            assert!(v.is_empty(), "{v:?}");
        }
    }
    assert_eq!(m.len(), LIVE);
    assert!(finished + 1 >= same_size_grows);
    // Go 1.19: 7–11 per million churn operations (median 9).
    let per_million = same_size_grows as f64 * 1e6 / CHURN_STEPS as f64;
    assert!(
        (4.0..=16.0).contains(&per_million),
        "{same_size_grows} same-size grows"
    );
}

/// A map of `n` keys whose grow of the given kind has just started, with
/// nothing evacuated yet, and its expected contents.
fn map_in_fresh_grow(n: u64, same_size: bool, seed: u64) -> (GoMap, HashMap<u64, u64>) {
    let m = GoMap::new(seed);
    let model: HashMap<u64, u64> = (0..n).map(|k| (k * 31 + 7, k)).collect();
    for (&k, &v) in &model {
        m.insert(k, v).unwrap();
    }
    // Let any natural grow finish first.
    m.force_evacuate(usize::MAX).unwrap();
    assert!(m.force_grow(same_size).unwrap());
    let s = m.stats();
    assert!(s.growing && s.same_size_grow == same_size && s.nevacuate == 0);
    (m, model)
}

fn assert_iterates_exactly(m: &GoMap, model: &HashMap<u64, u64>, what: &str) {
    let mut seen = HashMap::new();
    for kv in m.iter() {
        let (k, v) = kv.unwrap();
        assert!(seen.insert(k, v).is_none(), "{what}: key {k} twice");
    }
    assert_eq!(&seen, model, "{what}");
}

#[test]
fn iteration_started_at_every_evacuation_stage_returns_each_key_once() {
    for same_size in [false, true] {
        let (probe, _) = map_in_fresh_grow(100, same_size, 3);
        let nold = if same_size {
            1 << probe.stats().b
        } else {
            1 << (probe.stats().b - 1)
        };
        for stage in 0..=nold {
            // Evacuated in order (`nevacuate` = stage) ...
            let (m, model) = map_in_fresh_grow(100, same_size, 3);
            m.force_evacuate(stage).unwrap();
            let s = m.stats();
            assert!(s.nevacuate >= stage || !s.growing);
            assert_eq!(s.growing, stage < nold, "stage {stage}");
            assert_iterates_exactly(&m, &model, &format!("same_size={same_size} stage {stage}"));

            // ... and out of order: updates evacuate the buckets they touch.
            let (m, mut model) = map_in_fresh_grow(100, same_size, 3);
            let keys: Vec<u64> = model.keys().copied().collect();
            for &k in keys.iter().step_by(7).take(stage) {
                m.insert(k, k + 1000).unwrap();
                model.insert(k, k + 1000);
            }
            assert_iterates_exactly(
                &m,
                &model,
                &format!("same_size={same_size} updates {stage}"),
            );
            assert!(m.check_invariants().is_empty());
        }
    }
}

#[test]
fn iteration_across_a_grow_that_progresses_under_it_returns_each_key_once() {
    for same_size in [false, true] {
        for start_stage in [0, 3, 9] {
            let (m, model) = map_in_fresh_grow(300, same_size, 11);
            m.force_evacuate(start_stage).unwrap();
            let mut seen = HashSet::new();
            for kv in m.iter() {
                let (k, v) = kv.unwrap();
                assert!(seen.insert(k), "key {k} twice");
                assert_eq!(model.get(&k), Some(&v));
                // Evacuation moves entries under the iterator.
                m.force_evacuate(1).unwrap();
            }
            assert_eq!(seen.len(), model.len());
            assert!(!m.stats().growing);
        }
    }
    // An iterator that began before the grow keeps its own snapshot.
    let m = GoMap::new(4);
    let model: HashMap<u64, u64> = (0..300).map(|k| (k, k)).collect();
    for (&k, &v) in &model {
        m.insert(k, v).unwrap();
    }
    m.force_evacuate(usize::MAX).unwrap();
    let mut it = m.iter();
    let mut seen = HashSet::new();
    for _ in 0..50 {
        seen.insert(it.next().unwrap().unwrap().0);
    }
    assert!(m.force_grow(false).unwrap());
    for kv in it {
        let (k, _) = kv.unwrap();
        assert!(seen.insert(k), "key {k} twice");
        m.force_evacuate(1).unwrap();
    }
    assert_eq!(seen.len(), model.len());
}
