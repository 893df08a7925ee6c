//! The deterministic executor end to end: determinism, the strategies' odds,
//! replay, and how an execution ends (panics, stops, step limits).
//!
//! Every randomised test runs a fixed range of seeds, so its outcome is
//! fixed; the comment on each says how likely a range of that size would be
//! to miss, i.e. how much slack the range has.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use chaos::engine::sched::{
    current_thread, logical_time, stop_execution, End, Executor, SchedConfig, StrategyKind, Trace,
};
use chaos::sync::{yield_now, RwLock};

type Body<'a> = Box<dyn FnOnce() + 'a>;

/// A small workload with locks, yields and a logical-time history: what a
/// run records, so two runs can be compared byte for byte.
fn workload_run(
    executor: &mut Executor,
    cfg: &SchedConfig,
) -> (Trace, u64, End, Vec<(usize, u64, u64)>) {
    let map = RwLock::new(HashMap::<u64, u64>::new());
    let history = RefCell::new(Vec::new());
    let body = |t: usize| {
        let (map, history) = (&map, &history);
        Box::new(move || {
            for i in 0..8u64 {
                let key = (i * 7 + t as u64) % 5;
                if (i + t as u64).is_multiple_of(3) {
                    map.write().insert(key, i);
                } else {
                    let seen = map.read().get(&key).copied().unwrap_or(u64::MAX);
                    yield_now("between ops");
                    history
                        .borrow_mut()
                        .push((t, logical_time().unwrap(), seen));
                }
            }
        }) as Body<'_>
    };
    let report = executor.run(cfg, (0..3).map(body).collect());
    (report.trace, report.steps, report.end, history.into_inner())
}

#[test]
fn same_config_same_trace_and_history() {
    let mut executor = Executor::new();
    for strategy in [
        StrategyKind::Random,
        StrategyKind::Pct {
            depth: 3,
            horizon: 60,
        },
    ] {
        for seed in 0..20 {
            let cfg = SchedConfig {
                strategy,
                ..SchedConfig::new(seed)
            };
            let a = workload_run(&mut executor, &cfg);
            // A fresh executor (fresh stacks) must not matter either.
            let b = workload_run(&mut Executor::new(), &cfg);
            assert_eq!(a, b, "seed {seed} {strategy:?}");
            assert_eq!(a.2, End::Completed);
            assert_eq!(a.1, a.0.choices.len() as u64);
        }
    }
}

#[test]
fn different_seeds_give_different_traces() {
    // ~60 decisions among up to 3 threads: two seeds agreeing on every
    // choice has odds around 2^-40; 200 seeds are all distinct unless the
    // seed does not reach the generator.
    let mut executor = Executor::new();
    let traces: HashSet<Trace> = (0..200)
        .map(|seed| workload_run(&mut executor, &SchedConfig::new(seed)).0)
        .collect();
    assert_eq!(traces.len(), 200);
}

/// Two threads each read a counter, yield, and write it back plus one.
fn lost_update(executor: &mut Executor, cfg: &SchedConfig) -> (Trace, u64) {
    let counter = Cell::new(0);
    let increment = || {
        let seen = counter.get();
        yield_now("read-modify-write");
        counter.set(seen + 1);
    };
    let threads: Vec<Body<'_>> = vec![Box::new(increment), Box::new(increment)];
    let report = executor.run(cfg, threads);
    assert_eq!(report.end, End::Completed);
    (report.trace, counter.get())
}

#[test]
fn random_walk_finds_a_lost_update() {
    // The first thread to run yields after its read; the walk switches to
    // the other thread there with probability 1/2, and then the update is
    // lost. 30 seeds all miss with odds 2^-30.
    let mut executor = Executor::new();
    let lost: Vec<u64> = (0..30)
        .filter(|&seed| lost_update(&mut executor, &SchedConfig::new(seed)).1 == 1)
        .collect();
    assert!(!lost.is_empty());
    // And the walk is not stuck on one schedule: some seeds keep the update.
    assert!(lost.len() < 30);
}

/// An ordering bug of depth 2: thread 1 must observe thread 0's
/// intermediate state, i.e. run its 10 yields and its read after thread 0's
/// first write and before its second.
fn ordering_bug(executor: &mut Executor, cfg: &SchedConfig) -> bool {
    let x = Cell::new(0);
    let observed = Cell::new(0);
    let threads: Vec<Body<'_>> = vec![
        Box::new(|| {
            x.set(1);
            yield_now("between the two writes");
            x.set(2);
            for _ in 0..10 {
                yield_now("tail");
            }
        }),
        Box::new(|| {
            for _ in 0..10 {
                yield_now("head");
            }
            observed.set(x.get());
        }),
    ];
    assert_eq!(executor.run(cfg, threads).end, End::Completed);
    observed.get() == 1
}

