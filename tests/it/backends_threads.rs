//! Under real threads, `rwmutex`, `mutex` and `syncmap` never throw and lose nothing.
//!
//! Each worker owns a disjoint set of keys and checks, as it goes, that it
//! reads back its own last write (nobody else writes those keys, so any
//! linearizable map must return it) — through Store, Swap, LoadOrStore,
//! CompareAndSwap, Delete, LoadAndDelete, CompareAndDelete and Range — while
//! also reading the other workers' keys and writing a shared key range.
//! At quiescence every final value must be there, and invariants clean.
//! Variants run with a thread forcing resizes/promotions in a loop and with
//! injected faults; race windows are widened by yielding at yield points.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use chaos::maps::{registry, ChaosMap, Key, Throw, Value};
use chaos::sync::Fault;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::{all_sites, scale, Perturb};

const THREADS: u64 = 4;
const OWN_KEYS: u64 = 64;
const SHARED_KEYS: u64 = 32;
const OPS_PER_THREAD: usize = 15_000;
/// Doubling grows the resizer thread forces, at most.
const MAX_FORCED_DOUBLINGS: usize = 4;

/// One worker: random operations, its own keys checked against its own
/// record; returns its final values (every own key present).
fn worker(map: &dyn ChaosMap, seed: u64, t: u64, faults: bool) -> HashMap<Key, Value> {
    let mut hook = Perturb::new(seed ^ ((t + 1) * 0x9e37), 8, all_sites);
    if faults {
        hook = hook.with_faults();
    }
    let _hook = chaos::sync::install(Rc::new(hook));
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(t));
    let base = t * OWN_KEYS;
    let mut mine: HashMap<Key, Option<Value>> =
        (base..base + OWN_KEYS).map(|k| (k, None)).collect();
    let mut next: Value = (t + 1) << 40;
    let ctx = |i: usize, what: &str| format!("thread {t} op {i}: {what}");
    for i in 0..OPS_PER_THREAD * scale() {
        let mut step = || -> Result<(), Throw> {
            let own = base + rng.random_range(0..OWN_KEYS);
            let have = mine[&own];
            next += 1;
            match rng.random_range(0..20) {
                0..4 => {
                    map.store(own, next)?;
                    mine.insert(own, Some(next));
                }
                4 => {
                    assert_eq!(map.swap(own, next)?, have, "{}", ctx(i, "swap"));
                    mine.insert(own, Some(next));
                }
                5 => {
                    let got = map.load_or_store(own, next)?;
                    let want = have.map_or((next, false), |v| (v, true));
                    assert_eq!(got, want, "{}", ctx(i, "load_or_store"));
                    mine.insert(own, Some(want.0));
                }
                6 => {
                    let old = have.unwrap_or(0);
                    let swapped = map.compare_and_swap(own, old, next)?;
                    assert_eq!(swapped, have.is_some(), "{}", ctx(i, "cas"));
                    if swapped {
                        mine.insert(own, Some(next));
                    }
                }
                7 => {
                    map.delete(own)?;
                    mine.insert(own, None);
                }
                8 => {
                    let got = map.load_and_delete(own)?;
                    assert_eq!(got, have, "{}", ctx(i, "load_and_delete"));
                    mine.insert(own, None);
                }
                9 => {
                    let old = have.unwrap_or(0);
                    let deleted = map.compare_and_delete(own, old)?;
                    assert_eq!(deleted, have.is_some(), "{}", ctx(i, "cad"));
                    mine.insert(own, None);
                }
                10..14 => {
                    assert_eq!(map.load(own)?, have, "{}", ctx(i, "load own"));
                }
                14..16 => {
                    // Another worker's key: any value, but no throw.
                    map.load(rng.random_range(0..THREADS * OWN_KEYS))?;
                }
                16..18 => {
                    let shared = THREADS * OWN_KEYS + rng.random_range(0..SHARED_KEYS);
                    match rng.random_range(0..4) {
                        0 => map.store(shared, next).map(drop),
                        1 => map.delete(shared),
                        2 => map.load_or_store(shared, next).map(drop),
                        _ => map.swap(shared, next).map(drop),
                    }?;
                }
                18 => {
                    let mut n = 0;
                    map.range(&mut |_, _| {
                        n += 1;
                        n < 5
                    })?;
                }
                _ => {
                    // A full range sees exactly this worker's present keys, with
                    // its values: they do not change during the call.
                    let mut seen = HashMap::new();
                    map.range(&mut |k, v| {
                        if (base..base + OWN_KEYS).contains(&k) {
                            assert!(seen.insert(k, v).is_none(), "range visited {k} twice");
                        }
                        true
                    })?;
                    let want: HashMap<Key, Value> =
                        mine.iter().filter_map(|(&k, &v)| Some((k, v?))).collect();
                    assert_eq!(seen, want, "{}", ctx(i, "full range"));
                }
            }
            Ok(())
        };
        if let Err(throw) = step() {
            panic!("{}", ctx(i, &format!("threw {throw}")));
        }
    }
    for (&k, v) in mine.iter_mut() {
        next += 1;
        map.store(k, next).expect("final store");
        *v = Some(next);
    }
    mine.into_iter().map(|(k, v)| (k, v.unwrap())).collect()
}

