//! Step 2 of the search for the clears' instants: a first guess. Each key's own
//! linearization of a segment, with its clears as intervals, gives each
//! clear a window of instants that key is content with: after every op
//! ordered before it was invoked, before every op ordered after it
//! returned. Where the keys' windows for a clear do not meet, the clear's
//! earliest instant is raised to the latest any key needs, and the keys
//! that hold it are searched again.
//!
//! A guess only orders the choices: whatever it proposes is checked
//! exactly. Most often by [`Guess::shows`], without a search: a key whose
//! linearizations found chain from segment to segment, with each clear's
//! instant after every op ordered before it was called and before every
//! op ordered after it returned, is linearizable with the clears at those
//! instants (for a fixed order, ops `i` before `j` can take effect in that
//! order iff `i` was called before `j` returned; the search found the
//! order good for every pair but those with a clear, checked here). The
//! other keys go to the exact witness check, then [`super::choose`].

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use super::{Involved, KeyHist, State, Walk, NOT_A_CLEAR};
use crate::check::linearizability::model::{step, Call, Res};
use crate::check::linearizability::project::KeyOp;

/// How many times the earliest instants are raised before the guess gives up.
const ROUNDS: usize = 32;

/// One searched segment holding clears: where it starts from, its ops by
/// rank with the clears at their bounds, and the linearization found
/// (positions in `sorted`).
struct Seen {
    starts: Vec<State>,
    /// Whether `starts` are exactly the states the key may be in there
    /// (no segment with a clear since the key's start or its last segment
    /// of clears alone), rather than those of the segment before with its
    /// clears as intervals.
    exact: bool,
    sorted: Vec<u32>,
    order: Vec<usize>,
}

/// What the guess found: for each clear, the slots every key's own
/// linearization allows it, and those linearizations.
pub(super) struct Guess {
    /// `None` where the keys' linearizations found do not agree.
    pub(super) windows: Vec<Option<(u64, u64)>>,
    /// Where they do not, the slot most keys' windows hold.
    pub(super) held: Vec<Option<u64>>,
    /// By (key, segment): in segment order for each key.
    seen: Vec<((usize, usize), Seen)>,
    /// The segments with clears, by (key, segment).
    segs: BTreeSet<(usize, usize)>,
    /// Each clear's bounds the linearizations were found with.
    bounds: Vec<(u64, u64)>,
}

impl Guess {
    /// Searches again, with each clear of `pinned` at its slot of `at`, the
    /// segments that hold one, keeping what it finds: so that [`Guess::shows`]
    /// speaks of linearizations with those clears there.
    pub(super) fn pin(
        &mut self,
        hists: &mut [KeyHist],
        at: &[u64],
        pinned: &[usize],
        walk: &mut Walk<'_>,
    ) -> Result<(), String> {
        for &c in pinned {
            self.bounds[c] = (at[c], at[c]);
        }
        let changed: BTreeSet<usize> = pinned.iter().copied().collect();
        research(hists, &mut self.seen, &self.bounds, &changed, walk).map(|_| ())
    }

    /// The keys whose linearizations found show them linearizable with
    /// each clear `c` at the slot `at[c]` (see the module docs).
    pub(super) fn shows(&self, hists: &[KeyHist], at: &[u64]) -> BTreeSet<usize> {
        let mut by_key: HashMap<usize, Vec<&Seen>> = HashMap::default();
        for ((h, _), found) in &self.seen {
            by_key.entry(*h).or_default().push(found);
        }
        by_key
            .into_iter()
            .filter(|(h, found)| {
                let covered = self.segs.range((*h, 0)..=(*h, usize::MAX)).count();
                covered == found.len() && chains(&hists[*h], found, at)
            })
            .map(|(h, _)| h)
            .collect()
    }
}

/// Whether the linearizations `found` of `hist`'s segments with clears,
/// in segment order, chain into one of the key with each clear `c` at
/// `at[c]`.
fn chains(hist: &KeyHist, found: &[&Seen], at: &[u64]) -> bool {
    let mut reach: Vec<State> = Vec::new();
    for seen in found {
        if seen.exact {
            reach = seen.starts.clone();
        }
        // Every completed op is in the order (pending ones may be left out).
        let completed = seen
            .sorted
            .iter()
            .filter(|&&i| hist.kops[i as usize].ret != u64::MAX)
            .count();
        if seen.order.len() < completed {
            return false;
        }
        // The pairs with a clear: called before, returned after.
        let (mut called, mut cleared) = (0u64, None::<u64>);
        for &q in &seen.order {
            let i = seen.sorted[q];
            let o = &hist.kops[i as usize];
            match hist.clear_of(i) {
                Some(c) => {
                    if at[c] < called || cleared.is_some_and(|t| t >= at[c]) {
                        return false;
                    }
                    cleared = Some(at[c]);
                    called = called.max(at[c]);
                }
                None => {
                    if cleared.is_some_and(|t| o.ret < t) {
                        return false;
                    }
                    called = called.max(o.invoke);
                }
            }
        }
        let ends = replay(hist, seen, &reach);
        if ends.is_empty() {
            return false;
        }
        reach = ends;
    }
    true
}

