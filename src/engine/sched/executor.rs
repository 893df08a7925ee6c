//! The executor: runs an execution's logical threads as coroutines on the
//! calling OS thread and makes every scheduling decision.
//!
//! # How a switch happens
//!
//! The executor installs itself as the [`Hook`] of its OS thread. A body's
//! yield point (or contended lock) calls into the hook *on the body's own
//! coroutine stack*; the hook asks the strategy who runs next. If the same
//! thread, it simply returns — no context switch at all. Otherwise it records
//! the choice in `State::next`, suspends the coroutine back to the driver
//! loop ([`Exec::drive`]), which resumes the chosen one. The driver never
//! decides anything at a yield point; it only decides when a body returns.
//!
//! # Invariants
//!
//! - `State` is borrowed only briefly and never across a suspend: every
//!   coroutine reaches the same `RefCell`.
//! - `State::current` is the thread the driver resumes (or last resumed);
//!   combined with [`Slot::is_here`] the hook knows whether it was called
//!   from that thread's body, which alone may be switched out.
//! - At the end of an execution every unfinished coroutine is force-unwound
//!   (corosensei's unwinding of a suspended coroutine), so lock guards on its
//!   stack are dropped and the locks are free for the next execution.
//! - Every thread is exactly one of runnable, blocked, finished, and the
//!   strategy's list is the runnable set in order: with debug assertions,
//!   every decision checks this (`State::invariant_violation`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use corosensei::stack::DefaultStack;
use corosensei::CoroutineResult;

use super::strategy::{
    DepartureCell, FollowStrategy, PctStrategy, RandomStrategy, ReplayStrategy, Strategy,
};
use super::switch::{Coroutine, CoroutineRef, Slot};
use super::threadset::ThreadSet;
use super::{
    Choices, End, Faults, SchedConfig, SchedReport, SiteVisit, StrategyKind, ThreadPosition, Trace,
};
use crate::engine::faults::FaultInjector;
use crate::sync::{Blocking, Cover, Fault, Hook, ResourceId, Site};

/// Stack of each logical thread. Only touched pages cost memory, and stacks
/// are reused across executions, so be generous: a body that overflows it
/// crashes the process (the guard page), it cannot be caught.
const DEFAULT_STACK_SIZE: usize = 1 << 20;

/// Runs executions, one after another, reusing its coroutine stacks.
///
/// It runs one execution at a time, on the calling OS thread; a body may not
/// start another execution.
pub struct Executor {
    /// Pooled stacks: thread `t` of every execution runs on `stacks[t]`.
    stacks: Vec<DefaultStack>,
    stack_size: usize,
    /// Length of the last trace, to size the next one's buffer. Never
    /// influences a choice.
    choices_hint: usize,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("stacks", &self.stacks.len())
            .field("stack_size", &self.stack_size)
            .finish()
    }
}

impl Default for Executor {
    fn default() -> Self {
        Self::new()
    }
}

impl Executor {
    /// An executor whose threads get 1 MiB stacks.
    pub fn new() -> Self {
        Self::with_stack_size(DEFAULT_STACK_SIZE)
    }

    /// An executor whose threads get `bytes`-sized stacks.
    pub fn with_stack_size(bytes: usize) -> Self {
        Self {
            stacks: Vec::new(),
            stack_size: bytes,
            choices_hint: 0,
        }
    }

