//! The stress runner: real OS threads hammering one backend.
//!
//! Threads are released together by a spinning barrier so their first
//! operations overlap: a sleeping barrier's wake-ups are tens of
//! microseconds apart, longer than a whole short run, so the threads would
//! mostly run one after another and never race.
//! Each thread records its own events into a private buffer (no shared
//! cache line on the hot path), stamped from the processor's counter with
//! the fences that order each stamp with the operation's own memory
//! accesses ([`super::clock`]: the invoke stamp before its first effect,
//! the return stamp after its last); the stamps become nanoseconds since the
//! release, and the buffers are merged by time, at the end. The first throw or
//! panic stops the execution the way Go's fatal error stops a process: the
//! other threads finish the operation they are in and start no other.
//! A watchdog turns a run that outlives its timeout into a hang, and then
//! abandons the stragglers: a thread that reaches a yield point, or waits
//! on a `chaos::sync` lock or condition variable (which under this runner
//! poll instead of blocking in the OS), unwinds out of its op and exits, so
//! a hung execution leaves no thread behind in the calling process. Only a
//! thread blocked outside `chaos::sync` (a `std` lock, a loop with no yield
//! point) cannot be reached; the hang says so ([`StressPosition::stuck`]).
//!
//! Memory bound: at most [`HISTORY_LIMIT`] operations are recorded per
//! execution (about 100 bytes each, so ~100 MiB at worst); past that the run
//! goes on unrecorded and the result says the history was truncated.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::boundary::{apply_boundary_fault, Failure};
use super::clock::{StampClock, Stamping, ThreadStamps};
use super::faults::{FaultConfig, FaultInjector};
use crate::history::{Event, History};
use crate::maps::ChaosMap;
use crate::op::Ret;
use crate::scenario::Perturb;
use crate::seed::{Seed, Stream};
use crate::sync::{Blocking, Cover, Fault, Hook, Site};
use crate::workload::Workload;

/// Most operations recorded in one execution's history.
pub const HISTORY_LIMIT: usize = 1 << 20;

/// How a stress execution is run.
#[derive(Clone, Debug)]
pub struct StressOptions {
    /// The run's seed (perturbation streams derive from it).
    pub seed: Seed,
    /// Perturbation at yield points.
    pub perturb: Perturb,
    /// The watchdog's timeout.
    pub timeout: Duration,
    /// Record a history (off only to measure recording's cost: then no
    /// stamp is taken either).
    pub record: bool,
    /// How operations are stamped ([`Stamping::Ordered`] but to measure
    /// what ordering costs).
    pub stamping: Stamping,
    /// Fault rates (each thread draws from its own seeded injector).
    pub faults: FaultConfig,
}

/// Where a thread was when a stress execution ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressPosition {
    /// Workload thread.
    pub thread: u32,
    /// Index of the op it was running or about to run.
    pub op: u32,
    /// Whether it had finished its stream.
    pub finished: bool,
    /// Whether it was still running after the watchdog abandoned it: blocked
    /// outside `chaos::sync`, where nothing can stop it. Such a thread stays
    /// until the process exits.
    pub stuck: bool,
}

/// How a stress execution ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StressEnd {
    /// Every thread ran its whole stream.
    Completed,
    /// The first throw or panic; the other threads stopped after their current op.
    Failed(Failure),
    /// The watchdog fired; where each thread was.
    Hang {
        /// Every thread's position.
        positions: Vec<StressPosition>,
    },
}

/// What a stress execution produced.
#[derive(Clone, Debug)]
pub struct StressRun {
    /// The recorded history (merged by time).
    pub history: History,
    /// Whether recording stopped at [`HISTORY_LIMIT`].
    pub truncated: bool,
    /// How it ended.
    pub end: StressEnd,
    /// Wall time from release to the last thread's end.
    pub elapsed: Duration,
    /// Operations that returned.
    pub ops_completed: u64,
    /// Coverage marks counted by the threads' hooks.
    pub coverage: std::collections::BTreeMap<Cover, u64>,
    /// The marks of `coverage` that fired while another thread was in an op.
    pub interleaved: std::collections::BTreeMap<Cover, u64>,
}

/// One thread's private record of an op.
struct Record {
    index: u32,
    invoke: u64,
    ret: Option<(u64, Ret)>,
}

impl Record {
    /// What fills the buffer before the run, to touch its pages.
    fn blank() -> Self {
        Record {
            index: 0,
            invoke: 0,
            ret: None,
        }
    }
}

/// How long the watchdog waits, after abandoning a hung run, for its
/// threads to unwind and exit (a polling lock wait notices within ~1 ms).
const ABANDON_GRACE: Duration = Duration::from_millis(250);

/// The unwinding payload of an abandoned thread: not a panic of the backend.
struct Abandoned;

