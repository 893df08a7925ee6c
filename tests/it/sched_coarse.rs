//! Never a silent pass: a backend whose ops hold no scheduling point (its
//! locks from `std`, not `chaos::sync`) can only have whole ops
//! interleaved by the scheduler, and the report says so, in text and JSON.

use std::collections::HashMap;
use std::sync::Mutex as StdMutex;

use chaos::engine::execute;
use chaos::maps::{registry, ChaosMap, Key, OpResult, Value};
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
