//! `crate::sync`'s locks under the deterministic scheduler: a contended
//! acquire switches instead of blocking the one OS thread, mutual exclusion
//! holds, and a lock cycle is reported as a deadlock with every position.
//!
//! Randomised tests run fixed seed ranges; each comment gives the odds that
//! a range of that size would miss what the test looks for.

use std::cell::Cell;

use chaos::engine::sched::{End, Executor, SchedConfig, StrategyKind};
use chaos::sync::{yield_now, Cover, Mutex, RwLock, Site};

type Body<'a> = Box<dyn FnOnce() + 'a>;

#[test]
fn opposite_lock_order_deadlocks_with_both_positions_blocked() {
    let a = Mutex::new(());
    let b = Mutex::new(());
    let mut executor = Executor::new();
    let (mut deadlocks, mut completed) = (0, 0);
    // A deadlock needs both threads to take their first lock before either
    // takes its second. One way: a thread runs to its first yield (two fair
    // choices: start, and its acquire's yield point), then the other runs to
    // its own (two more): 1/16, and the same with the roles swapped, so
    // ≥ 1/8 per seed. 60 seeds all miss with odds below (7/8)^60 ≈ 3e-4.
    for seed in 0..60 {
        let threads: Vec<Body<'_>> = vec![
            Box::new(|| {
                let _a = a.lock();
                yield_now("holding a");
                let _b = b.lock();
            }),
            Box::new(|| {
                let _b = b.lock();
                yield_now("holding b");
                let _a = a.lock();
            }),
        ];
        let report = executor.run(&SchedConfig::new(seed), threads);
        match report.end {
            End::Deadlock => {
                deadlocks += 1;
                let ids = [&a as *const _ as usize, &b as *const _ as usize];
                for p in &report.positions {
                    assert!(!p.finished);
                    assert_eq!(p.last_site, Some(Site::LockAcquire));
                }
                assert_eq!(report.positions[0].blocked_on, Some(ids[1]));
                assert_eq!(report.positions[1].blocked_on, Some(ids[0]));
            }
            End::Completed => completed += 1,
            other => panic!("seed {seed}: {other:?}"),
        }
    }
    assert!(
        deadlocks > 0 && completed > 0,
        "{deadlocks} deadlocks, {completed} completed"
    );
    // Both guards were unwound at each deadlock's end: the locks are free.
    let threads: Vec<Body<'_>> = vec![Box::new(|| {
        let _a = a.lock();
        let _b = b.lock();
    })];
    assert_eq!(
        executor.run(&SchedConfig::new(0), threads).end,
        End::Completed
    );
}

#[test]
fn mutex_excludes_under_every_schedule_tried() {
    let lock = Mutex::new(0u32);
    let inside = Cell::new(0u32);
    let mut executor = Executor::new();
    let mut contended = 0;
    for strategy in [
        StrategyKind::Random,
        StrategyKind::Pct {
            depth: 3,
            horizon: 80,
        },
    ] {
        for seed in 0..100 {
            *lock.lock() = 0;
            let body = || {
                for _ in 0..5 {
                    let mut guard = lock.lock();
                    inside.set(inside.get() + 1);
                    assert_eq!(inside.get(), 1, "two threads inside the mutex");
                    let seen = *guard;
                    yield_now("inside the critical section");
                    *guard = seen + 1;
                    inside.set(inside.get() - 1);
                }
            };
            let threads: Vec<Body<'_>> = vec![Box::new(body), Box::new(body), Box::new(body)];
            let cfg = SchedConfig {
                strategy,
                ..SchedConfig::new(seed)
            };
            let report = executor.run(&cfg, threads);
            assert_eq!(report.end, End::Completed, "seed {seed}");
            assert!(report.panics.is_empty(), "{:?}", report.panics);
            assert_eq!(
                *lock.lock(),
                15,
                "seed {seed}: a lost update under the mutex"
            );
            contended += report
                .coverage
                .get(&Cover::LockContended)
                .copied()
                .unwrap_or(0);
        }
    }
    // The yield inside the critical section lets others try the lock: with
    // three threads, almost every schedule contends at least once.
    assert!(contended > 100, "{contended}");
}

#[test]
fn rwlock_readers_share_and_writers_exclude() {
    let lock = RwLock::new(());
    let readers = Cell::new(0u32);
    let writer = Cell::new(false);
    let max_readers = Cell::new(0u32);
    let mut executor = Executor::new();
    // Two readers are inside together, for instance, when the walk starts a
    // reader, lets it through its acquire's yield point, switches to the
    // other reader at its "reading" yield and lets that one through its
    // acquire: four choices among four threads, 1/256, times two readers:
    // ≥ 1/128 per seed. 2000 seeds all miss with odds below
    // (127/128)^2000 ≈ 2e-7 (other paths make the real odds far better).
    for seed in 0..2000 {
        let read = || {
            for _ in 0..3 {
                let _g = lock.read();
                assert!(!writer.get(), "a reader beside a writer");
                readers.set(readers.get() + 1);
                max_readers.set(max_readers.get().max(readers.get()));
                yield_now("reading");
                readers.set(readers.get() - 1);
            }
        };
        let write = || {
            for _ in 0..3 {
                let _g = lock.write();
                assert!(!writer.get() && readers.get() == 0, "a writer not alone");
                writer.set(true);
                yield_now("writing");
                writer.set(false);
            }
        };
        let threads: Vec<Body<'_>> = vec![
            Box::new(read),
            Box::new(read),
            Box::new(write),
            Box::new(write),
        ];
        let report = executor.run(&SchedConfig::new(seed), threads);
        assert_eq!(report.end, End::Completed, "seed {seed}");
        assert!(report.panics.is_empty(), "seed {seed}: {:?}", report.panics);
    }
    assert_eq!(max_readers.get(), 2, "readers never shared the lock");
}

#[test]
fn a_thread_blocked_forever_is_a_deadlock_not_a_hang() {
    // A thread that re-acquires a mutex it holds can never get it: the
    // scheduler reports a deadlock with the thread's position instead of
    // hanging (Go reports "all goroutines are asleep").
    let lock = Mutex::new(());
    let mut executor = Executor::new();
    let threads: Vec<Body<'_>> = vec![Box::new(|| {
        let _first = lock.lock();
        let _second = lock.lock();
    })];
    let report = executor.run(&SchedConfig::new(0), threads);
    assert_eq!(report.end, End::Deadlock);
    assert_eq!(
        report.positions[0].blocked_on,
        Some(&lock as *const _ as usize)
    );
    // The guard was released when the thread was unwound.
    let threads: Vec<Body<'_>> = vec![Box::new(|| drop(lock.lock()))];
    assert_eq!(
        executor.run(&SchedConfig::new(0), threads).end,
        End::Completed
    );
}
