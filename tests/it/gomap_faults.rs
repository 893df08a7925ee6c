//! Faults from the engine (a hook installed with `chaos::sync::install`)
//! move the map's own growth work to unlucky moments — a grow started in
//! the middle of an assign or delete, extra or withheld evacuation — and the
//! map stays correct (differential against `HashMap`) with clean invariants.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use chaos::maps::gomap::GoMap;
use chaos::sync::{install, Cover, Fault, Hook, Site};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Operations per scenario.
const OPS: usize = 40_000;

/// Answers `fault` at `sites`, every `every`-th time one is reached, and
/// counts coverage marks.
struct Injector {
    sites: Vec<Site>,
    fault: Fault,
    every: usize,
    reached: Cell<usize>,
    covers: RefCell<HashMap<Cover, usize>>,
}

impl Injector {
    fn new(sites: &[Site], fault: Fault, every: usize) -> Rc<Injector> {
        Rc::new(Injector {
            sites: sites.to_vec(),
            fault,
            every,
            reached: Cell::new(0),
            covers: RefCell::default(),
        })
    }

    fn covered(&self, mark: Cover) -> usize {
        self.covers.borrow().get(&mark).copied().unwrap_or(0)
    }
}

impl Hook for Injector {
    fn yield_point(&self, site: Site) -> Option<Fault> {
        if !self.sites.contains(&site) {
            return None;
        }
        let n = self.reached.get() + 1;
        self.reached.set(n);
        n.is_multiple_of(self.every).then_some(self.fault)
    }

    fn cover(&self, mark: Cover) {
        *self.covers.borrow_mut().entry(mark).or_default() += 1;
    }
}

/// Random inserts, deletes, lookups and iterations on a map and a model;
/// returns the number of writes during which a grow was in progress.
fn run_differential(seed: u64, ops: usize) -> usize {
    let m = GoMap::new(seed);
    let mut model = HashMap::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut growing_writes = 0;
    for at in 0..ops {
        let k = rng.random_range(0..3_000u64);
        match rng.random_range(0..100) {
            0..=49 => {
                m.insert(k, at as u64).unwrap();
                model.insert(k, at as u64);
            }
            50..=74 => {
                m.remove(k).unwrap();
                model.remove(&k);
            }
            75 => {
                let all: HashMap<u64, u64> = m.iter().map(Result::unwrap).collect();
                assert_eq!(all, model, "op {at}");
            }
            _ => assert_eq!(m.get(k).unwrap(), model.get(&k).copied(), "op {at}"),
        }
        growing_writes += usize::from(m.stats().growing);
        if at % 1000 == 0 {
            let v = m.check_invariants();
            assert!(v.is_empty(), "op {at}: {v:?}");
        }
    }
    assert_eq!(m.len(), model.len());
    assert!(m.check_invariants().is_empty());
    growing_writes
}

#[test]
fn grows_forced_mid_operation_keep_the_map_correct() {
    for (fault, sites) in [
        (Fault::Grow, &[Site::GrowWork][..]),
        (Fault::Grow, &[Site::AssignFlagSet, Site::DeleteFlagSet][..]),
        (Fault::SameSizeGrow, &[Site::GrowWork][..]),
        (Fault::SameSizeGrow, &[Site::AssignFlagSet][..]),
    ] {
        let hook = Injector::new(sites, fault, 97);
        let _g = install(hook.clone());
        run_differential(1, OPS);
        // Forced doublings stop once the map would be sparser than one entry
        // per bucket, so there are fewer of them than same-size grows.
        let forced = hook.covered(Cover::ForcedGrowMidOp);
        assert!(forced > 3, "{fault:?} at {sites:?}: {forced} forced grows");
        assert!(hook.covered(Cover::GrowFinished) > forced);
    }
}

