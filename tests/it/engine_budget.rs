//! The sched-mode step budget: a correct map never runs out of it, a map
//! that stops making progress is a livelock finding, and a run that is only
//! longer than a budget the user set is *undecided* — never a finding.

use chaos::check::FindingKind;
use chaos::engine::{execute, Outcome};
use chaos::maps::{registry, ChaosMap, Delegate, Key, OpResult, Value};
use chaos::scenario::{Expect, Mode, Scenario};
use chaos::seed::Seed;
use chaos::sync::{yield_point, Site};

use crate::support::Locked;

/// A map whose stores of odd keys spin forever (yielding, so the scheduler
/// keeps control): no op completes once every thread is inside one.
struct SpinsOnOddStores(Locked);

impl Delegate for SpinsOnOddStores {
    type Inner = Locked;
    fn inner(&self) -> &Locked {
        &self.0
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        if key % 2 == 1 {
            loop {
                yield_point(Site::User("spin"));
            }
        }
        self.0.store(key, value)
    }
}

/// The run from the bug report: a correct `sync.Map` under 8 threads that
/// takes more than a million steps. It used to be reported as a livelock.
#[test]
fn a_long_run_of_a_correct_map_is_clean_under_the_default_budget() {
    let scenario = Scenario {
        backend: "syncmap".into(),
        threads: 8,
        ops: 3500,
        keys: 64,
        mix: "store=30,delete=30,load=40".parse().unwrap(),
        promote_rate: 0.3,
        ..Scenario::default()
    };
    let syncmap = registry::lookup("syncmap").unwrap();
    let exec = execute(&scenario, Seed(1), syncmap.constructor());
    assert!(exec.steps().unwrap() > 1_000_000, "the run is long");
    assert!(exec.findings.is_empty(), "{:?}", exec.findings);
    assert_eq!(exec.outcome(), Outcome::Met);
}

#[test]
fn a_run_longer_than_a_set_budget_is_undecided_not_a_finding() {
    let mut scenario = Scenario {
        backend: "rwmutex".into(),
        threads: 4,
        ops: 200,
        ..Scenario::default()
    };
    scenario.sched.max_steps = Some(300);
    let rw = registry::lookup("rwmutex").unwrap();
    for expect in [Expect::Clean, Expect::Finding] {
        scenario.expect = expect;
        let exec = execute(&scenario, Seed(3), rw.constructor());
        assert!(exec.findings.is_empty(), "{:?}", exec.findings);
        assert_eq!(exec.outcome(), Outcome::Undecided { budget: 300 });
        assert!(!exec.expectation_met());
        let text = chaos::report::run_human(&exec);
        assert!(
            text.starts_with("UNDECIDED") && text.contains("--max-steps"),
            "{text}"
        );
    }
}

#[test]
fn a_map_that_stops_making_progress_is_a_livelock_finding() {
    let scenario = Scenario {
        backend: "spins".into(),
        threads: 2,
        ops: 20,
        keys: 8,
        mix: "store=1".parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    };
    let build = |_seed: u64| -> Box<dyn ChaosMap> { Box::new(SpinsOnOddStores(Locked::default())) };
    let exec = execute(&scenario, Seed(0), &build);
    let f = exec.findings.first().expect("a livelock finding");
    assert_eq!(f.kind, FindingKind::StepLimit, "{f}");
    assert!(
        f.detail.contains("no op returned in the last"),
        "{}",
        f.detail
    );
    assert!(
        f.detail.contains("reached `spin`"),
        "positions in words: {}",
        f.detail
    );
    assert_eq!(exec.outcome(), Outcome::Finding);
    // The default budget for 2 × 20 ops: 1,000,000 + 1,000 × 40.
    assert_eq!(exec.steps(), Some(1_040_000));
}
