//! Step 3 of the search for the clears' instants: a depth-first choice of
//! one instant per clear (see the parent module).

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::hash::{Hash, Hasher};

use super::{intersect, stretches, Involved, KeyHist, State, Stretches, Walk};

/// Where one key's exact search stands: the next segment to search, and
/// every state the segments before it may end in.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Stand {
    next: usize,
    states: Vec<State>,
}

/// A segment of more ops than this is searched for one end state (see
/// [`Choose::search`]).
const LARGE: usize = 1024;

/// Most choices of an instant step 3 tries, at least and a clear, before it
/// says "undecided" (beside the budget's steps).
const MAX_TRIES: (u64, u64) = (100_000, 1_000);

/// A depth-first choice of one instant per clear, in invoke order.
/// When the last clear of a key's segment has its instant, the key is
/// searched exactly up to the end of that segment (to its end, after its
/// last such segment), from the states it stood at.
pub(super) struct Choose {
    pub(super) hists: Vec<KeyHist>,
    /// For each clear, the (key, segment)s it is the last clear of.
    triggers: Vec<Vec<(usize, usize)>>,
    /// For each clear, the window of slots the guess proposes.
    first: Vec<Option<(u64, u64)>>,
    /// For each clear, the (key, segment)s it is in but not the last
    /// clear of: checked as soon as it has an instant, the later clears
    /// there left as intervals (a relaxation: a failure there is final).
    checks: Vec<Vec<(usize, usize)>>,
    stands: Vec<Stand>,
    /// The stretches of slots each clear may take: every key allows them,
    /// and each key's verdict is the same at every slot of one.
    options: Vec<Stretches>,
    spans: Vec<(u64, u64)>,
    at: Vec<u64>,
    used: BTreeSet<u64>,
    tries: u64,
    /// Whether some segment holds two clears or more.
    shared: bool,
    /// Whether some key was carried on with fewer than all the states it
    /// may be in.
    partial: bool,
    /// The furthest failure: clear, key, segment.
    pub(super) deepest: (usize, usize, usize),
    /// Where every key stood when the choices from a clear on all failed:
    /// the same again fails the same way.
    failed: HashSet<(usize, (u64, u64), Vec<u64>)>,
    /// A 128-bit digest of `stands`, kept as it changes: two digests of
    /// different stands agree with odds of about 2^-128 a pair (and then
    /// a choice is wrongly taken for tried: at worst "undecided", or a
    /// violation shown by the proof of step 4 only).
    digest: (u64, u64),
    /// For each clear, the last clear of the segments it is in: until that
    /// one has its instant, this one's is part of where the search stands.
    open_until: Vec<usize>,
}

