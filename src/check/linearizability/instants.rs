//! Atomic clears at scale: one instant for each clear, shared by every key.
//!
//! The whole-map search ([`super::whole`]) walks the whole history over the
//! joint state, and a stress history of a million ops has almost no instant
//! at which no op of any key is in flight (measured on the
//! `benches/checker_scale.rs` histories: one stretch holds 98% of the ops),
//! so it cannot be cut. When the only whole-map operations are atomic
//! clears, this module decides the same question key by key.
//!
//! # Why it is exact
//!
//! Give each clear `C` an instant `t_C` in its call `[invoke, return]`,
//! two clears never the same one, and shrink the clear to that point in
//! every key's projected history (where it is a delete). Then the history
//! has a linearization of the whole map in which each clear takes effect
//! at one instant for every key **iff** some choice of instants makes every
//! key's projected history linearizable:
//!
//! - *only if*: a whole linearization can be realised by points, one in
//!   each op's interval, increasing along it; take `t_C` at the clear's
//!   point, and each key's order is a linearization of its history with the
//!   clear at that point;
//! - *if*: give each op of key `k` the point `max(its invoke, the point of
//!   the op before it in k's linearization)`; it is within the op's
//!   interval (no op ordered before it was invoked after it returned), and
//!   the clear's is `t_C` (none ordered before it was invoked after `t_C`).
//!   Sort all ops by point, at one point the ops a key orders before its
//!   clear first, then the clear, then the rest: every key sees its own
//!   order, every clear is one instant, and an op that returned before
//!   another was invoked has the smaller point.
//!
//! Each recorded time `t` becomes `f` slots (`f` = clears + 1): calls at
//! the first, returns at the last. A clear at any slot of `t` ties with
//! every event at `t` (overlap, as everywhere in the checker), and clears
//! at one recorded time still get distinct instants.
//!
//! # The search
//!
//! 1. Each key's history is cut at its quiescent points with every clear
//!    as its whole interval (a cut stays a cut when a clear shrinks). A
//!    segment holding nothing but clears allows any instants: a delete
//!    always may take effect, and the key is absent after it.
//! 2. A guess (`guess`): each key's own linearization of each segment
//!    holding clears (with the segments after it up to the next one holding
//!    a clear, so that a later read has its say), the clears as intervals,
//!    gives each clear a *window*: after every op it orders before the
//!    clear was invoked, before every op it orders after it returned. A
//!    segment whose linearization cannot go on from where the one before
//!    it ends is searched again from there. Where the keys' windows for a
//!    clear do not meet, its earliest instant is raised to the latest any
//!    key needs and those keys are searched again; a key left with no
//!    linearization by that needs the clear earlier, so its latest instant
//!    is lowered instead, to what the keys needed before. Each clear then
//!    takes the earliest free slot of its window. A clear whose windows
//!    still do not meet (a few, often clears that overlap each other) is
//!    placed where every key allows it (as in step 4), else where most
//!    keys' windows hold it, else at its call; the keys that hold it are
//!    searched again with it there. A key whose linearizations found chain
//!    from segment to segment, each clear's slot after every op ordered
//!    before it was called and before every op ordered after it returned,
//!    is shown linearizable with the clears at those points by its
//!    linearization itself (along a fixed order, ops can take effect in it
//!    iff none was called after one ordered after it returned); every
//!    other key that holds a clear beside other ops is searched exactly.
//!    All pass: a linearization exists.
//!    Then (2b) the choice of step 3 with every clear held at its slot but
//!    those apart and those of the last key that refused the slots (a few
//!    dozen at most): its verdict "linearizable" is final, anything else
//!    is left to step 3.
//! 3. Otherwise a depth-first choice (`choose`): the clears, in invoke
//!    order, each take an instant, the guess's window first (earliest
//!    first), then the other stretches between the recorded times of the
//!    segments that hold it (a key's verdict is the same at every instant
//!    of one), latest first. A choice is checked at once against each
//!    segment of the clear (the clears not yet placed as intervals); when
//!    a clear is the last of a key's segment to have its instant, the key
//!    is searched exactly through it and on to its next segment holding a
//!    clear, from every state it may stand in. Every key passes: a
//!    linearization exists. Every choice failed, with no segment holding
//!    two clears and every state carried: none exists. Where the search
//!    stood when the choices from a clear on all failed is remembered (by
//!    a 128-bit digest of every key's states and the instants still in
//!    play), so the search does not repeat itself.
//! 4. Otherwise, for a proof: for each clear, and each key whose segment
//!    holding it has other ops, the instants the key allows, searching the
//!    segment with the clear at one instant of each stretch, from every
//!    state the segments before may end in (a superset: the last setters
//!    no setter follows), then on to the next segment holding a clear; the
//!    other clears left as intervals. Both are relaxations, so a clear no
//!    instant of which every key allows is a violation, proven. Anything
//!    else is *undecided*, never a finding.
//!
//! # Cost and limits
//!
//! On a linearizable history the guess is usually right, and then this
//! costs about one per-key check more than the per-key check itself
//! (`benches/checker_scale.rs`, 1,000,000 ops of 8 threads with about
//! 1,000 clears, the whole check: about 1.5 s at 4 keys, 0.9 s at 16,
//! 1.7 s at 1,000, where 44 runs in a row took 1.47-2.01 s). Where the
//! guess is wrong and step 2b does not mend it, step 3 finds the instants
//! in a few seconds more, or runs out of its steps: undecided, never a
//! verdict (about 1 run in 80 at 16 keys and 160,000 ops). Steps 3 and 4 are
//! bounded by the [`Budget`]'s steps each (step 4 runs even when step 3
//! ran out) and by `MAX_TRIES` choices, past which the history is
//! undecided. Step 4 searches each
//! clear's segments once per stretch. A clear that did not return (it
//! threw, panicked, or the run stopped) is left undecided here. A snapshot
//! `range`'s instant is checked per key ([`super::check_snapshot_ranges`]),
//! not together with the clears' instants. The whole-map search runs
//! first, while a history fits its budget; this one past that.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use crate::history::Operation;
use crate::maps::{ClearSemantics, Key, Value};
use crate::op::{Op, Ret};

