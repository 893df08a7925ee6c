//! What `chaos init` writes into a library author's crate: the harness
//! (`examples/chaos.rs`), a scenario for it (`chaos/NAME.toml`), and the
//! nightly job (`.github/workflows/chaos-nightly.yml` and its script).
//!
//! The nightly workflow has one home, the template `nightly.yml` beside
//! this file: this repository's own `.github/workflows/nightly.yml` is its
//! rendering for [`Flavor::ThisRepo`] (a test holds them equal, byte for
//! byte), a user's is its rendering for [`Flavor::User`]. The script is
//! this repository's `.github/scripts/nightly.py` itself, embedded.

use std::path::Path;

use crate::files::TomlError;

/// The workflow template: `@if KEY` / `@end` lines keep the lines between
/// them only when KEY holds (`go`, `init`); `@name@`-style tokens are
/// replaced (see [`render_workflow`]).
const WORKFLOW_TEMPLATE: &str = include_str!("nightly.yml");

/// The nightly report script, the same bytes in every repository.
pub const NIGHTLY_SCRIPT: &str = include_str!("../../.github/scripts/nightly.py");

/// Where the nightly job's files go in a user's crate.
pub const USER_WORKFLOW: &str = ".github/workflows/chaos-nightly.yml";
/// Where its script goes (named as the workflow: the script finds the
/// workflow by its own name).
pub const USER_SCRIPT: &str = ".github/scripts/chaos-nightly.py";
/// The harness.
pub const HARNESS: &str = "examples/chaos.rs";

/// Whose nightly workflow to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// This repository's: the `chaos` binary, the Go toolchain for the
    /// `go:` scenarios, a locked build.
    ThisRepo,
    /// A library author's: their `examples/chaos.rs`, built by cargo.
    User {
        /// Set up Go (for `go:` scenarios, e.g. their own Go target).
        go: bool,
        /// Build with `--locked` (the crate has a Cargo.lock it commits).
        locked: bool,
    },
}

/// The nightly workflow for `flavor`.
pub fn render_workflow(flavor: Flavor) -> String {
    let (name, script, build, chaos, go, init) = match flavor {
        Flavor::ThisRepo => (
            "nightly",
            ".github/scripts/nightly.py",
            "cargo build --release --locked".to_string(),
            "./target/release/chaos",
            true,
            false,
        ),
        Flavor::User { go, locked } => (
            "chaos-nightly",
            USER_SCRIPT,
            format!(
                "cargo build --release --example chaos{}",
                if locked { " --locked" } else { "" }
            ),
            "./target/release/examples/chaos",
            go,
            true,
        ),
    };
    let script_name = script.rsplit('/').next().unwrap_or(script);
    let tokens = [
        ("@name@", name),
        ("@script@", script),
        ("@script_name@", script_name),
        ("@build@", build.as_str()),
        ("@chaos@", chaos),
        ("@version@", env!("CARGO_PKG_VERSION")),
    ];
    let mut out = String::with_capacity(WORKFLOW_TEMPLATE.len());
    let mut keep: Vec<bool> = Vec::new();
    for line in WORKFLOW_TEMPLATE.split_inclusive('\n') {
        if let Some(key) = line.trim_end().strip_prefix("@if ") {
            keep.push(match key {
                "go" => go,
                "init" => init,
                other => panic!("nightly.yml template: unknown condition {other:?}"),
            });
            continue;
        }
        if line.trim_end() == "@end" {
            keep.pop().expect("nightly.yml template: @end without @if");
            continue;
        }
        if keep.iter().all(|k| *k) {
            let mut line = line.to_string();
            for (token, value) in tokens {
                line = line.replace(token, value);
            }
            out.push_str(&line);
        }
    }
    assert!(keep.is_empty(), "nightly.yml template: @if without @end");
    out
}

/// The crate `chaos init` writes into, as its Cargo.toml says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// `[package] name`.
    pub name: String,
    /// Whether `chaos` is already one of its dependencies (any kind, by
    /// name or as `package = "chaos"`).
    pub has_chaos: bool,
}

/// Why a directory is not a crate `chaos init` can write into.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// No Cargo.toml.
    #[error(
        "no Cargo.toml in {0}: run chaos init in a crate's root directory, or name it with --dir"
    )]
    NoManifest(String),
    /// Cargo.toml unreadable.
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    /// Cargo.toml is not TOML.
    #[error("{0}")]
    Toml(TomlError),
    /// A manifest without `[package] name` (a virtual workspace root).
    #[error("{0} has no [package] with a name (a workspace root?): run chaos init in the crate that gets the harness")]
    NoPackage(String),
}