impl Choose {
    pub(super) fn new(
        hists: Vec<KeyHist>,
        involved: &[Vec<Involved>],
        allowed: &[Stretches],
        spans: Vec<(u64, u64)>,
        first: Vec<Option<(u64, u64)>>,
    ) -> Self {
        let mut last_clear: HashMap<(usize, usize), usize> = HashMap::default();
        for (c, inv) in involved.iter().enumerate() {
            for i in inv {
                let e = last_clear.entry((i.hist, i.segment)).or_insert(c);
                *e = (*e).max(c);
            }
        }
        let mut per_segment: HashMap<(usize, usize), usize> = HashMap::default();
        for i in involved.iter().flatten() {
            *per_segment.entry((i.hist, i.segment)).or_default() += 1;
        }
        let shared = per_segment.values().any(|&n| n > 1);
        let mut open_until: Vec<usize> = (0..involved.len()).collect();
        for (c, inv) in involved.iter().enumerate() {
            for i in inv {
                open_until[c] = open_until[c].max(last_clear[&(i.hist, i.segment)]);
            }
        }
        let mut triggers = vec![Vec::new(); involved.len()];
        let mut checks = vec![Vec::new(); involved.len()];
        for (c, inv) in involved.iter().enumerate() {
            for i in inv {
                if last_clear[&(i.hist, i.segment)] != c {
                    checks[c].push((i.hist, i.segment));
                }
            }
        }
        for (&(h, s), &c) in &last_clear {
            triggers[c].push((h, s));
        }
        let options = involved
            .iter()
            .enumerate()
            .map(|(c, inv)| {
                let (lo, hi) = spans[c];
                let mut times = vec![lo, hi];
                for i in inv {
                    let h = &hists[i.hist];
                    for &j in h.segment(i.segment) {
                        if !h.is_clear(j) {
                            let o = &h.kops[j as usize];
                            times.extend(
                                [o.invoke, o.ret]
                                    .into_iter()
                                    .filter(|t| (lo..=hi).contains(t)),
                            );
                        }
                    }
                }
                let mut each: Stretches = stretches(times)
                    .into_iter()
                    .flat_map(|s| intersect(&vec![s], &allowed[c]))
                    .collect();
                each.dedup();
                // The guess's slots last: they are tried first. A stretch
                // it cuts is one verdict, so its part outside is no loss.
                if let Some(w) = first[c].map(|w| vec![w]) {
                    let (guessed, rest): (Stretches, Stretches) = each
                        .into_iter()
                        .partition(|s| !intersect(&vec![*s], &w).is_empty());
                    each = rest;
                    // Reversed: tried from the end, earliest first.
                    each.extend(guessed.iter().rev().flat_map(|s| intersect(&vec![*s], &w)));
                }
                each
            })
            .collect();
        let stands = hists
            .iter()
            .map(|h| Stand {
                next: 0,
                states: vec![h.initial],
            })
            .collect();
        let mut choose = Choose {
            hists,
            triggers,
            first,
            checks,
            stands,
            options,
            at: vec![u64::MAX; spans.len()],
            spans,
            used: BTreeSet::new(),
            tries: 0,
            shared,
            partial: false,
            deepest: (0, 0, 0),
            failed: HashSet::default(),
            digest: (0, 0),
            open_until,
        };
        for h in 0..choose.stands.len() {
            choose.toggle(h);
        }
        choose
    }

    /// Adds key `h`'s stand to the digest, or takes it out.
    fn toggle(&mut self, h: usize) {
        let part = |salt: u64| {
            let mut hasher = std::hash::DefaultHasher::new();
            (salt, h, &self.stands[h]).hash(&mut hasher);
            hasher.finish()
        };
        self.digest.0 ^= part(0x9e37_79b9_7f4a_7c15);
        self.digest.1 ^= part(0xc2b2_ae3d_27d4_eb4f);
    }

    /// The instants of the clears before `c` whose segments are not all
    /// searched yet.
    fn open(&self, c: usize) -> Vec<u64> {
        (0..c)
            .filter(|&d| self.open_until[d] >= c)
            .map(|d| self.at[d])
            .collect()
    }

    /// Whether trying every stretch of every clear tried everything.
    pub(super) fn complete(&self) -> bool {
        !self.shared && !self.partial
    }

