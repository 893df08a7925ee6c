//! `chaos run` and `chaos backends`.

use std::io::Write;

use crate::engine::{self, go, Outcome};
use crate::maps::Constructor;
use crate::report;
use crate::scenario::{Expect, Mix, Mode, RawScenario, Scenario, ScenarioError};
use crate::seed::Seed;

use super::args::{BackendsArgs, RunArgs, ScenarioArgs};
use super::{BadInput, Exit};

/// Resolves the scenario's backend to its constructor, or a one-line error
/// listing the names. A `go:` backend's target is found (the built-in one
/// built, once per toolchain, saying so on stderr) and asked for the map,
/// so that a missing toolchain or map is a bad input, not a finding.
pub(crate) fn factory(scenario: &Scenario) -> Result<&'static Constructor<'static>, BadInput> {
    if scenario.is_go() {
        let (target, built) = go::resolve(scenario.go_target.as_deref())
            .map_err(|e| BadInput(format!("--backend {}: {e}", scenario.backend)))?;
        if built {
            eprintln!(
                "chaos: built the Go target with {} into {}",
                target.go_version,
                target.path.display()
            );
        }
        go::target_map(scenario)
            .map_err(|e| BadInput(format!("--backend {}: {e}", scenario.backend)))?;
        return Ok(&go::IN_TARGET);
    }
    Ok(super::registry().lookup(&scenario.backend)?.constructor())
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
        crate::files::check_writable_file(path)
            .map_err(|e| BadInput(format!("--junit {}: {e}", path.display())))?;
    }
    check_html(args.html.as_deref())?;
    let make = factory(&scenario)?;
    let seed = args.seed.unwrap_or(Seed(0));
    let exec = engine::execute(&scenario, seed, make);
    // The default scenario explains what it found: that is its point. A
    // page draws the minimal failure, so --html shrinks it too.
    let explain = args.explain || builtin;
    let made = if explain || args.html.is_some() {
        super::shrink::shrink_first(&scenario, seed, &exec, make)
    } else {
        None
    };
    let explanation = made
        .as_ref()
        .filter(|_| explain)
        .and_then(|m| report::explanation(m, &scenario, seed));
    if let Some(path) = &args.html {
        super::hunt::write_file(path, &report::run_page(&exec, made.as_ref()))?;
    }
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

/// Checks, before anything runs, that `--html FILE` can be written: its
/// directory exists and `FILE` is not a directory. One line if not.
pub(crate) fn check_html(path: Option<&std::path::Path>) -> Result<(), BadInput> {
    match path {
        Some(path) => crate::files::check_writable_file(path)
            .map_err(|e| BadInput(format!("--html {}: {e}", path.display()))),
        None => Ok(()),
    }
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
/// The `go:` backends of the built-in target (or of `--go-target`) follow
/// when a Go toolchain is found; when none is, stderr says so in one line.
pub fn backends(args: &BackendsArgs) -> Result<Exit, BadInput> {
    let go = match go::resolve(args.go_target.as_deref()) {
        Ok((target, _)) => Some(target),
        // A target the user named must work; the built-in one is listed
        // only where a toolchain is.
        Err(e) if args.go_target.is_some() => {
            return Err(BadInput(format!(
                "--go-target {}: {e}",
                args.go_target.as_deref().unwrap_or_default()
            )))
        }
        Err(e) => {
            eprintln!("chaos: go: backends not listed: {e}");
            None
        }
    };
    let go_maps = go.as_ref().map(|t| t.maps.as_slice()).unwrap_or_default();
    let runtime = go.as_ref().map(|t| t.runtime()).unwrap_or_default();
    let text = if args.json {
        let mut list = report::backends_json(super::registry().backends());
        if let serde_json::Value::Array(items) = &mut list {
            items.extend(go_maps.iter().map(|m| report::go_backend_json(m, &runtime)));
        }
        format!("{list}\n")
    } else {
        let mut lines = super::registry().describe_lines();
        let width = lines
            .iter()
            .map(|l| l.split_whitespace().next().unwrap_or("").len())
            .max()
            .unwrap_or(0);
        lines.extend(go_maps.iter().map(|m| {
            format!(
                "{:<width$}  {}",
                format!("go:{}", m.name),
                report::go_backend_what(m, &runtime)
            )
        }));
        lines.join("\n") + "\n"
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(Exit::Met)
}
