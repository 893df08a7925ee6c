//! Shared by the `backends_*` end-to-end tests: the iteration budget, a
//! sequential model with Go's semantics, a random op generator, and a
//! perturbing hook that widens race windows the way stress mode does.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use chaos::maps::{ChaosMap, Key, ResizeKind, Value};
use chaos::sync::{Fault, Hook, Site};
use chaos::workload::{Op, Ret};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Every iteration count in these tests is a base count times this factor:
/// `CHAOS_TEST_SCALE=20 cargo test --release` is the soak; the default run
/// stays quick in the dev profile.
pub fn scale() -> usize {
    std::env::var("CHAOS_TEST_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// Random single-thread operations per backend in the differential tests
/// (two backends: 200k in total by default).
pub const DIFF_OPS_PER_BACKEND: usize = 100_000;

/// A `HashMap` with Go's `sync.Map` API semantics: what every correct
/// backend must return when one thread drives it.
#[derive(Debug, Default)]
pub struct Model {
    pub m: HashMap<Key, Value>,
}

impl Model {
    /// Applies `op`; panics (with `context`) unless `got` is what a
    /// sequential map returns. `has_len`: whether the backend has `len`.
    pub fn check(&mut self, op: &Op, got: &Ret, has_len: bool, context: &str) {
        let m = &mut self.m;
        let want = match *op {
            Op::Load { key } => Ret::Value(m.get(&key).copied()),
            Op::Store { key, value } => {
                m.insert(key, value);
                Ret::Unit
            }
            Op::Delete { key } => {
                m.remove(&key);
                Ret::Unit
            }
            Op::LoadOrStore { key, value } => match m.get(&key) {
                Some(&actual) => Ret::LoadOrStore {
                    actual,
                    loaded: true,
                },
                None => {
                    m.insert(key, value);
                    Ret::LoadOrStore {
                        actual: value,
                        loaded: false,
                    }
                }
            },
            Op::LoadAndDelete { key } => Ret::Value(m.remove(&key)),
            Op::Swap { key, value } => Ret::Value(m.insert(key, value)),
            Op::CompareAndSwap { key, old, new } => {
                let hit = m.get(&key) == Some(&old);
                if hit {
                    m.insert(key, new);
                }
                Ret::Bool(hit)
            }
            Op::CompareAndDelete { key, old } => {
                let hit = m.get(&key) == Some(&old);
                if hit {
                    m.remove(&key);
                }
                Ret::Bool(hit)
            }
            Op::Range { limit } => {
                let Ret::Entries(seen) = got else {
                    panic!("{context}: {op:?} returned {got:?}")
                };
                let mut keys = HashSet::new();
                for (k, v) in seen {
                    assert!(keys.insert(*k), "{context}: range visited {k} twice");
                    assert_eq!(m.get(k), Some(v), "{context}: range saw {k}={v}");
                }
                let want = match limit {
                    0 => m.len(),
                    l => m.len().min(l as usize),
                };
                assert_eq!(seen.len(), want, "{context}: {op:?} visited {seen:?}");
                return;
            }
            Op::Clear => {
                m.clear();
                Ret::Unit
            }
            Op::Len if has_len => Ret::Len(m.len()),
            Op::Len => Ret::Unsupported,
        };
        assert_eq!(got, &want, "{context}: {op:?}");
    }
}

/// Draws operations over keys `0..keys` with values unique in the run
/// (counting up from `next_value`). CAS/CAD use the model's current value
/// half the time, so they succeed often.
pub struct OpGen {
    pub rng: ChaCha8Rng,
    pub next_value: Value,
}

impl OpGen {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            next_value: 1,
        }
    }

    fn value(&mut self) -> Value {
        self.next_value += 1;
        self.next_value
    }

    pub fn op(&mut self, keys: u64, model: &Model) -> Op {
        let key = self.rng.random_range(0..keys);
        let current = |g: &mut Self| match model.m.get(&key) {
            Some(&v) if g.rng.random_bool(0.5) => v,
            _ => g.rng.random_range(0..g.next_value + 2),
        };
        match self.rng.random_range(0..100) {
            0..20 => Op::Load { key },
            20..40 => Op::Store {
                key,
                value: self.value(),
            },
            40..50 => Op::Delete { key },
            50..58 => Op::LoadOrStore {
                key,
                value: self.value(),
            },
            58..64 => Op::LoadAndDelete { key },
            64..72 => Op::Swap {
                key,
                value: self.value(),
            },
            72..80 => {
                let old = current(self);
                Op::CompareAndSwap {
                    key,
                    old,
                    new: self.value(),
                }
            }
            80..86 => Op::CompareAndDelete {
                key,
                old: current(self),
            },
            86..94 => Op::Range {
                limit: self.rng.random_range(0..6),
            },
            94..99 => Op::Len,
            _ if self.rng.random_ratio(1, 20) => Op::Clear,
            _ => Op::Load { key },
        }
    }

    pub fn resize_kind(&mut self) -> ResizeKind {
        const KINDS: [ResizeKind; 5] = [
            ResizeKind::Grow,
            ResizeKind::SameSizeGrow,
            ResizeKind::Evacuate,
            ResizeKind::Promote,
            ResizeKind::RebuildDirty,
        ];
        KINDS[self.rng.random_range(0..KINDS.len())]
    }
}

