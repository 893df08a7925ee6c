//! `chaos bench`'s report: the human table, the JSON (`docs/json.md`), the
//! bar chart ([`chart_svg`]) and the one self-contained HTML page
//! ([`html`]) that holds the table and the chart.
//!
//! Every row shows the median of the repeats as ops/s and ns/op (wall
//! time over all the ops of one measurement), and the spread of the
//! repeats as ns/op twice: fastest–slowest (min–max) and the interquartile
//! range (first to third quartile). A backend whose check or measurement
//! failed has no figures: its row says `FAILED: ...`.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use crate::bench::{BenchReport, CheckResult, Design, ExperimentReport, Row};

/// `12.3 M`, `845 k`, `912`: ops/s to three figures.
fn si(x: f64) -> String {
    let (v, unit) = if x >= 1e9 {
        (x / 1e9, " G")
    } else if x >= 1e6 {
        (x / 1e6, " M")
    } else if x >= 1e3 {
        (x / 1e3, " k")
    } else {
        (x, "")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}{unit}")
}

/// ns/op to three figures.
fn ns(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The one line saying what an experiment ran.
fn describe(e: &ExperimentReport) -> String {
    let s = &e.scenario;
    format!(
        "{}: {} threads × {} ops = {} ops per measurement; keys {} ({}), mix {}, prefill {}",
        e.name,
        s.threads,
        s.ops,
        e.total_ops(),
        s.keys,
        format!("{:?}", s.distribution).to_lowercase(),
        s.mix,
        s.prefill
    )
}

/// The cells of one row, in the table's column order.
fn cells(e: &ExperimentReport, row: &Row) -> Vec<String> {
    let dash = || "-".to_string();
    let mut c = vec![row.backend.clone()];
    match (row.median(), row.min_max(), row.quartiles()) {
        (Some(med), Some((lo, hi)), Some((q1, q3))) => {
            c.push(si(e.ops_per_sec(med)));
            c.push(ns(e.ns_per_op(med)));
            c.push(format!("{}–{}", ns(e.ns_per_op(lo)), ns(e.ns_per_op(hi))));
            c.push(format!("{}–{}", ns(e.ns_per_op(q1)), ns(e.ns_per_op(q3))));
            c.push(format!("{:.2}x", e.ratio(row).unwrap_or(f64::NAN)));
        }
        _ => c.extend((0..5).map(|_| dash())),
    }
    if let Some(fig) = e.incident {
        match (row.incident_ms, Design::of(&row.backend)) {
            (Some(ms), Some(d)) => {
                let fastest = fig.mutex_ms.min(fig.rwmutex_ms).min(fig.syncmap_ms);
                c.push(format!("{ms} ({})", d.go_name()));
                c.push(format!("{:.2}x", ms / fastest));
            }
            _ => c.extend([dash(), dash()]),
        }
    }
    c.push(row.status());
    c
}

/// The header of the table's columns.
fn header(e: &ExperimentReport) -> Vec<&'static str> {
    let mut h = vec![
        "backend",
        "median ops/s",
        "ns/op",
        "min–max ns/op",
        "IQR ns/op",
        "vs fastest",
    ];
    if e.incident.is_some() {
        h.extend(["incident (ms)", "incident vs fastest"]);
    }
    h.push("check");
    h
}