    /// Chooses instants for clears `c..`: whether a choice gives every key
    /// a linearization.
    pub(super) fn from(&mut self, walk: &mut Walk<'_>, c: usize) -> Result<bool, String> {
        if c == self.at.len() {
            return Ok(true);
        }
        let here = (c, self.digest, self.open(c));
        if self.failed.contains(&here) {
            return Ok(false);
        }
        for k in (0..self.options[c].len()).rev() {
            let (lo, hi) = self.options[c][k];
            // The guess's window earliest first, the rest latest first.
            let guessed = self.first[c].is_some_and(|(a, b)| a <= lo && hi <= b);
            let free = |p: &u64| !self.used.contains(p);
            let p = if guessed {
                (lo..=hi).find(free)
            } else {
                (lo..=hi).rev().find(free)
            };
            let Some(p) = p else {
                continue;
            };
            self.tries += 1;
            let most = MAX_TRIES.0.max(MAX_TRIES.1 * self.at.len() as u64);
            if self.tries > most {
                return Err(format!(
                    "the search for the instants of {} clears tried {most} choices without deciding",
                    self.at.len(),
                ));
            }
            self.at[c] = p;
            self.used.insert(p);
            let mut saved = Vec::new();
            let mut fits = true;
            // Large segments wait for their last clear: searching them at
            // every choice of every clear in them costs more than it saves.
            let early = self.checks[c].len();
            for t in 0..early + self.triggers[c].len() {
                let ((h, s), relaxed) = match t.checked_sub(early) {
                    None => (self.checks[c][t], true),
                    Some(t) => (self.triggers[c][t], false),
                };
                if relaxed && self.hists[h].segment(s).len() > LARGE {
                    continue;
                }
                match self.search(walk, h, s, relaxed)? {
                    Some(stand) => {
                        self.toggle(h);
                        saved.push((h, std::mem::replace(&mut self.stands[h], stand)));
                        self.toggle(h);
                    }
                    None => {
                        if c >= self.deepest.0 {
                            self.deepest = (c, h, s);
                        }
                        fits = false;
                        break;
                    }
                }
            }
            if fits && self.from(walk, c + 1)? {
                return Ok(true);
            }
            for (h, stand) in saved.into_iter().rev() {
                self.toggle(h);
                self.stands[h] = stand;
                self.toggle(h);
            }
            self.used.remove(&p);
            self.at[c] = u64::MAX;
        }
        self.failed.insert(here);
        Ok(false)
    }

    /// Key `h` searched from where it stands through segment `s`, its
    /// clears at their instants, and on up to its next segment holding a
    /// clear (or its end): where it then stands, or `None` if it has no
    /// linearization. `relaxed`: only whether segment `s` has one, with the
    /// clears that have no instant yet as intervals; it then stands at `s`.
    fn search(
        &mut self,
        walk: &mut Walk<'_>,
        h: usize,
        s: usize,
        relaxed: bool,
    ) -> Result<Option<Stand>, String> {
        let mut stand = self.stands[h].clone();
        // On up to the next segment holding a clear: a state this choice
        // rules out may be needed by a read there, and the choice should
        // fail here, not many clears later.
        let hist = &mut self.hists[h];
        let until = (s + 1..hist.segments())
            .find(|&j| hist.segment(j).iter().any(|&i| hist.is_clear(i)))
            .unwrap_or(hist.segments());
        while stand.next < until {
            let j = stand.next;
            let ids: Vec<u32> = hist.segment(j).to_vec();
            let clears: Vec<(usize, usize)> = ids
                .iter()
                .filter_map(|&i| hist.clear_of(i).map(|c| (i as usize, c)))
                .collect();
            stand.states = if !clears.is_empty() && clears.len() == ids.len() {
                // Nothing but clears: absent after them, whatever before.
                vec![None]
            } else {
                for &(i, c) in &clears {
                    debug_assert!(
                        relaxed || self.at[c] != u64::MAX,
                        "a clear searched before its instant"
                    );
                    if self.at[c] != u64::MAX {
                        hist.kops[i].invoke = self.at[c];
                        hist.kops[i].ret = self.at[c];
                    }
                }
                let mut sorted = ids.clone();
                sorted.sort_by_key(|&i| (hist.kops[i as usize].invoke, i));
                // A large stretch is searched for one end state: exact
                // sets could take long, and a witness needs only one.
                let large = ids.len() > LARGE;
                self.partial |= large && !relaxed;
                let one = large || (relaxed && j == s);
                let ends = walk.some_ends(hist, &sorted, &stand.states, one);
                for &(i, c) in &clears {
                    (hist.kops[i].invoke, hist.kops[i].ret) = self.spans[c];
                }
                let ends = ends?;
                if relaxed && j == s {
                    return Ok((!ends.is_empty()).then_some(stand));
                }
                ends
            };
            if stand.states.is_empty() {
                return Ok(None);
            }
            stand.next += 1;
        }
        Ok(Some(stand))
    }
}
