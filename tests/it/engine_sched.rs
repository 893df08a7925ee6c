//! Sched-mode executions end to end, on backends defined through the public
//! API only: determinism, findings for lost writes, panics, deadlocks and
//! hidden nondeterminism, and trace replay.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chaos::check::FindingKind;
use chaos::engine::{execute, run, Request};
use chaos::maps::{ChaosMap, Delegate, Key, OpResult, Value};
use chaos::scenario::{Mode, Scenario, SchedSettings, Strategy};
use chaos::seed::Seed;
use chaos::sync::Mutex;
use chaos::workload::generate;

use crate::support::buggy::Crossed;
use crate::support::Locked;

fn sched(threads: u32, ops: u32) -> Scenario {
    Scenario {
        backend: "locked".into(),
        threads,
        ops,
        keys: 8,
        mix: "load=30,store=20,delete=5,load_or_store=10,load_and_delete=5,swap=10,compare_and_swap=10,compare_and_delete=5,range=3,clear=1,len=1"
            .parse()
            .unwrap(),
        prefill: 4,
        mode: Mode::Sched,
        ..Scenario::default()
    }
}

#[test]
fn a_correct_map_is_clean_and_every_seed_replays_byte_for_byte() {
    for strategy in [Strategy::Random, Strategy::Pct] {
        for seed in 0..40 {
            let s = Scenario {
                sched: SchedSettings {
                    strategy,
                    ..SchedSettings::default()
                },
                ..sched(3, 60)
            };
            let a = execute(&s, Seed(seed), &|_| Box::new(Locked::default()));
            assert!(a.findings.is_empty(), "seed {seed}: {:?}", a.findings);
            let b = execute(&s, Seed(seed), &|_| Box::new(Locked::default()));
            assert_eq!(a.history, b.history, "seed {seed}");
            assert_eq!(a.trace(), b.trace());
            assert!(a.steps().unwrap() > 180);
        }
    }
    // Different seeds explore different interleavings.
    let hashes: std::collections::HashSet<u64> = (0..20)
        .map(|seed| {
            execute(&sched(3, 60), Seed(seed), &|_| Box::new(Locked::default())).history_hash()
        })
        .collect();
    assert!(hashes.len() >= 19, "{}", hashes.len());
}

#[test]
fn a_recorded_trace_replays_the_same_history() {
    let s = sched(3, 40);
    let a = execute(&s, Seed(7), &|_| Box::new(Locked::default()));
    let w = Arc::new(generate(&s, Seed(7)));
    let build = |_| Box::new(Locked::default()) as Box<dyn ChaosMap>;
    let b = run(&Request::new(&s, Seed(7), &build)
        .workload(w)
        .replay(a.trace().unwrap()));
    assert_eq!(a.history_hash(), b.history_hash());
    assert!(b.findings.is_empty(), "{:?}", b.findings);
}

#[test]
fn lost_stores_are_found_in_sched_mode() {
    let s = Scenario {
        mix: "load=50,store=50".parse().unwrap(),
        ..sched(2, 100)
    };
    let exec = execute(&s, Seed(1), &|_| Box::new(Locked::lossy(10)));
    let kinds: Vec<_> = exec.findings.iter().map(|f| f.kind).collect();
    assert!(
        kinds == [FindingKind::Linearizability] || kinds == [FindingKind::LostWrite],
        "{:?}",
        exec.findings
    );
}

#[test]
fn a_panicking_user_backend_is_a_finding_and_the_run_still_reports() {
    let exec = execute(&sched(2, 50), Seed(0), &|_| Box::new(Locked::panicky(10)));
    assert_eq!(exec.findings.len(), 1, "{:?}", exec.findings);
    assert_eq!(exec.findings[0].kind, FindingKind::Panic);
    assert!(exec.findings[0].op.is_some());
    // The same executor (one per OS thread) runs the next execution fine.
    assert!(
        execute(&sched(2, 50), Seed(0), &|_| Box::new(Locked::default()))
            .findings
            .is_empty()
    );
}