/// Runs `workload` on `map` with one OS thread per workload thread.
pub fn run(map: Arc<dyn ChaosMap>, workload: Arc<Workload>, opts: &StressOptions) -> StressRun {
    let n = workload.threads.len();
    let barrier = Arc::new(SpinBarrier::default());
    let stop = Arc::new(AtomicBool::new(false));
    let abandon = Arc::new(AtomicBool::new(false));
    let positions: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    let finished: Arc<Vec<AtomicBool>> = Arc::new((0..n).map(|_| AtomicBool::new(false)).collect());
    // Which threads are inside an op: each thread writes only its own flag,
    // on a cache line of its own (written twice per op, so never shared),
    // and a coverage mark (rare) reads the others'.
    let in_op: Arc<Vec<InOp>> = Arc::new((0..n).map(|_| InOp::default()).collect());
    let first_failure: Arc<StdMutex<Option<Failure>>> = Arc::new(StdMutex::new(None));
    let budget = HISTORY_LIMIT / n.max(1);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    // Raw counter ticks are stored and turned into nanoseconds at the merge.
    let clock = StampClock::new();
    let stamping = opts.record.then_some(opts.stamping);
    let start = Arc::new(std::sync::OnceLock::<u64>::new());

    for t in 0..n {
        let (map, workload, barrier, stop) =
            (map.clone(), workload.clone(), barrier.clone(), stop.clone());
        let (positions, finished, first_failure) =
            (positions.clone(), finished.clone(), first_failure.clone());
        let (done_tx, start, opts) = (done_tx.clone(), start.clone(), opts.clone());
        let (clock, abandon, in_op) = (clock.clone(), abandon.clone(), in_op.clone());
        std::thread::Builder::new()
            .name(format!("chaos-stress-{t}"))
            .spawn(move || {
                let hook = PerturbHook::new(&opts, t as u32, abandon, in_op.clone());
                let t32 = t as u32;
                let coverage = hook.coverage.clone();
                let interleaved = hook.interleaved.clone();
                let _guard = crate::sync::install(hook);
                let ops = &workload.threads[t];
                let capacity = if opts.record {
                    ops.len().min(budget)
                } else {
                    0
                };
                let mut records: Vec<Record> = Vec::with_capacity(capacity);
                // Touch the buffer now: its page faults would otherwise land
                // inside the run, stalling a thread mid-race (and the threads
                // on the kernel's lock of the address space) once a page.
                records.resize_with(capacity, Record::blank);
                records.clear();
                let mut truncated = false;
                let mut stamps = ThreadStamps::new(&clock, stamping);
                barrier.arrive_and_wait();
                start.get_or_init(|| clock.invoke());
                // An abandoned thread unwinds out of this loop, with its op
                // recorded as pending; any other unwinding is a bug here.
                let body = catch_unwind(AssertUnwindSafe(|| {
                    for (i, op) in ops.iter().enumerate() {
                        // Relaxed: the flag only needs to be seen eventually; a
                        // thread that misses it runs one more op, as a goroutine
                        // may before the fatal error's exit reaches it.
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        positions[t].store(i as u32, Ordering::Relaxed);
                        if let Some(fault) = crate::sync::yield_point(Site::OpBoundary) {
                            if let Err(f) = apply_boundary_fault(&*map, fault, t32, i as u32) {
                                stop.store(true, Ordering::Relaxed);
                                first_failure
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(f);
                                break;
                            }
                        }
                        let invoke = stamps.invoke();
                        // Relaxed: read only by coverage counting, which
                        // needs no ordering with the op.
                        in_op[t].0.store(true, Ordering::Relaxed);
                        let ret = match catch_unwind(AssertUnwindSafe(|| op.apply(&*map))) {
                            Ok(r) => r,
                            Err(payload) if payload.is::<Abandoned>() => {
                                if opts.record && records.len() < budget {
                                    records.push(Record {
                                        index: i as u32,
                                        invoke,
                                        ret: None,
                                    });
                                }
                                std::panic::resume_unwind(payload)
                            }
                            Err(payload) => Ret::Panic(super::panic_message(&*payload)),
                        };
                        let returned = stamps.ret();
                        in_op[t].0.store(false, Ordering::Relaxed);
                        let failure = Failure::of(&ret, t32, i as u32);
                        if opts.record {
                            if records.len() < budget {
                                records.push(Record {
                                    index: i as u32,
                                    invoke,
                                    ret: Some((returned, ret)),
                                });
                            } else {
                                truncated = true;
                            }
                        }
                        if let Some(f) = failure {
                            stop.store(true, Ordering::Relaxed);
                            let mut first = first_failure.lock().unwrap_or_else(|p| p.into_inner());
                            first.get_or_insert(f);
                            break;
                        }
                    }
                }));
                if let Err(payload) = body {
                    if !payload.is::<Abandoned>() {
                        std::panic::resume_unwind(payload);
                    }
                }
                finished[t].store(true, Ordering::Release);
                let cov = (coverage.take(), interleaved.take());
                // Done with the map before reporting: once every thread has
                // reported, none holds it.
                drop(map);
                let _ = done_tx.send((t, records, truncated, cov));
            })
            .expect("spawning a stress thread");
    }
    drop(done_tx);
    barrier.release_when(n);
    let released = Instant::now();
    let deadline = released + opts.timeout;

    let mut per_thread: Vec<Vec<Record>> = (0..n).map(|_| Vec::new()).collect();
    let mut truncated = false;
    let mut coverage = std::collections::BTreeMap::new();
    let mut interleaved = std::collections::BTreeMap::new();
    let mut reported = vec![false; n];
    let mut receive = |until: Instant, reported: &mut Vec<bool>| {
        while reported.iter().any(|r| !r) {
            let left = until.saturating_duration_since(Instant::now());
            let Ok((t, records, tr, cov)) = done_rx.recv_timeout(left) else {
                return false;
            };
            per_thread[t] = records;
            truncated |= tr;
            for (k, v) in cov.0 {
                *coverage.entry(k).or_insert(0) += v;
            }
            for (k, v) in cov.1 {
                *interleaved.entry(k).or_insert(0) += v;
            }
            reported[t] = true;
        }
        true
    };
    let hung = !receive(deadline, &mut reported);
    let mut hang_positions = Vec::new();
    if hung {
        // Where each thread was when the watchdog fired; then the stragglers
        // are abandoned, and those that do not unwind within the grace
        // period are blocked where nothing can reach them.
        hang_positions = (0..n)
            .map(|t| StressPosition {
                thread: t as u32,
                op: positions[t].load(Ordering::Relaxed),
                finished: finished[t].load(Ordering::Acquire),
                stuck: false,
            })
            .collect();
        stop.store(true, Ordering::Relaxed);
        abandon.store(true, Ordering::Relaxed);
        receive(Instant::now() + ABANDON_GRACE, &mut reported);
        for (p, reported) in hang_positions.iter_mut().zip(&reported) {
            p.stuck = !reported;
        }
    }
    let elapsed = released.elapsed();
    let end = if hung {
        StressEnd::Hang {
            positions: hang_positions,
        }
    } else {
        match first_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            Some(f) => StressEnd::Failed(f),
            None => StressEnd::Completed,
        }
    };
    let ops_completed = per_thread.iter().map(|r| r.len() as u64).sum();
    StressRun {
        history: merge(
            &workload,
            per_thread,
            &clock,
            start.get().copied().unwrap_or(0),
        ),
        truncated,
        end,
        elapsed,
        ops_completed,
        coverage,
        interleaved,
    }
}

