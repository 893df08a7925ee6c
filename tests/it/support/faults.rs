//! A fault-injection workload without a map, for the scheduler's own tests:
//! three threads walking through fault sites, logging every fault they get.

use std::cell::RefCell;

use chaos::engine::faults::FaultConfig;
use chaos::engine::sched::{Executor, SchedConfig, SchedReport};
use chaos::sync::{yield_point, Fault, Site};

/// Fault rates at which every kind fires often.
pub const SOME_FAULTS: FaultConfig = FaultConfig {
    resize_rate: 0.3,
    evacuate_rate: 0.3,
    promote_rate: 0.3,
};

/// The sites each thread walks through, in order: sites where faults may
/// apply, and some where none may.
const SITES: [Site; 5] = [
    Site::AssignChecked,
    Site::AssignFlagSet,
    Site::GrowWork,
    Site::SyncMapLocked,
    Site::AssignExit,
];

type Body<'a> = Box<dyn FnOnce() + 'a>;

/// Three threads walking six rounds through [`SITES`] under `cfg`.
/// `react`: a thread that receives a fault takes one more yield point (a
/// backend does work when a fault fires; here, a yield point the schedule
/// can see). `extra`: thread 1 takes that many more yield points per round
/// (a backend that changed since a recording). Returns the report and the
/// faults each thread received, in order.
pub fn fault_walk(
    executor: &mut Executor,
    cfg: &SchedConfig,
    react: bool,
    extra: usize,
) -> (SchedReport, Vec<(usize, Fault)>) {
    let log = RefCell::new(Vec::new());
    let body = |t: usize| {
        let log = &log;
        Box::new(move || {
            for _ in 0..6 {
                for site in SITES {
                    if let Some(f) = yield_point(site) {
                        log.borrow_mut().push((t, f));
                        if react {
                            let _ = yield_point(Site::EvacuateSlot);
                        }
                    }
                }
                if t == 1 {
                    for _ in 0..extra {
                        let _ = yield_point(Site::AccessChecked);
                    }
                }
            }
        }) as Body<'_>
    };
    let report = executor.run(cfg, (0..3).map(body).collect());
    (report, log.into_inner())
}
