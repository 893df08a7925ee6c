//! Scheduling strategies: who runs at each decision.
//!
//! A strategy sees only what the executor tells it (the runnable threads and
//! who ran last) and its own seeded generator, so its choices are a function
//! of the seed and of the bodies' behaviour under those choices. Nothing
//! else — no time, no addresses, no hash-map order — may reach a choice.

use std::cell::RefCell;
use std::rc::Rc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::Departure;

/// Chooses the thread that runs at each scheduling decision of an execution.
///
/// What the executor guarantees to a strategy:
/// - [`Strategy::begin`] is called once, before the first decision, with the
///   number of logical threads (they are numbered `0..threads`);
/// - [`Strategy::next_thread`] is called once per decision, in execution
///   order, with `runnable` non-empty, sorted ascending and without
///   duplicates; `running` is the thread that ran up to this decision (it
///   may have just blocked or finished, and so be absent from `runnable`),
///   `None` at the first decision;
/// - [`Strategy::end`] is called once, after the last decision, with the
///   number of decisions made.
///
/// What the strategy promises: `next_thread` returns a member of `runnable`,
/// or `Err` with a one-line reason when it cannot follow the execution
/// (a replay that diverged); the execution then ends at that decision.
/// `end` returns `Err` when the execution ended before the strategy
/// expected (a replay with decisions left over).
///
/// Strategies compose by wrapping: a strategy may own another and delegate
/// to it, observing or overriding its choices.
pub trait Strategy {
    /// A new execution with `threads` logical threads starts.
    fn begin(&mut self, threads: usize);

    /// The thread to run at this decision.
    fn next_thread(&mut self, runnable: &[usize], running: Option<usize>) -> Result<usize, String>;

    /// The execution made `decisions` decisions and ended.
    fn end(&mut self, decisions: u64) -> Result<(), String>;
}

impl<S: Strategy + ?Sized> Strategy for Box<S> {
    fn begin(&mut self, threads: usize) {
        (**self).begin(threads)
    }
    fn next_thread(&mut self, runnable: &[usize], running: Option<usize>) -> Result<usize, String> {
        (**self).next_thread(runnable, running)
    }
    fn end(&mut self, decisions: u64) -> Result<(), String> {
        (**self).end(decisions)
    }
}

/// Random walk: at every decision, a thread chosen uniformly among the
/// runnable ones (shuttle's random scheduler).
///
/// A bug that needs one particular choice at each of `c` decisions among at
/// most `n` runnable threads is found with probability at least `n^-c` per
/// execution; in practice most choices do not matter and the odds are far
/// better.
#[derive(Debug)]
pub struct RandomStrategy {
    rng: ChaCha8Rng,
}

impl RandomStrategy {
    /// A random walk drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: crate::seed::chacha(seed, crate::seed::SCHED_STREAM),
        }
    }
}

impl Strategy for RandomStrategy {
    fn begin(&mut self, _threads: usize) {}

    fn next_thread(
        &mut self,
        runnable: &[usize],
        _running: Option<usize>,
    ) -> Result<usize, String> {
        // A forced decision costs no draw. Ranges are drawn as u32 so the
        // draw is the same on 32- and 64-bit platforms.
        Ok(match runnable {
            [only] => *only,
            _ => runnable[self.rng.random_range(0..runnable.len() as u32) as usize],
        })
    }

    fn end(&mut self, _decisions: u64) -> Result<(), String> {
        Ok(())
    }
}

/// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi,
/// Nagarakatte, ASPLOS 2010).
///
/// Each thread gets a distinct random initial priority in `depth..depth+n`;
/// `depth − 1` change points are drawn uniformly among the first `horizon`
/// *contended* decisions (those with more than one runnable thread); at the
/// change point labelled `i` (`1..depth`, labels assigned at random) the
/// thread that ran up to it drops to priority `i`, below every initial one.
/// At each decision the highest-priority runnable thread runs.
///
/// Guarantee (the paper's Theorem 1): a bug of depth `d ≤ depth` — one that
/// shows whenever `d` particular ordering constraints hold — is found with
/// probability at least `1 / (n · k^(d−1))` per execution, where `n` is the
/// number of threads and `k ≥` the execution's number of contended decisions.
/// The bound needs `horizon ≥ k`; a horizon far above `k` wastes change
/// points beyond the end of the execution.
#[derive(Debug)]
pub struct PctStrategy {
    rng: ChaCha8Rng,
    depth: u32,
    horizon: u64,
    /// `priorities[t]`: higher runs first. Invariant: all distinct.
    priorities: Vec<u64>,
    /// `(contended decision index, priority to drop to)`, at most `depth − 1`
    /// entries with distinct indices in `1..=horizon` and distinct priorities
    /// in `1..depth`.
    change_points: Vec<(u64, u64)>,
    /// Contended decisions so far.
    contended: u64,
}