use super::budget::{Budget, Cost};
use super::model::State;
use super::project::{project, KeyOp};
use super::search::{Goal, KeyError, Search};
use super::segments::{by_invoke, candidates, check_key_within, quiescent_cuts};
use super::Counterexample;
use choose::Choose;
use guess::guess;

/// What the search for the clears' instants concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Placed {
    /// Instants were found at which every key's history is linearizable.
    Linearizable,
    /// A clear has no instant every key allows.
    Violation(Counterexample),
    /// Neither shown: why, in one line.
    Undecided(String),
}

/// One key's projected history, times doubled, cut at its quiescent points
/// with every clear as an interval.
struct KeyHist {
    key: Key,
    kops: Vec<KeyOp>,
    initial: State,
    ranked: Vec<u32>,
    cuts: Vec<usize>,
    /// For each op of `kops`, the clear it is, or [`NOT_A_CLEAR`]: looked
    /// up at every step, so beside the ops rather than in a table over the
    /// whole history.
    clear: Vec<u32>,
}

const NOT_A_CLEAR: u32 = u32::MAX;

impl KeyHist {
    fn segments(&self) -> usize {
        self.cuts.len() - 1
    }

    fn segment(&self, s: usize) -> &[u32] {
        &self.ranked[self.cuts[s]..self.cuts[s + 1]]
    }

    fn is_clear(&self, i: u32) -> bool {
        self.clear[i as usize] != NOT_A_CLEAR
    }

    /// The clear (its place in invoke order) op `i` is a projection of.
    fn clear_of(&self, i: u32) -> Option<usize> {
        let c = self.clear[i as usize];
        (c != NOT_A_CLEAR).then_some(c as usize)
    }

    /// Every state the segments before `s` may end in, and maybe more.
    fn starts_before(&self, s: usize) -> Vec<State> {
        for j in (0..s).rev() {
            let ends = candidates(&self.kops, self.segment(j));
            if !ends.is_empty() {
                return ends;
            }
        }
        vec![self.initial]
    }
}

/// A clear's segment in one key that holds other ops.
struct Involved {
    hist: usize,
    segment: usize,
    /// The clear's projection, as an index into the key's `kops`.
    at: usize,
}

/// The per-key searches of steps 2 to 4, and what they spent.
struct Walk<'b> {
    search: Search,
    cost: Cost,
    budget: &'b Budget,
}

