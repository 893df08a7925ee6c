//! The command line as a user meets it: exit codes, one-line errors, JSON.

use std::path::PathBuf;
use std::process::{Command, Output};

fn chaos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaos"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaos-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Asserts exit code 2 and a single line on stderr containing `needle`.
fn bad_input(args: &[&str], needle: &str) {
    let o = chaos(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

#[test]
fn every_bad_input_is_one_line_and_exit_code_2() {
    bad_input(&["frobnicate"], "unrecognized subcommand");
    bad_input(
        &["run", "--backend", "nope"],
        "known backends: gomap, rwmutex, syncmap",
    );
    bad_input(&["run", "--threads", "0"], "threads");
    bad_input(&["run", "--mix", "load=0,store=0"], "sum to zero");
    bad_input(&["run", "--mix", "lod=1"], "unknown operation");
    bad_input(&["run", "--seed", "0xzz"], "invalid seed");
    bad_input(&["run", "--seed", "-3"], "");
    bad_input(&["run", "--resize-rate", "2"], "resize_rate");
    bad_input(&["hunt", "--shard", "5/4"], "invalid shard");
    bad_input(&["hunt", "--seeds", "9..3"], "invalid seed range");
    bad_input(&["hunt", "--time-budget", "soon"], "invalid duration");
    let malformed = scratch("bad.toml", "threads = 2\nops = = 3\n");
    bad_input(
        &["run", "--scenario", malformed.to_str().unwrap()],
        "bad.toml:2:",
    );
    let unknown = scratch("unknown.toml", "backend = \"gomap\"\nthread = 4\n");
    bad_input(
        &["run", "--scenario", unknown.to_str().unwrap()],
        "unknown.toml:2:1",
    );
    bad_input(
        &["run", "--scenario", "/nonexistent/chaos.toml"],
        "cannot read scenario file",
    );
}

#[test]
fn the_default_run_finds_and_explains_a_race_in_seconds() {
    let t = std::time::Instant::now();
    let o = chaos(&[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("concurrent map writes"), "{out}");
    assert!(
        out.contains("chaos run --backend gomap"),
        "the replay line: {out}"
    );
    assert!(t.elapsed().as_secs() < 10);
}

#[test]
fn run_json_has_the_documented_fields_and_exit_codes_follow_the_outcome() {
    let o = chaos(&[
        "run",
        "--backend",
        "gomap",
        "--ops",
        "1",
        "--mix",
        "store=1",
        "--seed",
        "7",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for field in [
        "outcome",
        "seed",
        "scenario",
        "findings",
        "replay",
        "history_hash",
    ] {
        assert!(v.get(field).is_some(), "missing {field}: {v}");
    }
    assert_eq!(v["outcome"], "finding");
    let f = &v["findings"][0];
    for field in ["kind", "message", "thread", "op", "signature"] {
        assert!(f.get(field).is_some(), "finding lacks {field}: {f}");
    }
    assert_eq!(f["signature"], "throw: concurrent map writes [gomap]");
    // The replay line reproduces it: same outcome, same history hash.
    let replay: Vec<String> = v["replay"]
        .as_str()
        .unwrap()
        .split(' ')
        .skip(1)
        .map(String::from)
        .collect();
    let args: Vec<&str> = replay
        .iter()
        .map(String::as_str)
        .chain(["--json"])
        .collect();
    let again: serde_json::Value = serde_json::from_slice(&chaos(&args).stdout).unwrap();
    assert_eq!(again["history_hash"], v["history_hash"]);
    // Expecting the throw makes it exit 0; a clean backend exits 0 too.
    assert_eq!(
        chaos(&[
            "run",
            "--backend",
            "gomap",
            "--ops",
            "1",
            "--mix",
            "store=1",
            "--seed",
            "7",
            "--expect",
            "throw"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        chaos(&["run", "--backend", "rwmutex", "--seed", "0x5eed"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn backends_lists_one_line_each_with_mutants_marked() {
    let o = chaos(&["backends"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() >= 11, "{out}");
    for l in &lines {
        let name = l.split_whitespace().next().unwrap();
        assert_eq!(l.contains("mutant"), name.starts_with("mutant-"), "{l}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&chaos(&["backends", "--json"]).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), lines.len());
}

#[test]
fn hunt_reports_json_and_junit_and_meets_expectations() {
    let junit = std::env::temp_dir().join(format!("chaos-junit-{}.xml", std::process::id()));
    let o = chaos(&[
        "hunt",
        "--backend",
        "rwmutex",
        "--threads",
        "3",
        "--ops",
        "20",
        "--seeds",
        "0..64",
        "--json",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["executed"], 64);
    assert_eq!(v["expectation_met"], true);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite") && xml.contains("failures=\"0\""),
        "{xml}"
    );
    // A mutant scenario expecting a finding is met once some seed finds it.
    let m = chaos(&[
        "hunt",
        "--scenario",
        concat!(env!("CARGO_MANIFEST_DIR"), "/chaos/mutant-throw.toml"),
        "--seeds",
        "0..100",
    ]);
    assert_eq!(
        m.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&m.stdout)
    );
}

#[test]
fn help_names_every_subcommand_and_shows_examples() {
    let o = chaos(&["--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    for sub in ["run", "hunt", "backends", "bench"] {
        assert!(out.contains(sub), "{out}");
    }
    for sub in ["run", "hunt", "backends", "bench"] {
        let h = String::from_utf8_lossy(&chaos(&[sub, "--help"]).stdout).into_owned();
        assert!(h.contains("Example"), "{sub} --help has no examples: {h}");
    }
}