#[test]
fn pct_depth_two_meets_its_probability_bound() {
    // At most 1 start + 21 yields + 2 finishes = 24 contended decisions, so
    // horizon k = 24. PCT finds a depth-2 bug with probability at least
    // 1/(n·k) = 1/48 per execution (here exactly: thread 0 first, 1/2, and
    // the change point right after its first write, 1/24). Over 2000 seeds
    // the hits are Binomial(2000, ≥1/48), mean ≥ 41.7, sd ≈ 6.4: fewer than
    // 20 has odds below 1e-4.
    //
    // The random walk needs thread 1 to win 11 coin flips in a row after
    // thread 0's first write: about 2^-12 per execution, so a handful at most.
    let mut executor = Executor::new();
    let mut hits = |strategy| {
        (0..2000)
            .filter(|&seed| {
                let cfg = SchedConfig {
                    strategy,
                    ..SchedConfig::new(seed)
                };
                ordering_bug(&mut executor, &cfg)
            })
            .count()
    };
    let pct = hits(StrategyKind::Pct {
        depth: 2,
        horizon: 24,
    });
    let random = hits(StrategyKind::Random);
    assert!(
        pct >= 20,
        "PCT found the bug in {pct}/2000 seeds, bound says ≥ 2000/48"
    );
    assert!(random < pct / 4, "random {random} vs PCT {pct}");
}

#[test]
fn replay_reproduces_schedule_and_outcome() {
    // This test is never skipped: a repro is only as good as its replay.
    let mut executor = Executor::new();
    for seed in 0..20 {
        let original = workload_run(&mut executor, &SchedConfig::new(seed));
        // A different seed and strategy must not matter.
        let replay = SchedConfig {
            strategy: StrategyKind::Pct {
                depth: 2,
                horizon: 5,
            },
            ..SchedConfig::new(seed ^ 0xdead)
        }
        .replaying(original.0.clone());
        assert_eq!(
            workload_run(&mut executor, &replay),
            original,
            "seed {seed}"
        );
    }
    let seed = (0..30)
        .find(|&s| lost_update(&mut executor, &SchedConfig::new(s)).1 == 1)
        .unwrap();
    let (trace, lost) = lost_update(&mut executor, &SchedConfig::new(seed));
    let replay = SchedConfig::default().replaying(trace.clone());
    assert_eq!(lost_update(&mut executor, &replay), (trace, lost));
}

