//! Interleaving coverage: a hunt reports, per class of its backend, how many
//! seeds reached it, and names the classes none reached as gaps.

use serde_json::Value;

use crate::support::chaos;

fn hunt(args: &[&str]) -> Value {
    let mut all = vec!["hunt", "--json", "--keep-going"];
    all.extend_from_slice(args);
    let o = chaos(&all);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

/// (class, seeds) of a hunt's JSON.
fn reached(h: &Value) -> Vec<(String, u64)> {
    h["interleavings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["class"].as_str().unwrap().to_string(),
                c["seeds"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_swarm_hunt_of_each_go_model_reaches_every_class_of_its_backend() {
    // Measured over 1,000 seeds (`chaos hunt --backend B --seeds 0..1000`),
    // the rarest class of each backend was reached by 15% of seeds or more
    // (rwmutex: overflow-chain-evacuation 157; syncmap: unexpunge 52 of
    // 300); missing one in 300 sched seeds has odds below 1e-6, and sched
    // mode makes each seed's count exact.
    for (backend, classes) in [
        ("rwmutex", 6),
        ("syncmap", 5),
        ("swiss-rwmutex", 3),
        ("hashtriemap", 3),
    ] {
        let h = hunt(&["--backend", backend, "--seeds", "0..300"]);
        let r = reached(&h);
        assert_eq!(r.len(), classes, "{backend}: {r:?}");
        assert_eq!(h["gaps"], serde_json::json!([]), "{backend}: {r:?}");
        assert!(
            r.iter().all(|(_, n)| *n > 0 && *n <= 300),
            "{backend}: {r:?}"
        );
    }
}

#[test]
fn a_class_needs_another_thread_mid_op_and_an_unreached_one_is_a_gap() {
    // One thread: grows happen (the marks fire), but no other thread is
    // ever mid-op, so no interleaving is reached: every class is a gap.
    let growing = |threads: &str| {
        hunt(&[
            "--backend",
            "rwmutex",
            "--threads",
            threads,
            "--ops",
            "400",
            "--keys",
            "300",
            "--mix",
            "store=60,load=30,range=10",
            "--seeds",
            "0..20",
        ])
    };
    let h = growing("1");
    assert!(reached(&h).iter().all(|(_, n)| *n == 0), "{h}");
    assert_eq!(h["gaps"].as_array().unwrap().len(), 6);
    // The same shape with two threads reaches the grow classes.
    let two = growing("2");
    let r = reached(&two);
    let get = |name: &str| r.iter().find(|(c, _)| c == name).unwrap().1;
    assert!(
        get("write-during-grow") > 0 && get("read-during-grow") > 0,
        "{r:?}"
    );
    // The human report marks the gaps.
    let o = chaos(&[
        "hunt",
        "--backend",
        "rwmutex",
        "--threads",
        "1",
        "--ops",
        "50",
        "--seeds",
        "0..5",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("interleavings reached (seeds, of 5 run"),
        "{text}"
    );
    assert!(text.contains("GAP: none reached"), "{text}");
}

#[test]
fn stress_mode_counts_interleavings_too() {
    // Real threads: 4 × 2,000 writes and reads over 2,000 keys grow the map
    // many times with the other threads running; a grow with no other
    // thread inside an op in all 20 seeds would take every thread parking
    // at every grow.
    let h = hunt(&[
        "--backend",
        "rwmutex",
        "--mode",
        "stress",
        "--threads",
        "4",
        "--ops",
        "2000",
        "--keys",
        "2000",
        "--mix",
        "store=60,load=40",
        "--seeds",
        "0..20",
    ]);
    let r = reached(&h);
    let get = |name: &str| r.iter().find(|(c, _)| c == name).unwrap().1;
    assert!(get("write-during-grow") > 0, "{r:?}");
}