impl PctStrategy {
    /// PCT of the given depth (≥ 1) drawn from `seed`, with change points over
    /// the first `horizon` (≥ 1) contended decisions.
    pub fn new(seed: u64, depth: u32, horizon: u64) -> Self {
        Self {
            rng: crate::seed::chacha(seed, crate::seed::SCHED_STREAM),
            depth: depth.max(1),
            horizon: horizon.max(1),
            priorities: Vec::new(),
            change_points: Vec::new(),
            contended: 0,
        }
    }
}

impl Strategy for PctStrategy {
    fn begin(&mut self, threads: usize) {
        let d = u64::from(self.depth);
        // Fisher–Yates with u32 draws (portable), over depth..depth+n.
        self.priorities = (0..threads as u64).map(|i| d + i).collect();
        for i in (1..threads).rev() {
            let j = self.rng.random_range(0..=i as u32) as usize;
            self.priorities.swap(i, j);
        }
        // depth − 1 distinct change points in 1..=horizon; the i-th drawn gets
        // label i, so labels are assigned in random order of position.
        let points = (d - 1).min(self.horizon);
        self.change_points.clear();
        let mut label = 1;
        while (self.change_points.len() as u64) < points {
            let at = self.rng.random_range(1..=self.horizon);
            if self.change_points.iter().all(|&(p, _)| p != at) {
                self.change_points.push((at, label));
                label += 1;
            }
        }
        self.contended = 0;
    }

    fn next_thread(&mut self, runnable: &[usize], running: Option<usize>) -> Result<usize, String> {
        if let [only] = runnable {
            // No choice here; as in the paper, sequential stretches carry no
            // change points.
            return Ok(*only);
        }
        self.contended += 1;
        if let (Some(t), Some(&(_, to))) = (
            running,
            self.change_points
                .iter()
                .find(|&&(at, _)| at == self.contended),
        ) {
            self.priorities[t] = to;
        }
        Ok(*runnable
            .iter()
            .max_by_key(|&&t| self.priorities[t])
            .expect("runnable is non-empty"))
    }

    fn end(&mut self, _decisions: u64) -> Result<(), String> {
        Ok(())
    }
}

/// Replays recorded choices exactly, and says precisely where an execution
/// stopped following them.
#[derive(Debug)]
pub struct ReplayStrategy {
    choices: Vec<u32>,
    next: usize,
}

impl ReplayStrategy {
    /// Replays `choices` (a [`super::Trace`]'s).
    pub fn new(choices: Vec<u32>) -> Self {
        Self { choices, next: 0 }
    }
}

impl Strategy for ReplayStrategy {
    fn begin(&mut self, _threads: usize) {
        self.next = 0;
    }

    fn next_thread(&mut self, runnable: &[usize], running: Option<usize>) -> Result<usize, String> {
        let i = self.next;
        let Some(&want) = self.choices.get(i) else {
            return Err(format!(
                "the trace ends after {} decisions but the execution went on ({})",
                self.choices.len(),
                whereabouts(runnable, running)
            ));
        };
        if !runnable.contains(&(want as usize)) {
            return Err(format!(
                "the trace chose thread {want}, which is not runnable here ({})",
                whereabouts(runnable, running)
            ));
        }
        self.next += 1;
        Ok(want as usize)
    }

    fn end(&mut self, decisions: u64) -> Result<(), String> {
        if self.next < self.choices.len() {
            return Err(format!(
                "the execution ended after {decisions} decisions but the trace has {}",
                self.choices.len()
            ));
        }
        Ok(())
    }
}

