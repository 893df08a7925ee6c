//! Step 2 of the search for the clears' instants: a first guess. Each key's own
//! linearization of a segment, with its clears as intervals, gives each
//! clear a window of instants that key is content with: after every op
//! ordered before it was invoked, before every op ordered after it
//! returned. Where the keys' windows for a clear do not meet, the clear's
//! earliest instant is raised to the latest any key needs, and the keys
//! that hold it are searched again.
//!
//! A guess only orders the choices: whatever it proposes is checked
//! exactly (the witness check, then [`super::choose`]).

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use super::{Involved, KeyHist, State, Walk, NOT_A_CLEAR};
use crate::check::linearizability::model::{Call, Res};
use crate::check::linearizability::project::KeyOp;

/// How many times the earliest instants are raised before the guess gives up.
const ROUNDS: usize = 32;

/// One searched segment holding clears: where it starts from, its ops by
/// rank with the clears at their bounds, and the linearization found
/// (positions in `sorted`).
struct Seen {
    starts: Vec<State>,
    sorted: Vec<u32>,
    order: Vec<usize>,
}

/// For each clear, the slots every key's own linearization allows it
/// (`None` where the keys' linearizations found do not agree).
pub(super) fn guess(
    hists: &mut [KeyHist],
    involved: &[Vec<Involved>],
    spans: &[(u64, u64)],
    walk: &mut Walk<'_>,
) -> Result<Vec<Option<(u64, u64)>>, String> {
    let mut bounds = spans.to_vec();
    let segs: BTreeSet<(usize, usize)> = involved
        .iter()
        .flatten()
        .map(|i| (i.hist, i.segment))
        .collect();
    let mut upto: HashMap<usize, usize> = HashMap::default();
    for &(h, s) in &segs {
        let u = upto.entry(h).or_insert(s);
        *u = (*u).max(s);
    }
    // One pass over each key: every state a stretch without clears may
    // end in, the one end of the linearization found of one with clears
    // (a key it leaves without a linearization is left out from there).
    let mut seen: Vec<((usize, usize), Seen)> = Vec::new();
    for (&h, &last) in &upto {
        let hist = &mut hists[h];
        let mut states = vec![hist.initial];
        let mut j = 0;
        while j <= last {
            let ids = hist.segment(j).to_vec();
            let clears = ids.iter().filter(|&&i| hist.is_clear(i)).count();
            if clears > 0 && clears == ids.len() {
                states = vec![None];
                j += 1;
                continue;
            }
            if !segs.contains(&(h, j)) {
                states = walk.ends(hist, &ids, &states)?;
                j += 1;
            } else {
                // With the segments after it up to the next one holding a
                // clear: a read there may need the clear after a write here.
                let next = (j + 1..hist.segments())
                    .find(|&k| hist.segment(k).iter().any(|&i| hist.is_clear(i)))
                    .unwrap_or(hist.segments());
                let ids: Vec<u32> = (j..next).flat_map(|k| hist.segment(k).to_vec()).collect();
                if let Some((mut found, _)) = search(hist, &ids, &states, &bounds, walk)? {
                    // On with every state it may end in, the clears as
                    // intervals (more than at instants: a guess)...
                    let mut ends = with_bounds(hist, &found.sorted, &bounds, |hist, sorted| {
                        walk.ends(hist, sorted, &states)
                    })?;
                    // ...that the next segment holding a clear can start
                    // from, with a linearization that ends in one of them.
                    if ends.len() > 1 && next < hist.segments() {
                        let good = starting(hist, next, &ends, &bounds, walk)?;
                        if !good.is_empty() && good.len() < ends.len() {
                            if let Some(f) = ending(hist, &ids, &states, &good, &bounds, walk)? {
                                found = f;
                            }
                            ends = good;
                        }
                    }
                    states = ends;
                    seen.push(((h, j), found));
                } else {
                    states.clear();
                }
                j = next;
            }
            if states.is_empty() {
                break;
            }
        }
    }
    let mut win = bounds.clone();
    for _ in 0..ROUNDS {
        win = bounds.clone();
        let mut needs: Vec<u64> = bounds.iter().map(|b| b.0).collect();
        for ((h, _), found) in &seen {
            let hist = &hists[*h];
            // An op's interval, a clear's as its bounds.
            let at = |q: usize| {
                let i = found.sorted[found.order[q]];
                let o = &hist.kops[i as usize];
                match hist.clear_of(i) {
                    Some(c) => (Some(c), bounds[c]),
                    None => (None, (o.invoke, o.ret)),
                }
            };
            let n = found.order.len();
            // The latest call up to each position, the earliest return from it.
            let mut before = vec![u64::MAX; n + 1];
            for q in (0..n).rev() {
                before[q] = before[q + 1].min(at(q).1 .1);
            }
            let mut after = 0;
            for q in 0..n {
                let here = at(q);
                let Some(c) = here.0 else {
                    after = after.max(here.1 .0);
                    continue;
                };
                let before = before[q + 1];
                win[c] = (win[c].0.max(after), win[c].1.min(before));
                needs[c] = needs[c].max(after);
                after = after.max(here.1 .0);
            }
        }
        // A key that orders one clear before another holds their windows
        // to that order (the instants are taken earliest first).
        for _ in 0..2 {
            for ((h, _), found) in &seen {
                let hist = &hists[*h];
                let mut prev: Option<usize> = None;
                for &q in &found.order {
                    let Some(c) = hist.clear_of(found.sorted[q]) else {
                        continue;
                    };
                    if let Some(b) = prev {
                        win[c].0 = win[c].0.max(win[b].0 + 1);
                        needs[c] = needs[c].max(win[c].0);
                    }
                    prev = Some(c);
                }
            }
        }
        if win.iter().all(|w| w.0 <= w.1) {
            break;
        }
        let mut raised = Vec::new();
        for (c, w) in win.iter().enumerate() {
            if w.0 > w.1 && needs[c] > bounds[c].0 && needs[c] <= bounds[c].1 {
                bounds[c].0 = needs[c];
                raised.push(c);
            }
        }
        if raised.is_empty() {
            break;
        }
        for ((h, _), found) in seen.iter_mut() {
            let hist = &mut hists[*h];
            let touched = found
                .sorted
                .iter()
                .any(|&i| hist.clear_of(i).is_some_and(|c| raised.contains(&c)));
            if !touched {
                continue;
            }
            // A key the raised bounds leave without one keeps the one it
            // had: the windows of those clears will not meet.
            if let Some((again, _)) = search(hist, &found.sorted, &found.starts, &bounds, walk)? {
                *found = again;
            }
        }
    }
    Ok(win.into_iter().map(|w| (w.0 <= w.1).then_some(w)).collect())
}

