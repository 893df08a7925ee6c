//! Every repro in `fixtures/` replays to its recorded finding, exactly.
//!
//! Never skipped: an empty or missing `fixtures/` fails, since users (and
//! CI) rely on the fixtures being there, and every registered mutant must
//! have its fixture. The fixtures are produced by the `#[ignore]`d
//! generator below:
//!
//! ```text
//! cargo test --test it -- --ignored generate_fixtures
//! ```
//!
//! It writes the minimal repro of every mutant (`chaos backends`) and of
//! Go's three concurrent-map throws on `gomap` and on `swissmap`. Repro
//! files are never overwritten with different text: delete `fixtures/`
//! first to regenerate it from scratch.

use std::path::{Path, PathBuf};

use chaos::check::FindingKind;
use chaos::engine::execute;
use chaos::maps::registry::{self, FindingClass};
use chaos::repro::{make, replay, MakeOptions, Repro};
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; the fixtures must be there", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Go's three concurrent-map throws, each fixtured on both Go maps.
const GO_THROWS: [&str; 3] = [
    "concurrent map writes",
    "concurrent map read and map write",
    "concurrent map iteration and map write",
];

/// Most ops a mutant's minimal repro may have.
const MUTANT_MAX_OPS: usize = 8;

#[test]
fn every_fixture_replays_its_recorded_finding_exactly() {
    let files = fixture_files();
    assert!(
        !files.is_empty(),
        "fixtures/ has no repro files; generate them (see this file's docs)"
    );
    let mut backends = std::collections::BTreeSet::new();
    let mut go_throws = std::collections::BTreeSet::new();
    for path in &files {
        let repro = Repro::read(path).unwrap_or_else(|e| panic!("{e}"));
        let info = registry::lookup(&repro.scenario.backend)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let replayed = replay(&repro, &|seed| info.build(seed));
        assert!(
            replayed.reproduced(),
            "{}: {}",
            path.display(),
            replayed.report(&repro)
        );
        assert_eq!(
            replayed.finding.as_ref(),
            Some(&repro.finding),
            "{}",
            path.display()
        );
        assert_eq!(replayed.history_matches, Some(true), "{}", path.display());
        if info.is_mutant() {
            assert!(
                repro.script.ops() <= MUTANT_MAX_OPS,
                "{}: {} ops",
                path.display(),
                repro.script.ops()
            );
        }
        if repro.finding.kind == FindingKind::Throw
            && ["gomap", "swissmap"].contains(&repro.scenario.backend.as_str())
        {
            go_throws.insert((
                repro.scenario.backend.clone(),
                repro.finding.message.clone(),
            ));
        }
        backends.insert(repro.scenario.backend.clone());
    }
    for info in registry::backends().iter().filter(|b| b.is_mutant()) {
        assert!(
            backends.contains(info.name()),
            "no fixture for {}; generate the fixtures (see this file's docs)",
            info.name()
        );
    }
    for backend in ["gomap", "swissmap"] {
        for message in GO_THROWS {
            assert!(
                go_throws.contains(&(backend.to_string(), message.to_string())),
                "no {backend} fixture for {message}"
            );
        }
    }
}

/// Which findings a target is after.
type Wanted = Box<dyn Fn(&chaos::check::Finding) -> bool>;