impl Walk<'_> {
    /// What is left of the budget.
    fn left(&self) -> Budget {
        Budget {
            steps: self.budget.steps.saturating_sub(self.cost.steps),
            ..*self.budget
        }
    }

    /// Why the search stopped when nothing was left.
    fn out_of_steps(&self) -> String {
        format!(
            "placing the clears at one instant each ran out of its {} steps",
            self.budget.steps
        )
    }

    /// Searches `ids` of `h` (by rank) from `starts` for every state it
    /// may end in: one linearization is enough when its last setter can
    /// only be one op, or nothing sets the state and it has one start.
    fn ends(&mut self, h: &KeyHist, ids: &[u32], starts: &[State]) -> Result<Vec<State>, String> {
        self.some_ends(h, ids, starts, false)
    }

    /// [`Walk::ends`], or with `one`, the end of the first linearization
    /// found (none: there is none).
    fn some_ends(
        &mut self,
        h: &KeyHist,
        ids: &[u32],
        starts: &[State],
        one: bool,
    ) -> Result<Vec<State>, String> {
        let sets = candidates(&h.kops, ids);
        let goal = match sets.len() {
            _ if one => Goal::Any,
            1 => Goal::Any,
            0 if starts.len() == 1 => Goal::Any,
            0 => Goal::All(starts.len()),
            n => Goal::All(n),
        };
        let left = self.left();
        match self
            .search
            .run(&h.kops, ids, starts, goal, &left, &mut self.cost)
        {
            Ok(ran) => {
                let mut ends = ran.ends;
                ends.sort_unstable();
                ends.dedup();
                Ok(ends)
            }
            Err(_) => Err(self.out_of_steps()),
        }
    }

    /// One linearization of `ids` of `h` (by rank) from `starts`: its
    /// order (positions in `ids`) and end state, or `None`.
    fn one(
        &mut self,
        h: &KeyHist,
        ids: &[u32],
        starts: &[State],
    ) -> Result<Option<(Vec<usize>, State)>, String> {
        let left = self.left();
        match self
            .search
            .run(&h.kops, ids, starts, Goal::Any, &left, &mut self.cost)
        {
            Ok(ran) => Ok(ran
                .ends
                .first()
                .map(|&end| (self.search.order().collect(), end))),
            Err(_) => Err(self.out_of_steps()),
        }
    }

    /// The instants (within `left`) at which key `h` allows the clear of
    /// `inv`, whose slots are `lo..=hi`: its segment, with the clear at
    /// that point, has a linearization from a state the segments before
    /// may end in, that ends in a state from which the segments after it
    /// up to the next one holding a clear have one too.
    fn allows(
        &mut self,
        h: &mut KeyHist,
        inv: &Involved,
        (lo, hi): (u64, u64),
        left: &Stretches,
    ) -> Result<Stretches, String> {
        let starts = h.starts_before(inv.segment);
        let ids: Vec<u32> = h.segment(inv.segment).to_vec();
        let until = (inv.segment + 1..h.segments())
            .find(|&j| h.segment(j).iter().any(|&i| h.is_clear(i)))
            .unwrap_or(h.segments());
        // The stretches between the segment's own times: the key's verdict
        // is the same at every instant of one.
        let mut times: Vec<u64> = vec![lo, hi];
        for &j in &ids {
            if j as usize != inv.at {
                let o = &h.kops[j as usize];
                times.extend(
                    [o.invoke, o.ret]
                        .into_iter()
                        .filter(|t| (lo..=hi).contains(t)),
                );
            }
        }
        let stretches = stretches(times);
        let mut after: HashMap<Vec<State>, bool> = HashMap::default();
        let mut allows: Stretches = Vec::new();
        for s in stretches {
            if intersect(left, &vec![s]).is_empty() {
                continue;
            }
            h.kops[inv.at].invoke = s.0;
            h.kops[inv.at].ret = s.0;
            let mut sorted = ids.clone();
            sorted.sort_by_key(|&j| (h.kops[j as usize].invoke, j));
            let ends = self.ends(h, &sorted, &starts);
            h.kops[inv.at].invoke = lo;
            h.kops[inv.at].ret = hi;
            let ends = ends?;
            if ends.is_empty() {
                continue;
            }
            let goes_on = match after.get(&ends) {
                Some(&known) => known,
                None => {
                    let mut states = ends.clone();
                    for j in inv.segment + 1..until {
                        states = self.ends(h, h.segment(j), &states)?;
                        if states.is_empty() {
                            break;
                        }
                    }
                    after.insert(ends, !states.is_empty());
                    !states.is_empty()
                }
            };
            if goes_on {
                allows.push(s);
            }
        }
        Ok(allows)
    }
}