/// Reads `dir/Cargo.toml`.
pub fn read_package(dir: &Path) -> Result<Package, InitError> {
    let path = dir.join("Cargo.toml");
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(InitError::NoManifest(dir.display().to_string()))
        }
        Err(e) => return Err(InitError::Read(shown, e)),
    };
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| InitError::Toml(TomlError::at(&text, &shown, &e)))?;
    let name = table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .ok_or(InitError::NoPackage(shown))?
        .to_string();
    let is_chaos = |(key, dep): (&String, &toml::Value)| {
        key == "chaos" || dep.get("package").and_then(|p| p.as_str()) == Some("chaos")
    };
    let in_tables = |t: &toml::Table| {
        ["dependencies", "dev-dependencies", "dev_dependencies"]
            .iter()
            .filter_map(|k| t.get(*k).and_then(|d| d.as_table()))
            .any(|deps| deps.iter().any(is_chaos))
    };
    let has_chaos = in_tables(&table)
        || table
            .get("target")
            .and_then(|t| t.as_table())
            .is_some_and(|targets| targets.values().filter_map(|t| t.as_table()).any(in_tables));
    Ok(Package { name, has_chaos })
}

/// The placeholder backend's name for crate `name`.
pub fn backend_name(name: &str) -> String {
    format!("{name}-map")
}

/// The scenario file for crate `name`, relative to the crate.
pub fn scenario_path(name: &str) -> String {
    format!("chaos/{name}.toml")
}

/// `examples/chaos.rs` for crate `name`.
pub fn harness(name: &str) -> String {
    let backend = backend_name(name);
    let scenario = scenario_path(name);
    format!(
        r#"//! `chaos` for this crate, written by `chaos init`: every subcommand of
//! chaos (`run`, `hunt`, `shrink`, `replay`, `backends`) with this crate's
//! map registered beside the built-in backends. What it finds replays with
//! it, and the nightly job (.github/workflows/chaos-nightly.yml) builds it.
//!
//! ```text
//! cargo run --example chaos -- backends
//! cargo run --example chaos -- hunt --scenario {scenario} --seeds 0..200 --out repros
//! cargo run --example chaos -- replay repros/*.toml
//! ```

use chaos::maps::registry::{{BackendInfo, Registry}};
use chaos::maps::rwmutex::RwMutexMap;

fn main() -> std::process::ExitCode {{
    let mut registry = Registry::builtin();
    registry
        .register(BackendInfo::new(
            "{backend}",
            "a placeholder (chaos's RwMutexMap) until {name}'s own map is here",
            // YOUR MAP GOES HERE: a closure from a seed to a Box<dyn ChaosMap>.
            // Wrap your map in a struct of this file (the orphan rule wants
            // the impl here) and implement one of:
            // - chaos::maps::ChaosMap: Go's sync.Map API over u64 keys and
            //   values (load, store, delete, load_or_store, swap, ...);
            // - chaos::maps::typed::TypedMap<K, V>: the same API over your
            //   own key and value types (String, ...), run as a backend by
            //   `Box::new(Typed::new(map, Strings::new("k"), Strings::new("v")))`
            //   (chaos::maps::typed::{{Strings, Typed}}).
            // Locks and atomics from chaos::sync (behind #[cfg(chaos)]) let
            // mode = "sched" explore your interleavings; std's work in
            // mode = "stress".
            |seed| Box::new(RwMutexMap::new(seed)),
        ))
        .expect("the backend's name is free");
    chaos::cli::main_with(registry)
}}
"#
    )
}

/// `chaos/NAME.toml` for crate `name`.
pub fn scenario(name: &str) -> String {
    let backend = backend_name(name);
    let path = scenario_path(name);
    format!(
        r#"# {backend} (examples/chaos.rs) under every operation of sync.Map's
# API from four threads: it must stay clean and linearizable. Written by
# `chaos init`; the nightly job hunts every scenario in chaos/.
#   cargo run --example chaos -- hunt --scenario {path} --seeds 0..200
# Keep in the mix only the operations your map has. Stress mode runs real
# threads and suits any map; once your map takes its locks and atomics from
# chaos::sync, mode = "sched" (with strategy = "pct", depth = 3) explores
# the interleavings inside its operations, each replayable from its seed.
backend = "{backend}"
threads = 4                  # 1..=1024
ops = 100                    # per thread
keys = 16                    # key space 0..keys
distribution = "hotspot"     # uniform | hotspot | zipf | sequential
mix = {{ load = 40, store = 15, delete = 5, load_or_store = 10, load_and_delete = 5, swap = 10, compare_and_swap = 8, compare_and_delete = 4, range = 2, clear = 1 }}
prefill = 8                  # keys stored before the threads start
mode = "stress"              # stress | sched
expect = "clean"             # clean | throw | finding
"#
    )
}

