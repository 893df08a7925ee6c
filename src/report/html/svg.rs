//! The lanes of a failure as inline SVG: one horizontal lane per thread,
//! each op a box from its start to its end, the points where a thread was
//! paused, passed a `hashWriting` check or got a forced fault marked inside
//! its box, and the race window behind the lanes.
//!
//! The horizontal axis is the order of the [`Timeline`]'s rows (the
//! history's event order with the yield points that explain it, which is
//! step order: one column per row), not the clock itself: a minimal failure
//! of six steps and one of six thousand both fill the width, and a column
//! is labelled with its step (or nanosecond in stress mode).
//!
//! The ops drawn are the timeline's: all of a minimal script's, or, in a
//! long execution, those that overlap the failing op.
//!
//! The race window runs from the first racing access to the failure
//! ([`Window`] states the rule).

use std::fmt::Write as _;

use super::escape;
use crate::check::{Finding, FindingKind};
use crate::engine::Execution;
use crate::history::Event;
use crate::op::Ret;
use crate::timeline::{Row, RowKind, Timeline};

/// How an op ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// It returned.
    Returned,
    /// It threw or panicked.
    Failed,
    /// It never returned: the execution stopped around it.
    Pending,
}

impl End {
    fn class(self) -> &'static str {
        match self {
            End::Returned => "op-returned",
            End::Failed => "op-failed",
            End::Pending => "op-pending",
        }
    }
}

/// One op's box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpBox {
    /// The thread (lane).
    pub thread: u32,
    /// The op's index in the thread's stream.
    pub index: u32,
    /// The op and its arguments: `store(3, 0x10000000001)`.
    pub label: String,
    /// Its result: `→ ()`, `✗ fatal error: ...`, `… never returned`.
    pub result: String,
    /// How it ended.
    pub end: End,
    /// First and last column (inclusive).
    pub from: usize,
    /// Last column.
    pub to: usize,
}

/// What a mark inside a box is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MarkKind {
    /// The thread was switched out (or blocked) here.
    Paused,
    /// The thread read or wrote `hashWriting` here and ran on.
    Passed,
    /// A forced fault fired here.
    Fault,
}

/// A point inside an op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The thread.
    pub thread: u32,
    /// The column.
    pub col: usize,
    /// What it is.
    pub kind: MarkKind,
    /// What happened there, in words.
    pub text: String,
}

/// The race window: from the first racing access to the throw or the
/// violation, in columns (inclusive).
///
/// The rule, from what an execution records:
///
/// - the *end* is the failing op's throw or panic; for a finding with no
///   failing op, the last column at or before the finding's step (a race
///   the runtime did not catch: where the second access began), else the
///   last column;
/// - the *start* is the start of the earliest op in flight at the step of
///   the execution's race finding (the access already under way when
///   another began: sched mode observes every access to a Go map), on
///   another thread than the one whose access began then; without a race
///   finding, the start of the earliest op that overlaps the failing op (or
///   the op the finding names), since one of them raced it;
/// - with neither a failing op nor an op named by the finding (a finding at
///   quiescence, such as a lost write), there is no window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// First column.
    pub from: usize,
    /// Last column.
    pub to: usize,
    /// How it was found, in one sentence.
    pub rule: &'static str,
}

/// The lanes of one failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lanes {
    /// Threads (lanes).
    pub threads: u32,
    /// The step (or nanosecond) of each column.
    pub steps: Vec<u64>,
    /// The ops.
    pub boxes: Vec<OpBox>,
    /// The points inside ops.
    pub marks: Vec<Mark>,
    /// The race window, if the data locate one.
    pub window: Option<Window>,
    /// Steps (sched) or nanoseconds (stress).
    pub logical: bool,
    /// Ops of the execution not drawn.
    pub omitted_ops: usize,
}