#[test]
fn forced_evacuation_keeps_the_map_correct_and_shortens_grows() {
    let baseline = run_differential(2, OPS);
    let hook = Injector::new(&[Site::GrowWork, Site::DeleteFlagSet], Fault::Evacuate, 3);
    let _g = install(hook.clone());
    let hurried = run_differential(2, OPS);
    assert!(hook.covered(Cover::ForcedEvacuation) > 0);
    assert!(
        hurried < baseline,
        "{hurried} >= {baseline} writes while growing"
    );
}

#[test]
fn withheld_evacuation_keeps_grows_running_longer_and_the_map_correct() {
    let baseline = run_differential(3, OPS);
    let hook = Injector::new(&[Site::GrowWork], Fault::WithholdEvacuation, 1);
    let _g = install(hook.clone());
    let stalled = run_differential(3, OPS);
    assert!(hook.covered(Cover::WithheldEvacuation) > 100);
    // Only the bucket being written is evacuated; the grow still ends
    // (each old bucket is written to eventually, or marked in order).
    assert!(
        stalled > baseline,
        "{stalled} <= {baseline} writes while growing"
    );
    assert!(hook.covered(Cover::GrowFinished) > 0);
}

#[test]
fn faults_outside_the_write_window_are_ignored() {
    let outside = [
        Site::AccessChecked,
        Site::AssignChecked,
        Site::DeleteChecked,
        Site::AssignValue,
        Site::IterChecked,
        Site::EvacuateSlot,
        Site::AssignExit,
    ];
    for fault in [Fault::Grow, Fault::SameSizeGrow, Fault::Evacuate] {
        let hook = Injector::new(&outside, fault, 1);
        let _g = install(hook.clone());
        run_differential(4, OPS / 4);
        assert_eq!(hook.covered(Cover::ForcedGrowMidOp), 0);
        assert_eq!(hook.covered(Cover::ForcedEvacuation), 0);
    }
}

#[test]
fn a_grow_forced_at_an_assigns_growwork_redoes_its_bucket_choice() {
    // Every GrowWork answers Grow: each write that finds no grow running
    // doubles the map first, then must pick its bucket in the new array.
    let hook = Injector::new(&[Site::GrowWork], Fault::Grow, 1);
    let _g = install(hook.clone());
    let m = GoMap::new(5);
    for k in 0..2_000u64 {
        m.insert(k, k).unwrap();
        assert_eq!(m.get(k), Ok(Some(k)));
    }
    assert!(hook.covered(Cover::ForcedGrowMidOp) > 5);
    for k in 0..2_000u64 {
        assert_eq!(m.get(k), Ok(Some(k)));
    }
    assert!(m.check_invariants().is_empty());
}

#[test]
fn ordinary_workloads_reach_every_rare_path() {
    // No faults: only coverage marks are recorded.
    let hook = Injector::new(&[], Fault::Grow, 1);
    let _g = install(hook.clone());
    let m = GoMap::new(6);
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    // Fill with an iterator open across the grows and lookups in between.
    let mut it = m.iter();
    for k in 0..5_000u64 {
        m.insert(k, k).unwrap();
        assert!(m.get(rng.random_range(0..=k)).unwrap().is_some());
        if k % 500 == 0 {
            it = m.iter();
        }
        if let Some(kv) = it.next() {
            kv.unwrap();
        }
    }
    // Churn: deletes leave overflow chains sparse until a same-size grow.
    let mut live: Vec<u64> = (0..5_000).collect();
    let mut next = 5_000u64;
    while hook.covered(Cover::SameSizeGrow) == 0 {
        let i = rng.random_range(0..live.len());
        m.remove(live[i]).unwrap();
        m.insert(next, next).unwrap();
        live[i] = next;
        next += 1;
        assert!(next < 3_000_000, "no same-size grow");
    }
    for mark in [
        Cover::Grow,
        Cover::SameSizeGrow,
        Cover::EvacuatedOverflowChain,
        Cover::ReadDuringGrow,
        Cover::ReadFromOldBucket,
        Cover::IterDuringGrow,
        Cover::IterRelookup,
        Cover::GrowFinished,
    ] {
        assert!(hook.covered(mark) > 0, "{mark:?} never ran");
    }
    assert!(m.check_invariants().is_empty());
}