    /// Runs one execution of `threads` (logical thread `i` runs `threads[i]`)
    /// under `cfg`, and reports how it went.
    ///
    /// Never panics because a body did: a body's panic is caught and
    /// recorded in [`SchedReport::panics`], and the other threads run on.
    ///
    /// # Panics
    ///
    /// If called from inside a body of a running execution, or if a coroutine
    /// stack cannot be allocated.
    pub fn run<'a>(
        &mut self,
        cfg: &SchedConfig,
        threads: Vec<Box<dyn FnOnce() + 'a>>,
    ) -> SchedReport {
        let seeded = || -> Box<dyn Strategy> {
            match cfg.strategy {
                StrategyKind::Random => Box::new(RandomStrategy::new(cfg.seed)),
                StrategyKind::Pct { depth, horizon } => {
                    let horizon = if horizon == 0 { cfg.max_steps } else { horizon };
                    Box::new(PctStrategy::new(cfg.seed, depth, horizon))
                }
            }
        };
        match &cfg.choices {
            Choices::Replay(choices) => {
                let strategy = Box::new(ReplayStrategy::new(choices.clone()));
                self.run_inner(cfg, strategy, None, threads)
            }
            Choices::Follow(choices) => {
                let cell = DepartureCell::new();
                let strategy =
                    Box::new(FollowStrategy::new(choices.clone(), seeded(), cell.clone()));
                self.run_inner(cfg, strategy, Some(cell), threads)
            }
            Choices::Seeded => self.run_inner(cfg, seeded(), None, threads),
        }
    }

    /// Like [`Executor::run`], with a strategy of the caller's (for instance
    /// one that wraps a built-in one): `cfg.strategy` and `cfg.choices` are
    /// ignored; faults come from `cfg.faults` as usual.
    pub fn run_with<'a>(
        &mut self,
        cfg: &SchedConfig,
        strategy: Box<dyn Strategy>,
        threads: Vec<Box<dyn FnOnce() + 'a>>,
    ) -> SchedReport {
        let cell = matches!(cfg.faults, Faults::Follow(..)).then(DepartureCell::new);
        self.run_inner(cfg, strategy, cell, threads)
    }

    fn run_inner<'a>(
        &mut self,
        cfg: &SchedConfig,
        mut strategy: Box<dyn Strategy>,
        departure: Option<DepartureCell>,
        threads: Vec<Box<dyn FnOnce() + 'a>>,
    ) -> SchedReport {
        let n = threads.len();
        while self.stacks.len() < n {
            let stack = DefaultStack::new(self.stack_size)
                .unwrap_or_else(|e| panic!("cannot allocate a coroutine stack: {e}"));
            self.stacks.push(stack);
        }
        // No injector at all where nothing can fire: not a single draw.
        let injector = match &cfg.faults {
            Faults::Seeded(rates) if rates.is_disabled() => None,
            Faults::Seeded(rates) => Some(FaultInjector::new(cfg.seed, *rates)),
            Faults::Replay(faults) | Faults::ByThread(faults) if faults.is_empty() => None,
            Faults::Replay(faults) => Some(FaultInjector::scripted(faults.clone())),
            Faults::ByThread(faults) => Some(FaultInjector::by_thread(faults.clone())),
            Faults::Follow(faults, rates) if faults.is_empty() && rates.is_disabled() => None,
            Faults::Follow(faults, rates) => {
                Some(FaultInjector::following(faults.clone(), cfg.seed, *rates))
            }
        };
        strategy.begin(n);
        let exec = Rc::new(Exec {
            state: RefCell::new(State {
                injector,
                choices: Vec::with_capacity(self.choices_hint),
                sites: cfg.record_sites.then(Vec::new),
                departure,
                ..State::new(n, cfg.max_steps, strategy)
            }),
            slots: (0..n).map(|_| Slot::new()).collect(),
        });

        let _active = Active::enter(exec.clone());
        let _hook = crate::sync::install(exec.clone());
        let e: &Exec = &exec;
        let mut coroutines: Vec<Coroutine<'_, ThreadExit>> = threads
            .into_iter()
            .zip(self.stacks.iter_mut())
            .enumerate()
            .map(|(t, (body, stack))| e.slots[t].coroutine(stack, move || e.run_body(body)))
            .collect();
        coroutines.reverse();
        let mut report = with_scopes(coroutines, Vec::new(), |threads| {
            e.drive(threads);
            let report = e.report();
            e.teardown(threads);
            report
        });
        // Panics while unwinding suspended threads came after the snapshot.
        report.panics = std::mem::take(&mut e.state.borrow_mut().panics);
        self.choices_hint = report.trace.choices.len();
        report
    }
}

