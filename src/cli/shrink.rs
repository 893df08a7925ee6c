//! `chaos shrink`: from a failing run to a minimal repro file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::engine;
use crate::report;
use crate::repro::{emit_test, make, EmitOptions, MakeError, MakeOptions};
use crate::seed::Seed;
use crate::shrink::OnProgress;
use clap::Args;

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
2 bad input (and --emit-test when there is nothing to shrink: no test is
printed, so `> file` does not get a broken one).

Examples:
  chaos shrink --backend gomap --threads 8 --ops 10000 --mix load=50,store=50 --keys 1000 --seed 0x1
  chaos shrink --scenario chaos/mutant-linearizability.toml --seed 0 --out fixtures
  chaos shrink --backend mutant-split-swap --threads 4 --mix swap=50,load=50 --seed 0 --emit-test > tests/split_swap_regression.rs")]
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
    /// Also write the minimal failure as one self-contained HTML page: the
    /// threads' lanes, the race window, the finding and the replay lines.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// For a run that found something: the first finding shrunk to a minimal
/// script (what `--explain` explains and `--html` draws); `None` when there
/// is nothing to shrink or it does not shrink.
pub(crate) fn shrink_first(
    scenario: &crate::scenario::Scenario,
    seed: Seed,
    exec: &engine::Execution,
    make_map: &crate::maps::Constructor<'_>,
) -> Option<crate::repro::Made> {
    let finding = exec.first_bug()?;
    make(
        scenario,
        seed,
        &finding.signature(),
        make_map,
        &MakeOptions::default(),
    )
    .ok()
}

/// `chaos shrink`.
pub fn shrink(args: &ShrinkArgs) -> Result<Exit, BadInput> {
    let scenario = super::run::scenario_of(&args.scenario)?;
    super::run::check_html(args.html.as_deref())?;
    let make_map = super::run::factory(&scenario)?;
    let seed = args.seed.unwrap_or(Seed(0));
    let started = Instant::now();
    let exec = engine::execute(&scenario, seed, make_map);
    // The finding to shrink: the first one about the backend (not the
    // engine's own nondeterminism check, nor "expected a throw").
    let Some(finding) = exec.first_bug() else {
        // A test of nothing would be a broken file under `> tests/x.rs`.
        if args.emit_test {
            return Err(BadInput(format!(
                "--emit-test: nothing to shrink, the run does not fail ({})",
                scenario.command_line(seed)
            )));
        }
        if let Some(path) = &args.html {
            super::hunt::write_file(path, &report::clean_page(&scenario, seed))?;
        }
        let text = if args.json {
            report::nothing_to_shrink_json(&scenario, seed).to_string()
        } else {
            report::nothing_to_shrink(&scenario, seed)
        };
        let _ = writeln!(std::io::stdout().lock(), "{text}");
        return Ok(Exit::Met);
    };
    let signature = finding.signature();
    let mut opts = MakeOptions::default();
    if let Some(n) = args.max_executions {
        opts.shrink.max_executions = n;
    }
    // A spinner while shrinking, with the stage, the size being tried and
    // the executions spent (drawn on stderr only when it is a terminal).
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    spinner.set_message(format!("shrinking {signature}"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let shown = spinner.clone();
    let sig = signature.clone();
    let progress = OnProgress::new(move |p| {
        shown.set_message(format!(
            "shrinking {sig} · {}: trying {} · {} executions",
            p.stage, p.trying, p.executions
        ));
    });
    opts.shrink.progress = progress.clone();
    opts.script.progress = progress;
    let made = make(&scenario, seed, &signature, make_map, &opts);
    spinner.finish_and_clear();
    let made = match made {
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
            if let Some(path) = &args.html {
                super::hunt::write_file(path, &report::run_page(&exec, None))?;
            }
            return Ok(Exit::Finding);
        }
    };
    let path = made.repro.write_to_dir(&args.out)?;
    if let Some(html) = &args.html {
        super::hunt::write_file(html, &report::shrink_page(&scenario, &made, &path))?;
    }
    let shrunk = report::Shrunk {
        from: &scenario,
        made: &made,
        file: &path,
        elapsed: started.elapsed(),
    };
    let emitted = args.emit_test.then(|| {
        let mut o = EmitOptions::default();
        if let Some(c) = &args.constructor {
            o.constructor = c.clone();
        }
        emit_test(&made.repro, &o)
    });
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", shrunk.json(emitted.as_deref()));
    } else if let Some(test) = &emitted {
        let _ = write!(out, "{test}");
        eprintln!("chaos: wrote {}", path.display());
    } else {
        let _ = out.write_all(shrunk.human().as_bytes());
    }
    Ok(Exit::Finding)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::scenario::{
        Distribution, Expect, Mode, Perturb, Scenario, SchedSettings, Strategy, StressSettings,
    };
    use crate::seed::Seed;

    use crate::cli::args::{Cli, Command};

    /// The shrunk run's line (`Scenario::command_line`) parses back, through
    /// the real flag parser, into the very scenario and seed it names: what
    /// `chaos run` then executes is the execution the shrinker saw fail.
    #[test]
    fn the_shrunk_replay_line_parses_back_to_the_same_scenario_and_seed() {
        let scenarios = [
            Scenario {
                backend: "gomap".into(),
                threads: 2,
                ops: 1,
                keys: 1,
                mix: "store=50".parse().unwrap(),
                expect: Expect::Throw,
                ..Scenario::default()
            },
            Scenario {
                backend: "syncmap".into(),
                threads: 3,
                ops: 17,
                keys: 5,
                prefill: 4,
                distribution: Distribution::Zipf,
                sched: SchedSettings {
                    strategy: Strategy::Pct,
                    depth: 5,
                    max_steps: Some(5000),
                },
                resize_rate: 0.125,
                evacuate_rate: 0.3,
                promote_rate: 0.05,
                ..Scenario::default()
            },
            Scenario {
                backend: "rwmutex".into(),
                mode: Mode::Stress,
                stress: StressSettings {
                    perturb: Perturb::Yield,
                    timeout_ms: 2500,
                },
                mix: "load=1,range=2,clear=3".parse().unwrap(),
                ..Scenario::default()
            },
        ];
        for (i, s) in scenarios.into_iter().enumerate() {
            let seed = Seed(0x5eed + i as u64);
            let line = s.command_line(seed);
            let cli = Cli::try_parse_from(line.split_whitespace())
                .unwrap_or_else(|e| panic!("{line}: {e}"));
            let Some(Command::Run(args)) = cli.command else {
                panic!("{line}: not a run")
            };
            let parsed = crate::cli::run::scenario_of(&args.scenario).unwrap();
            // Fields a mode ignores are left out of its line; compare the rest.
            let expected = match s.mode {
                Mode::Sched => Scenario {
                    stress: parsed.stress,
                    ..s.clone()
                },
                Mode::Stress => Scenario {
                    sched: parsed.sched,
                    ..s.clone()
                },
            };
            assert_eq!(parsed, expected, "{line}");
            assert_eq!(args.seed, Some(seed), "{line}");
        }
    }
}
