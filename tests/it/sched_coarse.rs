//! Never a silent pass: a backend whose ops hold no scheduling point (its
//! locks from `std`, not `chaos::sync`) can only have whole ops
//! interleaved by the scheduler, and the report says so, in text and JSON.
//! Never a silent hang: a `std` lock that blocks the scheduler's one OS
//! thread is reported within seconds, as the run's one line.

use std::collections::HashMap;
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};

use chaos::engine::{execute, Outcome};
use chaos::maps::{registry, ChaosMap, Delegate, Key, OpResult, Value};
use chaos::report::{run_human, run_json};
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;

/// A correct map behind a `std` lock: invisible to the scheduler.
#[derive(Default)]
struct StdLocked(StdMutex<HashMap<Key, Value>>);

impl StdLocked {
    fn m(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Value>> {
        self.0.lock().unwrap()
    }
}

impl ChaosMap for StdLocked {
    fn load(&self, k: Key) -> OpResult<Option<Value>> {
        Ok(self.m().get(&k).copied())
    }
    fn store(&self, k: Key, v: Value) -> OpResult<()> {
        self.m().insert(k, v);
        Ok(())
    }
    fn delete(&self, k: Key) -> OpResult<()> {
        self.m().remove(&k);
        Ok(())
    }
    fn load_or_store(&self, k: Key, v: Value) -> OpResult<(Value, bool)> {
        let mut m = self.m();
        Ok(match m.get(&k) {
            Some(&old) => (old, true),
            None => {
                m.insert(k, v);
                (v, false)
            }
        })
    }
    fn load_and_delete(&self, k: Key) -> OpResult<Option<Value>> {
        Ok(self.m().remove(&k))
    }
    fn swap(&self, k: Key, v: Value) -> OpResult<Option<Value>> {
        Ok(self.m().insert(k, v))
    }
    fn compare_and_swap(&self, k: Key, old: Value, new: Value) -> OpResult<bool> {
        let mut m = self.m();
        let hit = m.get(&k) == Some(&old);
        if hit {
            m.insert(k, new);
        }
        Ok(hit)
    }
    fn compare_and_delete(&self, k: Key, old: Value) -> OpResult<bool> {
        let mut m = self.m();
        let hit = m.get(&k) == Some(&old);
        if hit {
            m.remove(&k);
        }
        Ok(hit)
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        for (&k, &v) in self.m().iter() {
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        self.m().clear();
        Ok(())
    }
}

fn scenario(backend: &str) -> Scenario {
    Scenario {
        backend: backend.into(),
        threads: 2,
        ops: 20,
        mix: "load=50,store=30,swap=20".parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    }
}

#[test]
fn a_std_locked_map_under_the_scheduler_is_warned_about_in_text_and_json() {
    let exec = execute(&scenario("std-locked"), Seed(1), &|_| {
        Box::new(StdLocked::default())
    });
    assert!(exec.findings.is_empty(), "{:?}", exec.findings);
    let text = run_human(&exec);
    assert!(
        text.contains("warning: only whole ops were interleaved"),
        "{text}"
    );
    assert!(text.contains("chaos::sync"), "{text}");
    let json = run_json(&exec);
    assert!(
        json["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("only whole ops were interleaved"),
        "{json}"
    );
}

#[test]
fn a_map_explored_inside_its_ops_gets_no_warning() {
    for name in ["rwmutex", "gomap", "syncmap"] {
        let info = registry::lookup(name).unwrap();
        let exec = execute(&scenario(name), Seed(1), info.constructor());
        assert!(exec.warnings().is_empty(), "{name}: {:?}", exec.warnings());
        assert_eq!(run_json(&exec)["warnings"], serde_json::json!([]));
    }
    // Stress mode says nothing of scheduling points.
    let s = Scenario {
        mode: Mode::Stress,
        ..scenario("std-locked")
    };
    let exec = execute(&s, Seed(1), &|_| Box::new(StdLocked::default()));
    assert!(exec.warnings().is_empty());
}

/// A correct map whose `store` holds a `std` lock across a scheduling point
/// (a `chaos::sync` yield inside): correct under real threads, where the
/// other thread only waits; under the scheduler the other logical thread
/// blocks the one OS thread on the `std` lock, which nothing can release.
#[derive(Default)]
struct StdLockAcrossYield(StdLocked);

impl Delegate for StdLockAcrossYield {
    type Inner = StdLocked;
    fn inner(&self) -> &StdLocked {
        &self.0
    }
    fn store(&self, k: Key, v: Value) -> OpResult<()> {
        let mut m = self.0.m();
        chaos::sync::yield_now("under a std lock");
        m.insert(k, v);
        Ok(())
    }
}

#[test]
fn a_std_lock_that_blocks_the_schedulers_thread_is_reported_within_seconds() {
    let s = Scenario {
        mix: "store=100".parse().unwrap(),
        ..scenario("std-across-yield")
    };
    // Two threads of 20 stores: the scheduler switches at the yield inside a
    // store with odds about 1/2 each time, and the other thread's store then
    // blocks on the std lock; 20 stores cannot all miss in practice, and the
    // first seed that stalls is the one asserted on.
    let started = Instant::now();
    let exec = (0..5)
        .map(|seed| execute(&s, Seed(seed), &|_| Box::new(StdLockAcrossYield::default())))
        .find(|e| e.stalled().is_some())
        .expect("no seed of 5 stalled the scheduler");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "reported after {took:?}");
    let why = exec.stalled().unwrap();
    assert!(
        why.starts_with(
            "the backend blocked the scheduler's thread outside chaos::sync — a std lock?"
        ),
        "{why}"
    );
    assert!(
        exec.findings.is_empty(),
        "not a finding about the map: {:?}",
        exec.findings
    );
    assert_eq!(exec.outcome(), Outcome::Undecided { why: why.clone() });
    assert!(
        run_human(&exec).contains("a std lock?"),
        "{}",
        run_human(&exec)
    );
    // The blocked thread was left behind; this thread's next execution gets
    // a new scheduler thread and runs as usual.
    let again = execute(&scenario("std-locked"), Seed(1), &|_| {
        Box::new(StdLocked::default())
    });
    assert!(again.stalled().is_none());
    assert_eq!(again.outcome(), Outcome::Met);
}

#[test]
fn a_hunt_stops_at_the_first_seed_that_stalls_the_scheduler() {
    use chaos::hunt::{hunt, HuntLimits, Observer, SeedRange, Shard};
    use std::sync::atomic::AtomicBool;

    let s = Scenario {
        mix: "store=100".parse().unwrap(),
        ..scenario("std-across-yield")
    };
    let interrupt = AtomicBool::new(false);
    let started = Instant::now();
    let report = hunt(
        &s,
        SeedRange {
            start: 0,
            end: 1000,
        },
        Shard { index: 1, count: 1 },
        HuntLimits {
            stop_at_first: true,
            time_budget: None,
            jobs: Some(1),
        },
        &|_| Box::new(StdLockAcrossYield::default()),
        Observer {
            progress: &|_| {},
            new_signature: &mut |_| {},
            interrupt: &interrupt,
        },
    );
    // Each stall costs a second and a thread: 1,000 of them would take a
    // quarter of an hour; the hunt stops at the first (the odds per seed
    // are as in the test above).
    let (seed, why) = report.stalled.expect("no seed of 1,000 stalled");
    assert!(report.executed <= seed + 1, "{} executed", report.executed);
    assert!(why.contains("a std lock?"), "{why}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