/// Opens one coroutine scope per thread (corosensei's scoped coroutines may
/// borrow; each must be used inside its scope), then runs `f` over them all.
/// Coroutines left unfinished are unwound as their scopes close.
fn with_scopes<'s, 'r, T>(
    mut pending: Vec<Coroutine<'s, ThreadExit>>,
    open: Vec<CoroutineRef<'r, 's, ThreadExit>>,
    f: impl FnOnce(&mut [CoroutineRef<'_, 's, ThreadExit>]) -> T,
) -> T {
    // `pending` is in reverse thread order, so `pop` opens thread 0 first.
    let Some(next) = pending.pop() else {
        let mut open = open;
        return f(&mut open);
    };
    next.scope(move |co| {
        // Shorten the open references' lifetime to this scope's.
        let mut open: Vec<CoroutineRef<'_, 's, ThreadExit>> = open;
        open.push(co);
        with_scopes(pending, open, f)
    })
}

/// How a body ended.
enum ThreadExit {
    Returned,
    Panicked(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Bodies run and decisions are made.
    Running,
    /// The execution ended; suspended coroutines are being unwound and no
    /// switch may happen.
    TearingDown,
}

/// What a report says about a thread (the scheduling-relevant state lives in
/// `State::runnable` and `State::blocked_on`).
#[derive(Clone, Debug, Default)]
struct ThreadState {
    last_site: Option<Site>,
    finished: bool,
    yields: u64,
}

struct State {
    phase: Phase,
    /// Logical time: decisions made, plus yield points the stopping thread
    /// passed after `stop_execution`.
    step: u64,
    max_steps: u64,
    /// The thread the driver resumes (or resumed last); `None` before the
    /// first decision and after the last.
    current: Option<usize>,
    /// Set by the hook before it suspends: who the driver resumes next
    /// (`None`: the execution ends).
    next: Option<usize>,
    threads: Vec<ThreadState>,
    /// Invariant: exactly the threads that are neither finished nor blocked.
    /// Maintained as threads block, wake and finish.
    runnable: ThreadSet,
    /// `runnable` as a sorted list, for the strategy; rebuilt at a decision
    /// only if `runnable` changed since (a plain yield changes nothing).
    runnable_list: Vec<usize>,
    runnable_list_stale: bool,
    /// `blocked_on[t]`: the lock thread `t` waits for.
    blocked_on: Vec<Option<ResourceId>>,
    /// Invariant: exactly the threads `t` with `blocked_on[t].is_some()`, so
    /// a release visits only the waiting threads (usually none).
    blocked: ThreadSet,
    /// Threads whose body has not returned.
    unfinished: usize,
    strategy: Box<dyn Strategy>,
    injector: Option<FaultInjector>,
    choices: Vec<u32>,
    /// Indexed by the `Cover` discriminant.
    coverage: Vec<Option<(Cover, u64)>>,
    end: Option<End>,
    stopped_by: Option<usize>,
    panics: Vec<(usize, String)>,
    /// The yield-point log, when recording.
    sites: Option<Vec<SiteVisit>>,
    /// Following a recording: where the execution departed from it.
    departure: Option<DepartureCell>,
}

impl State {
    /// The state before the first decision: `n` threads, all runnable; no
    /// fault injector, no site log, not following a recording.
    fn new(n: usize, max_steps: u64, strategy: Box<dyn Strategy>) -> State {
        State {
            phase: Phase::Running,
            step: 0,
            max_steps,
            current: None,
            next: None,
            threads: vec![ThreadState::default(); n],
            runnable: ThreadSet::full(n),
            runnable_list: Vec::with_capacity(n),
            runnable_list_stale: true,
            blocked_on: vec![None; n],
            blocked: ThreadSet::empty(n),
            unfinished: n,
            strategy,
            injector: None,
            choices: Vec::new(),
            coverage: Vec::new(),
            end: None,
            stopped_by: None,
            panics: Vec::new(),
            sites: None,
            departure: None,
        }
    }

