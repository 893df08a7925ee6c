//! Linearizability checker speed: a 1,000,000-op history (8 threads × 125,000
//! ops, 1,000 keys) recorded from a real stress run, checked on one core.
//! Target: under 2 s.

use std::collections::BTreeMap;
use std::time::Instant;

use chaos::check::linearizability;
use chaos::engine::execute;
use chaos::maps::{ChaosMap, Key, OpResult, RangeSemantics, Value};
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;
use chaos::sync::Mutex;
use criterion::{criterion_group, criterion_main, Criterion};

#[derive(Default)]
struct Locked(Mutex<BTreeMap<Key, Value>>);

impl ChaosMap for Locked {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.0.lock().get(&key).copied())
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.0.lock().insert(key, value);
        Ok(())
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        self.0.lock().remove(&key);
        Ok(())
    }
    fn load_or_store(&self, key: Key, value: Value) -> OpResult<(Value, bool)> {
        let mut m = self.0.lock();
        Ok(match m.get(&key) {
            Some(&v) => (v, true),
            None => {
                m.insert(key, value);
                (value, false)
            }
        })
    }
    fn load_and_delete(&self, key: Key) -> OpResult<Option<Value>> {
        Ok(self.0.lock().remove(&key))
    }
    fn swap(&self, key: Key, value: Value) -> OpResult<Option<Value>> {
        Ok(self.0.lock().insert(key, value))
    }
    fn compare_and_swap(&self, key: Key, old: Value, new: Value) -> OpResult<bool> {
        let mut m = self.0.lock();
        let hit = m.get(&key) == Some(&old);
        if hit {
            m.insert(key, new);
        }
        Ok(hit)
    }
    fn compare_and_delete(&self, key: Key, old: Value) -> OpResult<bool> {
        let mut m = self.0.lock();
        let hit = m.get(&key) == Some(&old);
        if hit {
            m.remove(&key);
        }
        Ok(hit)
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        for (k, v) in self.0.lock().iter() {
            if !f(*k, *v) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        self.0.lock().clear();
        Ok(())
    }
}

fn checker(c: &mut Criterion) {
    let scenario = Scenario {
        backend: "locked".into(),
        threads: 8,
        ops: 125_000,
        keys: 1_000,
        mix: "load=60,store=20,delete=5,load_or_store=5,swap=5,compare_and_swap=5"
            .parse()
            .unwrap(),
        mode: Mode::Stress,
        ..Scenario::default()
    };
    let t = Instant::now();
    let exec = execute(&scenario, Seed(1), &|_| Box::new(Locked::default()));
    assert!(exec.findings.is_empty(), "{:?}", exec.findings);
    let ops = exec.history.operations();
    eprintln!("recorded {} ops in {:?}", ops.len(), t.elapsed());
    let mut group = c.benchmark_group("linearizability");
    group.sample_size(10);
    group.bench_function("1M ops, 8 threads, 1000 keys", |b| {
        b.iter(|| linearizability::check(&ops, RangeSemantics::Snapshot, &|_| None, &[]).unwrap())
    });
    group.finish();
}

criterion_group!(benches, checker);
criterion_main!(benches);