/// Merges per-thread records into one history ordered by time (ties: invokes
/// before returns, then by thread), which is what the checker's interval
/// order needs.
fn merge(
    workload: &Workload,
    per_thread: Vec<Vec<Record>>,
    clock: &StampClock,
    start: u64,
) -> History {
    let ns = |raw: u64| clock.nanos(start, raw);
    let mut events: Vec<(u64, u8, u32, Event)> = Vec::new();
    for (t, records) in per_thread.into_iter().enumerate() {
        for mut r in records {
            r.invoke = ns(r.invoke);
            if let Some((time, _)) = &mut r.ret {
                *time = ns(*time);
            }
            let op = workload.threads[t][r.index as usize];
            events.push((
                r.invoke,
                0,
                t as u32,
                Event::Invoke {
                    thread: t as u32,
                    index: r.index,
                    op,
                    time: r.invoke,
                },
            ));
            if let Some((time, ret)) = r.ret {
                events.push((
                    time,
                    1,
                    t as u32,
                    Event::Return {
                        thread: t as u32,
                        index: r.index,
                        ret,
                        time,
                    },
                ));
            }
        }
    }
    events.sort_by_key(|(time, order, thread, _)| (*time, *order, *thread));
    History {
        events: events.into_iter().map(|(.., e)| e).collect(),
    }
}

/// Releases every thread at once: workers spin (yielding now and then, so
/// that on a machine with fewer cores than threads the others still get to
/// arrive) until the releasing thread flips one flag.
#[derive(Default)]
pub(crate) struct SpinBarrier {
    arrived: AtomicUsize,
    go: AtomicBool,
}