    /// Panics if [`State::invariant_violation`] finds one. Called at every
    /// decision in builds with debug assertions (tests included).
    fn check_invariants(&self, running: Option<usize>) {
        if let Err(broken) = self.invariant_violation(running) {
            panic!("scheduler invariant broken at step {}: {broken}", self.step);
        }
    }

    /// What holds whenever a decision is about to be made (`decide(running)`),
    /// or the first thing that does not:
    ///
    /// - the execution is running: not tearing down, not ended, not stopped;
    /// - `running` is `current` (the thread the driver resumed, or none);
    /// - every thread is in exactly one of runnable, blocked, finished:
    ///   `runnable` is exactly the threads neither finished nor blocked,
    ///   `blocked` exactly those with `blocked_on` set, and no finished
    ///   thread is blocked; neither set holds an index past the threads;
    /// - `unfinished` counts the threads not finished;
    /// - `runnable_list`, unless stale, is `runnable` in strictly ascending
    ///   order (sorted, no duplicates): what the strategy is given;
    /// - `step` equals the decisions made (`choices`) and is at most
    ///   `max_steps`: only a stopped execution advances it otherwise.
    ///
    /// Not checked: that a blocked thread's resource is still held. The
    /// executor never learns who holds a lock (locks report only contention
    /// and release), so it cannot tell.
    fn invariant_violation(&self, running: Option<usize>) -> Result<(), String> {
        let n = self.threads.len();
        if self.phase != Phase::Running || self.end.is_some() || self.stopped_by.is_some() {
            return Err(format!(
                "a decision after the end (phase {:?}, end {:?}, stopped by {:?})",
                self.phase, self.end, self.stopped_by
            ));
        }
        if running != self.current {
            return Err(format!(
                "deciding for thread {running:?} while the driver runs {:?}",
                self.current
            ));
        }
        if self.blocked_on.len() != n {
            return Err(format!(
                "{} blocked_on entries for {n} threads",
                self.blocked_on.len()
            ));
        }
        let mut members = Vec::new();
        for (name, set) in [("runnable", &self.runnable), ("blocked", &self.blocked)] {
            set.collect_into(&mut members);
            if let Some(t) = members.iter().find(|&&t| t >= n) {
                return Err(format!("{name} holds thread {t} of {n}"));
            }
        }
        for t in 0..n {
            let finished = self.threads[t].finished;
            let waiting = self.blocked_on[t].is_some();
            if finished && waiting {
                return Err(format!("thread {t} is finished yet blocked"));
            }
            if self.blocked.contains(t) != waiting {
                return Err(format!(
                    "thread {t}: blocked set says {}, blocked_on is {:?}",
                    self.blocked.contains(t),
                    self.blocked_on[t]
                ));
            }
            if self.runnable.contains(t) != (!finished && !waiting) {
                return Err(format!(
                    "thread {t}: runnable set says {}, but finished = {finished}, blocked = {waiting}",
                    self.runnable.contains(t)
                ));
            }
        }
        let unfinished = self.threads.iter().filter(|th| !th.finished).count();
        if self.unfinished != unfinished {
            return Err(format!(
                "unfinished = {}, but {unfinished} threads are not finished",
                self.unfinished
            ));
        }
        if !self.runnable_list_stale {
            self.runnable.collect_into(&mut members);
            if self.runnable_list != members || self.runnable_list.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(format!(
                    "runnable list {:?} is not the runnable set {members:?} in order",
                    self.runnable_list
                ));
            }
        }
        if self.step != self.choices.len() as u64 || self.step > self.max_steps {
            return Err(format!(
                "step {} after {} decisions (max {})",
                self.step,
                self.choices.len(),
                self.max_steps
            ));
        }
        Ok(())
    }

    /// Appends a visit to the site log, when recording.
    fn log_site(&mut self, t: usize, site: Site, blocked: bool) {
        let step = self.step;
        if let Some(sites) = &mut self.sites {
            sites.push(SiteVisit {
                step,
                thread: t as u32,
                site,
                blocked,
                fault: None,
            });
        }
    }