/// Drives `map` with `ops` random operations from one thread, with forced
/// resizes sprinkled in (1 in 25 ops), comparing every result with the
/// model and checking invariants every 1000 ops and at the end. The key
/// space changes every 5000 ops (16, 200 or 2000 keys) so maps fill, grow
/// and drain.
pub fn differential(map: &dyn ChaosMap, seed: u64, ops: usize) {
    let has_len = map.len().is_some();
    let mut model = Model::default();
    let mut gen = OpGen::new(seed);
    let mut keys = 16;
    for i in 0..ops {
        if i % 5000 == 0 {
            keys = [16, 200, 2000][gen.rng.random_range(0..3)];
        }
        if gen.rng.random_ratio(1, 25) {
            let kind = gen.resize_kind();
            map.force_resize(kind)
                .unwrap_or_else(|t| panic!("seed {seed} op {i}: force_resize({kind:?}) threw {t}"));
        }
        let op = gen.op(keys, &model);
        let got = op.apply(map);
        model.check(&op, &got, has_len, &format!("seed {seed} op {i}"));
        if i % 1000 == 999 || i + 1 == ops {
            assert_eq!(map.check_invariants(), vec![], "seed {seed} op {i}");
        }
    }
}

/// A stress-mode stand-in: at the chosen sites, yields the OS thread with
/// probability 1/`one_in` (a per-thread xorshift, so no shared state),
/// widening the race window there. With `faults`, it also answers like the
/// fault injector, 1 time in 8 where a fault keeps the backend's contract:
/// promotions and dirty rebuilds where a `syncmap` holds `mu`, grows and
/// evacuation steps inside a `gomap` writer's window.
pub struct Perturb {
    pub sites: fn(Site) -> bool,
    pub one_in: u64,
    pub faults: bool,
    state: Cell<u64>,
}

impl Perturb {
    pub fn new(seed: u64, one_in: u64, sites: fn(Site) -> bool) -> Self {
        Self {
            sites,
            one_in,
            faults: false,
            state: Cell::new(seed | 1),
        }
    }

    pub fn with_faults(mut self) -> Self {
        self.faults = true;
        self
    }

    fn next(&self) -> u64 {
        let mut x = self.state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state.set(x);
        x
    }
}

impl Hook for Perturb {
    fn yield_point(&self, site: Site) -> Option<Fault> {
        if (self.sites)(site) && self.next() % self.one_in == 0 {
            std::thread::yield_now();
        }
        if !self.faults {
            return None;
        }
        let x = self.next();
        if x % 8 != 0 {
            return None;
        }
        let pick = (x >> 3) as usize;
        if site.in_syncmap_locked() {
            Some([Fault::Promote, Fault::RebuildDirty][pick % 2])
        } else if site.in_gomap_write_window() {
            const F: [Fault; 4] = [
                Fault::Grow,
                Fault::SameSizeGrow,
                Fault::Evacuate,
                Fault::WithholdEvacuation,
            ];
            Some(F[pick % F.len()])
        } else {
            None
        }
    }
}

/// Every site.
pub fn all_sites(_: Site) -> bool {
    true
}

/// Records which coverage marks ran on this thread.
#[derive(Default)]
pub struct Marks(pub std::cell::RefCell<std::collections::BTreeSet<chaos::sync::Cover>>);

impl Hook for Marks {
    fn yield_point(&self, _site: Site) -> Option<Fault> {
        None
    }
    fn cover(&self, mark: chaos::sync::Cover) {
        self.0.borrow_mut().insert(mark);
    }
}
