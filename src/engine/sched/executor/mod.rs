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
//!
//! [`Hook`]: crate::sync::Hook

mod active;
mod driver;
mod hook;
mod invariants;
mod state;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use corosensei::stack::DefaultStack;

use super::strategy::{
    DepartureCell, FollowStrategy, PctStrategy, RandomStrategy, ReplayStrategy, Strategy,
};
use super::switch::{Coroutine, CoroutineRef, Slot};
use super::{Choices, Faults, Heartbeat, SchedConfig, SchedReport, StrategyKind};
use crate::engine::faults::FaultInjector;

use active::Active;
pub use active::{current_thread, logical_time, stop_execution, tearing_down};
use driver::{Exec, ThreadExit};
use state::State;

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
    /// Where the executions say they are alive, for a watchdog on another
    /// OS thread ([`Executor::set_heartbeat`]).
    heartbeat: Option<Arc<Heartbeat>>,
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
            heartbeat: None,
        }
    }

    /// Has every later execution beat `heartbeat` at each yield point and
    /// name the logical thread it resumes, so that another OS thread can
    /// tell a run that makes progress from one whose OS thread is blocked.
    pub fn set_heartbeat(&mut self, heartbeat: Option<Arc<Heartbeat>>) {
        self.heartbeat = heartbeat;
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
            heartbeat: self.heartbeat.clone(),
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