    /// Makes one scheduling decision: the thread to run next, or `None` when
    /// the execution ends here (`self.end` then says why).
    fn decide(&mut self, running: Option<usize>) -> Option<usize> {
        if cfg!(debug_assertions) {
            self.check_invariants(running);
        }
        if self.runnable_list_stale {
            self.runnable.collect_into(&mut self.runnable_list);
            self.runnable_list_stale = false;
        }
        if self.runnable_list.is_empty() {
            self.end = Some(if self.unfinished > 0 {
                End::Deadlock
            } else {
                End::Completed
            });
            return None;
        }
        if self.step >= self.max_steps {
            self.end = Some(End::StepLimit);
            return None;
        }
        let index = self.choices.len() as u64;
        match self.strategy.next_thread(&self.runnable_list, running) {
            Ok(t) if self.runnable.contains(t) => {
                self.step += 1;
                self.choices.push(t as u32);
                Some(t)
            }
            Ok(t) => {
                self.end = Some(End::Diverged {
                    step: index,
                    detail: format!(
                        "the strategy chose thread {t}, which is not runnable (runnable {:?})",
                        self.runnable_list
                    ),
                });
                None
            }
            Err(detail) => {
                self.end = Some(End::Diverged {
                    step: index,
                    detail,
                });
                None
            }
        }
    }
}

impl State {
    /// Thread `t` (running) waits for `resource`.
    fn block(&mut self, t: usize, resource: ResourceId) {
        // Only the running thread blocks, and it is runnable.
        debug_assert!(self.blocked_on[t].is_none());
        debug_assert!(
            self.runnable.contains(t),
            "thread {t} blocks but is not runnable"
        );
        self.blocked_on[t] = Some(resource);
        self.blocked.insert(t);
        self.runnable.remove(t);
        self.runnable_list_stale = true;
    }

    /// Threads waiting for `resource` may run again (they retry the lock).
    fn wake(&mut self, resource: ResourceId) {
        if self.blocked.is_empty() {
            return;
        }
        let (blocked_on, runnable) = (&mut self.blocked_on, &mut self.runnable);
        let woken = self.blocked.remove_where(|t| {
            let wake = blocked_on[t] == Some(resource);
            if wake {
                blocked_on[t] = None;
                runnable.insert(t);
            }
            wake
        });
        if woken > 0 {
            self.runnable_list_stale = true;
        }
    }

    /// Thread `t`'s body returned.
    fn finish(&mut self, t: usize) {
        // Only a resumed thread returns: it was runnable, and finishes once.
        debug_assert!(
            self.runnable.contains(t),
            "thread {t} returned but was not runnable"
        );
        self.threads[t].finished = true;
        self.unfinished -= 1;
        self.runnable.remove(t);
        self.runnable_list_stale = true;
    }
}

/// One execution's shared state: the hook every body calls into.
struct Exec {
    state: RefCell<State>,
    slots: Vec<Slot>,
}

impl Exec {
    fn run_body(&self, body: Box<dyn FnOnce() + '_>) -> ThreadExit {
        match panic::catch_unwind(AssertUnwindSafe(body)) {
            Ok(()) => ThreadExit::Returned,
            Err(payload) => {
                if self.state.borrow().phase == Phase::TearingDown {
                    // corosensei's forced unwind (or a panic during it): it
                    // must reach the coroutine's root.
                    panic::resume_unwind(payload);
                }
                ThreadExit::Panicked(crate::engine::panic_message(&*payload))
            }
        }
    }

    /// The driver loop: resumes the chosen thread until the execution ends.
    fn drive(&self, threads: &mut [CoroutineRef<'_, '_, ThreadExit>]) {
        let mut st = self.state.borrow_mut();
        let mut next = st.decide(None);
        st.current = next;
        drop(st);
        while let Some(t) = next {
            let result = threads[t].resume(());
            let mut st = self.state.borrow_mut();
            next = match result {
                CoroutineResult::Yield(()) => st.next.take(),
                CoroutineResult::Return(exit) => {
                    st.finish(t);
                    if let ThreadExit::Panicked(message) = exit {
                        st.panics.push((t, message));
                    }
                    if st.stopped_by.is_some() {
                        None
                    } else {
                        st.decide(Some(t))
                    }
                }
            };
            // Set before resuming: the hook of the resumed body reads it.
            st.current = next;
        }
    }