/// At most how many clears whose keys' windows do not meet are placed
/// where every key allows each, before the choice (step 3).
const ALLOWED_APART: usize = 16;

/// The part of the budget placing them may spend (of 50M steps, 1M: a
/// fraction of a second), past which the choice starts with all of it.
const ALLOWED_SHARE: u64 = 50;

/// At most how many clears step 2b chooses instants for.
const CHOSEN_APART: usize = 64;

/// Inclusive stretches of slots, sorted and disjoint.
type Stretches = Vec<(u64, u64)>;

fn intersect(a: &Stretches, b: &Stretches) -> Stretches {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Searches for one instant per clear of `ops` (the only whole-map
/// operations it considers) at which every key's history is linearizable;
/// `initial` is the map before the history. Steps count against `budget`.
pub(super) fn place_clears(
    ops: &[Operation],
    initial: &BTreeMap<Key, Value>,
    budget: &Budget,
) -> Placed {
    let mut clears: Vec<usize> = (0..ops.len())
        .filter(|&i| matches!(ops[i].op, Op::Clear))
        .collect();
    if clears.is_empty() {
        return Placed::Linearizable;
    }
    clears.sort_by_key(|&i| (ops[i].invoke, i));
    let returned = |o: &Operation| match &o.ret {
        Some((t, r)) if !matches!(r, Ret::Throw(_) | Ret::Panic(_)) => Some(*t),
        _ => None,
    };
    if clears.iter().any(|&i| returned(&ops[i]).is_none()) {
        return Placed::Undecided(
            "a clear that did not return may or may not have taken effect, and the search for \
             the clears' instants does not place it"
                .into(),
        );
    }
    let latest = ops
        .iter()
        .map(|o| returned(o).unwrap_or(0).max(o.invoke))
        .max()
        .unwrap_or(0);
    // Each recorded time `t` becomes the slots `f·t ..= f·t + f - 1`:
    // calls at the first, returns at the last, so that every slot ties with
    // every event at `t` and each clear can have its own.
    let f = clears.len() as u64 + 1;
    if latest
        .checked_add(1)
        .and_then(|t| t.checked_mul(f))
        .is_none_or(|t| t == u64::MAX)
    {
        return Placed::Undecided(format!(
            "times up to {latest} are too large to place {} clears between them",
            clears.len()
        ));
    }
    // Which clear (its place in invoke order) each op of the history is.
    let mut which = vec![NOT_A_CLEAR; ops.len()];
    for (c, &i) in clears.iter().enumerate() {
        which[i] = c as u32;
    }
    let keys: Vec<Key> = initial.keys().copied().collect();
    let mut hists = Vec::new();
    let mut involved: Vec<Vec<Involved>> = clears.iter().map(|_| Vec::new()).collect();
    for (key, mut kops) in project(ops, &keys, ClearSemantics::Atomic) {
        for o in &mut kops {
            o.invoke *= f;
            if o.ret != u64::MAX {
                o.ret = o.ret * f + f - 1;
            }
        }
        let ranked = by_invoke(&kops);
        let cuts = quiescent_cuts(&kops, &ranked);
        let clear = kops.iter().map(|o| which[o.origin]).collect();
        let h = KeyHist {
            key,
            initial: initial.get(&key).copied(),
            kops,
            ranked,
            cuts,
            clear,
        };
        for s in 0..h.segments() {
            let ids = h.segment(s);
            if ids.iter().all(|&i| h.is_clear(i)) {
                continue;
            }
            for &i in ids {
                if let Some(c) = h.clear_of(i) {
                    involved[c].push(Involved {
                        hist: hists.len(),
                        segment: s,
                        at: i as usize,
                    });
                }
            }
        }
        hists.push(h);
    }

    let spans: Vec<(u64, u64)> = clears
        .iter()
        .map(|&i| {
            (
                f * ops[i].invoke,
                f * returned(&ops[i]).unwrap_or(0) + f - 1,
            )
        })
        .collect();
    let mut walk = Walk {
        search: Search::default(),
        cost: Cost::default(),
        budget,
    };

    // Step 2: the guess.
    let mut guessed = match guess(&mut hists, &involved, &spans, &mut walk) {
        Ok(g) => g,
        Err(why) => return Placed::Undecided(why),
    };
    let first = guessed.windows.clone();
    // The guess, checked at once: each clear at the earliest free slot of
    // its window, every key that cares searched exactly unless the guess
    // shows it. A clear whose keys' windows do not meet goes first at its
    // call, then where most keys' windows hold it, then (a few such
    // clears) where every key allows it alone.
    let apart: Vec<usize> = (0..clears.len()).filter(|&c| first[c].is_none()).collect();
    // Each clear at the first slot of `window` (else of its span) no other
    // clear holds; `taken` is the slots held.
    let mut taken: BTreeSet<u64> = BTreeSet::new();
    let mut place = |at: &mut Vec<u64>, c: usize, (a, b): (u64, u64)| {
        if let Some(&old) = at.get(c) {
            taken.remove(&old);
        }
        let (lo, hi) = spans[c];
        let p = (a..=b)
            .chain(lo..=hi)
            .find(|p| !taken.contains(p))
            .unwrap_or(a);
        taken.insert(p);
        if c < at.len() {
            at[c] = p;
        } else {
            at.push(p);
        }
    };
    let mut at: Vec<u64> = Vec::with_capacity(clears.len());
    for c in 0..clears.len() {
        place(&mut at, c, first[c].unwrap_or(spans[c]));
    }
    // With clears apart, where every key allows each is the likeliest.
    // Out of steps here, the choice below starts afresh: placing clears
    // where every key allows each costs a search per stretch of a long
    // segment, and is only worth a small share of the budget.
    let attempts: &[u8] = if apart.is_empty() { &[0] } else { &[2, 1, 0] };
    let before = walk.cost;
    let share = walk.budget.steps / ALLOWED_SHARE;
    let mut attempt = |attempt: u8| -> Result<Option<Option<usize>>, String> {
        match attempt {
            0 if !apart.is_empty() => {
                for &c in &apart {
                    place(&mut at, c, spans[c]);
                }
            }
            0 => {}
            1 if apart.iter().any(|&c| guessed.held[c].is_some()) => {
                for &c in &apart {
                    if let Some(p) = guessed.held[c] {
                        place(&mut at, c, (p, spans[c].1));
                    }
                }
            }
            2 if !apart.is_empty() && apart.len() <= ALLOWED_APART => {
                for &c in &apart {
                    let mut left: Stretches = vec![spans[c]];
                    for inv in &involved[c] {
                        let h = &mut hists[inv.hist];
                        left = intersect(&left, &walk.allows(h, inv, spans[c], &left)?);
                        if walk.cost.steps - before.steps > share {
                            return Err(
                                "placing clears where every key allows them ran long".into()
                            );
                        }
                        if left.is_empty() {
                            break;
                        }
                    }
                    if let Some(&w) = left.first() {
                        place(&mut at, c, w);
                    }
                }
            }
            _ => return Ok(None),
        }
        if !apart.is_empty() {
            guessed.pin(&mut hists, &at, &apart, &mut walk)?;
        }
        let shown = guessed.shows(&hists, &at);
        witness(&hists, &involved, &at, &shown, &mut walk).map(Some)
    };
    let mut refused = None;
    for &a in attempts {
        match attempt(a) {
            Ok(Some(None)) => return Placed::Linearizable,
            Ok(Some(Some(k))) => refused = Some(k),
            Ok(None) => {}
            Err(_) => {
                walk.cost = before;
                break;
            }
        }
    }

    // Step 2b: the choice below, with every clear held at its slot but
    // those apart and those of the key that refused them last: a few
    // clears' instants chosen, not a thousand.
    let mut open: BTreeSet<usize> = apart.iter().copied().collect();
    if let Some(k) = refused {
        open.extend((0..clears.len()).filter(|&c| involved[c].iter().any(|i| i.hist == k)));
    }
    if !open.is_empty() && open.len() <= CHOSEN_APART {
        let before = walk.cost;
        let held: Vec<Stretches> = (0..clears.len())
            .map(|c| {
                if open.contains(&c) {
                    vec![spans[c]]
                } else {
                    vec![(at[c], at[c])]
                }
            })
            .collect();
        let windows = (0..clears.len())
            .map(|c| first[c].or(Some((at[c], at[c]))))
            .collect();
        let mut few = Choose::new(hists, &involved, &held, spans.clone(), windows);
        let chose = few.from(&mut walk, 0);
        hists = std::mem::take(&mut few.hists);
        walk.cost = before;
        if chose == Ok(true) {
            return Placed::Linearizable;
        }
    }

    // Step 3: choose the instants, clear by clear, each key's exact states
    // carried from segment to segment.
    let anywhere: Vec<Stretches> = spans.iter().map(|&s| vec![s]).collect();
    let mut choose = Choose::new(hists, &involved, &anywhere, spans.clone(), first);
    let chose = match choose.from(&mut walk, 0) {
        Ok(true) => return Placed::Linearizable,
        // Every stretch of every clear was tried, and no two clears share a
        // segment (their order within a stretch is never a choice).
        Ok(false) if choose.complete() => {
            let (c, h, s) = choose.deepest;
            let h = &choose.hists[h];
            let mut ce = no_instant(ops, clears[c], h, h.segment(s));
            ce.summary = format!(
                "every key's history has a linearization, but no single one of the whole map does \
                 with each clear taking effect at one instant for every key: every choice of \
                 instants failed, at the furthest on key {} after the clear called at {}",
                h.key, ops[clears[c]].invoke
            );
            return Placed::Violation(ce);
        }
        Ok(false) => "no choice of instants tried gives every key a linearization".to_string(),
        // Out of steps: the proof below may still show a violation (on a
        // broken map the choice looks for a witness that is not there), so
        // it gets a budget of its own.
        Err(why) => {
            walk.cost = Cost::default();
            why
        }
    };

    // Step 4: what each key allows each clear, alone, for a proof.
    let mut hists = std::mem::take(&mut choose.hists);
    for (c, &i) in clears.iter().enumerate() {
        let mut left: Stretches = vec![spans[c]];
        for inv in &involved[c] {
            let h = &mut hists[inv.hist];
            let allows = match walk.allows(h, inv, spans[c], &left) {
                Ok(a) => a,
                Err(why) => return Placed::Undecided(why),
            };
            left = intersect(&left, &allows);
            if left.is_empty() {
                return Placed::Violation(no_instant(ops, i, h, h.segment(inv.segment)));
            }
        }
    }
    Placed::Undecided(format!(
        "{chose}, and every clear has instants each key allows"
    ))
}

/// The stretches between sorted `times` and at each: a verdict that
/// depends only on how an instant compares with each of `times` is the
/// same at every instant of one.
fn stretches(mut times: Vec<u64>) -> Stretches {
    times.sort_unstable();
    times.dedup();
    let mut out: Stretches = Vec::new();
    for (k, &t) in times.iter().enumerate() {
        out.push((t, t));
        if let Some(&next) = times.get(k + 1) {
            if t + 1 < next {
                out.push((t + 1, next - 1));
            }
        }
    }
    out
}

/// The first key with a clear's segment that holds other ops that is not
/// linearizable with each clear `c` at the slot `at[c]` (`None`: every
/// one is): the exact per-key search, for each key but those the guess
/// already `shown` so.
fn witness(
    hists: &[KeyHist],
    involved: &[Vec<Involved>],
    at: &[u64],
    shown: &BTreeSet<usize>,
    walk: &mut Walk<'_>,
) -> Result<Option<usize>, String> {
    let cares: BTreeSet<usize> = involved.iter().flatten().map(|i| i.hist).collect();
    for k in cares.difference(shown).copied() {
        let h = &hists[k];
        let mut kops = h.kops.clone();
        for (i, o) in kops.iter_mut().enumerate() {
            if let Some(c) = h.clear_of(i as u32) {
                o.invoke = at[c];
                o.ret = at[c];
            }
        }
        let left = walk.left();
        match check_key_within(h.key, &kops, h.initial, &left, &mut walk.cost) {
            Ok(()) => {}
            Err(KeyError::Fails(_)) => return Ok(Some(k)),
            Err(KeyError::Undecided(u)) => return Err(u.to_string()),
        }
    }
    Ok(None)
}

/// The counterexample of a clear (op `clear`) that key `h`'s segment `ids`
/// allows no instant the keys before it left.
fn no_instant(ops: &[Operation], clear: usize, h: &KeyHist, ids: &[u32]) -> Counterexample {
    let mut involved: Vec<usize> = ids.iter().map(|&j| h.kops[j as usize].origin).collect();
    involved.push(clear);
    involved.sort_unstable();
    involved.dedup();
    let o = &ops[clear];
    let ret = o.ret.as_ref().map_or(0, |r| r.0);
    Counterexample {
        key: None,
        summary: format!(
            "every key's history has a linearization, but no single one of the whole map does \
             with each clear taking effect at one instant for every key: no instant of the clear \
             called at {} and returned at {ret} suits key {} and the keys before it",
            o.invoke, h.key
        ),
        ops: involved,
    }
}

mod choose;
mod guess;
#[cfg(test)]
mod tests;
