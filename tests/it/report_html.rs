//! `--html FILE` on `run`, `shrink` and `replay`: the page's structure,
//! checked without a browser. The page is well-formed XML as well as HTML,
//! so `roxmltree` parses it and the tests query it: one lane per thread,
//! one box per op of the minimal script with its label, the race window
//! over the racing ops, the finding and the replay lines, nothing loaded
//! from outside. (`.ci/run` loads the default run's page in Chromium.)

use std::path::{Path, PathBuf};

use chaos::repro::Repro;

use crate::support::{chaos, Scratch};

/// The built-in default scenario (`chaos run` alone), as flags.
const DEFAULT: &[&str] = &[
    "--backend",
    "gomap",
    "--threads",
    "2",
    "--ops",
    "50",
    "--keys",
    "16",
    "--mix",
    "load=50,store=50",
    "--mode",
    "sched",
    "--expect",
    "throw",
];

fn parse(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("the page is not well-formed: {e}"))
}

fn has_class(n: &roxmltree::Node<'_, '_>, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|w| w == class))
}

fn all_with_class<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    class: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    doc.descendants()
        .filter(move |n| n.is_element() && has_class(n, class))
}

/// All the text under `n`.
fn text_of(n: roxmltree::Node<'_, '_>) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// The page loads nothing: no script, no stylesheet or image link, no
/// `src`/`href` other than a fragment of the page, no `url(` or `@import`
/// in its style.
fn assert_self_contained(doc: &roxmltree::Document<'_>) {
    for n in doc.descendants().filter(|n| n.is_element()) {
        let name = n.tag_name().name();
        assert!(
            !["script", "link", "img", "iframe", "object", "embed"].contains(&name),
            "<{name}> in the page"
        );
        for a in n.attributes() {
            if a.name() == "src" || a.name() == "href" {
                assert!(a.value().starts_with('#'), "{}={:?}", a.name(), a.value());
            }
        }
        if name == "style" {
            let css = text_of(n);
            assert!(!css.contains("url(") && !css.contains("@import"), "{css}");
        }
    }
}

/// The lanes drawn: for each lane, its thread and its op boxes'
/// (op index, label, class).
type Drawn = Vec<(String, Vec<(String, String, String)>)>;

fn lanes(doc: &roxmltree::Document<'_>) -> Drawn {
    all_with_class(doc, "lane")
        .map(|lane| {
            let ops = lane
                .children()
                .filter(|n| has_class(n, "op"))
                .map(|op| {
                    (
                        op.attribute("data-op").unwrap_or_default().to_string(),
                        op.attribute("data-label").unwrap_or_default().to_string(),
                        op.attribute("class").unwrap_or_default().to_string(),
                    )
                })
                .collect();
            (
                lane.attribute("data-thread")
                    .unwrap_or_default()
                    .to_string(),
                ops,
            )
        })
        .collect()
}

/// The lanes a script's ops should draw: thread `t`'s ops, in order.
fn expected_lanes(repro: &Repro) -> Vec<(String, Vec<String>)> {
    repro
        .script
        .threads
        .iter()
        .enumerate()
        .map(|(t, ops)| (t.to_string(), ops.iter().map(|o| o.to_string()).collect()))
        .collect()
}

fn labels(drawn: &Drawn) -> Vec<(String, Vec<String>)> {
    drawn
        .iter()
        .map(|(t, ops)| (t.clone(), ops.iter().map(|o| o.1.clone()).collect()))
        .collect()
}

/// The race window's `thread:op` words, sorted.
fn window_ops(doc: &roxmltree::Document<'_>) -> Vec<String> {
    let w = all_with_class(doc, "race-window")
        .next()
        .expect("a race window element");
    let mut ops: Vec<String> = w
        .attribute("data-ops")
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    ops.sort();
    ops
}

/// The failing op's `thread:op`.
fn failed_op(drawn: &Drawn) -> String {
    let failed: Vec<String> = drawn
        .iter()
        .flat_map(|(t, ops)| {
            ops.iter()
                .filter(|o| o.2.split_whitespace().any(|c| c == "op-failed"))
                .map(move |o| format!("{t}:{}", o.0))
        })
        .collect();
    assert_eq!(failed.len(), 1, "one failing op: {drawn:?}");
    failed[0].clone()
}