    /// The report, as the execution stands (before unwinding anything).
    fn report(&self) -> SchedReport {
        let mut st = self.state.borrow_mut();
        let decisions = st.choices.len() as u64;
        let mut end = match (st.end.take(), st.stopped_by) {
            (Some(e @ End::Diverged { .. }), _) => e,
            (_, Some(by)) => End::Stopped { by },
            (Some(e), None) => e,
            (None, None) => unreachable!("the driver stops only when the execution ended"),
        };
        let strategy_end = st.strategy.end(decisions);
        if !matches!(end, End::Diverged { .. }) {
            if let Err(detail) = strategy_end {
                end = End::Diverged {
                    step: decisions,
                    detail,
                };
            } else if let Some((f, visits)) = st
                .injector
                .as_ref()
                .and_then(|i| i.pending().first().map(|f| (*f, i.visits())))
            {
                end = End::Diverged {
                    step: decisions,
                    detail: format!(
                        "the recorded fault {:?} at yield-point visit {} (thread {}, {:?}) \
                         was never reached: the execution ended after {visits} visits",
                        f.fault, f.at, f.thread, f.site
                    ),
                };
            }
        }
        let positions = st
            .threads
            .iter()
            .enumerate()
            .map(|(thread, th)| ThreadPosition {
                thread,
                last_site: th.last_site,
                blocked_on: st.blocked_on[thread],
                finished: th.finished,
                yields: th.yields,
            })
            .collect();
        let faults = st
            .injector
            .as_ref()
            .map(|i| i.fired().to_vec())
            .unwrap_or_default();
        SchedReport {
            steps: st.step,
            trace: Trace {
                choices: std::mem::take(&mut st.choices),
                faults,
            },
            end,
            coverage: st
                .coverage
                .iter()
                .flatten()
                .copied()
                .collect::<BTreeMap<_, _>>(),
            positions,
            panics: Vec::new(),
            sites: st.sites.take().unwrap_or_default(),
            departure: st.departure.as_ref().and_then(DepartureCell::get),
        }
    }

    /// Unwinds every unfinished coroutine so that what its stack holds
    /// (lock guards above all) is dropped.
    fn teardown(&self, threads: &mut [CoroutineRef<'_, '_, ThreadExit>]) {
        self.state.borrow_mut().phase = Phase::TearingDown;
        for (t, co) in threads.iter_mut().enumerate() {
            if co.done() {
                continue;
            }
            self.state.borrow_mut().current = Some(t);
            let unwound = panic::catch_unwind(AssertUnwindSafe(|| co.force_unwind()));
            let mut st = self.state.borrow_mut();
            st.current = None;
            if let Err(payload) = unwound {
                let message = crate::engine::panic_message(&*payload);
                st.panics.push((
                    t,
                    format!("while unwinding the suspended thread: {message}"),
                ));
            }
        }
    }

    /// Suspends thread `t` (which the caller checked runs here) back to the
    /// driver. Returns when the driver resumes it; unwinds if the driver
    /// tears it down instead.
    fn park(&self, t: usize) {
        let suspended = self.slots[t].suspend();
        debug_assert!(suspended, "park called off thread {t}'s coroutine");
    }

    /// The running thread, if the hook was called from its body (not from
    /// the driver, nor from an unstarted thread being dropped).
    fn running_here(&self, st: &State) -> Option<usize> {
        st.current.filter(|&t| self.slots[t].is_here())
    }
}

