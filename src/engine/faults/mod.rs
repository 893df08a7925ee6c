//! The fault injector: seeded decisions, at yield points, to move a backend's
//! own internal work (a grow, evacuation, `sync.Map` promotion) to an unlucky
//! moment (docs/design.md step 4).
//!
//! # Two-phase activation
//!
//! An *injection site* is a `(Site, Fault)` pair where the fault keeps the
//! backend's contract:
//!
//! | sites | faults | rate |
//! |---|---|---|
//! | [`Site::in_gomap_write_window`] | [`Fault::Grow`], [`Fault::SameSizeGrow`] | `resize_rate` |
//! | [`Site::in_gomap_write_window`] | [`Fault::Evacuate`], [`Fault::WithholdEvacuation`] | `evacuate_rate` |
//! | [`Site::in_swiss_write_window`] | [`Fault::Grow`] (a grow, or a split at 1024 slots) | `resize_rate` |
//! | [`Site::in_syncmap_locked`] | [`Fault::Promote`], [`Fault::RebuildDirty`] | `promote_rate` |
//! | [`Site::in_trie_recheck`] | [`Fault::Grow`] (`resize_rate`), [`Fault::Evacuate`] (`evacuate_rate`) | as named |
//! | [`Site::OpBoundary`] (the engine calls the backend's resize hook) | all but `WithholdEvacuation`, at a quarter of their rates | as above |
//!
//! 1. Once per execution each injection site is switched on or off, with
//!    probability 1/2, by the seed and the pair alone (not by the order in
//!    which sites are first visited), so that one seed concentrates its faults
//!    on a few sites and another seed on others — "swarm" style, which finds
//!    more than spreading every fault thinly everywhere.
//! 2. At every visit of a site, each *active* pair fires with its rate; if
//!    several fire, one of them is chosen uniformly.
//!
//! The injector draws by rate alone; where a drawn fault lands, the backend
//! reads its own structure and [`crate::sync::Shape`]'s rules decide whether
//! it applies, changes (a doubling grow of a classic map without overflow
//! chains becomes a same-size grow) or is dropped: a fault should make a
//! rare state more likely, never erase one.
//!
//! A zero rate disables its pairs entirely: no random draws at all, so a run
//! with every rate zero schedules exactly like a run without an injector.
//! Every draw comes from ChaCha8 keyed by the seed, on streams of its own,
//! so fault decisions never consume the scheduler's randomness.
//!
//! Three more modes replay recorded faults instead of drawing them:
//!
//! - [`FaultInjector::scripted`] fires exactly a recorded list of faults, at
//!   the recorded (global) visit indices, and reports the first one whose
//!   visit came with another site or thread: exact replay of a trace.
//! - [`FaultInjector::by_thread`] fires each recorded fault at its thread's
//!   own visit (`op`, `in_op`: the `in_op`-th yield point of the thread's
//!   `op`-th op), if the site matches, and silently skips it otherwise. A
//!   thread's own visits do not move when the interleaving changes, nor when
//!   *other* ops of the thread are removed (the minimiser renumbers `op`), so
//!   a fault script survives new scheduling choices and a smaller script:
//!   the script minimiser fires faults this way while the choices come from
//!   a seed.
//! - [`FaultInjector::following`] fires the recorded faults exactly until the
//!   execution departs from its recording (a scripted visit with another site
//!   or thread, or [`FaultInjector::depart`]), then draws from the seed:
//!   `chaos replay --continue`.

mod seeded;
mod site_text;

use serde::{Deserialize, Serialize};

use crate::sync::{Fault, Site};

use seeded::Seeded;

/// Fault rates, each a per-visit probability in `[0, 1]`. The default (all
/// zero) disables the injector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Forced doubling or same-size grow inside a `gomap` write window.
    pub resize_rate: f64,
    /// Forced extra evacuation, or a withheld progress evacuation, inside a
    /// `gomap` write window.
    pub evacuate_rate: f64,
    /// Forced `sync.Map` promotion or dirty rebuild while its mutex is held.
    pub promote_rate: f64,
}

impl FaultConfig {
    /// True when every rate is zero: the injector never fires and never draws.
    pub fn is_disabled(&self) -> bool {
        !(self.resize_rate > 0.0 || self.evacuate_rate > 0.0 || self.promote_rate > 0.0)
    }

    /// The rate that governs `fault`.
    fn rate_of(&self, fault: Fault) -> f64 {
        match fault {
            Fault::Grow | Fault::SameSizeGrow => self.resize_rate,
            Fault::Evacuate | Fault::WithholdEvacuation => self.evacuate_rate,
            Fault::Promote | Fault::RebuildDirty => self.promote_rate,
        }
    }
}

