//! The HTML page of a failure (`--html FILE` on `run`, `shrink` and
//! `replay`): one self-contained file, inline CSS and inline SVG, no
//! script, nothing loaded from elsewhere. It shows the verdict, the
//! finding (kind, message, signature, detail), the lanes of the (minimal)
//! failure ([`svg`]: one lane per thread, one box per op, the race window),
//! the lines that replay it, and the scenario and seed.
//!
//! The page is well-formed XML as well as HTML (every element closed, every
//! text escaped by [`escape`]), so a test parses it with an XML parser and
//! queries it without a browser; `.ci/run` loads it in headless Chromium.
//!
//! [`page`] and [`Section`] are the shell every page shares (title, style,
//! sections, footer): another report puts its own SVG into a section and
//! gets the same look.

pub(crate) mod svg;

use std::fmt::Write as _;

use super::{plural, scenario_line};
use crate::check::Finding;
use crate::engine::{Execution, Outcome};
use crate::replay::{Replayed, Verdict};
use crate::repro::{Made, Repro};
use crate::scenario::Scenario;
use crate::seed::Seed;
use crate::timeline::Timeline;

/// `text` made safe inside HTML or SVG text and attribute values (quoted
/// with `"` or `'`): `&`, `<`, `>`, `"` and `'` become references, and a
/// control character XML does not allow becomes U+FFFD, so the page stays
/// well-formed whatever a key, value or panic message holds.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// One section of a page: a heading and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    /// The element id (unique in the page) and class of the section.
    pub id: String,
    /// The heading, as plain text (escaped by [`page`]).
    pub title: String,
    /// The body: HTML, every text in it already escaped.
    pub body: String,
}

impl Section {
    /// A section of `body` (HTML, already escaped).
    pub(crate) fn new(id: impl Into<String>, title: impl Into<String>, body: String) -> Section {
        Section {
            id: id.into(),
            title: title.into(),
            body,
        }
    }
}

