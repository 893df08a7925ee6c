//! `chaos shrink`: from a failing run to a minimal repro file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use chaos::check::FindingKind;
use chaos::engine;
use chaos::repro::{emit_test, make, EmitOptions, MakeError, MakeOptions};
use chaos::seed::Seed;
use chaos::timeline::Timeline;

use super::args::{parse_seed, ScenarioArgs};
use super::{BadInput, Exit};

/// `chaos shrink`.
#[derive(Debug, Args)]
#[command(after_help = "\
Shrinks at seed level (threads, ops, keys, mix, fault rates, re-searching seeds
at each size), then minimises the failing run's script (each thread's ops and
the fired faults, by delta debugging), writes the minimal repro into --out, and
prints its timeline, the shrunk `chaos run` line and the `chaos replay` line.

Exit codes: 1 shrunk (a finding), 0 the run does not fail (nothing to shrink),
2 bad input.

Examples:
  chaos shrink --backend gomap --threads 8 --ops 10000 --mix load=50,store=50 --keys 1000 --seed 0x1
  chaos shrink --scenario chaos/rwmutex.toml --seed 0x21 --out fixtures
  chaos shrink --backend mutant-split-swap --threads 4 --seed 7 --emit-test > tests/split_swap_regression.rs")]
pub struct ShrinkArgs {
    /// The scenario of the failing run and its overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The seed of the failing run: decimal or 0x-hex. Default: 0.
    #[arg(long, value_parser = parse_seed)]
    pub seed: Option<Seed>,
    /// Directory the repro file is written into.
    #[arg(long, value_name = "DIR", default_value = "chaos-repros")]
    pub out: PathBuf,
    /// Print a ready-to-paste Rust regression test (it asserts the bug stays
    /// fixed) instead of the human report.
    #[arg(long)]
    pub emit_test: bool,
    /// The backend constructor the emitted test calls (a Rust expression of
    /// type Box<dyn ChaosMap>; `seed: u64` is in scope).
    #[arg(long, value_name = "EXPR", requires = "emit_test")]
    pub constructor: Option<String>,
    /// Most executions for seed-level shrinking.
    #[arg(long, value_name = "N")]
    pub max_executions: Option<u64>,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
}

/// `chaos shrink`.
pub fn shrink(args: &ShrinkArgs) -> Result<Exit, BadInput> {
    let scenario = super::run::scenario_of(&args.scenario)?;
    let make_map = super::run::factory(&scenario.backend)?;
    let seed = args.seed.unwrap_or(Seed(0));
    let started = Instant::now();
    let exec = engine::execute(&scenario, seed, &*make_map);
    // The finding to shrink: the first one about the backend (not the
    // engine's own nondeterminism check, nor "expected a throw").
    let Some(finding) = exec.findings.iter().find(|f| {
        !matches!(
            f.kind,
            FindingKind::Nondeterminism | FindingKind::Undetected
        )
    }) else {
        let mut out = std::io::stdout().lock();
        if args.json {
            let _ = writeln!(
                out,
                "{}",
                json!({ "outcome": "clean", "seed": seed.to_string(), "scenario": scenario.to_raw() })
            );
        } else {
            let _ = writeln!(
                out,
                "nothing to shrink: the run does not fail ({})",
                chaos::report::replay_command(&scenario, seed)
            );
        }
        return Ok(Exit::Met);
    };
    let signature = finding.signature();
    let mut opts = MakeOptions::default();
    if let Some(n) = args.max_executions {
        opts.shrink.max_executions = n;
    }
    let made = match make(&scenario, seed, &signature, &*make_map, &opts) {
        Ok(made) => made,
        Err(e) => {
            // The run failed, so this is a finding, just not a shrinkable one.
            let why = match &e {
                MakeError::NotFailing(_) => format!(
                    "{signature} did not reproduce often enough to shrink (under the scheduler, nor in 2 of 10 stress tries)"
                ),
                other => other.to_string(),
            };
            eprintln!("chaos: cannot shrink: {why}");
            return Ok(Exit::Finding);
        }
    };
    let path = made.repro.write_to_dir(&args.out)?;
    let elapsed = started.elapsed();
    let repro = &made.repro;
    let shrunk = &made.shrunk;
    let emitted = args.emit_test.then(|| {
        let mut o = EmitOptions::default();
        if let Some(c) = &args.constructor {
            o.constructor = c.clone();
        }
        emit_test(repro, &o)
    });
    let replay_line = format!("chaos replay {}", path.display());
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut o = json!({
            "outcome": "shrunk",
            "file": path.display().to_string(),
            "signature": signature.0,
            "description": repro.description,
            "scenario": shrunk.scenario.to_raw(),
            "seed": shrunk.seed.to_string(),
            "replay": repro.run_command(),
            "replay_repro": replay_line,
            "script_threads": repro.script.threads.len(),
            "script_ops": repro.script.ops(),
            "executions": made.executions(),
            "elapsed_ms": elapsed.as_secs_f64() * 1e3,
        });
        if let Some(t) = &emitted {
            o["test"] = json!(t);
        }
        let _ = writeln!(out, "{o}");
    } else if let Some(test) = &emitted {
        let _ = write!(out, "{test}");
        eprintln!("chaos: wrote {}", path.display());
    } else {
        let s = &shrunk.scenario;
        let mut text = format!(
            "shrunk {signature} in {} executions ({:.0?})\n  from {} threads × {} ops to {} threads × {} ops · {} keys · mix {} · seed {}\n  minimal script: {} ops in {} threads\n\n",
            made.executions(),
            elapsed,
            scenario.threads,
            scenario.ops,
            s.threads,
            s.ops,
            s.keys,
            s.mix,
            shrunk.seed,
            repro.script.ops(),
            repro.script.threads.len(),
        );
        if let Some(f) = &made.replayed.finding {
            text.push_str(&Timeline::build(&made.replayed.execution, f).render());
        }
        text.push_str(&format!(
            "\nwhat happens: {}\n\nwrote {}\nreplay the shrunk run:    {}\nreplay the minimal repro: {replay_line}\n",
            repro.description,
            path.display(),
            repro.run_command(),
        ));
        let _ = out.write_all(text.as_bytes());
    }
    Ok(Exit::Finding)
}