fn hammer(name: &str, seed: u64, resizer: bool, faults: bool) {
    let map: Arc<dyn ChaosMap> = Arc::from(registry::lookup(name).unwrap().build(seed));
    let done = Arc::new(AtomicBool::new(false));
    let resizes = Arc::new(AtomicUsize::new(0));
    let resizer = resizer.then(|| {
        let (map, done, resizes) = (map.clone(), done.clone(), resizes.clone());
        std::thread::spawn(move || {
            let kinds = [
                Fault::Evacuate,
                Fault::Promote,
                Fault::SameSizeGrow,
                Fault::Evacuate,
                Fault::RebuildDirty,
            ];
            for (i, kind) in kinds.iter().cycle().enumerate() {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                // A few doubling grows too; not one per cycle, since a Go
                // map never shrinks and B would climb for the whole run.
                let kind = if i % 500 == 0 && i < 500 * MAX_FORCED_DOUBLINGS {
                    Fault::Grow
                } else {
                    *kind
                };
                map.force_resize(kind).expect("force_resize threw");
                resizes.fetch_add(1, Ordering::Relaxed);
                std::thread::yield_now();
            }
        })
    });
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let map = map.clone();
            std::thread::spawn(move || worker(map.as_ref(), seed, t, faults))
        })
        .collect();
    let finals: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    if let Some(r) = resizer {
        r.join().unwrap();
        assert!(resizes.load(Ordering::Relaxed) > 0);
    }
    // Quiescent: every final value is there, by Load and by Range.
    let mut ranged = HashMap::new();
    map.range(&mut |k, v| {
        ranged.insert(k, v);
        true
    })
    .unwrap();
    for (k, v) in finals.iter().flatten() {
        assert_eq!(
            map.load(*k).unwrap(),
            Some(*v),
            "{name}: final value of key {k}"
        );
        assert_eq!(
            ranged.get(k),
            Some(v),
            "{name}: range at quiescence, key {k}"
        );
    }
    assert_eq!(map.check_invariants(), vec![], "{name}");
}

#[test]
fn rwmutex_never_throws_and_loses_nothing() {
    hammer("rwmutex", 11, false, false);
}

#[test]
fn rwmutex_with_forced_resizes_and_faults() {
    hammer("rwmutex", 12, true, true);
}

#[test]
fn mutex_never_throws_and_loses_nothing() {
    hammer("mutex", 13, true, true);
}

#[test]
fn syncmap_never_throws_and_loses_nothing() {
    hammer("syncmap", 13, false, false);
}

#[test]
fn syncmap_with_forced_resizes_and_faults() {
    hammer("syncmap", 14, true, true);
}
