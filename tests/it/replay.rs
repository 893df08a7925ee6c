//! Repro files and replay: the round trip (never skipped), robustness of
//! reading, what `chaos replay` and `chaos shrink` say and exit with, and a
//! replay whose recorded schedule no longer fits the backend.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chaos::engine::execute;
use chaos::maps::{registry, ChaosMap, Delegate, Key, OpResult, Value};
use chaos::repro::{make, replay, replay_with, MakeOptions, ReplayOptions, Repro, ReproError};
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;
use chaos::sync::yield_now;

use crate::support::buggy::GoLike;

/// A fresh directory under the system temp dir, for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaos-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn chaos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaos"))
        .args(args)
        .output()
        .expect("the chaos binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn golike_repro() -> chaos::repro::Made {
    let s = Scenario {
        backend: "golike".into(),
        threads: 3,
        ops: 20,
        keys: 4,
        mix: "load=50,store=50".parse().unwrap(),
        mode: Mode::Sched,
        resize_rate: 0.2,
        ..Scenario::default()
    };
    let build = |_| Box::new(GoLike::default()) as Box<dyn ChaosMap>;
    // A random walk interleaves two of 60 GoLike ops' windows on nearly
    // every seed; 20 seeds cannot all miss.
    let (seed, sig) = (0..20)
        .map(Seed)
        .find_map(|seed| {
            execute(&s, seed, &build)
                .findings
                .first()
                .map(|f| (seed, f.signature()))
        })
        .expect("a failing seed");
    make(&s, seed, &sig, &build, &MakeOptions::default()).unwrap()
}

#[test]
fn a_repro_round_trips_through_its_file_and_replays_identically() {
    let dir = temp_dir("round-trip");
    type Build = Box<dyn Fn(u64) -> Box<dyn ChaosMap> + Send + Sync>;
    let cases: Vec<(chaos::repro::Made, Build)> = vec![
        (
            golike_repro(),
            Box::new(|_| Box::new(GoLike::default()) as Box<dyn ChaosMap>),
        ),
        {
            let s = Scenario {
                backend: "gomap".into(),
                threads: 4,
                ops: 200,
                keys: 64,
                mix: "load=50,store=40,range=10".parse().unwrap(),
                mode: Mode::Sched,
                resize_rate: 0.1,
                ..Scenario::default()
            };
            let info = registry::lookup("gomap").unwrap();
            let build = move |seed| info.build(seed);
            let exec = execute(&s, Seed(3), &build);
            let sig = exec.findings[0].signature();
            (
                make(&s, Seed(3), &sig, &build, &MakeOptions::default()).unwrap(),
                Box::new(build),
            )
        },
    ];
    for (made, build) in cases {
        let path = made.repro.write_to_dir(&dir).unwrap();
        let read = Repro::read(&path).unwrap();
        assert_eq!(read, made.repro, "the file re-read equals what was written");
        assert_eq!(read.to_toml(), std::fs::read_to_string(&path).unwrap());
        let replayed = replay(&read, &*build);
        assert!(replayed.reproduced(), "{}", replayed.report(&read));
        // Identical history and identical finding, down to step and detail.
        assert_eq!(
            Some(replayed.execution.history_hash()),
            made.repro.history_hash
        );
        assert_eq!(
            replayed.execution.history_hash(),
            made.replayed.execution.history_hash()
        );
        assert_eq!(replayed.finding.as_ref(), Some(&made.repro.finding));
        assert_eq!(replayed.execution.trace().cloned(), made.repro.script.trace);
        // And the seed-level line reproduces the signature too.
        let again = execute(&read.scenario, read.seed, &*build);
        assert!(again
            .findings
            .iter()
            .any(|f| f.signature() == read.signature()));
    }
}

