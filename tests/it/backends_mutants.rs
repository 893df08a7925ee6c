//! Every mutant, under the conditions that expose it, produces its class of
//! finding — and the correct backend does not, on the same run.
//!
//! Randomised tests say their odds. The budgets are generous bounds, not
//! expected run lengths: each test stops at the first finding.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use chaos::maps::gomap::{GoMap, GoMapMutation};
use chaos::maps::registry::{self, FindingClass};
use chaos::maps::{ChaosMap, Throw};
use chaos::sync::{Fault, Site};

use crate::support::{all_sites, run_sequence, scale, Model, OpGen, Perturb};

fn build(name: &str, seed: u64) -> Arc<dyn ChaosMap> {
    Arc::from(registry::lookup(name).unwrap().build(seed))
}

fn expected(name: &str) -> FindingClass {
    registry::lookup(name)
        .unwrap()
        .mutant_info()
        .unwrap()
        .expected
}

/// Runs `body(thread, iteration, map)` on `threads` threads until one
/// returns a throw or each has done `ops` iterations; returns the throws
/// seen. Each thread yields at one yield point in 16 (as stress mode's
/// perturbation does) so that race windows overlap even on a busy core.
fn race_until_throw(
    map: Arc<dyn ChaosMap>,
    threads: u64,
    ops: u64,
    body: fn(u64, u64, &dyn ChaosMap) -> Result<(), Throw>,
) -> Vec<Throw> {
    let stop = Arc::new(AtomicBool::new(false));
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            let (map, stop) = (map.clone(), stop.clone());
            std::thread::spawn(move || {
                // Stress-mode perturbation: yield now and then at the Go
                // map's race windows, so the writers' windows overlap even
                // when the two threads share one busy core.
                let _h = chaos::sync::install(Rc::new(Perturb::new(t + 1, 16, all_sites)));
                for i in 0..ops {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    if let Err(throw) = body(t, i, map.as_ref()) {
                        stop.store(true, Ordering::Relaxed);
                        return Some(throw);
                    }
                }
                None
            })
        })
        .collect();
    hs.into_iter().filter_map(|h| h.join().unwrap()).collect()
}

/// Two writers of disjoint keys. Odds: a throw needs the two writers'
/// write windows to overlap once in up to 2 × 2M writes. Measured with the
/// perturbation of [`race_until_throw`] (also with another test binary
/// sharing the two cores): the first throw came within 0–8 writes in 9 of 9
/// runs, so a miss within the bound means the mutant is not racing at all.
#[test]
fn write_under_rlock_throws_concurrent_map_writes() {
    assert_eq!(expected("mutant-write-under-rlock"), FindingClass::Throw);
    let throws = race_until_throw(
        build("mutant-write-under-rlock", 1),
        2,
        2_000_000,
        |t, i, m| {
            let key = t * 1_000_000 + i % 500;
            if i % 4 == 3 {
                m.delete(key)
            } else {
                m.store(key, i)
            }
        },
    );
    assert!(throws.contains(&Throw::ConcurrentMapWrites), "{throws:?}");
}

/// One writer (under the lock) and one unlocked reader. Odds as above: the
/// reader must land in a write window once in up to 2M reads; measured:
/// within 16–4,791 reads in 9 of 9 runs.
#[test]
fn unlocked_read_throws_concurrent_map_read_and_map_write() {
    assert_eq!(expected("mutant-unlocked-read"), FindingClass::Throw);
    let map = build("mutant-unlocked-read", 2);
    for k in 0..100 {
        map.store(k, k).unwrap();
    }
    let throws = race_until_throw(map, 2, 2_000_000, |t, i, m| match t {
        0 => m.store(i % 100, i),
        _ => m.load(i % 100).map(drop),
    });
    assert!(
        throws.contains(&Throw::ConcurrentMapReadAndMapWrite),
        "{throws:?}"
    );
}

/// The same two races against `rwmutex` never throw.
#[test]
fn rwmutex_does_not_throw_on_the_mutants_races() {
    let writes = race_until_throw(build("rwmutex", 1), 2, 100_000, |t, i, m| {
        m.store(t * 1_000_000 + i % 500, i)
    });
    let reads = race_until_throw(build("rwmutex", 2), 2, 100_000, |t, i, m| match t {
        0 => m.store(i % 100, i),
        _ => m.load(i % 100).map(drop),
    });
    assert_eq!((writes, reads), (vec![], vec![]));
}