/// The states the linearization `seen` ends in from `reach`.
fn replay(hist: &KeyHist, seen: &Seen, reach: &[State]) -> Vec<State> {
    let mut ends: Vec<State> = reach
        .iter()
        .filter_map(|&start| {
            seen.order.iter().try_fold(start, |s, &q| {
                let o = &hist.kops[seen.sorted[q] as usize];
                step(s, o.call, o.res)
            })
        })
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends
}

/// Searches again, from the states the key's linearizations before it end
/// in, each segment whose linearization found cannot go on from any (it
/// started from a state the segment before may end in with its clears as
/// intervals, not one the linearization found there ends in): windows from
/// it would come from a linearization no choice of instants chains to.
/// `seen` holds each key's segments together, in order.
fn rechain(
    hists: &mut [KeyHist],
    seen: &mut [((usize, usize), Seen)],
    bounds: &[(u64, u64)],
    walk: &mut Walk<'_>,
) -> Result<(), String> {
    let mut reach: Vec<State> = Vec::new();
    let mut key = usize::MAX;
    for ((h, _), found) in seen.iter_mut() {
        if *h != key {
            key = *h;
            reach.clear();
        }
        let hist = &mut hists[*h];
        if found.exact {
            reach = found.starts.clone();
        }
        let mut ends = replay(hist, found, &reach);
        if ends.is_empty() && !reach.is_empty() {
            if let Some((again, _)) =
                search(hist, &found.sorted, &reach, found.exact, bounds, walk)?
            {
                *found = again;
                ends = replay(hist, found, &reach);
            }
        }
        reach = ends;
    }
    Ok(())
}