impl Lanes {
    /// The lanes of `finding` in `exec`, from its [`Timeline`]: the ops it
    /// keeps (those that overlap the failing op), or with `all_ops` every
    /// op of the history (a minimal script's: each one is needed to fail).
    pub(crate) fn of(exec: &Execution, finding: &Finding, all_ops: bool) -> Lanes {
        let timeline = Timeline::build(exec, finding);
        let mut rows = timeline.rows.clone();
        let mut omitted_ops = timeline.omitted_ops;
        if all_ops && omitted_ops > 0 {
            rows.extend(left_out(exec, &rows));
            omitted_ops = 0;
            // As the timeline orders its rows.
            crate::timeline::sort_rows(&mut rows);
        }
        let mut boxes: Vec<OpBox> = Vec::new();
        let mut marks = Vec::new();
        let mut steps = Vec::with_capacity(rows.len());
        let open = |boxes: &mut Vec<OpBox>, thread: u32, index: u32| {
            boxes
                .iter()
                .rposition(|b| b.thread == thread && b.index == index)
        };
        for (col, r) in rows.iter().enumerate() {
            steps.push(r.step);
            let mut close = |end: End, result: &str| {
                if let Some(i) = open(&mut boxes, r.thread, r.index) {
                    boxes[i].to = col;
                    boxes[i].end = end;
                    boxes[i].result = result.to_string();
                }
            };
            match r.kind {
                RowKind::Start => boxes.push(OpBox {
                    thread: r.thread,
                    index: r.index,
                    label: r.op.to_string(),
                    result: String::new(),
                    end: End::Pending,
                    from: col,
                    to: col,
                }),
                RowKind::Returned => close(End::Returned, &r.text),
                RowKind::Failed => close(End::Failed, &r.text),
                RowKind::Unfinished => close(End::Pending, "… never returned"),
                RowKind::Paused | RowKind::Passed | RowKind::Fault => marks.push(Mark {
                    thread: r.thread,
                    col,
                    kind: match r.kind {
                        RowKind::Paused => MarkKind::Paused,
                        RowKind::Passed => MarkKind::Passed,
                        _ => MarkKind::Fault,
                    },
                    text: r.clause.clone().unwrap_or_else(|| r.text.clone()),
                }),
            }
        }
        let window = window(exec, finding, &boxes, &steps);
        Lanes {
            threads: timeline.threads.max(1),
            steps,
            boxes,
            marks,
            window,
            logical: timeline.logical,
            omitted_ops,
        }
    }

    /// The boxes inside the race window, as `thread:op` words.
    pub(crate) fn window_ops(&self) -> Vec<String> {
        let Some(w) = &self.window else {
            return Vec::new();
        };
        self.boxes
            .iter()
            .filter(|b| b.from <= w.to && w.from <= b.to)
            .map(|b| format!("{}:{}", b.thread, b.index))
            .collect()
    }
}

/// The start and end rows of the ops of `exec` that `rows` leave out.
fn left_out(exec: &Execution, rows: &[Row]) -> Vec<Row> {
    let kept: std::collections::BTreeSet<(u32, u32)> =
        rows.iter().map(|r| (r.thread, r.index)).collect();
    let last = exec
        .history
        .events
        .iter()
        .map(|e| match e {
            Event::Invoke { time, .. } | Event::Return { time, .. } => *time,
        })
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for o in exec.history.operations() {
        if kept.contains(&(o.thread, o.index)) {
            continue;
        }
        let row = |step: u64, kind: RowKind, text: String| Row {
            step,
            thread: o.thread,
            index: o.index,
            kind,
            op: o.op,
            text,
            clause: None,
        };
        out.push(row(o.invoke, RowKind::Start, o.op.to_string()));
        out.push(match &o.ret {
            Some((t, ret @ (Ret::Throw(_) | Ret::Panic(_)))) => {
                row(*t, RowKind::Failed, format!("✗ {ret}"))
            }
            Some((t, ret)) => row(*t, RowKind::Returned, format!("→ {ret}")),
            None => row(last, RowKind::Unfinished, String::new()),
        });
    }
    out
}