fn commands(doc: &roxmltree::Document<'_>) -> Vec<String> {
    all_with_class(doc, "command").map(text_of).collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn only_file(dir: &Path, ext: &str) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn shrink_html_of_the_default_scenario_draws_every_op_of_the_minimal_script() {
    let dir = Scratch::new("html-shrink");
    let page = dir.0.join("page.html");
    let out = dir.0.join("repros");
    let mut args = vec!["shrink"];
    args.extend_from_slice(DEFAULT);
    args.extend(["--seed", "0", "--out", out.to_str().unwrap()]);
    args.extend(["--html", page.to_str().unwrap()]);
    let o = chaos(&args);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let repro_file = only_file(&out, "toml");
    let repro = Repro::read(&repro_file).unwrap();
    let text = read(&page);
    let doc = parse(&text);
    assert_self_contained(&doc);
    // One lane per thread of the script, one box per op, labelled with it.
    let drawn = lanes(&doc);
    assert_eq!(labels(&drawn), expected_lanes(&repro), "{drawn:?}");
    // The window runs from the first racing op to the throw: it holds the
    // failing op and an op of the other thread.
    let failing = failed_op(&drawn);
    assert_eq!(
        failing,
        format!(
            "{}:{}",
            repro.finding.thread.unwrap(),
            repro.finding.op.unwrap()
        )
    );
    let window = window_ops(&doc);
    assert!(window.contains(&failing), "{window:?}");
    assert!(
        window
            .iter()
            .any(|w| w.split(':').next() != failing.split(':').next()),
        "the window holds the other thread's racing op: {window:?}"
    );
    // The finding, and the lines that replay it, as the text report says them.
    let body = text_of(doc.root_element());
    assert!(body.contains(&repro.signature().0), "{body}");
    assert!(body.contains(&repro.description), "{body}");
    let cmds = commands(&doc);
    assert!(
        cmds.contains(&format!("chaos replay {}", repro_file.display())),
        "{cmds:?}"
    );
    assert!(cmds.contains(&repro.run_command()), "{cmds:?}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains(&repro.run_command()), "{stdout}");
    // The seed and the backend.
    assert!(body.contains(&repro.seed.to_string()) && body.contains("gomap"));
}

#[test]
fn run_html_of_the_default_scenario_shows_its_finding_and_minimal_failure() {
    let dir = Scratch::new("html-run");
    let page = dir.0.join("run.html");
    let o = chaos(&["run", "--html", page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let doc_text = read(&page);
    let doc = parse(&doc_text);
    assert_self_contained(&doc);
    let drawn = lanes(&doc);
    assert_eq!(drawn.len(), 2, "{drawn:?}");
    assert!(drawn.iter().all(|(_, ops)| !ops.is_empty()));
    let failing = failed_op(&drawn);
    assert!(window_ops(&doc).contains(&failing));
    let body = text_of(doc.root_element());
    assert!(
        body.contains("throw: concurrent map writes [gomap]"),
        "{body}"
    );
    // Every replay line the text report prints is on the page.
    let cmds = commands(&doc);
    for line in stdout.lines().filter_map(|l| {
        l.trim()
            .strip_prefix("replay: ")
            .or_else(|| l.strip_prefix("replay the shrunk run: "))
            .or_else(|| l.strip_prefix("write the minimal repro: "))
    }) {
        assert!(cmds.iter().any(|c| c == line), "{line} not in {cmds:?}");
    }
    assert!(cmds.len() >= 3, "{cmds:?}");
}

#[test]
fn replay_html_shows_the_verdict_and_the_replayed_failure() {
    let dir = Scratch::new("html-replay");
    let page = dir.0.join("replay.html");
    let fixture = "fixtures/gomap-throw-concurrent-map-writes.toml";
    let o = chaos(&["replay", fixture, "--html", page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let repro = Repro::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture)).unwrap();
    let text = read(&page);
    let doc = parse(&text);
    assert_self_contained(&doc);
    let drawn = lanes(&doc);
    assert_eq!(labels(&drawn), expected_lanes(&repro), "{drawn:?}");
    let failing = failed_op(&drawn);
    // Two stores racing: the window holds both.
    assert_eq!(window_ops(&doc), ["0:0", "1:0"]);
    assert!(window_ops(&doc).contains(&failing));
    let body = text_of(doc.root_element());
    assert!(
        body.contains(&format!("{fixture}: reproduced: {}", repro.signature())),
        "{body}"
    );
    let cmds = commands(&doc);
    assert!(
        cmds.contains(&format!("chaos replay {fixture}")),
        "{cmds:?}"
    );
    assert!(cmds.contains(&repro.run_command()), "{cmds:?}");
}

#[test]
fn replay_html_of_a_finding_at_quiescence_draws_every_op_and_a_window_over_the_named_one() {
    // A lost write: no op fails; the finding names the write that was lost.
    // The timeline keeps only the ops that overlap it; the page draws the
    // whole minimal script.
    let dir = Scratch::new("html-replay-lost");
    let page = dir.0.join("lost.html");
    let fixture = "fixtures/mutant-expunged-store-lost-write.toml";
    let o = chaos(&["replay", fixture, "--html", page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let repro = Repro::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture)).unwrap();
    let text = read(&page);
    let doc = parse(&text);
    assert_self_contained(&doc);
    let drawn = lanes(&doc);
    assert_eq!(labels(&drawn), expected_lanes(&repro), "{drawn:?}");
    let named = format!(
        "{}:{}",
        repro.finding.thread.unwrap(),
        repro.finding.op.unwrap()
    );
    assert!(window_ops(&doc).contains(&named), "{:?}", window_ops(&doc));
    assert!(text_of(doc.root_element()).contains(&repro.signature().0));
}

#[test]
fn replay_html_of_several_files_has_one_section_each_with_unique_ids() {
    let dir = Scratch::new("html-replay-many");
    let page = dir.0.join("replay.html");
    let a = "fixtures/gomap-throw-concurrent-map-writes.toml";
    let b = "fixtures/gomap-throw-concurrent-map-read-and-map-write.toml";
    let o = chaos(&["replay", a, b, "--html", page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let text = read(&page);
    let doc = parse(&text);
    assert_self_contained(&doc);
    assert_eq!(all_with_class(&doc, "race-window").count(), 2);
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    let body = text_of(doc.root_element());
    assert!(
        body.contains(&format!("{a}: reproduced")) && body.contains(&format!("{b}: reproduced"))
    );
}

#[test]
fn run_html_of_a_clean_run_says_clean_and_draws_no_lanes() {
    let dir = Scratch::new("html-clean");
    let page = dir.0.join("clean.html");
    let o = chaos(&[
        "run",
        "--backend",
        "rwmutex",
        "--threads",
        "2",
        "--ops",
        "5",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = read(&page);
    let doc = parse(&text);
    assert_self_contained(&doc);
    assert!(lanes(&doc).is_empty());
    let headline = all_with_class(&doc, "headline-clean")
        .next()
        .map(text_of)
        .expect("a clean headline");
    assert!(headline.starts_with("clean: "), "{headline}");
    assert!(
        headline.contains("rwmutex · 2 threads × 5 ops"),
        "{headline}"
    );
    let cmds = commands(&doc);
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("chaos run --backend rwmutex --threads 2 --ops 5")),
        "{cmds:?}"
    );
}

#[test]
fn shrink_html_of_a_run_that_does_not_fail_says_there_is_nothing_to_shrink() {
    let dir = Scratch::new("html-nothing");
    let page = dir.0.join("nothing.html");
    let o = chaos(&[
        "shrink",
        "--backend",
        "rwmutex",
        "--threads",
        "2",
        "--ops",
        "5",
        "--out",
        dir.0.join("repros").to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = read(&page);
    let doc = parse(&text);
    assert!(lanes(&doc).is_empty());
    assert!(text_of(doc.root_element()).contains("nothing to shrink: the run does not fail"));
}

#[test]
fn a_bad_html_path_is_one_line_exit_2_and_nothing_is_written() {
    let dir = Scratch::new("html-bad");
    let missing = dir.0.join("no-such-dir").join("page.html");
    let is_dir = dir.0.join("a-dir");
    std::fs::create_dir(&is_dir).unwrap();
    let out = dir.0.join("repros");
    let fixture = "fixtures/gomap-throw-concurrent-map-writes.toml";
    for (path, says) in [(&missing, "does not exist"), (&is_dir, "is a directory")] {
        let p = path.to_str().unwrap();
        let mut shrink = vec!["shrink"];
        shrink.extend_from_slice(DEFAULT);
        shrink.extend(["--out", out.to_str().unwrap(), "--html", p]);
        for args in [
            vec!["run", "--html", p],
            vec!["run", "--backend", "rwmutex", "--ops", "5", "--html", p],
            shrink,
            vec!["replay", fixture, "--html", p],
        ] {
            let o = chaos(&args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(
                err.contains(&format!("--html {p}")) && err.contains(says),
                "{args:?}: {err}"
            );
            assert!(o.stdout.is_empty(), "{args:?}");
        }
    }
    // Nothing written: no page, no repro, no temporary file.
    assert!(!missing.exists() && !missing.parent().unwrap().exists());
    assert_eq!(std::fs::read_dir(&is_dir).unwrap().count(), 0);
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("a-dir")]);
}
