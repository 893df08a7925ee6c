//! Real OS threads racing on one `SwissMap`, harder than any Go program
//! can: each thread *ignores* the throws and keeps going, so the map is
//! driven through torn grows, splits, directory doublings and clears that
//! Go's fatal error would have cut short (docs/go-swiss-map.md §13). Nothing
//! may crash: every operation returns a value or a throw, every walk ends,
//! and the only panic allowed is Go's own (`invariant failed: …`, which Go
//! raises too when a race overfills a table being copied).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Barrier;
use std::thread;

use chaos::maps::swissmap::SwissMap;
use chaos::maps::ChaosMap;
use chaos::sync::Fault;

const RUNS: u64 = 12;
const THREADS: u64 = 4;
const OPS: u64 = 20_000;

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

#[test]
fn racing_threads_that_ignore_throws_never_crash_the_map() {
    let mut throws = 0;
    for run in 0..RUNS {
        let m = SwissMap::new(run);
        let barrier = Barrier::new(THREADS as usize);
        let results: Vec<(u64, Option<String>)> = thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (m, barrier) = (&m, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        let mut thrown = 0;
                        let r = catch_unwind(AssertUnwindSafe(|| {
                            let mut x = (run << 8 | t) * 0x9e37_79b9 + 1;
                            let keys = [16, 3_000, 20_000][(run % 3) as usize];
                            for i in 0..OPS {
                                let r = xorshift(&mut x);
                                let k = (r >> 16) % keys;
                                let res = match r % 100 {
                                    0..=44 => m.store(k, i),
                                    45..=69 => m.delete(k),
                                    70..=94 => m.load(k).map(drop),
                                    95..=97 => m.range(&mut |_, _| true),
                                    98 => m.force_resize(Fault::Grow).map(drop),
                                    _ if r % 1000 == 999 => ChaosMap::clear(m),
                                    _ => m.swap(k, i).map(drop),
                                };
                                thrown += u64::from(res.is_err());
                            }
                        }));
                        let panic = r.err().map(|p| {
                            p.downcast_ref::<&str>()
                                .map(|s| s.to_string())
                                .or_else(|| p.downcast_ref::<String>().cloned())
                                .unwrap_or_default()
                        });
                        (thrown, panic)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (t, panic) in results {
            throws += t;
            if let Some(p) = panic {
                assert!(p.starts_with("invariant failed:"), "run {run}: panic {p:?}");
            }
        }
        // Whatever the race left, inspecting it must not crash either.
        let _ = m.check_invariants();
        let _ = m.stats();
        let _ = m.iter().take(100_000).count();
    }
    // The races were real: Go's checks fired.
    assert!(throws > 0);
}