impl Hook for Exec {
    fn yield_point(&self, site: Site) -> Option<Fault> {
        let mut st = self.state.borrow_mut();
        let t = self.running_here(&st)?;
        if st.phase == Phase::TearingDown {
            drop(st);
            // A destructor running during the unwind must not switch. Not
            // panicking means the body caught the forced unwind and went on:
            // suspending again restarts the unwind.
            if !std::thread::panicking() {
                self.park(t);
            }
            return None;
        }
        let th = &mut st.threads[t];
        th.last_site = Some(site);
        th.yields += 1;
        st.log_site(t, site, false);

        if st.stopped_by.is_some() {
            // Only the stopping thread runs now; it still advances the clock.
            if st.step >= st.max_steps {
                // A stopped thread that hangs: end here (still `Stopped`).
                st.next = None;
                drop(st);
                self.park(t);
            } else {
                st.step += 1;
            }
            return None;
        }

        let departed_before = st.departure.as_ref().is_some_and(DepartureCell::is_set);
        let (fault, departed_now, mismatch) = match st.injector.as_mut() {
            None => (None, None, None),
            Some(injector) => {
                if departed_before {
                    injector.depart();
                }
                let fault = injector.decide_by(t, site);
                let mismatch = injector.mismatch().map(str::to_owned);
                (fault, injector.take_departure(), mismatch)
            }
        };
        if let (Some(fault), Some(sites)) = (fault, &mut st.sites) {
            if let Some(visit) = sites.last_mut() {
                visit.fault = Some(fault);
            }
        }
        if let (Some(detail), Some(cell)) = (departed_now, &st.departure) {
            cell.set(st.choices.len() as u64, detail);
        }
        if let Some(detail) = mismatch {
            st.end = Some(End::Diverged {
                step: st.choices.len() as u64,
                detail,
            });
            st.next = None;
            drop(st);
            self.park(t);
            return None;
        }
        match st.decide(Some(t)) {
            Some(u) if u == t => fault,
            next => {
                st.next = next;
                drop(st);
                self.park(t);
                fault
            }
        }
    }

    fn blocked_on(&self, resource: ResourceId) -> Blocking {
        let mut st = self.state.borrow_mut();
        let Some(t) = self.running_here(&st) else {
            // Not a body (an unstarted thread's closure being dropped):
            // nothing to switch to, behave like a plain lock.
            return Blocking::Wait;
        };
        if st.phase == Phase::TearingDown {
            drop(st);
            if std::thread::panicking() {
                // A destructor of a thread being unwound wants a lock another
                // suspended thread holds: it can never be released, and a
                // panic here would be a double panic. Say why, then stop.
                eprintln!(
                    "chaos: thread {t} blocks on a scheduler lock while being unwound at the \
                     end of an execution; the lock is held by a suspended thread. Aborting."
                );
                std::process::abort();
            }
            self.park(t);
            return Blocking::Retry;
        }
        st.log_site(t, Site::LockAcquire, true);
        st.block(t, resource);
        st.next = if st.stopped_by.is_some() {
            // The stopping thread cannot go on and nobody else may run.
            None
        } else {
            st.decide(Some(t))
        };
        drop(st);
        self.park(t);
        Blocking::Retry
    }

    fn released(&self, resource: ResourceId) {
        self.state.borrow_mut().wake(resource);
    }

    fn cover(&self, mark: Cover) {
        let mut st = self.state.borrow_mut();
        let i = mark as usize;
        if st.coverage.len() <= i {
            st.coverage.resize(i + 1, None);
        }
        st.coverage[i].get_or_insert((mark, 0)).1 += 1;
    }
}

thread_local! {
    /// The execution running on this OS thread, for the free functions below.
    static ACTIVE: RefCell<Option<Rc<Exec>>> = const { RefCell::new(None) };
}

/// Marks an execution as running on this OS thread until dropped.
struct Active;

impl Active {
    fn enter(exec: Rc<Exec>) -> Self {
        ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            assert!(
                a.is_none(),
                "Executor::run called from inside a running execution"
            );
            *a = Some(exec);
        });
        Active
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.borrow_mut().take());
    }
}

fn with_active<R>(f: impl FnOnce(&Exec) -> R) -> Option<R> {
    ACTIVE.with(|a| a.borrow().as_deref().map(f))
}

