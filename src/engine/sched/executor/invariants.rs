//! What holds whenever a decision is about to be made, checked at every
//! decision in builds with debug assertions.

use super::state::{Phase, State};

impl State {
    /// Panics if [`State::invariant_violation`] finds one. Called at every
    /// decision in builds with debug assertions (tests included).
    pub(super) fn check_invariants(&self, running: Option<usize>) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sched::strategy::{RandomStrategy, Strategy};

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