#[test]
fn writing_never_replaces_a_different_repro() {
    let dir = temp_dir("no-clobber");
    let made = golike_repro();
    let first = made.repro.write_to_dir(&dir).unwrap();
    // The same repro again: the same file, untouched.
    assert_eq!(made.repro.write_to_dir(&dir).unwrap(), first);
    // A different repro of the same name: a new, numbered file.
    let mut other = made.repro.clone();
    other.description.push_str(" (again)");
    let second = other.write_to_dir(&dir).unwrap();
    assert_ne!(second, first);
    assert!(second.to_string_lossy().ends_with("-2.toml"), "{second:?}");
    assert_eq!(Repro::read(&first).unwrap(), made.repro);
    assert_eq!(Repro::read(&second).unwrap(), other);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn reading_a_bad_file_says_what_is_wrong_in_one_line() {
    let dir = temp_dir("bad-files");
    let good = std::fs::read_to_string(fixture("gomap-throw-concurrent-map-writes.toml")).unwrap();
    let cases = [
        ("malformed", "format = 1\nseed = = 3\n".to_string(), ":2:"),
        (
            "version",
            good.replace("format = 1", "format = 99"),
            "repro format 99 is not supported",
        ),
        (
            "no version",
            "chaos_version = \"0.1.0\"\n".to_string(),
            "not a chaos repro file",
        ),
        (
            "bad op",
            good.replace("store(0, 0x10000000001)", "stor(0, 1)"),
            "unknown operation \"stor\"",
        ),
        (
            "bad signature",
            good.replace(
                "signature = \"throw: concurrent map writes [gomap]\"",
                "signature = \"throw: other [gomap]\"",
            ),
            "does not match",
        ),
        (
            "unknown key",
            good.replace("format = 1", "format = 1\nextra = 2"),
            "extra",
        ),
    ];
    for (name, body, says) in cases {
        assert_ne!(body, good, "{name}: the edit applied");
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, &body).unwrap();
        let e = Repro::read(&path).unwrap_err().to_string();
        assert!(e.contains(says), "{name}: {e}");
        assert!(e.starts_with(&path.display().to_string()), "{name}: {e}");
        assert!(!e.contains('\n'), "{name}: {e}");
    }
    let e = Repro::read(&dir.join("missing.toml")).unwrap_err();
    assert!(matches!(e, ReproError::Io { .. }), "{e}");
    assert!(e.to_string().contains("cannot read"), "{e}");
}

