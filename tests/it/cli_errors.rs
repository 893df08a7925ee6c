//! Bad usage as a new user meets it: every mistake exits 2 with exactly one
//! line on stderr, and that line names the flag or field, the value, and
//! what is allowed.

use std::path::PathBuf;
use std::process::Command;

use crate::support::Scratch;

/// Runs `chaos args`, asserts exit code 2 and exactly one line on stderr
/// holding every one of `says`, and returns the line.
fn bad_input(args: &[&str], says: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_chaos"))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}: printed to stdout");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.starts_with("chaos: "), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    for s in says {
        assert!(err.contains(s), "{args:?}: {err:?} lacks {s:?}");
    }
    err.trim_end().to_string()
}

/// A scenario file `name` holding `text`, in `dir`.
fn scenario_file(dir: &Scratch, name: &str, text: &str) -> PathBuf {
    let p = dir.0.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_missing_required_argument_is_named() {
    bad_input(&["replay"], &["missing required argument", "<FILE>"]);
    bad_input(&["replay", "--json"], &["<FILE>", "chaos replay --help"]);
    // --constructor only makes sense for the emitted test.
    bad_input(
        &["shrink", "--constructor", "MyMap::new()"],
        &["missing required argument", "--emit-test"],
    );
}

#[test]
fn an_invalid_enum_value_lists_the_valid_ones() {
    bad_input(
        &["run", "--mode", "fast"],
        &["--mode fast", "stress, sched"],
    );
    bad_input(
        &["run", "--strategy", "x"],
        &["--strategy x", "random, pct"],
    );
    bad_input(
        &["hunt", "--distribution", "y"],
        &["--distribution y", "uniform, hotspot, zipf, sequential"],
    );
    bad_input(
        &["run", "--expect", "maybe"],
        &["--expect maybe", "clean, throw, finding"],
    );
    bad_input(
        &["shrink", "--perturb", "lots"],
        &["--perturb lots", "none, spin, yield"],
    );
    // A near miss gets clap's suggestion on the same line.
    bad_input(&["run", "--mode", "sced"], &["stress, sched", "'sched'"]);
}

#[test]
fn a_negative_number_is_a_value_rejected_by_the_range_check_with_its_flag() {
    let line = bad_input(
        &["run", "--resize-rate", "-0.1"],
        &["--resize-rate -0.1", "between 0 and 1", "resize_rate"],
    );
    // The same words as a scenario file with the same value.
    let dir = Scratch::new("errors-negative");
    let file = scenario_file(&dir, "negative.toml", "resize_rate = -0.1\n");
    let from_file = bad_input(&["run", "--scenario", file.to_str().unwrap()], &[]);
    let reason = |l: &str| l.split_once("scenario field").unwrap().1.to_string();
    assert_eq!(reason(&line), reason(&from_file));
    for (flag, range) in [
        ("--threads", "between 1 and 1024"),
        ("--depth", "between 1 and 64"),
        ("--evacuate-rate", "between 0 and 1"),
    ] {
        bad_input(
            &["run", flag, "-1"],
            &[&format!("{flag} -1:"), range, "got -1"],
        );
    }
    // Also where the type cannot hold it; and for hunt and shrink too.
    bad_input(
        &["hunt", "--threads", "-2"],
        &["--threads -2:", "between 1 and 1024"],
    );
    bad_input(
        &["shrink", "--ops", "-5"],
        &["--ops -5:", "must be between 1 and"],
    );
    bad_input(&["hunt", "--jobs", "-1"], &["--jobs -1", "1..=256"]);
    // Not numbers, but values all the same, checked by their own parsers.
    bad_input(
        &["hunt", "--shard", "-1/4"],
        &["--shard -1/4", "invalid shard", "I/N"],
    );
    bad_input(
        &["hunt", "--time-budget", "-5s"],
        &["--time-budget -5s", "invalid duration", "90s"],
    );
}

#[test]
fn a_scenario_file_with_a_word_for_a_number_names_the_field_the_value_and_the_type() {
    let dir = Scratch::new("errors-types");
    let file = scenario_file(&dir, "two.toml", "backend = \"gomap\"\nthreads = \"two\"\n");
    bad_input(
        &["run", "--scenario", file.to_str().unwrap()],
        &[
            "two.toml:2:11",
            "`threads`",
            "\"two\"",
            "expected a whole number",
            "between 1 and 1024",
        ],
    );
    let file = scenario_file(&dir, "mode.toml", "mode = 3\n");
    bad_input(
        &["run", "--scenario", file.to_str().unwrap()],
        &["mode.toml:1:8", "`mode`", "expected a string", "got 3"],
    );
    let file = scenario_file(&dir, "rate.toml", "promote_rate = \"often\"\n");
    bad_input(
        &["run", "--scenario", file.to_str().unwrap()],
        &["`promote_rate`", "\"often\"", "expected a number"],
    );
}

#[test]
fn an_unknown_subcommand_is_named_with_the_real_ones() {
    bad_input(
        &["frobnicate"],
        &[
            "unrecognized subcommand 'frobnicate'",
            "run, hunt, backends, shrink, replay, init",
        ],
    );
    // 'init' is as near to 'hnt' as 'hunt' is, by clap's measure: both are
    // suggested.
    bad_input(
        &["hnt"],
        &["'hnt'", "similar subcommands exist: 'init', 'hunt'"],
    );
    bad_input(
        &["hnut"],
        &["'hnut'", "a similar subcommand exists: 'hunt'"],
    );
}

#[test]
fn an_unknown_flag_is_named_with_the_near_one_on_the_same_line() {
    bad_input(
        &["run", "--thread", "2"],
        &["'--thread'", "a similar argument exists: '--threads'"],
    );
    bad_input(&["backends", "--jsn"], &["'--jsn'", "'--json'"]);
    bad_input(
        &["run", "--frobnicate"],
        &["'--frobnicate'", "chaos run --help"],
    );
}

#[test]
fn a_flag_missing_its_value_is_named_with_what_it_takes() {
    bad_input(
        &["run", "--threads"],
        &["--threads needs a value", "1 to 1024"],
    );
    bad_input(
        &["run", "--mode"],
        &["--mode needs a value", "stress, sched"],
    );
    bad_input(&["hunt", "--seeds"], &["--seeds needs a value", "A..B"]);
    bad_input(&["run", "--json=yes"], &["--json takes no value", "yes"]);
}
