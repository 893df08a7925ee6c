//! The race windows of docs/go-swiss-map.md §13 (S5, S6, S7, S8, S10,
//! S11, S13, S15; S1, S4 and S12 are in `window`), each driven to its
//! consequence deterministically: a hook runs "another thread" at one
//! yield point, as the scheduler may. A racer that Go's checks would not
//! stop (it passed its own check before this thread flipped `writing`) is
//! run with the flag cleared around it (`as_racer`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::SwissMap;
use crate::maps::Throw;
use crate::sync::{install, Fault, Hook, HookGuard, Site};

type Action = Box<dyn FnOnce()>;

/// Runs an action at the `nth` visit of `site` (1-based), once.
struct At {
    site: Site,
    left: Cell<usize>,
    action: RefCell<Option<Action>>,
}

impl Hook for At {
    fn yield_point(&self, site: Site) -> Option<Fault> {
        if site == self.site {
            let n = self.left.get();
            self.left.set(n.saturating_sub(1));
            if n == 1 {
                let action = self.action.borrow_mut().take();
                if let Some(a) = action {
                    a();
                }
            }
        }
        None
    }
}

fn at(site: Site, nth: usize, action: impl FnOnce() + 'static) -> HookGuard {
    install(Rc::new(At {
        site,
        left: Cell::new(nth),
        action: RefCell::new(Some(Box::new(action))),
    }))
}

/// Runs `f` as a thread that passed its `writing` check before this one
/// flipped the flag.
fn as_racer<R>(m: &SwissMap, f: impl FnOnce(&SwissMap) -> R) -> R {
    let w = m.writing.load(Relaxed);
    m.writing.store(0, Relaxed);
    let r = f(m);
    m.writing.store(w, Relaxed);
    r
}

fn names(m: &SwissMap) -> Vec<&'static str> {
    m.check_invariants().iter().map(|v| v.invariant).collect()
}

#[test]
fn s5_a_writer_in_the_abandoned_small_group_loses_its_write() {
    let m = Arc::new(SwissMap::new(14));
    for k in 0..7 {
        m.insert(k, k).unwrap();
    }
    let r = m.clone();
    let _g = at(Site::SwissSmallSlotChosen, 1, move || {
        as_racer(&r, |r| {
            r.insert(7, 7).unwrap();
            r.insert(8, 8).unwrap(); // 8 entries: promotion to a table
        });
    });
    m.insert(100, 1).unwrap();
    assert!(!m.stats().small);
    assert_eq!(m.get(100), Ok(None), "written into the abandoned group");
    assert_eq!(m.len(), 10);
    assert_eq!(names(&m), ["used-mismatch"]);
}

#[test]
fn s6_a_writer_on_a_replaced_table_loses_its_write() {
    let m = Arc::new(SwissMap::new(11));
    for k in 0..9 {
        m.insert(k, k).unwrap();
    }
    let r = m.clone();
    let _g = at(Site::SwissTableChosen, 1, move || {
        as_racer(&r, |r| r.forced_rehash(Some(r.hash(100))).unwrap());
    });
    m.insert(100, 1).unwrap();
    assert_eq!(m.stats().grows, 1);
    assert_eq!(m.get(100), Ok(None), "inserted into a table no one reads");
    assert_eq!(names(&m), ["used-mismatch"]);
}

