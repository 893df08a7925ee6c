//! Swarm workloads: each seed chooses its own shape, prints it, records it
//! in a repro, and replays exactly; a hunt with no shape given is a swarm
//! hunt, and finds what the fixed default mix cannot.

use serde_json::Value;

use crate::support::{chaos, Scratch};

fn json(args: &[&str]) -> Value {
    let o = chaos(args);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// `chaos run ... --json`'s replay line as arguments, `chaos` dropped.
fn replay_args(run: &Value) -> Vec<String> {
    let line = run["replay"].as_str().unwrap();
    line.split_whitespace().skip(1).map(String::from).collect()
}

#[test]
fn a_swarm_run_prints_its_choices_and_its_plain_replay_line_gives_the_same_history() {
    for seed in ["1", "2", "0x2a"] {
        let run = json(&[
            "run",
            "--backend",
            "rwmutex",
            "--swarm",
            "--seed",
            seed,
            "--json",
        ]);
        let choice = &run["swarm"];
        assert!(choice["mix"].is_object(), "{run}");
        assert_eq!(run["scenario"]["keys"], choice["keys"]);
        assert_eq!(run["scenario"]["mix"], choice["mix"]);
        let args = replay_args(&run);
        assert!(!args.iter().any(|a| a == "--swarm"), "{args:?}");
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.push("--json");
        let again = json(&args);
        assert_eq!(again["history_hash"], run["history_hash"], "seed {seed}");
        assert!(again["swarm"].is_null());
        // The human report says what the seed chose, in one line.
        let o = chaos(&["run", "--backend", "rwmutex", "--swarm", "--seed", seed]);
        let text = String::from_utf8_lossy(&o.stdout);
        let line = text.lines().find(|l| l.contains("swarm: seed")).unwrap();
        assert!(
            line.contains(" keys, ") && line.contains("faults: "),
            "{line}"
        );
    }
}

#[test]
fn a_hunt_is_swarm_unless_a_shape_or_no_swarm_is_given() {
    let swarm = |args: &[&str]| {
        let mut all = vec!["hunt", "--backend", "rwmutex", "--seeds", "0..3", "--json"];
        all.extend_from_slice(args);
        json(&all)["scenario"]["swarm"] == Value::Bool(true)
    };
    assert!(swarm(&[]));
    assert!(!swarm(&["--no-swarm"]));
    assert!(!swarm(&["--mix", "load=1,store=1"]));
    assert!(!swarm(&["--keys", "8"]));
    assert!(swarm(&["--keys", "8", "--swarm"]));
    // `chaos run` keeps its fixed default.
    let run = json(&["run", "--backend", "rwmutex", "--seed", "1", "--json"]);
    assert!(run["swarm"].is_null());
}

#[test]
fn swarm_refuses_a_fixed_distribution_and_a_contradiction_in_one_line() {
    for args in [
        &["run", "--swarm", "--distribution", "zipf"][..],
        &["run", "--swarm", "--no-swarm"][..],
    ] {
        let o = chaos(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let o = chaos(&["run", "--swarm", "--distribution", "zipf"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("distribution") && err.contains("swarm"),
        "{err}"
    );
}

#[test]
fn swarm_finds_a_check_then_act_the_default_mix_never_calls_and_its_repro_replays() {
    // The fixed default mix (load=70,store=30) never calls load_or_store:
    // 0 of 1,000 seeds find this mutant. Under swarm 117 of 1,000 did
    // (`chaos hunt --backend mutant-check-then-act --seeds 0..1000
    // --keep-going`), so none in 0..200 has odds 0.883^200 < 1e-10; sched
    // mode makes each seed's verdict exact.
    let fixed = json(&[
        "hunt",
        "--backend",
        "mutant-check-then-act",
        "--no-swarm",
        "--seeds",
        "0..200",
        "--json",
    ]);
    assert_eq!(fixed["failing"], 0, "{fixed}");
    let dir = Scratch::new("swarm-repro");
    let out = dir.0.to_str().unwrap();
    let found = json(&[
        "hunt",
        "--backend",
        "mutant-check-then-act",
        "--seeds",
        "0..200",
        "--out",
        out,
        "--json",
    ]);
    assert_eq!(found["failing"], 1, "{found}");
    let file = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "toml"))
        .expect("a repro file");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\n[swarm]\nseed = \""), "{text}");
    assert!(
        !text.contains("swarm = true"),
        "the repro's scenario is plain:\n{text}"
    );
    let o = chaos(&["replay", file.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("reproduced"));
}
