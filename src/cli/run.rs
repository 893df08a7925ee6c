//! `chaos run` and `chaos backends`.

use std::io::Write;

use chaos::engine;
use chaos::maps::{registry, Constructor};
use chaos::report;
use chaos::scenario::{Expect, Mix, Mode, RawScenario, Scenario};
use chaos::seed::Seed;

use super::args::{BackendsArgs, RunArgs, ScenarioArgs};
use super::{BadInput, Exit};

/// Resolves a backend name to its constructor, or a one-line error listing
/// the names.
pub(crate) fn factory(name: &str) -> Result<&'static Constructor<'static>, BadInput> {
    Ok(registry::lookup(name)?.constructor())
}

/// The scenario from `--scenario FILE` and the flags over it.
pub(crate) fn scenario_of(args: &ScenarioArgs) -> Result<Scenario, BadInput> {
    let file = match &args.scenario {
        Some(path) => RawScenario::from_file(path)?,
        None => RawScenario::default(),
    };
    Ok(file.overlay(args.to_raw()).validate()?)
}

/// `chaos run`.
pub fn run(args: &RunArgs) -> Result<Exit, BadInput> {
    if args.scenario.is_empty() && args.seed.is_none() {
        return default_scenario();
    }
    let scenario = scenario_of(&args.scenario)?;
    let make = factory(&scenario.backend)?;
    let exec = engine::execute(&scenario, args.seed.unwrap_or(Seed(0)), make);
    if let Some(path) = &args.junit {
        super::hunt::write_file(
            path,
            &report::junit("chaos run", &[report::junit_case(&exec)]),
        )?;
    }
    let mut out = std::io::stdout().lock();
    let text = if args.json {
        format!("{}\n", report::run_json(&exec))
    } else {
        report::run_human(&exec)
    };
    // A closed pipe (`chaos run | head -1`) is not an error.
    let _ = out.write_all(text.as_bytes());
    Ok(if exec.expectation_met() {
        Exit::Met
    } else {
        Exit::Finding
    })
}

/// The built-in default scenario: two goroutines writing one plain Go map.
pub fn default_scenario() -> Result<Exit, BadInput> {
    let scenario = Scenario {
        backend: "gomap".into(),
        threads: 2,
        ops: 50,
        keys: 16,
        mix: "load=50,store=50".parse::<Mix>().expect("literal mix"),
        mode: Mode::Sched,
        expect: Expect::Throw,
        ..Scenario::default()
    };
    let make = factory(&scenario.backend)?;
    let exec = engine::execute(&scenario, Seed(0), make);
    print!("{}", report::run_human(&exec));
    // Found: shrink it and show how it happens.
    if let Some(explained) = super::shrink::explain(&scenario, Seed(0), &exec, make) {
        print!("{explained}");
    }
    Ok(if exec.expectation_met() {
        Exit::Met
    } else {
        Exit::Finding
    })
}

/// `chaos backends`: one line per backend, its name first; mutants say so.
pub fn backends(args: &BackendsArgs) -> Result<Exit, BadInput> {
    let text = if args.json {
        format!("{}\n", report::backends_json(registry::backends()))
    } else {
        registry::describe_lines().join("\n") + "\n"
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(Exit::Met)
}