#[test]
fn s8_a_reader_between_the_new_shift_and_the_new_directory_faults_or_misses() {
    let m = Arc::new(SwissMap::new(12));
    let mut k = 0;
    while m.counters().dir_len < 2 {
        m.insert(k, k).unwrap();
        k += 1;
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (r, s) = (m.clone(), seen.clone());
    let present = k;
    // The second yield of the doubling: globalDepth and globalShift are
    // new, dirPtr and dirLen old.
    let _g = at(Site::SwissDirectoryDouble, 2, move || {
        as_racer(&r, |r| {
            assert_eq!(r.dir_len(), 2);
            for key in 0..present {
                s.borrow_mut().push(r.get(key));
            }
        });
    });
    while m.counters().dir_doublings < 2 {
        m.insert(k, k).unwrap();
        k += 1;
    }
    let seen = seen.borrow();
    assert_eq!(seen.len() as u64, present);
    // Indices past the old directory: Go's wild pointer.
    assert!(seen.contains(&Err(Throw::Fault)));
    // The wrong table: a present key reported absent.
    assert!(seen.contains(&Ok(None)));
    assert!(seen.iter().all(|r| matches!(r, Ok(_) | Err(Throw::Fault))));
    assert_eq!(m.check_invariants(), vec![]);
}

#[test]
fn s15_a_reader_that_hashed_before_a_reseed_misses_a_present_key() {
    let m = Arc::new(SwissMap::new(13));
    for k in 0..20 {
        m.insert(k, k).unwrap();
    }
    let r = m.clone();
    let _g = at(Site::SwissTableChosen, 1, move || {
        as_racer(&r, |r| {
            for k in 0..20 {
                r.remove(k).unwrap(); // the last one draws a new seed
            }
            r.insert(7, 70).unwrap();
        });
    });
    assert_eq!(m.get(7), Ok(None), "probed with the old seed's hash");
    assert_eq!(m.get(7), Ok(Some(70)));
    assert_eq!(m.check_invariants(), vec![]);
}

#[test]
fn s13_a_grow_racing_an_iterator_surfaces_as_the_read_message() {
    let m = Arc::new(SwissMap::new(15));
    for k in 0..100 {
        m.insert(k, k).unwrap();
    }
    let mut it = m.iter();
    assert!(matches!(it.next(), Some(Ok(_))));
    m.force_grow().unwrap(); // the iterator's table is replaced
    let r = m.clone();
    // A writer enters while the iterator re-looks a key up in the live map.
    let _g = at(Site::SwissIterRelookup, 1, move || {
        r.toggle_writing();
    });
    assert_eq!(
        it.next(),
        Some(Err(Throw::ConcurrentMapReadAndMapWrite)),
        "grownKeyElem runs the reader's check"
    );
}

#[test]
fn s11_an_empty_written_into_a_group_filled_meanwhile_cuts_a_probe_chain() {
    let m = Arc::new(SwissMap::new(16));
    // In a 16-slot table (2 groups), keys whose probe starts at group 0 or 1.
    let start = |k: u64| super::ctrl::h1(m.hash(k)) & 1;
    let g0: Vec<u64> = (0..).filter(|&k| start(k) == 0).take(9).collect();
    let g1: Vec<u64> = (0..).filter(|&k| start(k) == 1).take(2).collect();
    // Seven keys in group 0 (one slot left empty), two in group 1; the
    // ninth insert promotes the small map to the table.
    for &k in g0[..7].iter().chain(&g1) {
        m.insert(k, k).unwrap();
    }
    assert_eq!(m.stats().capacity, 16);
    let (victim, x, y) = (g0[0], g0[7], g0[8]);
    let r = m.clone();
    // The delete of `victim` saw group 0's empty slot and will write
    // ctrlEmpty; meanwhile a racer fills that slot (x) and inserts a key
    // whose probe passes the now-full group 0 (y lands in group 1).
    let _g = at(Site::SwissDeleteDecide, 1, move || {
        as_racer(&r, |r| {
            r.insert(x, x).unwrap();
            r.insert(y, y).unwrap();
        });
    });
    m.remove(victim).unwrap();
    assert_eq!(m.get(y), Ok(None), "the probe stops at the new empty slot");
    assert_eq!(m.len(), 10);
    assert!(
        names(&m).contains(&"key-unreachable"),
        "{:?}",
        m.check_invariants()
    );
}

#[test]
fn s7_a_delete_between_the_two_halves_of_a_split_is_lost() {
    let m = Arc::new(SwissMap::new(17));
    for k in 1..=896 {
        m.insert(k, k).unwrap();
    }
    assert_eq!(m.stats().capacity, 1024);
    // A present key of the right half (top hash bit 1).
    let w = (1..=896).find(|&k| m.hash(k) >> 63 == 1).unwrap();
    let r = m.clone();
    // Left is installed, right not yet: directory slot 1 still names the
    // old table, and the racer deletes `w` from it.
    let _g = at(Site::SwissSplitInstall, 1, move || {
        as_racer(&r, |r| r.remove(w).unwrap());
    });
    m.insert(897, 897).unwrap();
    assert_eq!(m.stats().splits, 1);
    assert_eq!(
        m.get(w),
        Ok(Some(w)),
        "the delete went to the retired table"
    );
    assert_eq!(m.len(), 896);
    assert_eq!(names(&m), ["used-mismatch"]);
}

#[test]
fn s10_a_lost_counter_update_and_a_wrapped_growth_left() {
    let m = Arc::new(SwissMap::new(18));
    for k in 0..20 {
        m.insert(k, k).unwrap();
    }
    let r = m.clone();
    // Between this insert's load and store of growthLeft, a racer inserts:
    // its decrement is overwritten (growthLeft one too high).
    let _g = at(Site::SwissCounters, 1, move || {
        as_racer(&r, |r| r.insert(1000, 1).unwrap());
    });
    m.insert(2000, 2).unwrap();
    drop(_g);
    assert_eq!(names(&m), ["growth-left"]);
    // A growthLeft pushed below zero wraps to 65535: the table never
    // rehashes and fills to its last slot, after which a probe for an
    // absent key finds no empty slot — Go loops for ever; the model stops
    // after one pass with the Fault throw.
    let (_, t) = m.directory_at(0).unwrap();
    t.growth_left.store(u16::MAX, Relaxed);
    let mut k = 3000;
    let err = loop {
        if let Err(e) = m.insert(k, k) {
            break e;
        }
        k += 1;
    };
    assert_eq!(err, Throw::Fault);
    // The throw left the writer's flag set, as Go's fatal would; clear it
    // to look the absent key up.
    m.writing.store(0, Relaxed);
    assert_eq!(m.get(1 << 40), Err(Throw::Fault));
    assert!(names(&m).contains(&"no-empty-slot"));
}