/// Where an execution departed from its recording, shared between a
/// [`FollowStrategy`] and the executor (whose fault injector may notice the
/// departure first). The first departure recorded is kept.
#[derive(Clone, Debug, Default)]
pub struct DepartureCell(Rc<RefCell<Option<Departure>>>);

impl DepartureCell {
    /// An empty cell: no departure yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The departure, if one was recorded.
    pub fn get(&self) -> Option<Departure> {
        self.0.borrow().clone()
    }

    /// Whether a departure was recorded.
    pub fn is_set(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// Records a departure at decision `step`, unless one was recorded already.
    pub fn set(&self, step: u64, detail: impl Into<String>) {
        let mut cell = self.0.borrow_mut();
        if cell.is_none() {
            *cell = Some(Departure {
                step,
                detail: detail.into(),
            });
        }
    }
}

/// Follows recorded choices until the execution departs from them, then lets
/// `fallback` (a seeded strategy) decide: `chaos replay --continue`, and the
/// script minimiser's first attempt at a smaller script.
///
/// It departs when a recorded choice is not runnable, when the recording
/// runs out while the execution goes on, or when someone else (the
/// executor, on a fault that no longer matches) records a departure in the
/// shared [`DepartureCell`]. It never makes an execution diverge.
pub struct FollowStrategy {
    choices: Vec<u32>,
    next: usize,
    fallback: Box<dyn Strategy>,
    departure: DepartureCell,
}

impl std::fmt::Debug for FollowStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowStrategy")
            .field("choices", &self.choices.len())
            .field("next", &self.next)
            .field("departure", &self.departure.get())
            .finish()
    }
}

impl FollowStrategy {
    /// Follows `choices` (a [`super::Trace`]'s), then `fallback`; the
    /// departure is recorded in `departure`.
    pub fn new(choices: Vec<u32>, fallback: Box<dyn Strategy>, departure: DepartureCell) -> Self {
        Self {
            choices,
            next: 0,
            fallback,
            departure,
        }
    }
}

impl Strategy for FollowStrategy {
    fn begin(&mut self, threads: usize) {
        self.next = 0;
        self.fallback.begin(threads);
    }

    fn next_thread(&mut self, runnable: &[usize], running: Option<usize>) -> Result<usize, String> {
        if !self.departure.is_set() {
            let i = self.next;
            match self.choices.get(i) {
                Some(&want) if runnable.contains(&(want as usize)) => {
                    self.next += 1;
                    return Ok(want as usize);
                }
                Some(&want) => self.departure.set(
                    i as u64,
                    format!(
                        "the recording chose thread {want}, which is not runnable here ({})",
                        whereabouts(runnable, running)
                    ),
                ),
                None => self.departure.set(
                    i as u64,
                    format!(
                        "the recording ends after {} decisions but the execution went on",
                        self.choices.len()
                    ),
                ),
            }
        }
        self.fallback.next_thread(runnable, running)
    }

    fn end(&mut self, decisions: u64) -> Result<(), String> {
        if self.next < self.choices.len() {
            self.departure.set(
                decisions,
                format!(
                    "the execution ended after {decisions} decisions but the recording has {}",
                    self.choices.len()
                ),
            );
        }
        Ok(())
    }
}