#[test]
fn a_deadlocking_user_backend_is_a_deadlock_finding_with_positions() {
    // Each lock acquire is a switch point, so a random walk interleaves the
    // two acquires of a load and a store with probability about 1/2 per
    // overlapping pair; 20 seeds × 20 such pairs cannot all miss in practice.
    let s = Scenario {
        mix: "load=50,store=50".parse().unwrap(),
        prefill: 0,
        ..sched(2, 20)
    };
    let found = (0..20).find_map(|seed| {
        let e = execute(&s, Seed(seed), &|_| Box::new(Crossed::default()));
        e.findings
            .into_iter()
            .find(|f| f.kind == FindingKind::Deadlock)
    });
    let f = found.expect("a deadlock within 20 seeds");
    assert!(
        f.detail.contains("thread 0") && f.detail.contains("thread 1"),
        "{}",
        f.detail
    );
    assert!(f.detail.contains("blocked on a lock"), "{}", f.detail);
}

/// Reads a process-wide counter: the same seed gives a different history.
struct Leaky {
    inner: Locked,
    /// How many maps were built before this one: state the scheduler does
    /// not control, leaking into the first load's answer.
    generation: u64,
    first: std::sync::atomic::AtomicBool,
}

impl Delegate for Leaky {
    type Inner = Locked;
    fn inner(&self) -> &Locked {
        &self.inner
    }
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        if self.first.swap(false, Ordering::Relaxed) {
            return Ok(Some(0xbad00 + self.generation));
        }
        self.inner.load(key)
    }
}

#[test]
fn hidden_nondeterminism_is_reported_before_any_other_finding() {
    static BUILT: AtomicU64 = AtomicU64::new(0);
    let s = Scenario {
        mix: "load=1".parse().unwrap(),
        ..sched(2, 3)
    };
    let exec = execute(&s, Seed(0), &|_| {
        Box::new(Leaky {
            inner: Locked::default(),
            generation: BUILT.fetch_add(1, Ordering::Relaxed),
            first: true.into(),
        })
    });
    assert_eq!(
        exec.findings[0].kind,
        FindingKind::Nondeterminism,
        "{:?}",
        exec.findings
    );
    assert!(
        exec.findings[0].detail.contains("histories part at event"),
        "{}",
        exec.findings[0].detail
    );
}

/// Notes its accesses like an unsynchronised Go map would, either inside its
/// lock (correct) or before taking it (as if the structure were unlocked).
struct Noted {
    inner: Locked,
    lock: Mutex<()>,
    note_inside: bool,
}

impl Noted {
    fn with<R>(&self, access: chaos::sync::Access, f: impl FnOnce() -> R) -> R {
        let id = self as *const Self as usize;
        if self.note_inside {
            let _g = self.lock.lock();
            let _a = chaos::sync::access(id, access);
            chaos::sync::yield_now("noted");
            f()
        } else {
            let _a = chaos::sync::access(id, access);
            chaos::sync::yield_now("noted");
            let _g = self.lock.lock();
            f()
        }
    }
}

impl Delegate for Noted {
    type Inner = Locked;
    fn inner(&self) -> &Locked {
        &self.inner
    }
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        self.with(chaos::sync::Access::Read, || self.inner.load(key))
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        self.with(chaos::sync::Access::Write, || self.inner.store(key, value))
    }
}

#[test]
fn overlapping_unsynchronised_accesses_are_races_and_locked_ones_are_not() {
    let s = Scenario {
        mix: "load=50,store=50".parse().unwrap(),
        prefill: 0,
        ..sched(2, 10)
    };
    let unlocked = |_| -> Box<dyn ChaosMap> {
        Box::new(Noted {
            inner: Locked::default(),
            lock: Mutex::new(()),
            note_inside: false,
        })
    };
    // A yield inside every noted access: two threads' accesses overlap at
    // about half of the switch points, and some pair includes a store in
    // every seed below (checked).
    for seed in 0..10 {
        let e = execute(&s, Seed(seed), &unlocked);
        let race = e.findings.iter().find(|f| f.kind == FindingKind::Race);
        let race = race.unwrap_or_else(|| panic!("seed {seed}: {:?}", e.findings));
        assert!(
            race.detail.contains("missed by Go's runtime check"),
            "{}",
            race.detail
        );
        assert!(race.op.is_some() && race.thread.is_some());
    }
    let locked = |_| -> Box<dyn ChaosMap> {
        Box::new(Noted {
            inner: Locked::default(),
            lock: Mutex::new(()),
            note_inside: true,
        })
    };
    for seed in 0..50 {
        let e = execute(&s, Seed(seed), &locked);
        assert!(e.findings.is_empty(), "seed {seed}: {:?}", e.findings);
    }
}
