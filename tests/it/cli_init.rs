//! `chaos init`: what it refuses (in one line, exit 2, writing nothing),
//! and what it writes: a crate made by `cargo new --lib` builds the
//! harness as generated, runs its scenario through it, and the workflow
//! passes actionlint.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chaos::init::{render_workflow, Flavor};

use crate::support::{actionlint, Scratch};

const FILES: [&str; 4] = [
    "examples/chaos.rs",
    "chaos/demo.toml",
    ".github/workflows/chaos-nightly.yml",
    ".github/scripts/chaos-nightly.py",
];

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `chaos init ARGS` in `dir`, offline (every dependency is in the cache
/// `cargo test` itself built from).
fn init(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaos"))
        .arg("init")
        .args(args)
        .current_dir(dir)
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A one-line refusal, exit 2, that contains every one of `needles`.
fn assert_refused(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}{}", stdout(o));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("chaos: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A crate `demo` that already has chaos as a dev-dependency (so `chaos
/// init` runs no cargo add).
fn demo_crate(dir: &Path) {
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dev-dependencies]\nchaos = {{ path = {:?} }}\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
}

#[test]
fn init_without_a_cargo_toml_refuses_and_writes_nothing() {
    let dir = Scratch::new("init-no-manifest");
    let o = init(&dir.0, &[]);
    assert_refused(&o, &["no Cargo.toml in .", "--dir"]);
    let o = init(&dir.0, &["--dir", "nowhere"]);
    assert_refused(&o, &["no Cargo.toml in nowhere"]);
    assert!(tree(&dir.0).is_empty(), "{:?}", tree(&dir.0));
}

#[test]
fn init_in_a_workspace_root_or_a_broken_manifest_refuses() {
    let dir = Scratch::new("init-workspace");
    std::fs::write(dir.0.join("Cargo.toml"), "[workspace]\nmembers = [\"a\"]\n").unwrap();
    assert_refused(&init(&dir.0, &[]), &["Cargo.toml has no [package]"]);
    std::fs::write(dir.0.join("Cargo.toml"), "[package\nname = \"x\"\n").unwrap();
    assert_refused(&init(&dir.0, &[]), &["Cargo.toml:1:"]);
    assert_eq!(tree(&dir.0), ["Cargo.toml"]);
}

#[test]
fn init_refuses_to_overwrite_without_force_and_writes_nothing() {
    let dir = Scratch::new("init-exists");
    demo_crate(&dir.0);
    std::fs::create_dir_all(dir.0.join("chaos")).unwrap();
    std::fs::write(dir.0.join("chaos/demo.toml"), "# mine\n").unwrap();
    let manifest = std::fs::read_to_string(dir.0.join("Cargo.toml")).unwrap();
    let o = init(&dir.0, &[]);
    assert_refused(
        &o,
        &[
            "chaos/demo.toml already exists",
            "--force",
            "nothing was written",
        ],
    );
    assert_eq!(tree(&dir.0), ["Cargo.toml", "chaos/demo.toml"]);
    assert_eq!(
        std::fs::read_to_string(dir.0.join("chaos/demo.toml")).unwrap(),
        "# mine\n"
    );
    // --force writes every file, over the old one, and leaves a Cargo.toml
    // that has chaos alone.
    let o = init(&dir.0, &["--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut want: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    want.push("Cargo.toml".into());
    want.sort();
    assert_eq!(tree(&dir.0), want);
    assert_eq!(
        std::fs::read_to_string(dir.0.join("Cargo.toml")).unwrap(),
        manifest
    );
    // No Cargo.lock: the nightly build resolves afresh, without --locked.
    let workflow =
        std::fs::read_to_string(dir.0.join(".github/workflows/chaos-nightly.yml")).unwrap();
    assert!(workflow.contains("      - run: cargo build --release --example chaos\n"));
    let scenario = std::fs::read_to_string(dir.0.join("chaos/demo.toml")).unwrap();
    assert!(scenario.contains("backend = \"demo-map\""), "{scenario}");
    let out = stdout(&o);
    assert!(
        out.contains("unchanged: chaos is a dependency already"),
        "{out}"
    );
    assert!(
        out.contains("cargo run --example chaos -- hunt --scenario chaos/demo.toml --seeds 0..200"),
        "{out}"
    );
    // Now every file exists: all are named, still on one line.
    let o = init(&dir.0, &[]);
    assert_refused(&o, &[&FILES.join(", "), "already exist in ."]);
}

#[test]
fn init_refuses_a_chaos_path_that_is_not_chaos() {
    let dir = Scratch::new("init-bad-source");
    std::fs::write(
        dir.0.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    let o = init(&dir.0, &["--chaos-path", "."]);
    assert_refused(
        &o,
        &[
            "--chaos-path .: not the chaos crate's directory",
            "package chaos",
        ],
    );
    let o = init(&dir.0, &["--chaos-git", ""]);
    assert_refused(&o, &["--chaos-git: empty URL"]);
    let o = init(&dir.0, &["--chaos-git", "x", "--chaos-path", "y"]);
    assert_refused(&o, &["--chaos-git", "--chaos-path"]);
    assert_eq!(tree(&dir.0), ["Cargo.toml"]);
}

/// The persistent target directory of the generated crate's builds
/// (re-runs are incremental).
fn init_crate_target() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(target)
    };
    target.join("init-crate")
}

fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{what}: {}\n{}{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    o
}

#[test]
fn a_crate_from_cargo_new_builds_what_init_writes_and_runs_its_scenario() {
    let scratch = Scratch::new("init-crate");
    let dir = scratch.0.join("demo");
    run_ok(
        cargo()
            .args(["new", "--lib", "--quiet", "--vcs", "none", "--name", "demo"])
            .arg(&dir),
        "cargo new",
    );
    // This repository's lock file resolves chaos's dependencies offline.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    let o = init(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // The default source is this checkout, a path outside the new crate:
    // one line says a runner needs a git source.
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("outside this repository") && err.contains("--git URL"),
        "{err}"
    );
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let dev = &manifest[manifest.find("[dev-dependencies]").expect(&manifest)..];
    assert!(dev.contains("chaos = { path = "), "{manifest}");
    // The crate had a lock file, so the nightly build is --locked.
    let workflow =
        std::fs::read_to_string(dir.join(".github/workflows/chaos-nightly.yml")).unwrap();
    assert!(workflow.contains("cargo build --release --example chaos --locked\n"));
    assert_eq!(
        workflow,
        render_workflow(Flavor::User {
            go: false,
            locked: true
        })
    );

    let target = init_crate_target();
    let started = std::time::Instant::now();
    run_ok(
        cargo()
            .args(["build", "--offline", "--quiet", "--example", "chaos"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target),
        "cargo build --example chaos (the generated harness)",
    );
    let built = started.elapsed();
    let exe = target
        .join("debug/examples")
        .join(format!("chaos{}", std::env::consts::EXE_SUFFIX));
    let o = run_ok(
        Command::new(&exe).arg("backends").current_dir(&dir),
        "chaos backends",
    );
    let listed = stdout(&o);
    for name in ["demo-map", "gomap", "rwmutex"] {
        assert!(
            listed
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name}: {listed}"
        );
    }
    let o = Command::new(&exe)
        .args(["run", "--scenario", "chaos/demo.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("demo-map"), "{}", stdout(&o));
    // A hunt, as the nightly job runs it (a few seeds, one shard).
    let o = Command::new(&exe)
        .args(["hunt", "--scenario", "chaos/demo.toml", "--seeds", "0..8"])
        .args(["--shard", "2/4", "--json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    run_ok(
        cargo()
            .args(["clippy", "--offline", "--quiet", "--example", "chaos"])
            .args(["--", "-D", "warnings"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target),
        "cargo clippy --example chaos -- -D warnings (the generated harness)",
    );
    eprintln!("init crate: harness built in {built:?}");
}

#[test]
fn the_workflow_init_writes_passes_actionlint() {
    let dir = Scratch::new("init-lint");
    let mut files = Vec::new();
    for go in [false, true] {
        for locked in [false, true] {
            let path = dir
                .0
                .join(format!("chaos-nightly-go-{go}-locked-{locked}.yml"));
            std::fs::write(&path, render_workflow(Flavor::User { go, locked })).unwrap();
            files.push(path);
        }
    }
    let Some(o) = actionlint(&files) else {
        return;
    };
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("actionlint: 4 workflow(s), 0 problem(s)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn init_help_ends_with_examples() {
    let o = crate::support::chaos(&["init", "--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let help = stdout(&o);
    let examples = &help[help.find("\nExamples:\n").expect(&help)..];
    assert!(
        examples
            .lines()
            .skip(2)
            .all(|l| l.starts_with("  chaos init")),
        "{help}"
    );
    for flag in ["--dir", "--force", "--chaos-git", "--chaos-path", "--go"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}