/// Every file `chaos init` writes for crate `name`, as (path relative to
/// the crate, text), in the order it reports them.
pub fn files(name: &str, flavor: Flavor) -> Vec<(String, String)> {
    vec![
        (HARNESS.to_string(), harness(name)),
        (scenario_path(name), scenario(name)),
        (USER_WORKFLOW.to_string(), render_workflow(flavor)),
        (USER_SCRIPT.to_string(), NIGHTLY_SCRIPT.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked_in(path: &str) -> String {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    }

    #[test]
    fn this_repos_nightly_workflow_is_the_template_rendered_for_it() {
        let want = checked_in(".github/workflows/nightly.yml");
        let got = render_workflow(Flavor::ThisRepo);
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(g, w)| g != w)
                .map_or(got.lines().count().min(want.lines().count()), |i| i);
            panic!(
                "src/init/nightly.yml rendered for this repository differs from \
                 .github/workflows/nightly.yml at line {}: edit the template, not the workflow\n\
                 rendered:   {:?}\nchecked in: {:?}",
                line + 1,
                got.lines().nth(line),
                want.lines().nth(line)
            );
        }
    }

    #[test]
    fn the_users_script_is_this_repos_nightly_script() {
        assert!(NIGHTLY_SCRIPT == checked_in(".github/scripts/nightly.py"));
        let files = files(
            "demo",
            Flavor::User {
                go: false,
                locked: false,
            },
        );
        let script = files.iter().find(|(p, _)| p == USER_SCRIPT).unwrap();
        assert!(script.1 == checked_in(".github/scripts/nightly.py"));
    }

    #[test]
    fn a_users_workflow_differs_only_where_a_user_differs() {
        let user = render_workflow(Flavor::User {
            go: false,
            locked: false,
        });
        for token in [
            "@name@",
            "@script@",
            "@script_name@",
            "@build@",
            "@chaos@",
            "@version@",
            "@if",
            "@end",
        ] {
            assert!(!user.contains(token), "{token} left in:\n{user}");
        }
        assert!(user.contains("\nname: chaos-nightly\n"));
        assert!(user.contains("  group: chaos-nightly\n"));
        assert!(user.contains("      - run: cargo build --release --example chaos\n"));
        assert!(user.contains("./target/release/examples/chaos hunt --scenario"));
        assert!(user.contains("./target/release/examples/chaos replay \"$repro\" --html"));
        assert!(!user.contains("nightly.py budget") || user.contains("chaos-nightly.py budget"));
        assert!(!user.contains(".github/scripts/nightly.py"));
        assert!(!user.contains("setup-go"));
        assert!(!user.contains("--locked"));
        assert!(user.contains(&format!("chaos {}", env!("CARGO_PKG_VERSION"))));
        let go_locked = render_workflow(Flavor::User {
            go: true,
            locked: true,
        });
        assert!(go_locked.contains("      - uses: actions/setup-go@v5\n"));
        assert!(go_locked.contains("cargo build --release --example chaos --locked\n"));
        // Everything else is this repository's workflow, line for line.
        let ours = render_workflow(Flavor::ThisRepo);
        let differing: Vec<&str> = ours
            .lines()
            .filter(|l| !go_locked.lines().any(|u| u == *l))
            .map(str::trim)
            .collect();
        assert_eq!(
            differing,
            [
                "name: nightly",
                "group: nightly",
                "python3 .github/scripts/nightly.py budget \"$BUDGET\"",
                "# `nightly.py budget` reads this number and refuses a budget over",
                "- run: cargo build --release --locked",
                "./target/release/chaos hunt --scenario \"$SCENARIO\" --seeds \"$START..$END\" \\",
                "./target/release/chaos replay \"$repro\" --html \"${repro%.toml}.html\" > /dev/null || test $? -le 1",
                "run: python3 .github/scripts/nightly.py summary results --scenarios \"$SCENARIOS\" --shards \"$SHARDS\" >> \"$GITHUB_STEP_SUMMARY\"",
                "run: python3 .github/scripts/nightly.py issues results --scenarios \"$SCENARIOS\" --shards \"$SHARDS\"",
            ],
            "{go_locked}"
        );
    }

    #[test]
    fn package_name_and_chaos_dependency_are_read_from_cargo_toml() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("Cargo.toml"), text).unwrap();
        assert!(matches!(
            read_package(dir.path()),
            Err(InitError::NoManifest(_))
        ));
        write("[workspace]\nmembers = []\n");
        let e = read_package(dir.path()).unwrap_err();
        assert!(e.to_string().contains("has no [package]"), "{e}");
        write("[package]\nname = \"demo\"\n[dependencies]\nserde = \"1\"\n");
        assert_eq!(
            read_package(dir.path()).unwrap(),
            Package {
                name: "demo".into(),
                has_chaos: false
            }
        );
        for deps in [
            "[dev-dependencies]\nchaos = { path = \"../chaos\" }\n",
            "[dependencies]\nchaos = \"0.1\"\n",
            "[dev-dependencies]\nhunter = { package = \"chaos\", git = \"https://example.com/chaos\" }\n",
            "[target.'cfg(unix)'.dev-dependencies]\nchaos = \"0.1\"\n",
        ] {
            write(&format!("[package]\nname = \"demo\"\n{deps}"));
            assert!(read_package(dir.path()).unwrap().has_chaos, "{deps}");
        }
        write("[package\nname = 1");
        let e = read_package(dir.path()).unwrap_err().to_string();
        assert!(e.contains("Cargo.toml") && !e.contains('\n'), "{e}");
    }
}