/// The page's style: light, readable, printable; lanes scroll sideways when
/// wide.
const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; background: #f5f6f8; margin: 0; }
header { background: #1d2330; color: #fff; padding: 14px 28px; }
table.bench { border-collapse: collapse; margin: 0.5em 0 1em; }
table.bench th, table.bench td { padding: 0.25em 0.7em; border-bottom: 1px solid #dde1e8; text-align: right; white-space: nowrap; }
table.bench th:first-child, table.bench td:first-child, table.bench td:last-child, table.bench th:last-child { text-align: left; }
table.bench tr.failed td { color: #b54a4a; }
header h1 { font-size: 19px; margin: 0; font-weight: 600; }
header p { margin: 4px 0 0; color: #b9c0cf; font-size: 13px; }
main { padding: 18px 28px 28px; max-width: 1400px; }
section { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 14px 18px; margin: 0 0 16px; }
section h2 { font-size: 16px; margin: 0 0 10px; }
.headline { font-size: 17px; font-weight: 600; padding: 10px 14px; border-radius: 6px; margin: 0 0 12px; }
.headline-finding { background: #fde8e8; color: #8a1c1c; border-left: 5px solid #d63b3b; }
.headline-clean { background: #e5f5ea; color: #1b5e31; border-left: 5px solid #2f9e55; }
.headline-other { background: #fff4dc; color: #7a5200; border-left: 5px solid #e0a100; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: #5b6475; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f0f2f6; border: 1px solid #dde1e8; border-radius: 6px; padding: 8px 10px; overflow-x: auto; margin: 6px 0; }
pre.command { white-space: pre-wrap; overflow-wrap: anywhere; }
.note { color: #5b6475; font-size: 13px; }
.scroll { overflow-x: auto; padding-bottom: 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 0 0 10px; padding: 0; list-style: none; font-size: 13px; color: #3a4254; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 22px; height: 13px; border-radius: 3px; border: 1.5px solid; }
.swatch-returned { background: #e3edfb; border-color: #3f6fb5; }
.swatch-failed { background: #fbdada; border-color: #c62828; }
.swatch-pending { background: #f1f1f1; border-color: #8a8f99; border-style: dashed; }
.swatch-window { background: rgba(255, 166, 0, 0.22); border-color: #e08a00; border-style: dashed; }
.glyph { font-weight: 700; width: 14px; text-align: center; }
.glyph-paused { color: #3a4254; }
.glyph-passed { color: #7b3fb5; }
.glyph-fault { color: #d97706; }
svg.lanes { display: block; }
svg.lanes text { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: #1d2330; }
svg.lanes .tick { fill: #7a8294; font-size: 11px; text-anchor: middle; }
svg.lanes .axis-name { fill: #7a8294; font-size: 11px; text-anchor: end; }
svg.lanes .grid { stroke: #e6e9ef; stroke-width: 1; }
svg.lanes .lane-0 { fill: #fafbfc; }
svg.lanes .lane-1 { fill: #f2f4f7; }
svg.lanes .lane-name { font: 600 13px system-ui, sans-serif; fill: #3a4254; }
svg.lanes .race-window rect { fill: rgba(255, 166, 0, 0.18); stroke: #e08a00; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg.lanes .race-window text { font: 600 11px system-ui, sans-serif; fill: #a85f00; }
svg.lanes .op rect { stroke-width: 1.5; }
svg.lanes .op-returned rect { fill: #e3edfb; stroke: #3f6fb5; }
svg.lanes .op-failed rect { fill: #fbdada; stroke: #c62828; stroke-width: 2.5; }
svg.lanes .op-failed .op-result { fill: #b71c1c; font-weight: 700; }
svg.lanes .op-pending rect { fill: #f1f1f1; stroke: #8a8f99; stroke-dasharray: 5 3; }
svg.lanes .op-pending .op-result { fill: #5b6475; }
svg.lanes .mark-paused { fill: #3a4254; }
svg.lanes .mark-passed { fill: #7b3fb5; }
svg.lanes .mark-fault { fill: #d97706; }
details summary { cursor: pointer; color: #3a4254; }
footer { color: #7a8294; font-size: 12px; padding: 0 28px 20px; }
"#;

/// A whole page: `title`, then each section in order. Self-contained:
/// inline style, no script, nothing loaded from elsewhere.
pub(crate) fn page(title: &str, subtitle: &str, sections: &[Section]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header><h1>{}</h1><p>{}</p></header>\n<main>\n",
        escape(title),
        escape(title),
        escape(subtitle),
    );
    for s in sections {
        let _ = write!(
            out,
            "<section id=\"{}\" class=\"{}\">\n<h2>{}</h2>\n{}\n</section>\n",
            escape(&s.id),
            escape(s.id.rsplit('-').next().unwrap_or(&s.id)),
            escape(&s.title),
            s.body
        );
    }
    let _ = write!(
        out,
        "</main>\n<footer>chaos {}</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// A `<dl>` of facts: each name and its text (both escaped here).
pub(crate) fn facts(rows: &[(&str, String)]) -> String {
    let mut out = String::from("<dl class=\"facts\">");
    for (name, value) in rows {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(name), escape(value));
    }
    out.push_str("</dl>");
    out
}

/// One command a person runs, labelled.
fn command(label: &str, line: &str) -> String {
    format!(
        "<p class=\"note\">{}</p><pre class=\"command\"><code>{}</code></pre>",
        escape(label),
        escape(line)
    )
}

/// The verdict line, coloured by `class` (`finding`, `clean`, `other`).
fn verdict(class: &str, text: &str) -> String {
    format!(
        "<p class=\"headline headline-{class}\">{}</p>",
        escape(text)
    )
}

fn scenario_section(prefix: &str, title: &str, s: &Scenario, seed: Seed) -> Section {
    let mut rows = vec![
        ("seed", seed.to_string()),
        ("backend", s.backend.clone()),
        ("scenario", scenario_line(s)),
    ];
    if s.prefill > 0 {
        rows.push(("prefill", plural(s.prefill, "key")));
    }
    rows.push(("expects", crate::scenario::enum_name(&s.expect)));
    Section::new(format!("{prefix}scenario"), title, facts(&rows))
}

fn finding_facts(f: &Finding) -> String {
    let mut rows = vec![
        ("kind", f.kind.name().to_string()),
        ("message", f.message.clone()),
        ("signature", f.signature().0),
    ];
    if !f.detail.is_empty() {
        rows.push(("detail", f.detail.clone()));
    }
    let mut at = Vec::new();
    if let Some(t) = f.thread {
        at.push(format!("thread {t}"));
    }
    if let Some(o) = f.op {
        at.push(format!("op {o}"));
    }
    if let Some(s) = f.step {
        at.push(format!("step {s}"));
    }
    if !at.is_empty() {
        rows.push(("where", at.join(", ")));
    }
    facts(&rows)
}

/// The legend of the lanes.
const LEGEND: &str = r#"<ul class="legend"><li><span class="swatch swatch-returned"></span>op, start to return</li><li><span class="swatch swatch-failed"></span>op that threw or panicked</li><li><span class="swatch swatch-pending"></span>op that never returned</li><li><span class="swatch swatch-window"></span>race window</li><li><span class="glyph glyph-paused">‖</span>switched out</li><li><span class="glyph glyph-passed">●</span>read or wrote hashWriting</li><li><span class="glyph glyph-fault">▲</span>forced fault</li></ul>"#;

/// The lanes section of `finding` in `exec`: legend, SVG, what happens,
/// the window's rule, and the text timeline folded away.
fn lanes_section(
    prefix: &str,
    title: &str,
    lead: &str,
    minimal: bool,
    exec: &Execution,
    f: &Finding,
) -> Section {
    let lanes = svg::Lanes::of(exec, f, minimal);
    let timeline = Timeline::build(exec, f);
    let mut body = String::new();
    if !lead.is_empty() {
        let _ = write!(body, "<p>{}</p>", escape(lead));
    }
    body.push_str(LEGEND);
    let _ = write!(
        body,
        "<div class=\"scroll\">{}</div>",
        svg::render(&lanes, prefix)
    );
    let _ = write!(
        body,
        "<p><strong>What happens:</strong> {}</p>",
        escape(&timeline.describe())
    );
    let mut notes = Vec::new();
    match &lanes.window {
        Some(w) => notes.push(w.rule.to_string()),
        None => notes.push(
            "No race window: the finding was made at quiescence, after the ops, and names no op that failed."
                .to_string(),
        ),
    }
    if lanes.omitted_ops > 0 {
        notes.push(format!(
            "{} not drawn: they do not overlap the failing one.",
            plural(lanes.omitted_ops as u64, "other op")
        ));
    }
    notes.push(format!(
        "Columns follow the order of events; each is labelled with its {}.",
        if lanes.logical {
            "scheduler step"
        } else {
            "time in nanoseconds"
        }
    ));
    let _ = write!(body, "<p class=\"note\">{}</p>", escape(&notes.join(" ")));
    let _ = write!(
        body,
        "<details><summary>The timeline as text</summary><pre>{}</pre></details>",
        escape(&timeline.render())
    );
    Section::new(format!("{prefix}lanes"), title, body)
}

fn commands_section(prefix: &str, lines: &[(&str, String)]) -> Section {
    let body = lines.iter().map(|(l, c)| command(l, c)).collect::<String>();
    Section::new(format!("{prefix}replay"), "Replay it", body)
}

/// The page `chaos run --html` writes. With a finding: the verdict, the
/// first finding, the lanes of its minimal failure (`made`, the shrink
/// `--explain` does) or, when it did not shrink, of the run itself, the
/// replay lines and the scenario. Clean (or undecided): the verdict, the
/// scenario and the replay line, and no lanes: there is no failure to draw.
pub fn run_page(exec: &Execution, made: Option<&Made>) -> String {
    let s = &exec.scenario;
    let findings = exec.reported_findings();
    let title = format!("chaos run: {} seed {}", s.backend, exec.seed);
    let mut sections = Vec::new();
    let (class, text) = match exec.outcome() {
        Outcome::Undecided { why } => ("other", format!("undecided: {why}")),
        _ if findings.is_empty() => (
            "clean",
            format!(
                "clean: no finding in {} · {}",
                plural(
                    exec.history
                        .events
                        .iter()
                        .filter(|e| matches!(e, crate::history::Event::Invoke { .. }))
                        .count() as u64,
                    "op"
                ),
                scenario_line(s)
            ),
        ),
        _ if exec.expectation_met() => (
            "finding",
            format!("finding (expected): {}", findings[0].signature()),
        ),
        _ => ("finding", format!("FINDING: {}", findings[0].signature())),
    };
    let mut head = verdict(class, &text);
    if let Some(f) = findings.first() {
        head.push_str(&finding_facts(f));
        if findings.len() > 1 {
            let others: Vec<String> = findings[1..].iter().map(|f| f.to_string()).collect();
            let _ = write!(
                head,
                "<p class=\"note\">Also found: {}</p>",
                escape(&others.join("; "))
            );
        }
    } else {
        let _ = write!(
            head,
            "<p class=\"note\">A clean run has no failure to draw: the page shows the scenario and the line that runs it again.</p>"
        );
    }
    for w in exec.warnings() {
        let _ = write!(head, "<p class=\"note\">warning: {}</p>", escape(&w));
    }
    sections.push(Section::new("verdict", "Verdict of the run", head));
    let first = exec.first_bug();
    let drawn = match (made, first) {
        (Some(m), _) if m.replayed.finding.is_some() => {
            let f = m.replayed.finding.as_ref().expect("checked");
            sections.push(lanes_section(
                "",
                "The minimal failure",
                &format!(
                    "Shrunk to {} in {}, in {} executions: {}.",
                    plural(m.repro.script.ops() as u64, "op"),
                    plural(m.repro.script.threads.len() as u64, "thread"),
                    m.executions(),
                    scenario_line(&m.shrunk.scenario)
                ),
                true,
                &m.replayed.execution,
                f,
            ));
            true
        }
        (_, Some(f)) => {
            sections.push(lanes_section(
                "",
                "The failure",
                "Not shrunk: the run's own execution.",
                false,
                exec,
                f,
            ));
            true
        }
        _ => false,
    };
    let mut lines = vec![("run it again", s.command_line(exec.seed))];
    if let Some(m) = made.filter(|_| drawn) {
        lines.push(("replay the shrunk run", m.repro.run_command()));
        lines.push(("write the minimal repro", s.command("shrink", exec.seed)));
    }
    sections.push(commands_section("", &lines));
    sections.push(scenario_section("", "Scenario", s, exec.seed));
    page(&title, &scenario_line(s), &sections)
}

/// The page `chaos shrink --html` writes: the minimal failure of `made`,
/// written to `file`, shrunk from `from`.
pub fn shrink_page(from: &Scenario, made: &Made, file: &std::path::Path) -> String {
    let repro = &made.repro;
    let title = format!("chaos shrink: {}", repro.signature());
    let mut sections = Vec::new();
    let mut head = verdict(
        "finding",
        &format!(
            "shrunk {} to {} in {}",
            repro.signature(),
            plural(repro.script.ops() as u64, "op"),
            plural(repro.script.threads.len() as u64, "thread")
        ),
    );
    head.push_str(&finding_facts(&repro.finding));
    sections.push(Section::new("verdict", "Finding", head));
    if let Some(f) = &made.replayed.finding {
        sections.push(lanes_section(
            "",
            "The minimal failure",
            &format!(
                "From {} × {} to {}, in {} executions.",
                plural(u64::from(from.threads), "thread"),
                plural(u64::from(from.ops), "op"),
                plural(repro.script.ops() as u64, "op"),
                made.executions()
            ),
            true,
            &made.replayed.execution,
            f,
        ));
    }
    sections.push(commands_section(
        "",
        &[
            (
                "replay the minimal repro",
                format!("{} replay {}", crate::scenario::program(), file.display()),
            ),
            ("replay the shrunk run", repro.run_command()),
        ],
    ));
    let mut scenario = scenario_section("", "Scenario", &repro.scenario, repro.seed);
    let _ = write!(
        scenario.body,
        "<p class=\"note\">Shrunk from: {}</p>{}",
        escape(&scenario_line(from)),
        script_html(&repro.script)
    );
    sections.push(scenario);
    page(&title, &scenario_line(&repro.scenario), &sections)
}

/// The minimal script: each thread's ops.
fn script_html(script: &crate::replay::Script) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for (t, ops) in script.threads.iter().enumerate() {
        let ops: Vec<String> = ops.iter().map(ToString::to_string).collect();
        rows.push((format!("thread {t}"), ops.join("; ")));
    }
    let rows: Vec<(&str, String)> = rows.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    format!("<h3>Minimal script</h3>{}", facts(&rows))
}

/// The page `chaos shrink --html` writes for a run that does not fail.
pub fn clean_page(scenario: &Scenario, seed: Seed) -> String {
    let sections = [
        Section::new(
            "verdict",
            "Verdict",
            verdict(
                "clean",
                &format!(
                    "nothing to shrink: the run does not fail ({})",
                    scenario_line(scenario)
                ),
            ),
        ),
        commands_section("", &[("run it again", scenario.command_line(seed))]),
        scenario_section("", "Scenario", scenario, seed),
    ];
    page(
        &format!("chaos shrink: {} seed {seed}", scenario.backend),
        &scenario_line(scenario),
        &sections,
    )
}

/// One file `chaos replay` read.
pub enum ReplayedFile<'a> {
    /// Replayed.
    Replayed {
        /// The file.
        path: &'a str,
        /// Its repro.
        repro: &'a Repro,
        /// The replay.
        replayed: &'a Replayed,
    },
    /// Not a readable repro: the one-line reason.
    Bad {
        /// The file.
        path: &'a str,
        /// Why.
        error: &'a str,
    },
}

/// The page `chaos replay --html` writes: for each file, its verdict, the
/// replayed failure's lanes, and the lines that replay it.
pub fn replay_page(files: &[ReplayedFile<'_>]) -> String {
    let mut sections = Vec::new();
    let many = files.len() > 1;
    for (i, file) in files.iter().enumerate() {
        // Ids unique in the page: the first file's are plain.
        let prefix = if i == 0 {
            String::new()
        } else {
            format!("file{}-", i + 1)
        };
        match file {
            ReplayedFile::Bad { path, error } => sections.push(Section::new(
                format!("{prefix}verdict"),
                *path,
                verdict("other", &format!("not replayed: {error}")),
            )),
            ReplayedFile::Replayed {
                path,
                repro,
                replayed,
            } => {
                let status = super::replay_status(path, repro, replayed);
                let (class, drawn) = match replayed.verdict() {
                    Verdict::Reproduced(f) => ("finding", Some(f)),
                    Verdict::FailsDifferently(f) => ("other", Some(f)),
                    Verdict::Gone => ("clean", None),
                };
                let mut head = verdict(class, &status);
                head.push_str(&finding_facts(drawn.unwrap_or(&repro.finding)));
                if drawn.is_none() {
                    head.push_str("<p class=\"note\">The finding above is the one recorded: the replay found nothing, so there is no failure to draw.</p>");
                }
                if let Some(d) = &replayed.divergence {
                    let _ = write!(
                        head,
                        "<p class=\"note\">The recorded schedule no longer fits the backend: at decision {} {}</p>",
                        d.step,
                        escape(&d.detail)
                    );
                }
                let heading = if many {
                    (*path).to_string()
                } else {
                    "Verdict".to_string()
                };
                sections.push(Section::new(format!("{prefix}verdict"), heading, head));
                if let Some(f) = drawn {
                    sections.push(lanes_section(
                        &prefix,
                        "The replayed failure",
                        &format!(
                            "{} in {}, replayed{}.",
                            plural(repro.script.ops() as u64, "op"),
                            plural(repro.script.threads.len() as u64, "thread"),
                            match replayed.history_matches {
                                Some(true) => " to the very history recorded",
                                Some(false) => ", to another history than the one recorded",
                                None => "",
                            }
                        ),
                        true,
                        &replayed.execution,
                        f,
                    ));
                }
                let mut replay = commands_section(
                    &prefix,
                    &[
                        (
                            "replay the repro",
                            format!("{} replay {path}", crate::scenario::program()),
                        ),
                        ("replay the shrunk run", repro.run_command()),
                    ],
                );
                if many {
                    replay.title = format!("Replay {path}");
                }
                sections.push(replay);
                let mut scenario =
                    scenario_section(&prefix, "Scenario", &repro.scenario, repro.seed);
                scenario.body.push_str(&script_html(&repro.script));
                sections.push(scenario);
            }
        }
    }
    let title = match files {
        [ReplayedFile::Replayed { path, .. } | ReplayedFile::Bad { path, .. }] => {
            format!("chaos replay: {path}")
        }
        _ => format!("chaos replay: {}", plural(files.len() as u64, "file")),
    };
    let subtitle = match files {
        [ReplayedFile::Replayed { repro, .. }] => scenario_line(&repro.scenario),
        _ => String::new(),
    };
    page(&title, &subtitle, &sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse_with_options(
            text,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("not well-formed: {e}\n{text}"))
    }

    #[test]
    fn escape_makes_hostile_text_inert() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\n"), "a\u{fffd}b\u{fffd}c\n");
        assert_eq!(escape("plain ✗ → ‖"), "plain ✗ → ‖");
    }

    #[test]
    fn the_shell_is_well_formed_and_keeps_hostile_titles_and_facts_as_text() {
        let hostile = r#"</title><script src="http://x/y.js"></script>&amp;"'"#;
        let body = facts(&[("key", hostile.to_string())]);
        let html = page(hostile, hostile, &[Section::new("one", hostile, body)]);
        let doc = parse(&html);
        assert!(!doc.descendants().any(|n| n.tag_name().name() == "script"));
        let title = doc
            .descendants()
            .find(|n| n.tag_name().name() == "title")
            .and_then(|n| n.text())
            .unwrap();
        assert_eq!(title, hostile);
        let dd = doc
            .descendants()
            .find(|n| n.tag_name().name() == "dd")
            .and_then(|n| n.text())
            .unwrap();
        assert_eq!(dd, hostile);
        assert!(doc
            .descendants()
            .all(|n| n.attribute("src").is_none() && n.attribute("href").is_none()));
    }

    #[test]
    fn the_minimal_gomap_race_draws_two_lanes_and_a_window_over_both_ops() {
        use crate::scenario::{Expect, Mode};
        let s = Scenario {
            backend: "gomap".into(),
            threads: 2,
            ops: 1,
            keys: 1,
            mix: "store=1".parse().unwrap(),
            mode: Mode::Sched,
            expect: Expect::Throw,
            ..Scenario::default()
        };
        let make = crate::maps::registry::lookup("gomap")
            .unwrap()
            .constructor();
        let exec = crate::engine::execute(&s, Seed(0), make);
        let f = exec.first_bug().expect("the race throws");
        let lanes = svg::Lanes::of(&exec, f, true);
        assert_eq!(lanes.threads, 2);
        assert_eq!(lanes.boxes.len(), 2, "{lanes:?}");
        assert!(lanes.boxes.iter().any(|b| b.end == svg::End::Failed));
        let w = lanes.window.clone().expect("a window");
        assert!(w.from <= w.to);
        let mut ops = lanes.window_ops();
        ops.sort();
        assert_eq!(ops, ["0:0", "1:0"], "{lanes:?}");
        let html = run_page(&exec, None);
        let doc = parse(&html);
        let lanes_drawn = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("lane"))
            .count();
        assert_eq!(lanes_drawn, 2);
    }

    #[test]
    fn a_hostile_panic_message_stays_text_in_the_facts_and_the_lanes() {
        use crate::history::Event;
        use crate::op::Ret;
        let s = Scenario {
            backend: "gomap".into(),
            threads: 2,
            ops: 1,
            keys: 1,
            mix: "store=1".parse().unwrap(),
            ..Scenario::default()
        };
        let make = crate::maps::registry::lookup("gomap")
            .unwrap()
            .constructor();
        let mut exec = crate::engine::execute(&s, Seed(0), make);
        let hostile = "<script>alert(1)</script> & \"quoted\" 'single' <img src=x>\u{7}";
        // The failing op panics with it, and the finding says it.
        let f = exec.first_bug().unwrap().clone();
        for e in &mut exec.history.events {
            if let Event::Return {
                thread, index, ret, ..
            } = e
            {
                if Some(*thread) == f.thread && Some(*index) == f.op {
                    *ret = Ret::Panic(hostile.into());
                }
            }
        }
        for finding in &mut exec.findings {
            finding.message = hostile.into();
            finding.detail = hostile.into();
        }
        let html = run_page(&exec, None);
        let doc = parse(&html);
        assert!(!doc
            .descendants()
            .any(|n| matches!(n.tag_name().name(), "script" | "img")));
        let shown = hostile.replace('\u{7}', "\u{fffd}");
        let failed = doc
            .descendants()
            .find(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.contains("op-failed"))
            })
            .expect("the failing op");
        assert!(
            failed.attribute("data-result").unwrap().contains(&shown),
            "{:?}",
            failed.attribute("data-result")
        );
        assert!(doc
            .descendants()
            .any(|n| n.tag_name().name() == "dd" && n.text() == Some(shown.as_str())));
    }
}
