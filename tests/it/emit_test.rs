//! `chaos shrink --emit-test` prints a regression test that compiles and
//! passes: `tests/it/emitted_regression.rs` is a checked-in copy of one (for a
//! lost-write bug in `support::Locked`, fixed), compiled and run with the
//! other tests; this file checks that the emitter prints exactly that text
//! for the repro embedded in it, and that the repro still fails against the
//! buggy backend (so the regression test guards something).
//!
//! After a deliberate change to the emitter, re-emit the copy:
//!
//! ```text
//! CHAOS_BLESS=1 cargo test --test it emit_test::
//! ```

use std::path::PathBuf;

use chaos::check::FindingKind;
use chaos::engine::execute;
use chaos::maps::ChaosMap;
use chaos::repro::{embedded_repro, emit_test, make, replay, EmitOptions, MakeOptions, Repro};
use chaos::scenario::{Mode, Scenario};
use chaos::seed::Seed;

use crate::support::Locked;

const EMITTED: &str = include_str!("emitted_regression.rs");

fn emitted_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/emitted_regression.rs")
}

/// How the checked-in copy was emitted: for the fixed `Locked`.
fn options() -> EmitOptions {
    EmitOptions {
        prelude: "use crate::support::Locked;".into(),
        constructor: "Box::new(Locked::default())".into(),
        test_name: Some("lossy_store_stays_fixed".into()),
    }
}

/// The bug the repro was made from: every second store is dropped.
fn lossy(_: u64) -> Box<dyn ChaosMap> {
    Box::new(Locked::lossy(2))
}

/// A fresh repro of the lossy store, for re-emitting the copy.
fn fresh_repro() -> Repro {
    let s = Scenario {
        backend: "locked".into(),
        threads: 2,
        ops: 10,
        keys: 2,
        mix: "load=50,store=50".parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    };
    let exec = execute(&s, Seed(1), &lossy);
    let f = exec
        .findings
        .iter()
        .find(|f| {
            matches!(
                f.kind,
                FindingKind::LostWrite | FindingKind::Linearizability
            )
        })
        .expect("a store of every two is lost");
    make(&s, Seed(1), &f.signature(), &lossy, &MakeOptions::default())
        .unwrap()
        .repro
}

#[test]
fn the_checked_in_regression_test_is_what_the_emitter_prints() {
    if std::env::var_os("CHAOS_BLESS").is_some() {
        std::fs::write(emitted_path(), emit_test(&fresh_repro(), &options())).unwrap();
        return;
    }
    let embedded = embedded_repro(EMITTED).expect("the copy embeds a repro");
    let repro = Repro::from_toml(embedded).expect("the embedded repro is valid");
    let again = emit_test(&repro, &options());
    assert!(
        again == EMITTED,
        "the emitter's output changed; if on purpose, re-emit with CHAOS_BLESS=1 cargo test --test it emit_test::\n--- emitted now ---\n{again}"
    );
}

#[test]
fn the_embedded_repro_still_fails_against_the_buggy_backend() {
    if std::env::var_os("CHAOS_BLESS").is_some() {
        return; // this build still embeds the copy being replaced
    }
    let repro = Repro::from_toml(embedded_repro(EMITTED).unwrap()).unwrap();
    let replayed = replay(&repro, &lossy);
    assert!(replayed.reproduced(), "{}", replayed.report(&repro));
    assert_eq!(replayed.history_matches, Some(true));
}