/// One fault that fired: what a repro file stores to replay it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FiredFault {
    /// The injector's visit index: how many times [`FaultInjector::decide`]
    /// had been called before this visit. Under the deterministic scheduler
    /// that is the number of yield points the execution had passed.
    pub at: u64,
    /// The logical (or workload) thread that received the fault.
    pub thread: usize,
    /// The receiving thread's op: how many [`Site::OpBoundary`] visits it
    /// had made, counting this one, minus one (0 for a thread that makes
    /// none). Unlike `at`, `op` and `in_op` do not move when other threads
    /// are scheduled differently.
    pub op: u64,
    /// The visit's index within that op: 0 at the op's `OpBoundary`, then
    /// 1, 2, ... (from the thread's start when it makes no boundary visits).
    pub in_op: u64,
    /// Where it fired.
    #[serde(with = "site_text")]
    pub site: Site,
    /// What fired.
    pub fault: Fault,
}

#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one injector per execution, never moved in a loop; boxing the generator would cost an allocation per execution"
)]
enum Mode {
    /// Every rate zero: never draws, never fires.
    Off,
    Seeded(Seeded),
    Scripted {
        /// Sorted by `at`.
        script: Vec<FiredFault>,
        /// Index of the next scripted fault to fire.
        next: usize,
    },
    ByThread {
        /// Keyed by (thread, op, in_op); an entry is removed when its visit
        /// comes.
        script: std::collections::BTreeMap<(usize, u64, u64), FiredFault>,
    },
    Following {
        /// Sorted by `at`.
        script: Vec<FiredFault>,
        next: usize,
        /// Draws after the departure (`None`: every rate zero).
        seeded: Option<Box<Seeded>>,
        departed: bool,
    },
}

/// Decides, at each yield point, whether a fault fires there.
///
/// One injector serves one execution (under the scheduler, all its logical
/// threads; under the stress runner, one per OS thread).
#[derive(Debug)]
pub struct FaultInjector {
    mode: Mode,
    /// Number of `decide` calls so far.
    visits: u64,
    /// Thread recorded by [`FaultInjector::decide`].
    thread: usize,
    /// Per thread: (`OpBoundary` visits so far, visits since the last one).
    thread_visits: Vec<(u64, u64)>,
    fired: Vec<FiredFault>,
    /// First scripted fault whose visit came with another site or thread.
    mismatch: Option<String>,
    /// Following mode: why the execution departed from its recording, set at
    /// the visit where it did and taken by [`FaultInjector::take_departure`].
    departure: Option<String>,
    /// By-thread mode: scripted faults whose visit came at another site.
    skipped: u64,
}

impl FaultInjector {
    /// A seeded injector. With every rate zero it never fires and never draws.
    pub fn new(seed: u64, cfg: FaultConfig) -> Self {
        Self::with_mode(Seeded::new(seed, cfg).map_or(Mode::Off, Mode::Seeded))
    }

    /// An injector that fires exactly `faults`, each at its recorded visit
    /// index, and nothing else. A scripted fault whose visit arrives at a
    /// different site or thread does not fire; see [`FaultInjector::mismatch`].
    pub fn scripted(mut faults: Vec<FiredFault>) -> Self {
        faults.sort_by_key(|f| f.at);
        Self::with_mode(Mode::Scripted {
            script: faults,
            next: 0,
        })
    }

    /// An injector that fires each of `faults` at its thread's own visit
    /// (`op`, `in_op`) when that visit is at the recorded site, and skips it
    /// otherwise (see [`FaultInjector::skipped`]); never fires anything
    /// else. `at` is ignored: the script survives a different interleaving.
    pub fn by_thread(faults: Vec<FiredFault>) -> Self {
        Self::with_mode(Mode::ByThread {
            script: faults
                .into_iter()
                .map(|f| ((f.thread, f.op, f.in_op), f))
                .collect(),
        })
    }