/// [`Window`]'s rule.
fn window(exec: &Execution, finding: &Finding, boxes: &[OpBox], steps: &[u64]) -> Option<Window> {
    let last = steps.len().checked_sub(1)?;
    let failing = boxes.iter().find(|b| {
        Some(b.thread) == finding.thread && Some(b.index) == finding.op && b.end == End::Failed
    });
    let named = failing.or_else(|| {
        boxes
            .iter()
            .find(|b| Some(b.thread) == finding.thread && Some(b.index) == finding.op)
    });
    let to = match (failing, finding.step) {
        (Some(b), _) => b.to,
        (None, Some(s)) => steps.iter().rposition(|&t| t <= s).unwrap_or(last),
        (None, None) => last,
    };
    let step_of = |col: usize| steps[col];
    // The race finding: the step where a second access began while another
    // was in flight.
    let race = exec
        .findings
        .iter()
        .chain(std::iter::once(finding))
        .find(|f| f.kind == FindingKind::Race && f.step.is_some());
    if let Some(race) = race {
        let s = race.step.unwrap_or_default();
        let in_flight = |b: &&OpBox| {
            step_of(b.from) <= s && (b.end == End::Pending || step_of(b.to) >= s) && b.from <= to
        };
        let first = boxes
            .iter()
            .filter(in_flight)
            .filter(|b| Some(b.thread) != race.thread)
            .min_by_key(|b| b.from)
            .or_else(|| boxes.iter().filter(in_flight).min_by_key(|b| b.from));
        if let Some(b) = first {
            return Some(Window {
                from: b.from,
                to: to.max(b.from),
                rule: "The race window runs from the start of the op whose access was in flight when another thread's access began (the step of the race finding) to the failure.",
            });
        }
    }
    let named = named?;
    let from = boxes
        .iter()
        .filter(|b| b.from <= named.to && named.from <= b.to)
        .map(|b| b.from)
        .min()
        .unwrap_or(named.from);
    let to = if failing.is_some() {
        to
    } else {
        to.max(named.to)
    };
    Some(Window {
        from,
        to,
        rule: if failing.is_some() {
            "The race window runs from the start of the earliest op that overlaps the failing one to its failure."
        } else {
            "The window runs over the op the finding names, from the start of the earliest op that overlaps it: the finding was made after the ops, at quiescence."
        },
    })
}

/// Layout, in pixels.
const LEFT: usize = 96;
const TOP: usize = 44;
const LANE_H: usize = 80;
const BOX_H: usize = 58;
const RIGHT: usize = 24;
const BOTTOM: usize = 16;
/// The longest label a column is widened for; a longer one is clipped to
/// its box (the whole text is in the box's title).
const MAX_LABEL: usize = 44;
/// The narrowest the columns are together, in pixels.
const MIN_WIDTH: usize = 880;
/// The narrowest column.
const MIN_COLUMN: usize = 28;
/// Width of a character of the 12px monospace labels.
const CHAR_W: usize = 8;

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Each column's width: enough for its step's label, and, with the columns
/// it spans, for each box's label (the narrowest boxes first, each widening
/// its own columns evenly), so a box is as wide as its text and no wider
/// than the events in it need.
fn column_widths(lanes: &Lanes) -> Vec<usize> {
    let mut widths: Vec<usize> = (0..lanes.steps.len().max(1))
        .map(|col| {
            let digits = lanes.steps.get(col).map_or(1, |s| s.to_string().len());
            (digits * 7 + 10).max(MIN_COLUMN)
        })
        .collect();
    let mut boxes: Vec<&OpBox> = lanes.boxes.iter().collect();
    boxes.sort_by_key(|b| b.to - b.from);
    for b in boxes {
        let chars = clip(&b.label, MAX_LABEL)
            .chars()
            .count()
            .max(clip(&b.result, MAX_LABEL).chars().count());
        let need = chars * CHAR_W + 22;
        let span = &mut widths[b.from..=b.to];
        let have: usize = span.iter().sum();
        if have < need {
            let n = span.len();
            let more = (need - have).div_ceil(n);
            for w in span.iter_mut() {
                *w += more;
            }
        }
    }
    // A short failure still fills a readable width: its columns widen
    // in proportion.
    let total: usize = widths.iter().sum();
    if total < MIN_WIDTH {
        for w in &mut widths {
            *w = *w * MIN_WIDTH / total;
        }
    }
    widths
}

