//! `chaos`, `chaos run` and `chaos shrink` as a new user meets them: the
//! default scenario honours every flag, a closed pipe is not a crash, and
//! every example in `--help` does what it says.

use crate::support::{chaos, Scratch};
use std::process::{Command, Output, Stdio};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn run_without_scenario_flags_is_the_builtin_default_and_honours_every_flag() {
    let s = Scratch::new("run-default");
    let junit = s.0.join("run.xml");
    let o = chaos(&["run", "--json", "--junit", junit.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["scenario"]["backend"], "gomap");
    assert_eq!(v["scenario"]["threads"], 2);
    assert_eq!(v["scenario"]["expect"], "throw");
    assert!(
        v["explanation"].as_str().unwrap().contains("what happens:"),
        "{v}"
    );
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<testsuite"));
    // `chaos`, `chaos run` and `chaos run --seed 0` are one run.
    let first = |o: Output| stdout(&o).lines().next().unwrap().to_string();
    let bare = first(chaos(&[]));
    assert_eq!(bare, first(chaos(&["run"])));
    assert_eq!(bare, first(chaos(&["run", "--seed", "0"])));
    assert!(bare.contains("seed 0x0"), "{bare}");
    let other = first(chaos(&["run", "--seed", "7"]));
    assert!(
        other.contains("gomap") && other.contains("seed 0x7"),
        "{other}"
    );
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    for args in [
        &[][..],
        &["run"][..],
        &["run", "--json"][..],
        &["backends"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chaos"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `chaos | head -0`: the reader is gone before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn emit_test_with_nothing_to_shrink_prints_no_test_and_says_why() {
    let o = chaos(&["shrink", "--backend", "rwmutex", "--emit-test"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--emit-test: nothing to shrink"), "{err}");
}

/// The `chaos ...` lines of a subcommand's `--help` examples.
fn examples(sub: &str) -> Vec<Vec<String>> {
    let help = stdout(&chaos(&[sub, "--help"]));
    let at = help.find("Example").expect("--help has examples");
    help[at..]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("chaos "))
        .map(|l| {
            let l = l.split(" #").next().unwrap().split(" > ").next().unwrap();
            l.split_whitespace().map(String::from).collect()
        })
        .collect()
}

#[test]
fn every_shrink_help_example_shrinks_something() {
    let s = Scratch::new("run-examples");
    let all = examples("shrink");
    assert_eq!(all.len(), 3, "{all:?}");
    for mut args in all {
        // Each writes into the scratch directory, not the user's tree.
        match args.iter().position(|a| a == "--out") {
            Some(i) => args[i + 1] = s.0.display().to_string(),
            None => args.extend(["--out".into(), s.0.display().to_string()]),
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = chaos(&argv);
        assert_eq!(
            o.status.code(),
            Some(1),
            "chaos {}: {}",
            args.join(" "),
            stdout(&o)
        );
        if args.iter().any(|a| a == "--emit-test") {
            assert!(stdout(&o).contains("#[test]"), "{}", stdout(&o));
        }
    }
}

#[test]
fn every_run_help_example_does_what_its_comment_says() {
    let s = Scratch::new("run-help-examples");
    for mut args in examples("run") {
        // A page goes into the scratch directory, not the user's tree.
        let page = args.iter().position(|a| a == "--html").map(|i| {
            args[i + 1] = s.0.join(&args[i + 1]).display().to_string();
            args[i + 1].clone()
        });
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = chaos(&argv);
        let code = o.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "chaos {}: {:?} {}",
            args.join(" "),
            code,
            String::from_utf8_lossy(&o.stderr)
        );
        if args.iter().any(|a| a == "--json") {
            let _: serde_json::Value = serde_json::from_slice(&o.stdout)
                .unwrap_or_else(|e| panic!("chaos {}: {e}", args.join(" ")));
        }
        if let Some(page) = page {
            let html = std::fs::read_to_string(&page).unwrap();
            assert!(html.starts_with("<!DOCTYPE html>"), "{page}");
        }
    }
}

#[test]
fn replaying_a_hand_edited_schedule_says_the_file_was_changed() {
    let s = Scratch::new("run-edited");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/gomap-throw-concurrent-map-writes.toml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    let repro = chaos::repro::Repro::from_toml(&text).unwrap();
    // Re-written by this version (with its digest), then one choice edited.
    let written = repro.to_toml();
    let at = written.find("choices = [").unwrap();
    let digit = at + written[at..].find(|c: char| c.is_ascii_digit()).unwrap();
    let mut edited = written.clone();
    let flipped = if &written[digit..=digit] == "0" {
        "1"
    } else {
        "0"
    };
    edited.replace_range(digit..=digit, flipped);
    let path = s.0.join("edited.toml");
    std::fs::write(&path, edited).unwrap();
    let o = chaos(&["replay", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}{}", stdout(&o));
    assert!(
        err.contains("was changed after the file was written"),
        "{err}"
    );
}

#[test]
fn a_run_too_big_to_keep_in_memory_is_refused_with_the_bound() {
    let o = chaos(&[
        "run",
        "--backend",
        "rwmutex",
        "--threads",
        "1024",
        "--ops",
        "100000",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("threads × ops must be at most 1000000"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn counts_read_as_english() {
    let o = chaos(&[
        "run",
        "--backend",
        "gomap",
        "--threads",
        "2",
        "--ops",
        "1",
        "--keys",
        "1",
        "--mix",
        "store=1",
    ]);
    let first = stdout(&o).lines().next().unwrap().to_string();
    assert!(first.contains("2 threads × 1 op · 1 key ·"), "{first}");
}