/// Two threads released together by a barrier call `op(thread, round)`
/// on a fresh key each round; returns the first round's pair of results
/// that `bad` flags, within `rounds` rounds. Race windows are widened by
/// yielding at one lock acquire in two.
fn paired_rounds<R: Send + 'static + std::fmt::Debug>(
    map: Arc<dyn ChaosMap>,
    rounds: u64,
    setup: fn(u64, &dyn ChaosMap),
    op: fn(u64, u64, &dyn ChaosMap) -> R,
    bad: fn(&R, &R) -> bool,
) -> Option<(u64, R, R)> {
    let barrier = Arc::new(Barrier::new(2));
    let results: Arc<[std::sync::Mutex<Vec<R>>; 2]> = Arc::new(Default::default());
    for batch in 0..rounds / 100 {
        let hs: Vec<_> = (0..2)
            .map(|t| {
                let (map, barrier, results) = (map.clone(), barrier.clone(), results.clone());
                std::thread::spawn(move || {
                    let _h = chaos::sync::install(Rc::new(Perturb::new(t + 1, 2, |s| {
                        s == Site::LockAcquire
                    })));
                    for r in batch * 100..(batch + 1) * 100 {
                        if t == 0 {
                            setup(r, map.as_ref());
                        }
                        barrier.wait();
                        let out = op(t, r, map.as_ref());
                        results[t as usize].lock().unwrap().push(out);
                        barrier.wait();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        let [a, b] = &*results;
        let (mut a, mut b) = (a.lock().unwrap(), b.lock().unwrap());
        if let Some(i) = (0..a.len()).find(|&i| bad(&a[i], &b[i])) {
            let (x, y) = (a.swap_remove(i), b.swap_remove(i));
            return Some((batch * 100 + i as u64, x, y));
        }
        a.clear();
        b.clear();
    }
    None
}

/// Two LoadOrStores of one fresh key with different values: a linearizable
/// map lets exactly one store (`loaded == false`); the mutant lets both.
/// Odds: both threads must pass the read-locked check before either stores;
/// with the threads released together and yields at lock acquires, it
/// happened by round 0–8 in 8 of 8 measured runs, against a bound of 20,000
/// rounds.
#[test]
fn check_then_act_both_load_or_stores_report_stored() {
    assert_eq!(
        expected("mutant-check-then-act"),
        FindingClass::Linearizability
    );
    let run = |name| {
        paired_rounds(
            build(name, 3),
            20_000 * scale() as u64,
            |_, _| {},
            |t, r, m| m.load_or_store(r, 2 * r + t).unwrap(),
            |a, b| !a.1 && !b.1 && a.0 != b.0,
        )
    };
    let found = run("mutant-check-then-act");
    assert!(found.is_some(), "never both loaded == false");
}

/// Two Swaps of one key that holds `0`: a linearizable map makes one of
/// them return `0` and the other the first one's value; the mutant can
/// return `0` to both. Odds as for check-then-act: by round 0–2 in 8 of 8
/// measured runs.
#[test]
fn split_swap_both_swaps_return_the_same_previous_value() {
    assert_eq!(expected("mutant-split-swap"), FindingClass::Linearizability);
    let run = |name| {
        paired_rounds(
            build(name, 4),
            20_000 * scale() as u64,
            |r, m| m.store(r, 0).unwrap(),
            |t, r, m| m.swap(r, 2 * r + 1 + t).unwrap(),
            |a, b| a == b,
        )
    };
    let found = run("mutant-split-swap");
    assert!(matches!(found, Some((_, Some(0), Some(0)))), "{found:?}");
}

/// The correct backends never produce either violation on the same rounds.
#[test]
fn rwmutex_and_syncmap_pass_the_paired_rounds() {
    for name in ["rwmutex", "syncmap"] {
        let los = paired_rounds(
            build(name, 5),
            2_000,
            |_, _| {},
            |t, r, m| m.load_or_store(r, 2 * r + t).unwrap(),
            |a, b| a.1 == b.1 || (a.0 != b.0),
        );
        assert_eq!(los, None, "{name}: load_or_store");
        let swaps = paired_rounds(
            build(name, 6),
            2_000,
            |r, m| m.store(r, 0).unwrap(),
            |t, r, m| m.swap(r, 2 * r + 1 + t).unwrap(),
            |a, b| a == b,
        );
        assert_eq!(swaps, None, "{name}: swap");
    }
}

/// The expunged-store bug loses a write with one thread, deterministically:
/// a key is promoted into read, deleted, expunged by a dirty rebuild, then
/// stored again; the next promotion drops it.
#[test]
fn expunged_store_loses_a_write_single_threaded() {
    assert_eq!(expected("mutant-expunged-store"), FindingClass::LostWrite);
    let run = |m: &dyn ChaosMap| {
        m.store(1, 10).unwrap();
        for k in 100..110 {
            m.load(k).unwrap(); // misses: promote, key 1 now in read
        }
        m.delete(1).unwrap(); // nil in read
        m.store(2, 20).unwrap(); // new key: dirty rebuilt, key 1 expunged
        m.store(1, 11).unwrap(); // unexpunged; the mutant forgets dirty
        let invariants = m.check_invariants();
        for k in 100..110 {
            m.load(k).unwrap(); // misses: promote dirty
        }
        (m.load(1).unwrap(), m.load(2).unwrap(), invariants)
    };
    let (lost, kept, invariants) = run(build("mutant-expunged-store", 7).as_ref());
    assert_eq!((lost, kept), (None, Some(20)), "the store of key 1 is lost");
    assert!(
        invariants
            .iter()
            .any(|v| v.invariant == "syncmap-read-entry-not-in-dirty"),
        "{invariants:?}"
    );
    let (ok, kept, invariants) = run(build("syncmap", 7).as_ref());
    assert_eq!((ok, kept, invariants), (Some(11), Some(20), vec![]));
}

/// The lossy-promotion bug under real threads. A owns key 0: it deletes it
/// and stores a new value, then reads it back with no write of its own
/// pending (nobody else writes key 0, so its last value must be there).
/// B churns its own fresh keys and misses on absent ones, so dirty is
/// rebuilt and promoted over and over. A Store whose fast path loaded the
/// old read, found key 0's entry nil, and CASes it after a promotion
/// dropped that entry, stores into an orphan: the value is lost.
/// Yielding at every entry CAS widens that window. Measured on two busy
/// cores: lost within 2–1,298 cycles in 10 of 10 runs (median ≈ 20); the
/// budget of 1,000,000 cycles is a bound, not the expected length.
#[test]
fn lossy_promotion_loses_a_racing_store() {
    assert_eq!(expected("mutant-lossy-promotion"), FindingClass::LostWrite);
    let run = |name: &str, cycles: u64| {
        let map = build(name, 8);
        let stop = Arc::new(AtomicBool::new(false));
        let churn = {
            let (map, stop) = (map.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut k = 1_000;
                while !stop.load(Ordering::Relaxed) {
                    k += 1;
                    map.store(k, k).unwrap();
                    for miss in 0..3 {
                        map.load(miss).unwrap();
                    }
                    map.delete(k).unwrap();
                }
            })
        };
        let _h = chaos::sync::install(Rc::new(Perturb::new(9, 1, |s| s == Site::SyncMapEntryCas)));
        let mut lost = None;
        for v in 1..=cycles {
            map.delete(0).unwrap();
            map.store(0, v).unwrap();
            let now = map.load(0).unwrap();
            if now != Some(v) {
                lost = Some((v, now));
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        churn.join().unwrap();
        lost
    };
    let lost = run("mutant-lossy-promotion", 1_000_000 * scale() as u64);
    assert!(matches!(lost, Some((_, None))), "{lost:?}");
    assert_eq!(run("syncmap", 20_000), None);
}

/// The same loss, in one exact interleaving: the fault-free hook below
/// plays the scheduler, switching — at the Store's entry CAS, after its
/// fast path found key 0's entry nil in the old read — to a "thread" that
/// promotes dirty. The correct sync.Map keeps the nil entry in the new read
/// (expunging it only at the next rebuild), so the CAS lands in a reachable
/// entry; the mutant dropped it.
#[test]
fn lossy_promotion_exact_interleaving() {
    struct PromoteAtFirstCas {
        map: Arc<dyn ChaosMap>,
        armed: std::cell::Cell<bool>,
    }
    impl chaos::sync::Hook for PromoteAtFirstCas {
        fn yield_point(&self, site: Site) -> Option<chaos::sync::Fault> {
            if site == Site::SyncMapEntryCas && self.armed.replace(false) {
                assert!(self.map.force_resize(Fault::Promote).unwrap());
            }
            None
        }
    }
    let run = |name: &str| {
        let map = build(name, 10);
        map.store(0, 1).unwrap();
        map.force_resize(Fault::Promote).unwrap(); // key 0 in read
        map.store(5, 5).unwrap(); // new key: dirty rebuilt with key 0's (live) entry
        map.delete(0).unwrap(); // nil, in read and in dirty
        let hook = Rc::new(PromoteAtFirstCas {
            map: map.clone(),
            armed: std::cell::Cell::new(true),
        });
        {
            let _h = chaos::sync::install(hook.clone());
            map.store(0, 2).unwrap();
        }
        assert!(!hook.armed.get(), "the store's fast path reached its CAS");
        (map.load(0).unwrap(), map.check_invariants())
    };
    assert_eq!(run("mutant-lossy-promotion"), (None, vec![]));
    assert_eq!(run("syncmap"), (Some(2), vec![]));
}

/// A seed under which a Go map holding keys 0..13 has B = 1, is not
/// growing, and has an overflow bucket: the state in which both growth
/// mutants are harmless until something grows the map. (The 9th insert's
/// grow from B = 0 moves one bucket with no overflow chain, so even the
/// mutated maps get there intact.) Found by trying seeds; the search is
/// deterministic (seed 0 qualifies today).
fn seed_with_overflow_chain(mutation: GoMapMutation) -> u64 {
    (0..1_000)
        .find(|&seed| {
            let m = GoMap::with_mutation(seed, mutation);
            for k in 0..13 {
                m.insert(k, k).unwrap();
            }
            let st = m.stats();
            st.b == 1 && !st.growing && st.overflow_buckets > 0
        })
        .expect("some seed in 0..1000 gives an overflow chain at B = 1")
}

/// Runs one random sequence over keys 0..13 (no Clear, so no reseed and no
/// regrowth of a cleared map) on the mutant built from `seed`, with forced
/// resizes (1 op in 25: Grow, SameSizeGrow, Evacuate) or without; returns
/// the first divergence from a sequential map and the keys the map lost.
fn growth_run(name: &str, seed: u64, forced: bool) -> (Option<String>, Vec<u64>) {
    const OPS: usize = 3_000;
    let map = build(name, seed);
    let mut model = Model::default();
    for k in 0..13 {
        map.store(k, k).unwrap();
        model.map().insert(k, k);
    }
    let mut gen = OpGen::new(seed);
    gen.clear = false;
    let mut resize = |g: &mut OpGen| {
        use rand::Rng;
        let kinds = [Fault::Grow, Fault::SameSizeGrow, Fault::Evacuate];
        (forced && g.rng.random_ratio(1, 25)).then(|| kinds[g.rng.random_range(0..3)])
    };
    let divergence = run_sequence(
        map.as_ref(),
        &mut model,
        &mut gen,
        OPS,
        13,
        &mut resize,
        name,
    )
    .err();
    let lost = (0..13)
        .filter(|k| model.map().contains_key(k) && map.load(*k).unwrap().is_none())
        .collect();
    (divergence, lost)
}

/// Evacuation that skips overflow buckets loses their entries, but only when
/// a grow evacuates a chain that has them: with forced grows the same
/// sequence diverges and ends with keys lost; without, it matches the model.
/// (Deterministic: with forced resizes a full Range misses a key at op 68
/// of 3000.)
#[test]
fn evacuate_skips_overflow_loses_writes_only_when_grown() {
    let name = "mutant-evacuate-skips-overflow";
    assert_eq!(expected(name), FindingClass::LostWrite);
    let seed = seed_with_overflow_chain(GoMapMutation::EvacuateSkipsOverflow);
    assert_eq!(growth_run(name, seed, false), (None, vec![]));
    let (divergence, lost) = growth_run(name, seed, true);
    assert!(
        divergence.is_some() && !lost.is_empty(),
        "{divergence:?} {lost:?}"
    );
    assert_eq!(growth_run("rwmutex", seed, true), (None, vec![]));
}

/// An iterator that ignores old buckets misses the un-evacuated entries of
/// a grow in progress: a Range after a forced grow reports too few entries
/// (nothing is lost; Load still finds every key). Without forced grows the
/// same sequence matches the model. (Deterministic: diverges at op 586 of
/// 3000.)
#[test]
fn iter_ignores_oldbuckets_misses_entries_only_mid_grow() {
    let name = "mutant-iter-ignores-oldbuckets";
    assert_eq!(expected(name), FindingClass::Linearizability);
    let seed = seed_with_overflow_chain(GoMapMutation::IterIgnoresOldBuckets);
    assert_eq!(growth_run(name, seed, false), (None, vec![]));
    let (divergence, lost) = growth_run(name, seed, true);
    let divergence = divergence.expect("a range during a forced grow misses entries");
    assert!(divergence.contains("Range"), "{divergence}");
    assert_eq!(lost, Vec::<u64>::new());
}