#[test]
fn chaos_replay_exits_1_when_the_finding_reproduces_and_shows_its_timeline() {
    let f = fixture("gomap-throw-concurrent-map-writes.toml");
    let out = chaos(&["replay", f.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("reproduced: throw: concurrent map writes [gomap]"),
        "{stdout}"
    );
    assert!(stdout.contains("step  thread 0"), "{stdout}");
    assert!(
        stdout.contains("✗ fatal error: concurrent map writes"),
        "{stdout}"
    );
    assert!(stdout.contains("identical to the recorded run"), "{stdout}");
    assert!(stdout.contains("chaos run --backend gomap"), "{stdout}");
}

#[test]
fn chaos_replay_of_bad_files_exits_2_with_one_line_each() {
    let dir = temp_dir("cli-bad");
    let good = std::fs::read_to_string(fixture("gomap-throw-concurrent-map-writes.toml")).unwrap();
    let files = [
        (
            "malformed.toml",
            "format = 1\n[finding\n".to_string(),
            "malformed.toml:2:",
        ),
        (
            "version.toml",
            good.replace("format = 1", "format = 7"),
            "repro format 7 is not supported",
        ),
        (
            "backend.toml",
            good.replace("\"gomap\"", "\"nosuch\"")
                .replace("[gomap]", "[nosuch]"),
            "unknown backend \"nosuch\"",
        ),
    ];
    for (name, body, says) in &files {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        let out = chaos(&["replay", path.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
    }
    let missing = dir.join("missing.toml");
    let out = chaos(&["replay", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
}

/// The split-swap mutant's repro, with the backend changed to `rwmutex`,
/// the wrapper with the bug fixed: what a user has after fixing a bug.
fn fixed_repro(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("mutant-split-swap-linearizability.toml")).unwrap();
    let fixed = text.replace("mutant-split-swap", "rwmutex");
    let path = dir.join("fixed.toml");
    std::fs::write(&path, fixed).unwrap();
    path
}

#[test]
fn a_fixed_bug_no_longer_reproduces_and_a_diverging_trace_says_where() {
    let dir = temp_dir("cli-fixed");
    let path = fixed_repro(&dir);
    let p = path.to_str().unwrap();
    // The fixed wrapper takes its lock once where the mutant took it twice:
    // the recorded schedule no longer fits, and replay says at which decision.
    let out = chaos(&["replay", p]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("no longer reproduces"), "{stdout}");
    assert!(stdout.contains("diverged at decision"), "{stdout}");
    assert!(stdout.contains("--continue"), "{stdout}");
    // --continue follows the schedule as far as it fits and finishes the
    // execution under the recorded seed: the fixed wrapper is clean.
    let out = chaos(&["replay", "--continue", p]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("no longer reproduces"), "{stdout}");
    assert!(stdout.contains("continued under the seed"), "{stdout}");
    // The library says the same, and the continued execution ran every op.
    let repro = Repro::read(&path).unwrap();
    let info = registry::lookup("rwmutex").unwrap();
    let r = replay_with(
        &repro,
        &|seed| info.build(seed),
        &ReplayOptions {
            continue_on_divergence: true,
            ..ReplayOptions::default()
        },
    );
    assert!(r.continued && !r.reproduced());
    assert!(r.divergence.is_some());
    let ops = r.execution.history.operations();
    assert_eq!(ops.len(), repro.script.ops());
    assert!(ops.iter().all(|o| o.ret.is_some()));
}

/// GoLike with one more yield point in every write: the same bug, in a
/// backend that changed since the repro was recorded.
#[derive(Default)]
struct GoLikeChanged(GoLike);

impl Delegate for GoLikeChanged {
    type Inner = GoLike;
    fn inner(&self) -> &GoLike {
        &self.0
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        yield_now("new logging");
        self.0.store(key, value)
    }
}

#[test]
fn continuing_a_diverged_replay_finishes_under_the_seed_deterministically() {
    let made = golike_repro();
    let changed = |_| Box::new(GoLikeChanged::default()) as Box<dyn ChaosMap>;
    let exact = replay(&made.repro, &changed);
    let d = exact
        .divergence
        .clone()
        .expect("an extra yield point diverges");
    assert!(!exact.reproduced());
    assert!(exact
        .report(&made.repro)
        .contains(&format!("at decision {}", d.step)));
    let opts = ReplayOptions {
        continue_on_divergence: true,
        ..ReplayOptions::default()
    };
    let a = replay_with(&made.repro, &changed, &opts);
    let b = replay_with(&made.repro, &changed, &opts);
    assert!(a.continued);
    assert_eq!(a.divergence, exact.divergence);
    assert_eq!(a.execution.history, b.execution.history);
    // Up to the departure it made the recorded choices.
    let recorded = &made.repro.script.trace.as_ref().unwrap().choices;
    let k = a
        .execution
        .sched()
        .and_then(|d| d.departure.as_ref())
        .map_or(0, |d| d.step as usize);
    assert_eq!(a.execution.trace().unwrap().choices[..k], recorded[..k]);
    // The continued execution is a whole execution: every op started either
    // returned or was cut short by a throw that stopped the run.
    let ops = a.execution.history.operations();
    assert!(ops.iter().all(|o| o.ret.is_some()) || !a.execution.findings.is_empty());
}

#[test]
fn several_files_one_line_each_and_the_worst_exit_code_wins() {
    let dir = temp_dir("cli-several");
    let reproducing = fixture("gomap-throw-concurrent-map-writes.toml");
    let fixed = fixed_repro(&dir);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "format = 1\n[").unwrap();
    let (r, f, b) = (
        reproducing.to_str().unwrap(),
        fixed.to_str().unwrap(),
        bad.to_str().unwrap(),
    );
    let out = chaos(&["replay", r, f]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.lines().next().unwrap().contains(": reproduced: "),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .nth(1)
            .unwrap()
            .contains(": no longer reproduces: "),
        "{stdout}"
    );

    let out = chaos(&["replay", r, f, b]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert_eq!(text(&out.stderr).lines().count(), 1);

    let out = chaos(&["replay", "--json", r, f, b]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["reproduced", "not-reproduced", "error"]);
    assert_eq!(v[0]["history_matches"], true);
    assert_eq!(v[0]["signature"], "throw: concurrent map writes [gomap]");
    assert!(v[1]["divergence"]["step"].is_u64());
}

#[test]
fn chaos_shrink_writes_a_repro_that_chaos_replay_reproduces() {
    let dir = temp_dir("cli-shrink");
    let out_dir = dir.join("repros");
    let flags = [
        "--backend",
        "gomap",
        "--threads",
        "4",
        "--ops",
        "200",
        "--keys",
        "32",
        "--mix",
        "load=50,store=50",
        "--seed",
        "0x5eed",
    ];
    let mut args = vec!["shrink"];
    args.extend(flags);
    args.extend(["--out", out_dir.to_str().unwrap(), "--json"]);
    let out = chaos(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = v["file"].as_str().unwrap();
    assert!(Path::new(file).starts_with(&out_dir));
    assert!(v["script_ops"].as_u64().unwrap() <= 2, "{v}");
    assert!(v["executions"].as_u64().unwrap() > 0);
    let sig = v["signature"].as_str().unwrap().to_string();
    // The shrunk `chaos run` line reproduces the signature...
    let run = v["replay"].as_str().unwrap();
    let run_args: Vec<&str> = run.split_whitespace().skip(1).collect();
    let out = chaos(&run_args);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&format!("signature: {sig}")));
    // ...and `chaos replay` the file.
    let out = chaos(&["replay", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&format!("reproduced: {sig}")));

    // Human output: the timeline, the run line and the replay line.
    let mut args = vec!["shrink"];
    args.extend(flags);
    args.extend(["--out", out_dir.to_str().unwrap()]);
    let out = chaos(&args);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("step  thread 0"), "{stdout}");
    assert!(
        stdout.contains("replay the shrunk run:    chaos run "),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("chaos replay {file}")), "{stdout}");

    // --emit-test prints the regression test (and nothing else on stdout).
    let mut args = vec!["shrink"];
    args.extend(flags);
    args.extend([
        "--out",
        out_dir.to_str().unwrap(),
        "--emit-test",
        "--constructor",
        "Box::new(MyMap::new(seed))",
    ]);
    let out = chaos(&args);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.starts_with("//! Regression test emitted by `chaos shrink --emit-test`."));
    assert!(stdout.contains("Box::new(MyMap::new(seed))"), "{stdout}");
    assert!(stdout.contains("!replayed.failed()"), "{stdout}");
    let embedded = chaos::repro::embedded_repro(&stdout).unwrap();
    assert_eq!(
        Repro::from_toml(embedded).unwrap(),
        Repro::read(Path::new(file)).unwrap()
    );
}

