//! Real OS threads racing on one `GoMap`, as Go programs race on a plain
//! map: Go's fatal errors come back as throws, and nothing ever crashes.
//!
//! Detection is best-effort (docs/go-maps.md §10), so each detection test repeats a
//! short race until it sees the throw. Measured on the 2-core development
//! machine under load from parallel builds: a writer-vs-writer race is
//! caught in about 1 of 1.5 attempts, iteration-vs-writer 1 of 2,
//! reader-vs-writer 1 of 4 (the reader's single check is the narrowest
//! target). With `RUNS` = 200 attempts, even a per-run chance of 5% misses
//! with probability 0.95^200 ≈ 3·10⁻⁵; a failure here means detection broke.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::thread;

use chaos::maps::gomap::GoMap;
use chaos::maps::Throw;

/// Attempts per detection test (each stops at its first success).
const RUNS: usize = 200;
/// Operations per thread per attempt.
const OPS: u64 = 50_000;
/// Runs of the mixed free-for-all that must not crash.
const CHAOS_RUNS: usize = 150;

/// Runs `threads` closures on one fresh map, released together; each gets
/// the map, its index and a stop flag (set once any thread returns), and
/// returns its first throw, if any.
fn race(
    threads: usize,
    prefill: u64,
    f: impl Fn(&GoMap, usize, &AtomicBool) -> Option<Throw> + Sync,
) -> Vec<Throw> {
    let m = GoMap::new(threads as u64 ^ prefill);
    for k in 0..prefill {
        m.insert(k, k).unwrap();
    }
    let barrier = Barrier::new(threads);
    let stop = AtomicBool::new(false);
    let throws = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (m, barrier, stop, f) = (&m, &barrier, &stop, &f);
                s.spawn(move || {
                    barrier.wait();
                    let r = f(m, t, stop);
                    // A throw ends the "process" like Go's fatal; a thread
                    // that finished its work ends the race as well.
                    stop.store(true, Ordering::Relaxed);
                    r
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    // Whatever the race left, inspecting it must not crash either.
    let _ = m.check_invariants();
    let _ = m.stats();
    let _ = m.iter().take(1000).count();
    throws
}

fn writer(m: &GoMap, t: usize, stop: &AtomicBool) -> Option<Throw> {
    for i in 0..OPS {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let k = (i * 7 + t as u64) % 5_000;
        let r = if i % 3 == 2 {
            m.remove(k)
        } else {
            m.insert(k, i)
        };
        if let Err(e) = r {
            return Some(e);
        }
    }
    None
}

fn until_seen(what: Throw, mut attempt: impl FnMut() -> Vec<Throw>) {
    for _ in 0..RUNS {
        if attempt().contains(&what) {
            return;
        }
    }
    panic!("no `{}` in {RUNS} racing runs", what.message());
}

#[test]
fn racing_writers_throw_concurrent_map_writes() {
    until_seen(Throw::ConcurrentMapWrites, || race(2, 0, writer));
}

#[test]
fn a_reader_racing_a_writer_throws_concurrent_map_read_and_map_write() {
    until_seen(Throw::ConcurrentMapReadAndMapWrite, || {
        race(2, 1_000, |m, t, stop| {
            if t == 0 {
                return writer(m, t, stop);
            }
            for k in 0..OPS * 4 {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                if let Err(e) = m.get(k % 5_000) {
                    return Some(e);
                }
            }
            None
        })
    });
}

#[test]
fn an_iteration_racing_a_writer_throws_concurrent_map_iteration_and_map_write() {
    until_seen(Throw::ConcurrentMapIterationAndMapWrite, || {
        race(2, 1_000, |m, t, stop| {
            if t == 0 {
                return writer(m, t, stop);
            }
            while !stop.load(Ordering::Relaxed) {
                for kv in m.iter() {
                    if let Err(e) = kv {
                        return Some(e);
                    }
                }
            }
            None
        })
    });
}

#[test]
fn hundreds_of_free_for_all_races_never_crash() {
    // Every operation from 4 threads at once, continuing past throws so
    // that later operations run on whatever state the races left: wrong
    // answers and broken structure are allowed (that is the point of the
    // backend), panics and memory errors are not.
    let mut kinds = std::collections::BTreeSet::new();
    for run in 0..CHAOS_RUNS {
        let throws = race(4, (run % 3 * 500) as u64, |m, t, _| {
            let mut first = None;
            let mut x = (t as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for i in 0..2_000u64 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let k = x % 2_000;
                let r = match x % 100 {
                    0..=39 => m.insert(k, i),
                    40..=69 => m.remove(k),
                    70..=94 => m.get(k).map(drop),
                    95..=96 => m.iter().take(200).try_for_each(|kv| kv.map(drop)),
                    97 => m.force_grow(x & 1 == 0).map(drop),
                    98 => m.force_evacuate(3).map(drop),
                    _ => m.clear(),
                };
                if let Err(e) = r {
                    first.get_or_insert(e);
                }
            }
            first
        });
        kinds.extend(throws);
    }
    assert!(kinds.contains(&Throw::ConcurrentMapWrites), "{kinds:?}");
}