/// Where the threads stood at a decision, in words: "runnable: threads 0
/// and 2; thread 1 ran last".
fn whereabouts(runnable: &[usize], running: Option<usize>) -> String {
    let list = match runnable {
        [] => "no thread".to_string(),
        [t] => format!("thread {t}"),
        [init @ .., last] => format!(
            "threads {} and {last}",
            init.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let ran = running.map_or("no thread has run yet".to_string(), |t| {
        format!("thread {t} ran last")
    });
    format!("runnable: {list}; {ran}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_threads_stood_is_said_in_words() {
        assert_eq!(
            whereabouts(&[0, 2, 3], Some(1)),
            "runnable: threads 0, 2 and 3; thread 1 ran last"
        );
        assert_eq!(
            whereabouts(&[4], None),
            "runnable: thread 4; no thread has run yet"
        );
        assert_eq!(
            whereabouts(&[], Some(0)),
            "runnable: no thread; thread 0 ran last"
        );
    }

    #[test]
    fn random_covers_every_runnable_thread() {
        let mut s = RandomStrategy::new(1);
        s.begin(3);
        let mut seen = [0u32; 3];
        for _ in 0..300 {
            seen[s.next_thread(&[0, 1, 2], Some(0)).unwrap()] += 1;
        }
        // Each count is Binomial(300, 1/3), mean 100: below 50 has odds < 1e-8.
        assert!(seen.iter().all(|&c| c > 50), "{seen:?}");
        assert_eq!(s.next_thread(&[2], Some(2)), Ok(2));
    }

    #[test]
    fn pct_priorities_and_change_points_are_well_formed() {
        for seed in 0..200 {
            let mut s = PctStrategy::new(seed, 4, 10);
            s.begin(5);
            let mut p = s.priorities.clone();
            p.sort_unstable();
            assert_eq!(p, vec![4, 5, 6, 7, 8]);
            assert_eq!(s.change_points.len(), 3);
            let mut labels: Vec<u64> = s.change_points.iter().map(|c| c.1).collect();
            labels.sort_unstable();
            assert_eq!(labels, vec![1, 2, 3]);
            assert!(s.change_points.iter().all(|c| (1..=10).contains(&c.0)));
        }
        // Fewer contended decisions than change points: as many as fit.
        let mut s = PctStrategy::new(0, 5, 2);
        s.begin(2);
        assert_eq!(s.change_points.len(), 2);
    }

    #[test]
    fn pct_without_change_points_runs_the_top_thread_to_completion() {
        let mut s = PctStrategy::new(3, 1, 100);
        s.begin(3);
        let top = (0..3).max_by_key(|&t| s.priorities[t]).unwrap();
        for _ in 0..10 {
            assert_eq!(s.next_thread(&[0, 1, 2], Some(top)), Ok(top));
        }
    }

    #[test]
    fn replay_reports_where_it_diverged() {
        let mut r = ReplayStrategy::new(vec![0, 1]);
        r.begin(2);
        assert_eq!(r.next_thread(&[0, 1], None), Ok(0));
        assert!(r
            .next_thread(&[0], Some(0))
            .unwrap_err()
            .contains("thread 1"));
        let mut r = ReplayStrategy::new(vec![0]);
        r.begin(2);
        assert_eq!(r.next_thread(&[0, 1], None), Ok(0));
        assert!(r
            .next_thread(&[0, 1], Some(0))
            .unwrap_err()
            .contains("ends after 1"));
        let mut r = ReplayStrategy::new(vec![0, 1]);
        r.begin(2);
        r.next_thread(&[0, 1], None).unwrap();
        assert!(r.end(1).unwrap_err().contains("trace has 2"));
    }

    #[test]
    fn follow_departs_once_then_draws_from_the_fallback() {
        let cell = DepartureCell::new();
        let mut f = FollowStrategy::new(
            vec![1, 0, 1],
            Box::new(RandomStrategy::new(5)),
            cell.clone(),
        );
        f.begin(2);
        assert_eq!(f.next_thread(&[0, 1], None), Ok(1));
        assert_eq!(f.next_thread(&[0, 1], Some(1)), Ok(0));
        assert!(!cell.is_set());
        // Thread 1 finished: the recorded choice is not runnable any more.
        assert_eq!(f.next_thread(&[0], Some(0)), Ok(0));
        let d = cell.get().unwrap();
        assert_eq!(d.step, 2);
        assert!(d.detail.contains("thread 1"), "{}", d.detail);
        // From now on the fallback decides; the first departure is kept.
        for _ in 0..10 {
            assert!(f.next_thread(&[0, 1], Some(0)).is_ok());
        }
        assert_eq!(f.end(13), Ok(()));
        assert_eq!(cell.get().unwrap().step, 2);

        // A recording with decisions left over: departure at the end, no error.
        let cell = DepartureCell::new();
        let mut f = FollowStrategy::new(
            vec![0, 0, 0],
            Box::new(RandomStrategy::new(5)),
            cell.clone(),
        );
        f.begin(1);
        assert_eq!(f.next_thread(&[0], None), Ok(0));
        assert_eq!(f.end(1), Ok(()));
        assert!(cell.get().unwrap().detail.contains("recording has 3"));
    }
}