/// The guess: each clear's window, from each key's own linearizations.
pub(super) fn guess(
    hists: &mut [KeyHist],
    involved: &[Vec<Involved>],
    spans: &[(u64, u64)],
    walk: &mut Walk<'_>,
) -> Result<Guess, String> {
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
        let mut exact = true;
        let mut j = 0;
        while j <= last {
            let ids = hist.segment(j).to_vec();
            let clears = ids.iter().filter(|&&i| hist.is_clear(i)).count();
            if clears > 0 && clears == ids.len() {
                states = vec![None];
                exact = true;
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
                if let Some((mut found, _)) = search(hist, &ids, &states, exact, &bounds, walk)? {
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
                            if let Some(f) =
                                ending(hist, &ids, &states, exact, &good, &bounds, walk)?
                            {
                                found = f;
                            }
                            ends = good;
                        }
                    }
                    states = ends;
                    exact = false;
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
    let mut lowered = vec![false; bounds.len()];
    for _ in 0..ROUNDS {
        rechain(hists, &mut seen, &bounds, walk)?;
        win = bounds.clone();
        let mut needs: Vec<u64> = bounds.iter().map(|b| b.0).collect();
        for ((h, _), found) in &seen {
            key_windows(&hists[*h], found, &bounds, |c, after, before| {
                win[c] = (win[c].0.max(after), win[c].1.min(before));
                needs[c] = needs[c].max(after);
            });
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
        let mut raised = BTreeSet::new();
        for (c, w) in win.iter().enumerate() {
            if w.0 > w.1 && !lowered[c] && needs[c] > bounds[c].0 && needs[c] <= bounds[c].1 {
                bounds[c].0 = needs[c];
                raised.insert(c);
            }
        }
        if raised.is_empty() {
            break;
        }
        // A key the raised bounds leave without a linearization needs the
        // clear earlier: then the clear's latest instant is lowered to what
        // the keys needed before, and all its keys are searched again.
        let failed = research(hists, &mut seen, &bounds, &raised, walk)?;
        if !failed.is_empty() {
            let mut lower = BTreeSet::new();
            for c in failed {
                if win[c].1 >= spans[c].0 {
                    bounds[c] = (spans[c].0, win[c].1);
                    lowered[c] = true;
                    lower.insert(c);
                }
            }
            research(hists, &mut seen, &bounds, &lower, walk)?;
        }
    }
    // Where the keys' windows for a clear do not meet, the slot most of
    // them hold (the others go to the witness check).
    let mut held = vec![None; win.len()];
    let mut apart: HashMap<usize, Vec<(u64, u64)>> = win
        .iter()
        .enumerate()
        .filter(|(_, w)| w.0 > w.1)
        .map(|(c, _)| (c, Vec::new()))
        .collect();
    if !apart.is_empty() {
        for ((h, _), found) in &seen {
            key_windows(&hists[*h], found, &bounds, |c, after, before| {
                if let Some(ws) = apart.get_mut(&c) {
                    ws.push((after.max(bounds[c].0), before.min(bounds[c].1)));
                }
            });
        }
        for (c, ws) in apart {
            held[c] = most_held(&ws);
        }
    }
    seen.sort_by_key(|(at, _)| *at);
    Ok(Guess {
        windows: win.into_iter().map(|w| (w.0 <= w.1).then_some(w)).collect(),
        held,
        seen,
        segs,
        bounds,
    })
}

/// Searches again each segment of `seen` that holds one of the clears
/// `changed`, whose `bounds` changed, and keeps what it finds: the clears
/// of the segments left without a linearization (which keep the one they
/// had, so that the windows of those clears will not meet).
fn research(
    hists: &mut [KeyHist],
    seen: &mut [((usize, usize), Seen)],
    bounds: &[(u64, u64)],
    changed: &BTreeSet<usize>,
    walk: &mut Walk<'_>,
) -> Result<BTreeSet<usize>, String> {
    let mut failed = BTreeSet::new();
    for ((h, _), found) in seen.iter_mut() {
        let hist = &mut hists[*h];
        let touched: Vec<usize> = found
            .sorted
            .iter()
            .filter_map(|&i| hist.clear_of(i).filter(|c| changed.contains(c)))
            .collect();
        if touched.is_empty() {
            continue;
        }
        match search(
            hist,
            &found.sorted,
            &found.starts,
            found.exact,
            bounds,
            walk,
        )? {
            Some((again, _)) => *found = again,
            None => failed.extend(touched),
        }
    }
    Ok(failed)
}

/// Calls `f(c, after, before)` for each clear `c` in the linearization
/// `found` of `hist`: the latest call of an op ordered before it and the
/// earliest return of one ordered after it (a clear's at its `bounds`).
fn key_windows(
    hist: &KeyHist,
    found: &Seen,
    bounds: &[(u64, u64)],
    mut f: impl FnMut(usize, u64, u64),
) {
    let at = |q: usize| {
        let i = found.sorted[found.order[q]];
        let o = &hist.kops[i as usize];
        match hist.clear_of(i) {
            Some(c) => (Some(c), bounds[c]),
            None => (None, (o.invoke, o.ret)),
        }
    };
    let n = found.order.len();
    let mut before = vec![u64::MAX; n + 1];
    for q in (0..n).rev() {
        before[q] = before[q + 1].min(at(q).1 .1);
    }
    let mut after = 0;
    for q in 0..n {
        let here = at(q);
        if let Some(c) = here.0 {
            f(c, after, before[q + 1]);
        }
        after = after.max(here.1 .0);
    }
}

/// The point most of the windows `ws` hold (`None`: none holds any).
fn most_held(ws: &[(u64, u64)]) -> Option<u64> {
    // Opening before closing at one point: windows are closed intervals.
    let mut edges: Vec<(u64, bool)> = ws
        .iter()
        .filter(|w| w.0 <= w.1)
        .flat_map(|&(a, b)| [(a, false), (b, true)])
        .collect();
    edges.sort_unstable();
    let (mut open, mut best) = (0usize, None::<(usize, u64)>);
    for (t, closes) in edges {
        if closes {
            open -= 1;
        } else {
            open += 1;
            if best.is_none_or(|(n, _)| open > n) {
                best = Some((open, t));
            }
        }
    }
    best.map(|(_, t)| t)
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
    exact: bool,
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
        let found = search(hist, &with_read, starts, exact, bounds, walk);
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
    exact: bool,
    bounds: &[(u64, u64)],
    walk: &mut Walk<'_>,
) -> Result<Option<(Seen, State)>, String> {
    with_bounds(hist, ids, bounds, |hist, sorted| {
        Ok(walk.one(hist, sorted, starts)?.map(|(order, end)| {
            (
                Seen {
                    starts: starts.to_vec(),
                    exact,
                    sorted: sorted.to_vec(),
                    order,
                },
                end,
            )
        }))
    })
}
