//! `chaos run` and `chaos backends`.

use std::io::Write;

use chaos::engine::{self, Outcome};
use chaos::maps::{registry, Constructor};
use chaos::report;
use chaos::scenario::{Expect, Mix, Mode, RawScenario, Scenario, ScenarioError};
use chaos::seed::Seed;

use super::args::{BackendsArgs, RunArgs, ScenarioArgs};
use super::{BadInput, Exit};

/// Resolves a backend name to its constructor, or a one-line error listing
/// the names.
pub(crate) fn factory(name: &str) -> Result<&'static Constructor<'static>, BadInput> {
    Ok(registry::lookup(name)?.constructor())
}

/// The scenario from `--scenario FILE` and the flags over it. A field out
/// of range is reported with where its value came from: `--threads 0:
/// scenario field ...` for a flag, `FILE: scenario field ...` for the file.
pub(crate) fn scenario_of(args: &ScenarioArgs) -> Result<Scenario, BadInput> {
    let file = match &args.scenario {
        Some(path) => RawScenario::from_file(path)?,
        None => RawScenario::default(),
    };
    let flags = args.to_raw();
    let given = serde_json::to_value(&flags).unwrap_or_default();
    file.overlay(flags).validate().map_err(|e| {
        let ScenarioError::Field { field, .. } = &e else {
            return BadInput(e.to_string());
        };
        match (given.get(field).filter(|v| !v.is_null()), &args.scenario) {
            (Some(value), _) => {
                // As typed: `2`, not JSON's `2.0`; an empty name quoted.
                let value = match value {
                    serde_json::Value::String(s) if !s.is_empty() => s.clone(),
                    serde_json::Value::Number(n) if n.is_f64() => {
                        n.as_f64().unwrap_or_default().to_string()
                    }
                    other => other.to_string(),
                };
                BadInput(format!("--{} {value}: {e}", field.replace('_', "-")))
            }
            (None, Some(path)) => BadInput(format!("{}: {e}", path.display())),
            (None, None) => BadInput(e.to_string()),
        }
    })
}

/// `chaos run`. With no scenario flags and no `--scenario` file it runs
/// the built-in default scenario (what `chaos` alone runs), under `--seed`
/// and with every output flag honoured.
pub fn run(args: &RunArgs) -> Result<Exit, BadInput> {
    let builtin = args.scenario.is_empty();
    let scenario = if builtin {
        default_scenario()
    } else {
        scenario_of(&args.scenario)?
    };
    if let Some(path) = &args.junit {
        chaos::files::check_writable_file(path)
            .map_err(|e| BadInput(format!("--junit {}: {e}", path.display())))?;
    }
    let make = factory(&scenario.backend)?;
    let seed = args.seed.unwrap_or(Seed(0));
    let exec = engine::execute(&scenario, seed, make);
    // The default scenario explains what it found: that is its point.
    let explanation = if args.explain || builtin {
        super::shrink::explain(&scenario, seed, &exec, make)
    } else {
        None
    };
    if let Some(path) = &args.junit {
        super::hunt::write_file(
            path,
            &report::junit("chaos run", &[report::junit_case(&exec)]),
        )?;
    }
    let text = if args.json {
        let mut o = report::run_json(&exec);
        if let Some(e) = &explanation {
            o["explanation"] = serde_json::json!(e.trim());
        }
        format!("{o}\n")
    } else {
        report::run_human(&exec) + explanation.as_deref().unwrap_or("")
    };
    // A closed pipe (`chaos run | head -1`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(match exec.outcome() {
        Outcome::Met => Exit::Met,
        Outcome::Undecided { .. } => Exit::Undecided,
        Outcome::Finding | Outcome::Undetected { .. } => Exit::Finding,
    })
}

/// The built-in default scenario: two goroutines writing one plain Go map,
/// expected to throw.
pub fn default_scenario() -> Scenario {
    Scenario {
        backend: "gomap".into(),
        threads: 2,
        ops: 50,
        keys: 16,
        mix: "load=50,store=50".parse::<Mix>().expect("literal mix"),
        mode: Mode::Sched,
        expect: Expect::Throw,
        ..Scenario::default()
    }
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
