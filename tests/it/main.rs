//! The integration tests, as one test binary: each module was once a test
//! binary of its own, and every one of them linked the whole crate. One
//! link instead of 28 is most of what a test build costs on a small machine.
//!
//! What they share lives in [`support`]. Run one module, or one test, by
//! its path:
//!
//! ```text
//! cargo test --test it                       # all of them
//! cargo test --test it gomap_growth::        # one module
//! cargo test --test it -- --ignored generate_fixtures
//! CHAOS_TEST_SCALE=20 cargo test --release --test it   # the soak
//! ```

mod support;

mod backends_differential;
mod backends_mutants;
mod backends_panic;
mod backends_registry;
mod backends_threads;
mod checker_clean;
mod checker_mutants;
mod cli;
mod cli_bench;
mod cli_errors;
mod cli_hunt;
mod cli_init;
mod cli_json;
mod cli_run;
mod cli_user_binary;
mod emit_test;
mod emitted_regression;
mod engine_backends;
mod engine_budget;
mod engine_race;
mod engine_sched;
mod engine_stress;
mod fault_shapes;
mod fixtures_replay;
mod go_backends;
mod go_module;
mod gomap_differential;
mod gomap_edge;
mod gomap_faults;
mod gomap_growth;
mod gomap_mutations;
mod gomap_threads;
mod hashtriemap;
mod interleavings;
mod layout;
mod nightly_script;
mod published;
mod replay;
mod report_html;
mod scenario_files;
mod sched_coarse;
mod sched_exec;
mod sched_faults;
mod sched_follow;
mod sched_locks;
mod shrink;
mod swarm;
mod swissmap_differential;
mod swissmap_growth;
mod swissmap_mutations;
mod swissmap_sched;
mod swissmap_threads;
mod sync_atomics;
mod timeline;
mod typed_keys;