#[test]
fn perturbed_trace_diverges_at_the_named_step() {
    let mut executor = Executor::new();
    let (trace, ..) = workload_run(&mut executor, &SchedConfig::new(5));
    let replay = |t: Trace| {
        let cfg = SchedConfig::default().replaying(t);
        workload_run(&mut Executor::new(), &cfg).2
    };

    // A thread that is not runnable (there is no thread 9).
    let mut bad = trace.clone();
    bad.choices[10] = 9;
    match replay(bad) {
        End::Diverged { step, detail } => {
            assert_eq!(step, 10);
            assert!(detail.contains("thread 9"), "{detail}");
        }
        other => panic!("{other:?}"),
    }

    // The trace runs out early.
    let mut short = trace.clone();
    short.choices.truncate(17);
    match replay(short) {
        End::Diverged { step, detail } => {
            assert_eq!(step, 17);
            assert!(detail.contains("ends after 17"), "{detail}");
        }
        other => panic!("{other:?}"),
    }

    // The execution ends before the trace does.
    let mut long = trace.clone();
    long.choices.push(0);
    let n = trace.choices.len() as u64;
    match replay(long) {
        End::Diverged { step, detail } => {
            assert_eq!(step, n);
            assert!(detail.contains("ended after"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn hidden_state_breaks_replay_and_says_where() {
    // A body whose behaviour depends on something outside the scheduler
    // (here a counter that survives between runs, as time or a global RNG
    // would) cannot be replayed: the replay must say so, not pass silently.
    let runs = Cell::new(0u32);
    let run = |executor: &mut Executor, cfg: &SchedConfig| {
        runs.set(runs.get() + 1);
        let extra = runs.get() > 1; // hidden: differs on the replay
        let threads: Vec<Body<'_>> = vec![
            Box::new(move || {
                for _ in 0..3 {
                    yield_now("a");
                }
                if extra {
                    yield_now("only on replay");
                }
            }),
            Box::new(|| {
                for _ in 0..3 {
                    yield_now("b");
                }
            }),
        ];
        executor.run(cfg, threads)
    };
    let mut executor = Executor::new();
    let original = run(&mut executor, &SchedConfig::new(1));
    let replayed = run(
        &mut executor,
        &SchedConfig::default().replaying(original.trace.clone()),
    );
    assert!(
        matches!(replayed.end, End::Diverged { .. }),
        "{:?}",
        replayed.end
    );
}

#[test]
fn a_panicking_body_is_recorded_and_others_complete() {
    let done = Cell::new(0);
    let lock = chaos::sync::Mutex::new(0);
    let mut executor = Executor::new();
    for seed in 0..20 {
        done.set(0);
        let threads: Vec<Body<'_>> = vec![
            Box::new(|| {
                let _guard = lock.lock();
                yield_now("before the panic");
                panic!("backend bug in thread 0");
            }),
            Box::new(|| {
                yield_now("x");
                *lock.lock() += 1; // the panicking thread's guard was released
                done.set(done.get() + 1);
            }),
            Box::new(|| {
                yield_now("y");
                done.set(done.get() + 1);
            }),
        ];
        let report = executor.run(&SchedConfig::new(seed), threads);
        assert_eq!(report.end, End::Completed, "seed {seed}");
        assert_eq!(
            report.panics,
            vec![(0, "backend bug in thread 0".to_owned())]
        );
        assert_eq!(done.get(), 2);
        assert!(report.positions.iter().all(|p| p.finished));
    }
}

/// Counts drops, to prove a suspended thread's stack was unwound.
struct Dropped<'a>(&'a Cell<u32>);
impl Drop for Dropped<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn stop_execution_stops_others_and_releases_their_locks() {
    let lock = chaos::sync::Mutex::new(0u32);
    let drops = Cell::new(0);
    let after_stop = Cell::new(0);
    let entered = Cell::new(0);
    let mut executor = Executor::new();
    let mut stopped_with_lock_held = 0;
    // Thread 0 holds the lock across 5 yields; thread 1 stops after 2. The
    // walk leaves thread 0 inside its critical section at the stop in a
    // large share of seeds (≥ 1/4: it needs thread 0 to start and take the
    // lock before thread 1's second yield); 40 seeds all miss with odds
    // below (3/4)^40 ≈ 1e-5.
    for seed in 0..40 {
        drops.set(0);
        after_stop.set(0);
        entered.set(0);
        let threads: Vec<Body<'_>> = vec![
            Box::new(|| {
                entered.set(1);
                let _alive = Dropped(&drops);
                let mut guard = lock.lock();
                for _ in 0..5 {
                    yield_now("holding the lock");
                }
                *guard += 1;
            }),
            Box::new(|| {
                yield_now("before the throw");
                yield_now("before the throw");
                stop_execution();
                let stopped_at = logical_time().unwrap();
                // Yield points after the stop return at once, but still count.
                for _ in 0..3 {
                    yield_now("after the throw");
                    assert_eq!(current_thread(), Some(1));
                }
                assert_eq!(logical_time(), Some(stopped_at + 3));
                after_stop.set(1);
            }),
        ];
        let report = executor.run(&SchedConfig::new(seed), threads);
        assert_eq!(report.end, End::Stopped { by: 1 }, "seed {seed}");
        assert_eq!(after_stop.get(), 1, "the stopping body runs to its end");
        // Thread 0's stack was dropped whether it finished or was suspended
        // (if it never started, there was nothing on it).
        assert_eq!(drops.get(), entered.get(), "seed {seed}");
        if !report.positions[0].finished {
            stopped_with_lock_held += 1;
            // The lock is free again: another execution on the same executor
            // takes it (a leaked guard would deadlock it).
            let threads: Vec<Body<'_>> = vec![Box::new(|| *lock.lock() += 10)];
            let again = executor.run(&SchedConfig::new(seed), threads);
            assert_eq!(again.end, End::Completed);
        }
    }
    assert!(stopped_with_lock_held > 0);
    assert_eq!(current_thread(), None);
    assert_eq!(logical_time(), None);
}

#[test]
fn a_spinning_thread_ends_at_the_step_limit() {
    let mut executor = Executor::new();
    let threads: Vec<Body<'_>> = vec![
        Box::new(|| loop {
            yield_now("spin");
        }),
        Box::new(|| yield_now("done")),
    ];
    let cfg = SchedConfig {
        max_steps: 1000,
        ..SchedConfig::new(3)
    };
    let report = executor.run(&cfg, threads);
    assert_eq!(report.end, End::StepLimit);
    assert_eq!(report.steps, 1000);
    assert!(!report.positions[0].finished);
    assert!(report.positions[1].finished);
    assert_eq!(
        report.positions[0].last_site,
        Some(chaos::sync::Site::User("spin"))
    );
    // The spinning coroutine was unwound; the executor is reusable.
    assert!(!lost_update(&mut executor, &SchedConfig::new(0))
        .0
        .is_empty());
}

#[test]
fn nested_run_is_a_recorded_panic_not_a_crash() {
    let mut executor = Executor::new();
    let threads: Vec<Body<'_>> = vec![Box::new(|| {
        let mut inner = Executor::new();
        inner.run(&SchedConfig::new(0), vec![]);
    })];
    let report = executor.run(&SchedConfig::new(0), threads);
    assert_eq!(report.end, End::Completed);
    assert_eq!(report.panics.len(), 1);
    assert!(report.panics[0].1.contains("inside a running execution"));
}

#[test]
fn many_executions_reuse_the_executor() {
    // 5,000 executions with suspended threads left over at each end: stacks
    // are reused and every suspended coroutine is unwound (a leak would show
    // as memory growth or as a lock still held).
    let mut executor = Executor::new();
    let lock = chaos::sync::Mutex::new(());
    for seed in 0..5000 {
        let threads: Vec<Body<'_>> = vec![
            Box::new(|| {
                let _g = lock.lock();
                yield_now("a");
                yield_now("a");
            }),
            Box::new(|| {
                yield_now("b");
                stop_execution();
            }),
        ];
        let report = executor.run(&SchedConfig::new(seed), threads);
        assert_eq!(report.end, End::Stopped { by: 1 });
    }
}
