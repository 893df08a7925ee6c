//! `chaos hunt`: many seeds of one scenario, in parallel, sharded.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use chaos::hunt::{hunt, HuntLimits, SeedRange, Shard};
use chaos::report;
use chaos::repro;

use super::args::ScenarioArgs;
use super::{BadInput, Exit};

/// `chaos hunt`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  chaos hunt --backend rwmutex --threads 8 --resize-rate 0.05 --seeds 0..10000
  chaos hunt --scenario chaos/syncmap.toml --time-budget 10m --keep-going
  chaos hunt --scenario chaos/gomap-race.toml --seeds 0..100000 --shard 2/4 --json")]
pub struct HuntArgs {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Seed range A..B (end exclusive; decimal or 0x-hex). Default 0..2^64-1
    /// with --time-budget, else 0..1000.
    #[arg(long, value_parser = parse_range)]
    pub seeds: Option<SeedRange>,
    /// Stop starting new seeds after this long (e.g. 90s, 10m, 1h).
    #[arg(long, value_parser = parse_duration)]
    pub time_budget: Option<Duration>,
    /// Take only shard I of N of the range (1-based), e.g. 2/4.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Go on after the first failing seed.
    #[arg(long)]
    pub keep_going: bool,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Also write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Shrink the first execution of each distinct signature found and
    /// write its repro file into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

fn parse_range(s: &str) -> Result<SeedRange, String> {
    s.parse()
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("invalid duration {s:?}: {e}; e.g. 90s, 10m, 1h"))
}

/// `chaos hunt`.
pub fn hunt_command(args: &HuntArgs) -> Result<Exit, BadInput> {
    let scenario = super::run::scenario_of(&args.scenario)?;
    let make = super::run::factory(&scenario.backend)?;
    if args.jobs == Some(0) {
        return Err(BadInput("--jobs must be at least 1".into()));
    }
    let range = args.seeds.unwrap_or(match args.time_budget {
        Some(_) => SeedRange {
            start: 0,
            end: u64::MAX,
        },
        None => SeedRange {
            start: 0,
            end: 1000,
        },
    });
    let shard = args.shard.unwrap_or_default();
    let limits = HuntLimits {
        stop_at_first: !args.keep_going,
        time_budget: args.time_budget,
        jobs: args.jobs,
    };
    let total = (range.end - range.start).div_ceil(shard.count);
    // indicatif draws on stderr only when it is a terminal.
    let bar = if args.time_budget.is_some() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} seeds {per_sec} {elapsed_precise} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |done: u64| bar.set_position(done);
    let result = hunt(&scenario, range, shard, limits, make, &progress);
    bar.finish_and_clear();

    // One repro per distinct signature: shrinking the same bug twice adds
    // nothing but time.
    let mut repros: Vec<report::WrittenRepro> = Vec::new();
    if let Some(dir) = &args.out {
        let mut seen = std::collections::BTreeSet::new();
        for exec in &result.found {
            let Some(f) = exec.first_bug() else {
                continue;
            };
            let sig = f.signature();
            if !seen.insert(sig.clone()) {
                continue;
            }
            match repro::make(
                &exec.scenario,
                exec.seed,
                &sig,
                make,
                &repro::MakeOptions::default(),
            ) {
                Ok(made) => {
                    let path = made.repro.write_to_dir(dir)?;
                    repros.push(report::WrittenRepro {
                        signature: sig.0,
                        file: path.display().to_string(),
                    });
                }
                Err(e) => eprintln!("chaos: could not shrink {sig} (seed {}): {e}", exec.seed),
            }
        }
    }
    let hunted = report::Hunted {
        scenario: &scenario,
        range,
        shard,
        report: &result,
        repros: &repros,
    };
    if let Some(path) = &args.junit {
        write_file(path, &hunted.junit())?;
    }
    let mut out = std::io::stdout().lock();
    let text = if args.json {
        format!("{}\n", hunted.json())
    } else {
        hunted.human()
    };
    let _ = out.write_all(text.as_bytes());
    Ok(if result.met() {
        Exit::Met
    } else {
        Exit::Finding
    })
}

/// Writes `text` to `path` atomically ([`chaos::files::write_atomic`]).
pub fn write_file(path: &std::path::Path, text: &str) -> Result<(), BadInput> {
    chaos::files::write_atomic(path, text)
        .map_err(|e| BadInput(format!("cannot write {}: {e}", path.display())))
}