    /// An injector that fires `faults` exactly as [`FaultInjector::scripted`]
    /// does until the execution departs from them — a scripted visit arrives
    /// at another site or thread, or the caller calls
    /// [`FaultInjector::depart`] — and from then on decides like
    /// [`FaultInjector::new`]`(seed, cfg)`. Never reports a mismatch.
    pub fn following(faults: Vec<FiredFault>, seed: u64, cfg: FaultConfig) -> Self {
        let mut script = faults;
        script.sort_by_key(|f| f.at);
        Self::with_mode(Mode::Following {
            script,
            next: 0,
            seeded: Seeded::new(seed, cfg).map(Box::new),
            departed: false,
        })
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            visits: 0,
            thread: 0,
            thread_visits: Vec::new(),
            fired: Vec::new(),
            mismatch: None,
            departure: None,
            skipped: 0,
        }
    }

    /// Following mode: from now on, draw from the seed (the scheduling
    /// choices departed from the recording). A no-op in other modes.
    pub fn depart(&mut self) {
        if let Mode::Following { departed, .. } = &mut self.mode {
            *departed = true;
        }
    }

    /// Following mode: why the execution departed from the recorded faults,
    /// once, at the visit where it did.
    pub fn take_departure(&mut self) -> Option<String> {
        self.departure.take()
    }

    /// By-thread mode: how many scripted faults did not fire because their
    /// visit came at another site.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Sets the thread that [`FaultInjector::decide`] records (a stress
    /// runner's per-thread injector).
    #[must_use]
    pub fn for_thread(mut self, thread: usize) -> Self {
        self.thread = thread;
        self
    }

    /// A visit of `site` by this injector's thread: the fault to apply there, if any.
    pub fn decide(&mut self, site: Site) -> Option<Fault> {
        self.decide_by(self.thread, site)
    }

    /// A visit of `site` by `thread` (the scheduler serves every logical thread
    /// with one injector).
    pub fn decide_by(&mut self, thread: usize, site: Site) -> Option<Fault> {
        let at = self.visits;
        self.visits += 1;
        if self.thread_visits.len() <= thread {
            self.thread_visits.resize(thread + 1, (0, 0));
        }
        let (op, in_op) = {
            let (boundaries, since) = &mut self.thread_visits[thread];
            if site == Site::OpBoundary {
                *boundaries += 1;
                *since = 0;
            }
            let here = (boundaries.saturating_sub(1), *since);
            *since += 1;
            here
        };
        let fault = match &mut self.mode {
            Mode::Off => None,
            Mode::Seeded(seeded) => seeded.decide(site),
            Mode::Scripted { script, next } => match script.get(*next) {
                Some(f) if f.at == at => {
                    *next += 1;
                    if f.site == site && f.thread == thread {
                        Some(f.fault)
                    } else {
                        if self.mismatch.is_none() {
                            self.mismatch = Some(format!(
                                "recorded fault {:?} at visit {at} for thread {} at {:?}, \
                                 but visit {at} was thread {thread} at {site:?}",
                                f.fault, f.thread, f.site
                            ));
                        }
                        None
                    }
                }
                _ => None,
            },
            Mode::ByThread { script } => match script.remove(&(thread, op, in_op)) {
                Some(f) if f.site == site => Some(f.fault),
                Some(_) => {
                    self.skipped += 1;
                    None
                }
                None => None,
            },
            Mode::Following {
                script,
                next,
                seeded,
                departed,
            } => {
                let mut recorded = None;
                if !*departed {
                    if let Some(f) = script.get(*next).copied().filter(|f| f.at == at) {
                        *next += 1;
                        if f.site == site && f.thread == thread {
                            recorded = Some(f.fault);
                        } else {
                            *departed = true;
                            self.departure = Some(format!(
                                "recorded fault {:?} at visit {at} for thread {} at {:?}, \
                                 but visit {at} was thread {thread} at {site:?}",
                                f.fault, f.thread, f.site
                            ));
                        }
                    }
                }
                if *departed {
                    seeded.as_mut().and_then(|s| s.decide(site))
                } else {
                    recorded
                }
            }
        };
        if let Some(fault) = fault {
            self.fired.push(FiredFault {
                at,
                thread,
                op,
                in_op,
                site,
                fault,
            });
        }
        fault
    }

    /// The faults fired so far, in order.
    pub fn fired(&self) -> &[FiredFault] {
        &self.fired
    }

    /// Consumes the injector, returning the faults it fired.
    pub fn into_fired(self) -> Vec<FiredFault> {
        self.fired
    }

    /// Number of visits so far.
    pub fn visits(&self) -> u64 {
        self.visits
    }

    /// Scripted mode: the first recorded fault whose visit arrived with a
    /// different site or thread (the replay diverged), described.
    pub fn mismatch(&self) -> Option<&str> {
        self.mismatch.as_deref()
    }

    /// Scripted mode: recorded faults whose visit has not arrived yet (the
    /// lenient modes never call a fault pending).
    pub fn pending(&self) -> &[FiredFault] {
        match &self.mode {
            Mode::Scripted { script, next } => &script[*next..],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests;