/// The logical time of the execution running on this OS thread: its step
/// counter, for history timestamps. `None` outside an execution.
pub fn logical_time() -> Option<u64> {
    with_active(|e| e.state.borrow().step)
}

/// True while the execution on this OS thread unwinds its suspended
/// threads at the end (corosensei's forced unwind). A body that catches
/// panics must let such an unwind through (`resume_unwind`): it is not a
/// panic of the code it ran, and catching it records an op that never
/// returned as one that panicked.
pub fn tearing_down() -> bool {
    with_active(|e| e.state.borrow().phase == Phase::TearingDown).unwrap_or(false)
}

/// The logical thread running now, when called from a body. `None` outside
/// an execution.
pub fn current_thread() -> Option<usize> {
    with_active(|e| e.state.borrow().current).flatten()
}

/// Ends the running execution from inside a body (a Go-style throw): no other
/// logical thread runs again; the calling body continues until it returns
/// (yield points return at once, without a switch); threads left suspended
/// are unwound at the end, dropping their lock guards. The report's end is
/// [`End::Stopped`]. A no-op outside an execution, and after the first call.
pub fn stop_execution() {
    with_active(|e| {
        let mut st = e.state.borrow_mut();
        if st.phase == Phase::Running && st.stopped_by.is_none() {
            st.stopped_by = st.current;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(n: usize) -> State {
        let mut strategy: Box<dyn Strategy> = Box::new(RandomStrategy::new(1));
        strategy.begin(n);
        State::new(n, 100, strategy)
    }

    fn broken(st: &State, running: Option<usize>) -> String {
        st.invariant_violation(running)
            .expect_err("the broken invariant must be caught")
    }

    #[test]
    fn blocking_waking_and_finishing_keep_the_invariants() {
        let mut st = state(3);
        assert_eq!(st.invariant_violation(None), Ok(()));
        let t = st.decide(None).unwrap();
        st.current = Some(t);
        st.block(t, 7);
        assert_eq!(st.invariant_violation(Some(t)), Ok(()));
        let u = st.decide(Some(t)).unwrap();
        st.current = Some(u);
        st.wake(7);
        st.finish(u);
        assert_eq!(st.invariant_violation(Some(u)), Ok(()));
        assert!(st.decide(Some(u)).is_some());
    }

    #[test]
    fn each_broken_invariant_is_caught() {
        // A blocked thread still runnable.
        let mut st = state(3);
        st.blocked_on[1] = Some(7);
        st.blocked.insert(1);
        assert!(broken(&st, None).contains("thread 1: runnable"));
        // A waiting thread missing from the blocked set.
        let mut st = state(3);
        st.blocked_on[2] = Some(7);
        st.runnable.remove(2);
        assert!(broken(&st, None).contains("thread 2: blocked set"));
        // A finished thread still runnable, and a miscounted `unfinished`.
        let mut st = state(3);
        st.threads[0].finished = true;
        assert!(broken(&st, None).contains("thread 0: runnable"));
        st.runnable.remove(0);
        assert!(broken(&st, None).contains("unfinished = 3"));
        // A runnable list that was not rebuilt after the set changed.
        let mut st = state(3);
        st.decide(None);
        st.runnable.remove(1);
        st.blocked_on[1] = Some(7);
        st.blocked.insert(1);
        assert!(broken(&st, None).contains("runnable list [0, 1, 2]"));
        // An index past the threads; a decision for a thread not running.
        let mut st = state(3);
        st.runnable.insert(5);
        assert!(broken(&st, None).contains("runnable holds thread 5"));
        assert!(broken(&state(3), Some(0)).contains("while the driver runs None"));
    }

    #[test]
    #[cfg_attr(not(debug_assertions), ignore = "checked only with debug assertions")]
    #[should_panic(expected = "scheduler invariant broken at step 0")]
    fn a_decision_on_a_broken_state_panics() {
        let mut st = state(2);
        // Thread 0 is neither finished nor blocked, yet not runnable.
        st.runnable.remove(0);
        st.decide(None);
    }
}