/// The human report: per experiment, what ran and an aligned table.
pub fn human(r: &BenchReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "chaos bench{}: seed {}, {} repeats per backend (round-robin), median shown; spread: min–max and interquartile range of the repeats; check: {}",
        r.preset.as_deref().map(|p| format!(" --preset {p}")).unwrap_or_default(),
        r.seed,
        r.repeat,
        match r.check_seeds {
            0 => "none (--check-seeds 0)".to_string(),
            n => format!("{n} seeds per backend before measuring"),
        }
    );
    for e in &r.experiments {
        let _ = writeln!(out, "\n{}", describe(e));
        let head = header(e);
        let rows: Vec<Vec<String>> = e.rows.iter().map(|row| cells(e, row)).collect();
        let widths: Vec<usize> = (0..head.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([head[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cols: Vec<String>| {
            let last = cols.len() - 1;
            let mut l = String::new();
            for (i, c) in cols.into_iter().enumerate() {
                let pad = widths[i] - c.chars().count();
                match i {
                    0 => l.push_str(&format!("{c}{}", " ".repeat(pad))),
                    i if i == last => l.push_str(&c),
                    _ => l.push_str(&format!("{}{c}", " ".repeat(pad))),
                }
                if i != last {
                    l.push_str("  ");
                }
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(
            out,
            "{}",
            line(head.iter().map(|s| s.to_string()).collect())
        );
        for row in rows {
            let _ = writeln!(out, "{}", line(row));
        }
    }
    for note in &r.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    out
}

/// A row's check as JSON.
fn check_json(c: &CheckResult) -> Json {
    match c {
        CheckResult::Passed { seeds, mode } => {
            json!({"status": "passed", "seeds": seeds, "mode": crate::scenario::enum_name(mode)})
        }
        CheckResult::Failed {
            kind,
            message,
            seed,
            mode,
        } => {
            json!({
                "status": "failed",
                "kind": kind,
                "message": message,
                "seed": crate::seed::Seed(*seed).to_string(),
                "mode": crate::scenario::enum_name(mode),
            })
        }
        CheckResult::Undecided { seeds } => json!({"status": "undecided", "seeds": seeds}),
        CheckResult::Skipped => json!({"status": "skipped"}),
    }
}

/// The JSON of a bench (`docs/json.md`, "chaos bench").
pub fn json(r: &BenchReport) -> Json {
    let experiments: Vec<Json> = r
        .experiments
        .iter()
        .map(|e| {
            let s = &e.scenario;
            let rows: Vec<Json> = e
                .rows
                .iter()
                .map(|row| {
                    let nanos = |d: std::time::Duration| d.as_nanos() as u64;
                    let med = row.median();
                    json!({
                        "backend": row.backend,
                        "failed": row.failed(),
                        "status": row.status(),
                        "check": check_json(&row.check),
                        "measure_error": row.measure_error,
                        "samples_ns": row.samples.iter().map(|d| nanos(*d)).collect::<Vec<_>>(),
                        "median_ns": med.map(nanos),
                        "ops_per_sec": med.map(|m| e.ops_per_sec(m)),
                        "ns_per_op": med.map(|m| e.ns_per_op(m)),
                        "min_ns": row.min_max().map(|(lo, _)| nanos(lo)),
                        "max_ns": row.min_max().map(|(_, hi)| nanos(hi)),
                        "q1_ns": row.quartiles().map(|(q1, _)| nanos(q1)),
                        "q3_ns": row.quartiles().map(|(_, q3)| nanos(q3)),
                        "ratio_to_fastest": e.ratio(row),
                        "incident_ms": row.incident_ms,
                    })
                })
                .collect();
            json!({
                "name": e.name,
                "threads": s.threads,
                "ops_per_thread": s.ops,
                "total_ops": e.total_ops(),
                "keys": s.keys,
                "distribution": format!("{:?}", s.distribution).to_lowercase(),
                "mix": s.mix.to_string(),
                "prefill": s.prefill,
                "incident": e.incident.map(|f| json!({
                    "mutex_ms": f.mutex_ms,
                    "rwmutex_ms": f.rwmutex_ms,
                    "syncmap_ms": f.syncmap_ms,
                })),
                "rows": rows,
            })
        })
        .collect();
    json!({
        "preset": r.preset,
        "seed": r.seed.to_string(),
        "repeat": r.repeat,
        "check_seeds": r.check_seeds,
        "spread": "min_ns..max_ns and q1_ns..q3_ns (interquartile range) of the repeats' wall times",
        "experiments": experiments,
        "notes": r.notes,
    })
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for HTML and SVG.
fn esc(text: &str) -> String {
    super::html::escape(text)
}

/// Bar geometry of the chart, in SVG user units.
const LABEL_W: f64 = 150.0;
const BAR_W: f64 = 420.0;
const BAR_H: f64 = 18.0;
const GAP: f64 = 6.0;
const TITLE_H: f64 = 28.0;

/// The bar chart of a bench, as inline SVG for an HTML page (no external
/// asset, no script, no namespace URL: the HTML parser gives it its
/// namespace). Per experiment, one horizontal bar per backend: its median
/// ops/s (longer is faster), a whisker over the min–max of the repeats,
/// and the figure at its end; a failed backend's bar is empty and says
/// `FAILED`. Every bar is a `rect` of class `bar` (and `failed`).
pub fn chart_svg(r: &BenchReport) -> String {
    let rows: usize = r.experiments.iter().map(|e| e.rows.len()).sum();
    let height = r.experiments.len() as f64 * (TITLE_H + GAP) + rows as f64 * (BAR_H + GAP) + GAP;
    let width = LABEL_W + BAR_W + 110.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chaos-bench-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" font-family="sans-serif" font-size="12"><title>median throughput per backend (ops/s; whiskers: min–max of the repeats)</title>"#
    );
    let mut y = GAP;
    for e in &r.experiments {
        let _ = write!(
            s,
            r#"<text x="0" y="{}" font-weight="bold">{} — ops/s, longer is faster</text>"#,
            y + 18.0,
            esc(&e.name)
        );
        y += TITLE_H + GAP;
        // The scale: the fastest repeat of any backend.
        let top = e
            .rows
            .iter()
            .filter_map(|row| row.min_max().map(|(lo, _)| e.ops_per_sec(lo)))
            .fold(0.0_f64, f64::max)
            .max(1e-9);
        for row in &e.rows {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                LABEL_W - 8.0,
                y + 13.0,
                esc(&row.backend)
            );
            match (row.median(), row.min_max()) {
                (Some(med), Some((lo, hi))) => {
                    let w = BAR_W * e.ops_per_sec(med) / top;
                    let (x_slow, x_fast) = (
                        LABEL_W + BAR_W * e.ops_per_sec(hi) / top,
                        LABEL_W + BAR_W * e.ops_per_sec(lo) / top,
                    );
                    let mid = y + BAR_H / 2.0;
                    let _ = write!(
                        s,
                        r##"<rect class="bar" data-backend="{}" x="{LABEL_W}" y="{y}" width="{w:.1}" height="{BAR_H}" fill="#4a7ab5"/><line x1="{x_slow:.1}" y1="{mid}" x2="{x_fast:.1}" y2="{mid}" stroke="#222" stroke-width="1.5"/><text x="{:.1}" y="{}">{} ops/s</text>"##,
                        esc(&row.backend),
                        (LABEL_W + w).max(x_fast) + 6.0,
                        y + 13.0,
                        si(e.ops_per_sec(med))
                    );
                }
                _ => {
                    let _ = write!(
                        s,
                        r##"<rect class="bar failed" data-backend="{}" x="{LABEL_W}" y="{y}" width="0" height="{BAR_H}" fill="#b54a4a"/><text x="{}" y="{}" fill="#b54a4a">{}</text>"##,
                        esc(&row.backend),
                        LABEL_W + 6.0,
                        y + 13.0,
                        esc(&row.status())
                    );
                }
            }
            y += BAR_H + GAP;
        }
    }
    s.push_str("</svg>");
    s
}

/// One self-contained HTML page: what ran, the table of each experiment,
/// the chart, the notes. No external asset, script or font.
pub fn html(r: &BenchReport) -> String {
    use super::html::{page, Section};
    let subtitle = format!(
        "seed {}, {} repeats per backend, round-robin; the median is shown, with the min–max and the interquartile range of the repeats; check: {}",
        r.seed,
        r.repeat,
        match r.check_seeds {
            0 => "none".to_string(),
            n => format!("{n} seeds per backend before measuring"),
        }
    );
    let mut sections = Vec::new();
    for (i, e) in r.experiments.iter().enumerate() {
        let mut body = format!("<p>{}</p>\n<table class=\"bench\">", esc(&describe(e)));
        body.push_str("<tr>");
        for h in header(e) {
            let _ = write!(body, "<th>{}</th>", esc(h));
        }
        body.push_str("</tr>\n");
        for row in &e.rows {
            body.push_str(if row.failed() || row.median().is_none() {
                "<tr class=\"failed\">"
            } else {
                "<tr>"
            });
            for c in cells(e, row) {
                let _ = write!(body, "<td>{}</td>", esc(&c));
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</table>");
        sections.push(Section::new(
            format!("experiment-{i}"),
            e.name.clone(),
            body,
        ));
    }
    let mut chart = chart_svg(r);
    for note in &r.notes {
        let _ = write!(chart, "\n<p>Note: {}</p>", esc(note));
    }
    sections.push(Section::new("chart", "Throughput, side by side", chart));
    let title = match &r.preset {
        Some(p) => format!("chaos bench --preset {p}"),
        None => "chaos bench".to_string(),
    };
    page(&title, &subtitle, &sections)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bench::{CheckResult, ExperimentReport, Row};
    use crate::scenario::{Mode, Scenario};
    use crate::seed::Seed;

    fn report() -> BenchReport {
        let ms = Duration::from_millis;
        let row = |name: &str, samples: Vec<Duration>, check| Row {
            backend: name.into(),
            check,
            samples,
            measure_error: None,
            incident_ms: None,
        };
        let passed = CheckResult::Passed {
            seeds: 3,
            mode: Mode::Sched,
        };
        BenchReport {
            preset: None,
            experiments: vec![ExperimentReport {
                name: "scenario".into(),
                scenario: Scenario::default(),
                incident: None,
                rows: vec![
                    row("fast", vec![ms(1), ms(2), ms(3)], passed.clone()),
                    row("slow<&>", vec![ms(4), ms(4)], passed),
                    row(
                        "broken",
                        Vec::new(),
                        CheckResult::Failed {
                            kind: "throw".into(),
                            message: "concurrent map writes".into(),
                            seed: 0,
                            mode: Mode::Sched,
                        },
                    ),
                ],
            }],
            repeat: 3,
            check_seeds: 3,
            seed: Seed(0),
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn the_table_is_aligned_and_a_failed_row_has_no_figures() {
        let text = human(&report());
        let table: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("backend"))
            .take(4)
            .collect();
        // The check column starts at one character position on every line.
        let chars = |l: &str| l.chars().collect::<Vec<char>>();
        let head = chars(table[0]);
        let at = (0..head.len())
            .find(|&i| head[i..].starts_with(&['c', 'h', 'e', 'c', 'k']))
            .unwrap();
        for l in &table[1..] {
            let c = chars(l);
            assert!(c[at - 1] == ' ' && c[at] != ' ', "{text}");
        }
        assert!(
            table[1].contains("1.00x") && table[2].contains("2.00x"),
            "{text}"
        );
        assert!(table[3].contains("FAILED: throw (sched seed 0)"), "{text}");
        assert!(text.contains("note: a note"));
    }

    #[test]
    fn the_chart_has_one_bar_per_row_escaped_and_nothing_external() {
        let svg = chart_svg(&report());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect class=\"bar").count(), 3);
        assert_eq!(svg.matches("<rect class=\"bar failed\"").count(), 1);
        assert!(svg.contains("slow&lt;&amp;&gt;") && !svg.contains("slow<&>"));
        assert!(!svg.contains("http"));
        let page = html(&report());
        assert!(page.contains(&svg) && !page.contains("https:") && !page.contains("src="));
    }
}