/// A scenario that finds each target quickly, and what must be found.
fn targets() -> Vec<(Scenario, Wanted)> {
    let base = |backend: &str, threads, ops, keys, mix: &str| Scenario {
        backend: backend.into(),
        threads,
        ops,
        keys,
        mix: mix.parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    };
    let throw = |message: &'static str| -> Wanted {
        Box::new(move |f| f.kind == FindingKind::Throw && f.message == message)
    };
    // Go's three throws on both Go maps, in the same scenarios (on
    // swissmap, tests/it/swissmap_sched.rs measures each throw in 18 to 100
    // of 100 seeds of similar ones; the generator tries 2,000).
    let mut out: Vec<(Scenario, Wanted)> = Vec::new();
    for backend in ["gomap", "swissmap"] {
        for (mix, message) in ["store=1", "load=80,store=20", "range=50,store=50"]
            .into_iter()
            .zip(GO_THROWS)
        {
            out.push((base(backend, 2, 20, 8, mix), throw(message)));
        }
    }
    for info in registry::backends() {
        let Some(m) = info.mutant_info() else {
            continue;
        };
        let mut s = match info.name() {
            "mutant-write-under-rlock" => base(info.name(), 2, 30, 8, "load=50,store=50"),
            "mutant-unlocked-read" => base(info.name(), 2, 30, 8, "load=50,store=50"),
            "mutant-check-then-act" => {
                base(info.name(), 3, 20, 4, "load_or_store=60,delete=20,load=20")
            }
            "mutant-split-swap" => base(info.name(), 2, 20, 2, "swap=60,load=20,store=20"),
            "mutant-expunged-store" | "mutant-lossy-promotion" => Scenario {
                promote_rate: 0.3,
                ..base(info.name(), 2, 40, 4, "load=40,store=30,delete=30")
            },
            "mutant-shard-clear" => base(info.name(), 3, 30, 6, "store=60,load=30,clear=10"),
            "mutant-racy-len" => base(info.name(), 3, 30, 6, "store=40,delete=20,len=40"),
            "mutant-torn-range" => base(info.name(), 3, 30, 6, "store=40,delete=20,range=40"),
            "mutant-iter-ignores-oldbuckets" => {
                base(info.name(), 2, 150, 400, "store=60,range=20,load=20")
            }
            "mutant-split-wrong-bit" => swiss_split(info.name()),
            _ => base(info.name(), 2, 150, 400, "store=60,load=30,delete=10"),
        };
        if m.needs_growth && s.resize_rate == 0.0 {
            // The classic map's growth mutants (an arm above that forces
            // its own resizes keeps them). A map that already has overflow
            // chains (the prefill: 16 keys
            // in 2 buckets), forced to grow and evacuate: the minimal repro
            // is then a few ops, not the dozens of stores that build chains.
            s.prefill = 16;
            s.keys = 32;
            s.ops = 50;
            s.resize_rate = 0.2;
            s.evacuate_rate = 0.2;
        }
        // The class the registry expects; a lost write may show first as the
        // broken structure (`count-mismatch`), which the checker tries first.
        let kinds: &[FindingKind] = match m.expected {
            FindingClass::Throw => &[FindingKind::Throw],
            FindingClass::Linearizability => &[FindingKind::Linearizability],
            FindingClass::LostWrite => &[FindingKind::LostWrite, FindingKind::Invariant],
            FindingClass::Invariant => &[FindingKind::Invariant],
            FindingClass::Deadlock => &[FindingKind::Deadlock],
            FindingClass::Hang => &[FindingKind::Hang, FindingKind::Deadlock],
        };
        out.push((s, Box::new(move |f| kinds.contains(&f.kind))));
    }
    out
}

/// The scenario of `mutant-split-wrong-bit` (as in
/// tests/it/checker_mutants.rs): a 1024-slot table 6 inserts short of its
/// natural split, and forced grows, which split it (836 of 1,000 seeds find
/// the bug, 7 without the forced grows).
fn swiss_split(backend: &str) -> Scenario {
    Scenario {
        backend: backend.into(),
        threads: 2,
        ops: 30,
        keys: 1000,
        prefill: 890,
        mix: "store=40,load=40,delete=10,range=10".parse().unwrap(),
        mode: Mode::Sched,
        resize_rate: 0.2,
        ..Scenario::default()
    }
}

#[test]
#[ignore = "writes fixtures/: run it by name to (re)generate them"]
fn generate_fixtures() {
    let dir = fixtures_dir();
    for (scenario, wanted) in targets() {
        let info = registry::lookup(&scenario.backend).unwrap();
        let build = move |seed| info.build(seed);
        let (seed, sig) = (0..2000)
            .map(Seed)
            .find_map(|seed| {
                execute(&scenario, seed, &build)
                    .findings
                    .iter()
                    .find(|f| wanted(f))
                    .map(|f| (seed, f.signature()))
            })
            .unwrap_or_else(|| panic!("no wanted finding in 2000 seeds of {scenario:?}"));
        let started = std::time::Instant::now();
        let made = make(&scenario, seed, &sig, &build, &MakeOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.backend));
        // An existing fixture stays as it is (its recorded run is what the
        // replay test holds); CHAOS_REGENERATE=1 writes every one again.
        let existing = dir.join(format!("{}.toml", made.repro.file_stem()));
        if existing.exists() && std::env::var_os("CHAOS_REGENERATE").is_none() {
            println!("{}: kept", existing.display());
            continue;
        }
        let path = made.repro.write_to_dir(&dir).unwrap();
        println!(
            "{}: {} ops in {} threads, {} executions, {:.0?}: {}",
            path.display(),
            made.repro.script.ops(),
            made.repro.script.threads.len(),
            made.executions(),
            started.elapsed(),
            made.repro.description
        );
        if info.is_mutant() {
            assert!(
                made.repro.script.ops() <= MUTANT_MAX_OPS,
                "{}",
                made.repro.to_toml()
            );
        }
    }
}