/// Which of `states` segment `s` of `hist` has a linearization from, its
/// clears at their `bounds`.
fn starting(
    hist: &mut KeyHist,
    s: usize,
    states: &[State],
    bounds: &[(u64, u64)],
    walk: &mut Walk<'_>,
) -> Result<Vec<State>, String> {
    let ids = hist.segment(s).to_vec();
    let mut good = Vec::new();
    for &from in states {
        let ends = with_bounds(hist, &ids, bounds, |hist, sorted| {
            walk.some_ends(hist, sorted, &[from], true)
        })?;
        if !ends.is_empty() {
            good.push(from);
        }
    }
    Ok(good)
}

/// [`search`], for a linearization of `ids` that ends in one of `ends`:
/// `ids` with a read of each after them in turn.
fn ending(
    hist: &mut KeyHist,
    ids: &[u32],
    starts: &[State],
    ends: &[State],
    bounds: &[(u64, u64)],
    walk: &mut Walk<'_>,
) -> Result<Option<Seen>, String> {
    let last = ids
        .iter()
        .map(|&i| {
            let o = &hist.kops[i as usize];
            if o.ret == u64::MAX {
                o.invoke
            } else {
                o.ret
            }
        })
        .max()
        .unwrap_or(0);
    for &end in ends {
        let at = hist.kops.len() as u32;
        hist.kops.push(KeyOp {
            call: Call::Read,
            res: Res::Value(end),
            invoke: last.saturating_add(1),
            ret: last.saturating_add(2),
            origin: usize::MAX,
        });
        hist.clear.push(NOT_A_CLEAR);
        let mut with_read = ids.to_vec();
        with_read.push(at);
        let found = search(hist, &with_read, starts, bounds, walk);
        hist.kops.pop();
        hist.clear.pop();
        if let Some((mut seen, _)) = found? {
            // The read is the last op of `sorted` and of the order.
            let read = seen.sorted.len() - 1;
            seen.sorted.pop();
            seen.order.retain(|&q| q != read);
            return Ok(Some(seen));
        }
    }
    Ok(None)
}

/// `f` run on `ids` by rank with the clears among them at their
/// `bounds`, which they hold while it runs.
fn with_bounds<T>(
    hist: &mut KeyHist,
    ids: &[u32],
    bounds: &[(u64, u64)],
    f: impl FnOnce(&KeyHist, &[u32]) -> T,
) -> T {
    let saved: Vec<(usize, usize, (u64, u64))> = ids
        .iter()
        .filter_map(|&i| {
            let o = &hist.kops[i as usize];
            hist.clear_of(i).map(|c| (i as usize, c, (o.invoke, o.ret)))
        })
        .collect();
    for &(i, c, _) in &saved {
        (hist.kops[i].invoke, hist.kops[i].ret) = bounds[c];
    }
    let mut sorted = ids.to_vec();
    sorted.sort_by_key(|&i| (hist.kops[i as usize].invoke, i));
    let out = f(hist, &sorted);
    for &(i, _, span) in &saved {
        (hist.kops[i].invoke, hist.kops[i].ret) = span;
    }
    out
}

/// Segment `ids` of `hist` searched for one linearization from `starts`,
/// each clear the interval `bounds` gives it: what was seen, and its end.
fn search(
    hist: &mut KeyHist,
    ids: &[u32],
    starts: &[State],
    bounds: &[(u64, u64)],
    walk: &mut Walk<'_>,
) -> Result<Option<(Seen, State)>, String> {
    with_bounds(hist, ids, bounds, |hist, sorted| {
        Ok(walk.one(hist, sorted, starts)?.map(|(order, end)| {
            (
                Seen {
                    starts: starts.to_vec(),
                    sorted: sorted.to_vec(),
                    order,
                },
                end,
            )
        }))
    })
}