impl SpinBarrier {
    pub(crate) fn arrive_and_wait(&self) {
        // Release: the arrival count publishes nothing else; Acquire on `go`
        // pairs with the releaser's Release store (orders nothing the
        // workers read, but keeps the handshake obviously correct).
        self.arrived.fetch_add(1, Ordering::Release);
        let mut spins = 0u32;
        while !self.go.load(Ordering::Acquire) {
            spins += 1;
            if spins.is_multiple_of(256) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// Waits for `n` arrivals, then releases them; the instant of release.
    pub(crate) fn release_when(&self, n: usize) -> Instant {
        while self.arrived.load(Ordering::Acquire) < n {
            std::thread::yield_now();
        }
        let released = Instant::now();
        self.go.store(true, Ordering::Release);
        released
    }
}

/// One thread's in-an-op flag, alone on its cache line (128 bytes: two
/// lines on CPUs that fetch lines in pairs).
#[derive(Default)]
#[repr(align(128))]
struct InOp(AtomicBool);

/// The hook a stress thread installs: perturbation, fault injection and
/// coverage counting.
struct PerturbHook {
    perturb: Perturb,
    rng: Cell<u64>,
    injector: Option<RefCell<FaultInjector>>,
    coverage: Rc<RefCell<std::collections::BTreeMap<Cover, u64>>>,
    /// The marks counted while another thread was in an op.
    interleaved: Rc<RefCell<std::collections::BTreeMap<Cover, u64>>>,
    /// Every thread's in-an-op flag; this thread's is `thread`.
    in_op: Arc<Vec<InOp>>,
    thread: usize,
    /// Set by the watchdog: unwind at the next yield point or lock wait.
    abandon: Arc<AtomicBool>,
    /// Polls of the current contended acquire (reset at every yield point,
    /// which each acquire starts with): how long to back off.
    polls: Cell<u32>,
}

impl PerturbHook {
    fn new(
        opts: &StressOptions,
        thread: u32,
        abandon: Arc<AtomicBool>,
        in_op: Arc<Vec<InOp>>,
    ) -> Rc<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.derive(Stream::Perturb(thread)));
        Rc::new(PerturbHook {
            perturb: opts.perturb,
            rng: Cell::new(rng.random::<u64>() | 1),
            injector: (!opts.faults.is_disabled()).then(|| {
                RefCell::new(FaultInjector::new(
                    opts.seed.derive(Stream::Faults(thread)),
                    opts.faults,
                ))
            }),
            coverage: Rc::default(),
            interleaved: Rc::default(),
            in_op,
            thread: thread as usize,
            abandon,
            polls: Cell::new(0),
        })
    }

    /// Unwinds out of the op when the watchdog has abandoned the run.
    /// `resume_unwind`, not `panic!`: no panic hook prints, and the thread's
    /// body tells the payload from a backend's panic.
    fn check_abandoned(&self) {
        // Relaxed: the flag only needs to be seen eventually.
        if self.abandon.load(Ordering::Relaxed) {
            std::panic::resume_unwind(Box::new(Abandoned));
        }
    }

    /// xorshift64: the perturbation only needs cheap, seeded noise.
    fn next(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        x
    }
}

impl Hook for PerturbHook {
    fn yield_point(&self, site: Site) -> Option<Fault> {
        self.check_abandoned();
        self.polls.set(0);
        let fault = self
            .injector
            .as_ref()
            .and_then(|i| i.borrow_mut().decide(site));
        match self.perturb {
            Perturb::None => {}
            Perturb::Spin => {
                let r = self.next();
                // One yield point in four spins for up to ~500 iterations.
                if r & 3 == 0 {
                    for _ in 0..(r >> 55) {
                        std::hint::spin_loop();
                    }
                }
            }
            Perturb::Yield => {
                if self.next() & 7 == 0 {
                    std::thread::yield_now();
                }
            }
        }
        fault
    }

    /// A contended `chaos::sync` lock (or a condition variable's wait)
    /// polls instead of blocking in the OS, so that a thread waiting forever
    /// can be abandoned: spin briefly, then yield the core, then sleep
    /// (up to 1 ms) between tries. Critical sections are short, so most
    /// waits end while spinning, as an OS mutex's own spin phase would.
    fn blocked_on(&self, _resource: crate::sync::ResourceId) -> Blocking {
        let polls = self.polls.get();
        self.polls.set(polls.saturating_add(1));
        match polls {
            0..64 => {
                for _ in 0..(1u32 << (polls / 8)) {
                    std::hint::spin_loop();
                }
            }
            64..128 => std::thread::yield_now(),
            _ => std::thread::sleep(Duration::from_micros(u64::from((polls - 127).min(20) * 50))),
        }
        self.check_abandoned();
        Blocking::Retry
    }

    fn cover(&self, mark: Cover) {
        *self.coverage.borrow_mut().entry(mark).or_insert(0) += 1;
        let other_in_op = self
            .in_op
            .iter()
            .enumerate()
            // Relaxed: a racy sample is all a coverage count needs.
            .any(|(t, f)| t != self.thread && f.0.load(Ordering::Relaxed));
        if other_in_op {
            *self.interleaved.borrow_mut().entry(mark).or_insert(0) += 1;
        }
    }
}
