//! `chaos hunt`: many seeds of one scenario, in parallel, sharded.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::Execution;
use crate::hunt::{hunt, HuntLimits, Observer, Progress, SeedRange, Shard, MAX_JOBS};
use crate::report;
use crate::repro;

use super::args::ScenarioArgs;
use super::{BadInput, Exit};

/// `chaos hunt`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  chaos hunt --backend rwmutex --seeds 0..10000     # swarm: each seed picks its own mix, keys, prefill and faults
  chaos hunt --backend rwmutex --threads 8 --resize-rate 0.05 --no-swarm --seeds 0..10000
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
    /// Stop starting new seeds after this long (e.g. 90s, 10m, 1h). Ctrl-C
    /// also stops it, with the report of the seeds run so far.
    #[arg(long, value_parser = parse_duration)]
    pub time_budget: Option<Duration>,
    /// Take only shard I of N of the range (1-based), e.g. 2/4.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Worker threads, 1 to 256 (default: one per core; never more than
    /// the shard has seeds).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS as i64))]
    pub jobs: Option<u16>,
    /// Go on after the first failing seed. The report counts every failing
    /// seed by signature and keeps the first 3 of each (memory stays
    /// bounded); without it, the hunt stops at the lowest failing seed.
    #[arg(long)]
    pub keep_going: bool,
    /// Print the full report of every kept failing seed, not only the
    /// first of each signature.
    #[arg(long)]
    pub details: bool,
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

/// Set by the first Ctrl-C: the hunt stops starting seeds and reports what
/// it has. A second Ctrl-C exits at once.
static INTERRUPT: AtomicBool = AtomicBool::new(false);

/// `chaos hunt`.
pub fn hunt_command(args: &HuntArgs) -> Result<Exit, BadInput> {
    // A hunt with no scenario file and no workload shape given is a swarm
    // hunt: each seed tries a shape of its own.
    let mut scenario_args = args.scenario.clone();
    scenario_args.swarm |= scenario_args.swarm_by_default();
    let scenario = super::run::scenario_of(&scenario_args)?;
    let make = super::run::factory(&scenario)?;
    if args.time_budget == Some(Duration::ZERO) {
        return Err(BadInput(
            "--time-budget 0s: the budget must be more than zero, e.g. 90s, 10m".into(),
        ));
    }
    // Output paths are checked before the hunt, not after an hour of it.
    if let Some(dir) = &args.out {
        crate::files::check_writable_dir(dir)
            .map_err(|e| BadInput(format!("--out {}: {e}", dir.display())))?;
    }
    if let Some(path) = &args.junit {
        crate::files::check_writable_file(path)
            .map_err(|e| BadInput(format!("--junit {}: {e}", path.display())))?;
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
        jobs: args.jobs.map(usize::from),
    };
    let _ = ctrlc::set_handler(|| {
        if INTERRUPT.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let bar = progress_bar(args.time_budget, shard.len(range));
    let started = Instant::now();
    let progress = |p: Progress| {
        bar.set_position(p.executed);
        let rate = p.executed as f64 / started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{} failing · {rate:.0} seeds/s", p.failing));
    };
    // One repro per distinct signature, written as soon as it is found:
    // shrinking the same bug twice adds nothing but time, and an interrupted
    // hunt keeps what it wrote.
    let mut repros: Vec<report::WrittenRepro> = Vec::new();
    let mut new_signature = |exec: &Execution| {
        let (Some(dir), Some(f)) = (&args.out, exec.first_bug()) else {
            return;
        };
        let sig = f.signature();
        bar.set_message(format!("shrinking {sig}"));
        // The hunt's own scenario: under swarm, make resolves the seed's
        // shape and records it.
        let made = repro::make(
            &scenario,
            exec.seed,
            &sig,
            make,
            &repro::MakeOptions::default(),
        );
        let written = made
            .map_err(|e| e.to_string())
            .and_then(|m| m.repro.write_to_dir(dir).map_err(|e| e.to_string()));
        bar.suspend(|| match written {
            Ok(path) => {
                eprintln!("chaos: wrote {} for {sig}", path.display());
                repros.push(report::WrittenRepro {
                    signature: sig.0.clone(),
                    file: path.display().to_string(),
                });
            }
            Err(e) => eprintln!("chaos: could not shrink {sig} (seed {}): {e}", exec.seed),
        });
    };
    let observer = Observer {
        progress: &progress,
        new_signature: &mut new_signature,
        interrupt: &INTERRUPT,
    };
    let result = hunt(&scenario, range, shard, limits, make, observer);
    bar.finish_and_clear();
    let hunted = report::Hunted {
        scenario: &scenario,
        range,
        shard,
        report: &result,
        repros: &repros,
        details: args.details,
    };
    if let Some(path) = &args.junit {
        write_file(path, &hunted.junit())?;
    }
    let text = if args.json {
        format!("{}\n", hunted.json())
    } else {
        hunted.human()
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(if result.interrupted && result.found.is_empty() {
        Exit::Interrupted
    } else if result.all_undecided() {
        Exit::Undecided
    } else if result.met() {
        Exit::Met
    } else {
        Exit::Finding
    })
}

/// A bar with an ETA over a bounded range; a counter against the clock
/// under a time budget. indicatif draws on stderr only when it is a
/// terminal.
fn progress_bar(budget: Option<Duration>, seeds: u64) -> ProgressBar {
    let (bar, template) = match budget {
        Some(b) => (
            ProgressBar::new_spinner(),
            format!(
                "{{spinner}} {{pos}} seeds · {{msg}} · {{elapsed_precise}} of {}",
                humantime::format_duration(b)
            ),
        ),
        None => (
            ProgressBar::new(seeds),
            "{bar:30} {pos}/{len} seeds · {msg} · {elapsed_precise}, ETA {eta}".to_string(),
        ),
    };
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Writes `text` to `path` atomically ([`crate::files::write_atomic`]).
pub fn write_file(path: &std::path::Path, text: &str) -> Result<(), BadInput> {
    crate::files::write_atomic(path, text)
        .map_err(|e| BadInput(format!("cannot write {}: {e}", path.display())))
}
