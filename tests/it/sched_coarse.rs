//! Never a silent pass: a backend whose ops hold no scheduling point (its
//! locks from `std`, not `chaos::sync`) can only have whole ops
//! interleaved by the scheduler, and the report says so, in text and JSON.
//! Never a silent hang: a `std` lock that blocks the scheduler's one OS
//! thread is reported within seconds, as the run's one line.

use std::collections::HashMap;
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};

use chaos::engine::execute;
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

/// Run by the test below, in a child process: the stall ends its process.
#[test]
#[ignore = "a child process of a_std_lock_that_blocks_the_schedulers_thread_ends_the_run_within_seconds"]
fn std_lock_stall_child() {
    // Its stall ends the process: only ever as the parent's child.
    if std::env::var_os("CHAOS_STALL_CHILD").is_none() {
        println!("run only as a child of its parent test");
        return;
    }
    let s = Scenario {
        mix: "store=100".parse().unwrap(),
        ..scenario("std-across-yield")
    };
    for seed in 0..100 {
        execute(&s, Seed(seed), &|_| Box::new(StdLockAcrossYield::default()));
    }
    println!("no seed of 100 stalled");
}

#[test]
fn a_std_lock_that_blocks_the_schedulers_thread_ends_the_run_within_seconds() {
    // Two threads of 20 stores: the scheduler switches at the yield inside a
    // store with odds about 1/2 each time, and the other thread's store then
    // blocks the one OS thread on the std lock. The first seed that does
    // (almost always seed 0; 100 seeds cannot all miss in practice) ends
    // the child process with the one line, exit code 2.
    let started = Instant::now();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "sched_coarse::std_lock_stall_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CHAOS_STALL_CHILD", "1")
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("chaos: "))
        .unwrap_or_else(|| panic!("no line from chaos: {stderr}"));
    assert!(
        line.starts_with(
            "chaos: the backend blocked the scheduler's thread outside chaos::sync — a std lock? (backend std-across-yield, seed "
        ),
        "{line}"
    );
    assert!(line.contains("--mode stress"), "{line}");
    // 1 s of silence, read 4 times a second, plus the child's start.
    assert!(took < Duration::from_secs(5), "reported after {took:?}");
}

#[test]
fn a_hunt_over_a_std_locked_map_says_its_seeds_interleaved_only_whole_ops() {
    use chaos::hunt::{hunt, HuntLimits, Observer, SeedRange, Shard};
    use chaos::report::Hunted;
    use std::sync::atomic::AtomicBool;

    let s = scenario("std-locked");
    let (range, shard) = (
        SeedRange { start: 0, end: 20 },
        Shard { index: 1, count: 1 },
    );
    let interrupt = AtomicBool::new(false);
    let report = hunt(
        &s,
        range,
        shard,
        HuntLimits {
            stop_at_first: true,
            time_budget: None,
            jobs: Some(1),
        },
        &|_| Box::new(StdLocked::default()),
        Observer {
            progress: &|_| {},
            new_signature: &mut |_| {},
            interrupt: &interrupt,
        },
    );
    assert!(report.found.is_empty());
    assert_eq!((report.whole_ops_only, report.executed), (20, 20));
    let hunted = Hunted {
        scenario: &s,
        range,
        shard,
        report: &report,
        repros: &[],
        details: false,
    };
    let text = hunted.human();
    assert!(
        text.contains("warning: 20 of 20 seeds: only whole ops were interleaved"),
        "{text}"
    );
    let json = hunted.json();
    assert!(
        json["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("20 of 20 seeds: only whole ops"),
        "{json}"
    );
    // A map explored inside its ops hunts without the warning.
    let rw = scenario("rwmutex");
    let info = registry::lookup("rwmutex").unwrap();
    let report = hunt(
        &rw,
        range,
        shard,
        HuntLimits {
            stop_at_first: true,
            time_budget: None,
            jobs: Some(1),
        },
        info.constructor(),
        Observer {
            progress: &|_| {},
            new_signature: &mut |_| {},
            interrupt: &interrupt,
        },
    );
    assert_eq!(report.whole_ops_only, 0);
}