#[test]
fn chaos_shrink_of_a_clean_run_exits_0_and_of_bad_input_2() {
    let out = chaos(&[
        "shrink",
        "--backend",
        "rwmutex",
        "--threads",
        "2",
        "--ops",
        "20",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("nothing to shrink"));
    let out = chaos(&["shrink", "--backend", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
    let out = chaos(&["shrink", "--threads", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_replay_that_fails_with_another_finding_exits_1_and_says_so() {
    // What a checker change that reclassifies a finding looks like: the
    // recorded signature does not come back, but the bug is still there.
    let dir = temp_dir("cli-differently");
    let original =
        std::fs::read_to_string(fixture("gomap-throw-concurrent-map-writes.toml")).unwrap();
    let edited = original
        .replace(
            "message = \"concurrent map writes\"",
            "message = \"bad map state\"",
        )
        .replace(
            "signature = \"throw: concurrent map writes [gomap]\"",
            "signature = \"throw: bad map state [gomap]\"",
        );
    let path = dir.join("reclassified.toml");
    std::fs::write(&path, edited).unwrap();
    let out = chaos(&["replay", path.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("fails differently: throw: concurrent map writes [gomap] (recorded: throw: bad map state [gomap])"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✗ fatal error: concurrent map writes"),
        "{stdout}"
    );
    let out = chaos(&["replay", "--json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["status"], "fails-differently");
}

#[test]
fn a_repro_from_another_chaos_version_still_replays_and_says_so() {
    let original =
        std::fs::read_to_string(fixture("gomap-throw-concurrent-map-writes.toml")).unwrap();
    let older = original.replacen(
        &format!("chaos_version = \"{}\"", env!("CARGO_PKG_VERSION")),
        "chaos_version = \"0.0.9\"",
        1,
    );
    assert_ne!(older, original, "the fixture names its version");
    let path = temp_dir("older-version").join("older.toml");
    std::fs::write(&path, older).unwrap();
    let o = chaos(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    let first = out.lines().next().unwrap_or("");
    assert!(first.contains("recorded by chaos 0.0.9"), "{first}");
}
