//! A library author's own `chaos` (`examples/chaos.rs`, three lines over
//! `chaos::cli::main_with`): its backends beside the built-in ones in every
//! subcommand, and repro files that name it, replayed by it, from separate
//! processes.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::support::Scratch;

/// The example `name`, built beside `chaos` (`cargo test` builds the
/// examples; a run of this test binary alone builds it here).
fn example(name: &str) -> PathBuf {
    let chaos = PathBuf::from(env!("CARGO_BIN_EXE_chaos"));
    let exe = chaos
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let release = chaos.parent().unwrap().ends_with("release");
        let mut build = Command::new(cargo);
        build
            .args(["build", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if release {
            build.arg("--release");
        }
        assert!(
            build.status().unwrap().success(),
            "cargo build --example chaos"
        );
    }
    exe
}

fn run(exe: &PathBuf, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_users_binary_hunts_shrinks_and_replays_its_own_backend() {
    let exe = example("chaos");
    let o = run(&exe, &["backends"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for name in ["gomap", "my-map", "my-split-swap"] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name}: {out}"
        );
    }
    // Its correct map is clean; the built-in binary does not know it.
    let o = run(
        &exe,
        &["run", "--backend", "my-map", "--mix", "load=50,swap=50"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("replay: cargo run --example chaos -- run --backend my-map"));
    // A hunt finds the planted split Swap (sched mode, 2 threads × 100
    // ops: 180 of 200 seeds fail; deterministic per seed) and writes a
    // repro that names this binary.
    let dir = Scratch::new("user-binary");
    let out_dir = dir.0.join("repros");
    let o = run(
        &exe,
        &[
            "hunt",
            "--backend",
            "my-split-swap",
            "--mix",
            "load=30,swap=50,delete=20",
            "--seeds",
            "0..200",
            "--out",
            out_dir.to_str().unwrap(),
            "--json",
        ],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let hunt: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let seed = hunt["signatures"][0]["seeds"][0]
        .as_str()
        .unwrap()
        .to_string();
    let file = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "toml"))
        .unwrap_or_else(|| panic!("no repro: {out}"));
    let repro = std::fs::read_to_string(&file).unwrap();
    assert!(
        repro.contains("run = \"cargo run --example chaos -- run --backend my-split-swap"),
        "{repro}"
    );
    assert!(
        repro.contains("`cargo run --example chaos -- replay <this file>`"),
        "{repro}"
    );
    // Replayed by this binary, from another process: it reproduces.
    let path = file.to_str().unwrap();
    let o = run(&exe, &["replay", path]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("reproduced"), "{}", text(&o));
    // The built-in chaos cannot: the backend is the author's.
    let o = Command::new(env!("CARGO_BIN_EXE_chaos"))
        .args(["replay", path])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("my-split-swap"), "{}", text(&o));
    // Shrink on its own, from the failing seed the hunt reported (sched
    // mode: that seed fails every time).
    let shrunk = dir.0.join("shrunk");
    let o = run(
        &exe,
        &[
            "shrink",
            "--backend",
            "my-split-swap",
            "--mix",
            "load=30,swap=50,delete=20",
            "--seed",
            &seed,
            "--out",
            shrunk.to_str().unwrap(),
        ],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("cargo run --example chaos -- replay "),
        "{out}"
    );
    assert_eq!(std::fs::read_dir(&shrunk).unwrap().count(), 1, "{out}");
}

/// The wrapper example runs to its end: it registers a wrapper built with
/// the `chaos::maps::locked` helpers and explores it clean in both modes.
#[test]
fn the_user_wrapper_example_runs_clean() {
    let o = run(&example("user_wrapper"), &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("300 seeds in Sched mode: clean"), "{out}");
    assert!(out.contains("20 seeds in Stress mode: clean"), "{out}");
}
