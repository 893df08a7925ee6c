//! The fault injector under the deterministic scheduler: faults are seeded,
//! recorded in the trace, replayed exactly, and never disturb the schedule's
//! own randomness.

use chaos::engine::faults::FaultConfig;
use chaos::engine::sched::Faults;
use chaos::engine::sched::{End, Executor, SchedConfig, SchedReport};
use chaos::sync::{Fault, Site};

use crate::support::faults::{fault_walk, SOME_FAULTS};

/// Three threads walking through fault sites, logging every fault they
/// receive; with `react`, a thread takes one more yield point per fault.
fn run(
    executor: &mut Executor,
    cfg: &SchedConfig,
    react: bool,
) -> (SchedReport, Vec<(usize, Fault)>) {
    fault_walk(executor, cfg, react, 0)
}

fn with_faults(seed: u64, faults: FaultConfig) -> SchedConfig {
    SchedConfig {
        faults: Faults::Seeded(faults),
        ..SchedConfig::new(seed)
    }
}

#[test]
fn zero_rates_never_fire_and_do_not_perturb_the_schedule() {
    let mut executor = Executor::new();
    for seed in 0..50 {
        let (plain, none) = run(&mut executor, &SchedConfig::new(seed), true);
        let zero = FaultConfig {
            resize_rate: 0.0,
            evacuate_rate: 0.0,
            promote_rate: 0.0,
        };
        let (zeroed, fired) = run(&mut executor, &with_faults(seed, zero), true);
        assert!(none.is_empty() && fired.is_empty());
        assert_eq!(plain, zeroed, "seed {seed}");
    }
}

#[test]
fn fault_draws_do_not_consume_the_schedulers_randomness() {
    // Faults fire, but the bodies ignore them: the schedule must be the one
    // the same seed gives with no injector at all.
    let mut executor = Executor::new();
    let mut fired = 0;
    for seed in 0..50 {
        let (plain, _) = run(&mut executor, &SchedConfig::new(seed), false);
        let (faulted, log) = run(&mut executor, &with_faults(seed, SOME_FAULTS), false);
        assert_eq!(plain.trace.choices, faulted.trace.choices, "seed {seed}");
        fired += log.len();
    }
    assert!(fired > 0);
}

#[test]
fn faults_fire_only_where_they_apply_and_are_recorded() {
    let mut executor = Executor::new();
    let all = FaultConfig {
        resize_rate: 1.0,
        evacuate_rate: 1.0,
        promote_rate: 1.0,
    };
    let mut seeds_with_faults = 0;
    for seed in 0..20 {
        let (report, log) = run(&mut executor, &with_faults(seed, all), true);
        assert_eq!(report.end, End::Completed);
        // Per thread, in order (a fault is decided before the switch at its
        // yield point and received after, so threads interleave differently
        // in the trace and in the log).
        for t in 0..3 {
            let recorded: Vec<Fault> = report
                .trace
                .faults
                .iter()
                .filter(|f| f.thread == t)
                .map(|f| f.fault)
                .collect();
            let received: Vec<Fault> = log.iter().filter(|f| f.0 == t).map(|f| f.1).collect();
            assert_eq!(
                recorded, received,
                "the trace records what the bodies received"
            );
        }
        for f in &report.trace.faults {
            match f.fault {
                Fault::Promote | Fault::RebuildDirty => assert!(f.site.in_syncmap_locked()),
                _ => assert!(f.site.in_gomap_write_window(), "{f:?}"),
            }
        }
        // Rate 1.0: every visit of a site with an active pair fires, so each
        // thread gets the same number of faults (six rounds each).
        let per_thread: Vec<usize> = (0..3)
            .map(|t| log.iter().filter(|f| f.0 == t).count())
            .collect();
        assert!(
            per_thread.iter().all(|&n| n == per_thread[0]),
            "{per_thread:?}"
        );
        assert_eq!(per_thread[0] % 6, 0);
        seeds_with_faults += usize::from(!log.is_empty());
    }
    // Three live sites, each with 2–4 pairs switched on with odds 1/2: a seed
    // with none active has odds 2^-10; 20 seeds without any fault, never.
    assert!(seeds_with_faults > 15, "{seeds_with_faults}");
}

#[test]
fn replay_fires_the_recorded_faults_exactly() {
    let mut executor = Executor::new();
    for seed in 0..20 {
        let (original, log) = run(&mut executor, &with_faults(seed, SOME_FAULTS), true);
        // Rates and seed must not matter on replay.
        let replay = SchedConfig::new(seed + 1000).replaying(original.trace.clone());
        let (replayed, replay_log) = run(&mut executor, &replay, true);
        assert_eq!(replayed, original, "seed {seed}");
        assert_eq!(replay_log, log);
    }
}

#[test]
fn replay_without_its_faults_diverges() {
    // Faults are part of the repro: drop them and the bodies (which react to
    // faults) take another path, which the replay must notice.
    let mut executor = Executor::new();
    let seed = (0..20)
        .find(|&s| {
            !run(&mut executor, &with_faults(s, SOME_FAULTS), true)
                .1
                .is_empty()
        })
        .expect("rate 0.3 at 18 visits per thread: some seed fires");
    let (original, _) = run(&mut executor, &with_faults(seed, SOME_FAULTS), true);
    let mut trace = original.trace.clone();
    trace.faults.clear();
    let replay = SchedConfig::default().replaying(trace);
    let (replayed, log) = run(&mut executor, &replay, true);
    assert!(log.is_empty());
    assert!(
        matches!(replayed.end, End::Diverged { .. }),
        "{:?}",
        replayed.end
    );

    // A fault moved to a visit at another site does not fire there, and the
    // replay says which fault and where.
    let mut trace = original.trace.clone();
    trace.faults[0].site = Site::OpBoundary;
    let replay = SchedConfig::default().replaying(trace);
    match run(&mut executor, &replay, true).0.end {
        End::Diverged { detail, .. } => assert!(detail.contains("OpBoundary"), "{detail}"),
        other => panic!("{other:?}"),
    }
}