/// The lanes as one `<svg>` element (no external reference: inline only);
/// `prefix` keeps its ids unique in a page of several.
pub(crate) fn render(lanes: &Lanes, prefix: &str) -> String {
    let cols = lanes.steps.len().max(1);
    let widths = column_widths(lanes);
    let mut left = Vec::with_capacity(cols + 1);
    left.push(LEFT);
    for w in &widths {
        left.push(left[left.len() - 1] + w);
    }
    let x = |col: usize| left[col.min(cols)];
    let mid = |col: usize| x(col) + widths.get(col).copied().unwrap_or(0) / 2;
    let lane_y = |t: u32| TOP + t as usize * LANE_H;
    let width = x(cols) + RIGHT;
    let height = lane_y(lanes.threads) + BOTTOM;
    let clock = if lanes.logical { "step" } else { "ns" };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="lanes" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{prefix}lanes-title">"#
    );
    let _ = write!(
        s,
        r#"<title id="{prefix}lanes-title">{} op(s) in {} lane(s), one per thread</title>"#,
        lanes.boxes.len(),
        lanes.threads
    );
    // The clock: each column's step.
    let _ = write!(
        s,
        r#"<g class="axis"><text class="axis-name" x="{}" y="18">{clock}</text>"#,
        LEFT - 10
    );
    for (col, step) in lanes.steps.iter().enumerate() {
        // A step is labelled once, at its first column.
        if col == 0 || lanes.steps[col - 1] != *step {
            let _ = write!(
                s,
                r#"<text class="tick" x="{}" y="18">{step}</text>"#,
                mid(col)
            );
        }
        let _ = write!(
            s,
            r#"<line class="grid" x1="{}" y1="26" x2="{}" y2="{}"/>"#,
            x(col),
            x(col),
            height - BOTTOM
        );
    }
    s.push_str("</g>");
    // Lane backgrounds and names.
    for t in 0..lanes.threads {
        let y = lane_y(t);
        let _ = write!(
            s,
            r#"<g class="lane-bg"><rect class="lane-{}" x="0" y="{y}" width="{width}" height="{LANE_H}"/><text class="lane-name" x="12" y="{}">thread {t}</text></g>"#,
            t % 2,
            y + LANE_H / 2 + 4
        );
    }
    // The window, behind the ops.
    if let Some(w) = &lanes.window {
        let (x0, x1) = (x(w.from), x(w.to + 1));
        let _ = write!(
            s,
            r#"<g id="{prefix}race-window" class="race-window" data-from-step="{}" data-to-step="{}" data-ops="{}"><title>{}</title><rect x="{x0}" y="28" width="{}" height="{}"/><text x="{}" y="40">race window</text></g>"#,
            lanes.steps[w.from],
            lanes.steps[w.to],
            lanes.window_ops().join(" "),
            escape(w.rule),
            x1 - x0,
            height - BOTTOM - 28,
            x0 + 6,
        );
    }
    // The ops, lane by lane.
    for t in 0..lanes.threads {
        let y = lane_y(t) + (LANE_H - BOX_H) / 2;
        let _ = write!(s, r#"<g class="lane" data-thread="{t}">"#);
        for b in lanes.boxes.iter().filter(|b| b.thread == t) {
            let (x0, x1) = (x(b.from) + 3, x(b.to + 1) - 3);
            // As many characters as the box holds.
            let fits = ((x1 - x0).saturating_sub(16) / CHAR_W).max(4);
            let _ = write!(
                s,
                r#"<g class="op {}" data-thread="{t}" data-op="{}" data-label="{}" data-result="{}"><title>thread {t} op {}: {} {}</title><rect x="{x0}" y="{y}" width="{}" height="{BOX_H}" rx="6"/><text class="op-label" x="{}" y="{}">{}</text><text class="op-result" x="{}" y="{}">{}</text></g>"#,
                b.end.class(),
                b.index,
                escape(&b.label),
                escape(&b.result),
                b.index,
                escape(&b.label),
                escape(&b.result),
                x1 - x0,
                x0 + 8,
                y + 19,
                escape(&clip(&b.label, fits)),
                x0 + 8,
                y + 36,
                escape(&clip(&b.result, fits)),
            );
        }
        for m in lanes.marks.iter().filter(|m| m.thread == t) {
            let cx = mid(m.col);
            let cy = lane_y(t) + LANE_H - (LANE_H - BOX_H) / 2 - 1;
            let (class, shape) = match m.kind {
                MarkKind::Paused => (
                    "mark-paused",
                    format!(
                        r#"<rect x="{}" y="{}" width="3" height="9"/><rect x="{}" y="{}" width="3" height="9"/>"#,
                        cx - 4,
                        cy - 9,
                        cx + 1,
                        cy - 9
                    ),
                ),
                MarkKind::Passed => (
                    "mark-passed",
                    format!(r#"<circle cx="{cx}" cy="{}" r="4"/>"#, cy - 5),
                ),
                MarkKind::Fault => (
                    "mark-fault",
                    format!(
                        r#"<path d="M{} {} L{} {} L{} {} Z"/>"#,
                        cx,
                        cy - 11,
                        cx + 6,
                        cy,
                        cx - 6,
                        cy
                    ),
                ),
            };
            let _ = write!(
                s,
                r#"<g class="mark {class}"><title>{}</title>{shape}</g>"#,
                escape(&m.text)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_are_clipped_with_an_ellipsis() {
        assert_eq!(clip("store(1, 2)", 30), "store(1, 2)");
        let long = "x".repeat(40);
        let c = clip(&long, 30);
        assert_eq!(c.chars().count(), 30);
        assert!(c.ends_with('…'));
    }
}
