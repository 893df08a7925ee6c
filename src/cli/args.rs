//! Command-line arguments (clap derive). Each subcommand's `--help` ends with examples.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};

use crate::scenario::{
    Distribution, Expect, Mix, Mode, Perturb, RawScenario, ScenarioError, Strategy,
};
use crate::seed::Seed;

/// Hunts concurrency bugs in hash maps and map wrappers.
///
/// Reproduces Go's `fatal error: concurrent map writes` class of bug on
/// demand, from a seed, and proves map wrappers free of it as far as
/// randomised and controlled interleavings can.
#[derive(Debug, Parser)]
#[command(name = "chaos", version, propagate_version = true)]
pub struct Cli {
    /// The subcommand; `chaos` alone runs the built-in default scenario.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one scenario under one seed.
    #[command(after_help = RUN_EXAMPLES)]
    Run(Box<RunArgs>),
    /// Run many seeds of one scenario, in parallel, optionally one shard of a range.
    Hunt(Box<super::hunt::HuntArgs>),
    /// List the registered backends and mutants.
    #[command(after_help = "Example:\n  chaos backends\n  chaos backends --json")]
    Backends(BackendsArgs),
    /// Shrink a failing run to a minimal repro file.
    Shrink(Box<super::shrink::ShrinkArgs>),
    /// Replay repro files exactly: exit 1 if a finding reproduces, 0 if not.
    Replay(super::replay::ReplayArgs),
    /// Give your crate its own chaos: a harness, a scenario, a nightly job.
    Init(super::init::InitArgs),
    /// Compare backends' throughput under one scenario's mix, side by side.
    Bench(Box<super::bench::BenchArgs>),
}

const RUN_EXAMPLES: &str = "\
Examples:
  chaos run                                        # the built-in default: a gomap race, found and explained
  chaos run --seed 7 --json                        # the built-in default under another seed, as JSON
  chaos run --backend gomap --threads 2 --ops 1 --mix store=1 --seed 0x5eed
  chaos run --backend rwmutex --threads 8 --mode stress --resize-rate 0.05 --json
  chaos run --scenario chaos/syncmap.toml --seed 42
  chaos run --html failure.html                    # the built-in default's minimal failure as a page";

/// `chaos run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The seed: decimal or 0x-hex. Default: 0.
    #[arg(long, value_parser = parse_seed)]
    pub seed: Option<Seed>,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Also write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Shrink the first finding and show its timeline and the lines that
    /// replay it (on by default for the built-in scenario; in JSON, the
    /// `explanation` field).
    #[arg(long)]
    pub explain: bool,
    /// Also write one self-contained HTML page: the lanes of the first
    /// finding's minimal failure (shrunk as --explain does), the race
    /// window, the finding and the replay lines; for a clean run, the
    /// verdict and the scenario.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// `chaos backends`.
#[derive(Debug, Args)]
pub struct BackendsArgs {
    /// Print a JSON array instead of one line per backend.
    #[arg(long)]
    pub json: bool,
    /// List this Go target's maps as the go: backends (a binary or a Go
    /// package directory; default: the built-in target).
    #[arg(long, value_name = "PATH")]
    pub go_target: Option<String>,
}

/// Flags for every scenario field; they override `--scenario FILE`.
#[derive(Clone, Debug, Args, Default)]
pub struct ScenarioArgs {
    /// Load a scenario TOML file (flags override its fields).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Backend name (see `chaos backends`).
    #[arg(long)]
    pub backend: Option<String>,
    /// Workload threads (1 to 1024).
    #[arg(long, value_parser = number::<u32>("threads"))]
    pub threads: Option<u32>,
    /// Operations per thread.
    #[arg(long, value_parser = number::<u32>("ops"))]
    pub ops: Option<u32>,
    /// Size of the key space.
    #[arg(long, value_parser = number::<u64>("keys"))]
    pub keys: Option<u64>,
    /// Key distribution.
    #[arg(long, value_enum)]
    pub distribution: Option<DistributionArg>,
    /// Operation weights, e.g. load=70,store=30 (any operation of the trait).
    #[arg(long, value_parser = parse_mix)]
    pub mix: Option<Mix>,
    /// Keys 0..N stored before the threads start.
    #[arg(long, value_parser = number::<u64>("prefill"))]
    pub prefill: Option<u64>,
    /// stress (real threads) or sched (deterministic scheduler).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Scheduler strategy (sched mode).
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    /// PCT depth.
    #[arg(long, value_parser = number::<u32>("depth"))]
    pub depth: Option<u32>,
    /// Probability of forcing a grow mid-write or between ops.
    #[arg(long, value_parser = number::<f64>("resize_rate"))]
    pub resize_rate: Option<f64>,
    /// Probability of running or withholding evacuation steps at a write.
    #[arg(long, value_parser = number::<f64>("evacuate_rate"))]
    pub evacuate_rate: Option<f64>,
    /// Probability of forcing a sync.Map promotion or dirty rebuild.
    #[arg(long, value_parser = number::<f64>("promote_rate"))]
    pub promote_rate: Option<f64>,
    /// Stress-mode perturbation at yield points.
    #[arg(long, value_enum)]
    pub perturb: Option<PerturbArg>,
    /// What the scenario expects: clean, throw, or finding (any).
    #[arg(long, value_enum)]
    pub expect: Option<ExpectArg>,
    /// Sched-mode step budget (default 1,000,000 + 1,000 × threads × ops).
    /// Ops still completing when it runs out: undecided (exit 3); none for
    /// 100,000 steps: a livelock finding.
    #[arg(long, value_parser = number::<u64>("max_steps"))]
    pub max_steps: Option<u64>,
    /// Stress-mode watchdog timeout in milliseconds.
    #[arg(long, value_parser = number::<u64>("timeout_ms"))]
    pub timeout_ms: Option<u64>,
    /// The Go target a go:NAME backend runs in: a binary or a Go package
    /// directory whose main calls chaosmap.Serve (default: the built-in
    /// target, built with the Go toolchain on PATH or $CHAOS_GO).
    #[arg(long, value_name = "PATH")]
    pub go_target: Option<String>,
    /// Swarm: each seed chooses its op mix, key count and distribution,
    /// prefill and fault kinds, within --mix (the ops to choose from),
    /// --keys, --prefill and the rates. On by default for a hunt with no
    /// --scenario, --mix, --keys, --prefill or --distribution.
    #[arg(long, conflicts_with = "no_swarm")]
    pub swarm: bool,
    /// Turn swarm off (a hunt's default, or a scenario file's `swarm = true`).
    #[arg(long)]
    pub no_swarm: bool,
}

impl ScenarioArgs {
    /// The flags as a raw scenario (only the fields given).
    pub fn to_raw(&self) -> RawScenario {
        RawScenario {
            backend: self.backend.clone(),
            threads: self.threads,
            ops: self.ops,
            keys: self.keys,
            distribution: self.distribution.map(Into::into),
            mix: self.mix.as_ref().map(Mix::to_weights),
            prefill: self.prefill,
            mode: self.mode.map(Into::into),
            strategy: self.strategy.map(Into::into),
            depth: self.depth,
            resize_rate: self.resize_rate,
            evacuate_rate: self.evacuate_rate,
            promote_rate: self.promote_rate,
            perturb: self.perturb.map(Into::into),
            expect: self.expect.map(Into::into),
            max_steps: self.max_steps,
            timeout_ms: self.timeout_ms,
            go_target: self.go_target.clone(),
            swarm: match (self.swarm, self.no_swarm) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
        }
    }

    /// Whether no scenario field or file was given at all.
    /// Whether a hunt with these arguments runs swarm by default: no
    /// scenario file and nothing that shapes the workload (`--mix`,
    /// `--keys`, `--prefill`, `--distribution`), and no `--swarm` or
    /// `--no-swarm`.
    pub fn swarm_by_default(&self) -> bool {
        self.scenario.is_none()
            && self.mix.is_none()
            && self.keys.is_none()
            && self.prefill.is_none()
            && self.distribution.is_none()
            && !self.swarm
            && !self.no_swarm
    }

    pub fn is_empty(&self) -> bool {
        self.scenario.is_none() && self.to_raw() == RawScenario::default()
    }
}

/// Parses `--seed`.
pub(crate) fn parse_seed(s: &str) -> Result<Seed, String> {
    s.parse()
        .map_err(|e: crate::seed::ParseSeedError| e.to_string())
}

/// The parser of the flag of the numeric scenario field `field`: a value
/// its type cannot hold (`--threads -1`, `--ops many`) is reported as the
/// scenario reports it ([`ScenarioError::bad_value`]); one it holds is
/// range-checked with the rest of the scenario.
fn number<T: FromStr>(field: &'static str) -> impl Fn(&str) -> Result<T, String> + Clone {
    move |s| {
        s.parse().map_err(|_| {
            // As a scenario file would show it: numbers bare, words quoted.
            let shown = match s.parse::<f64>() {
                Ok(_) => s.to_string(),
                Err(_) => format!("{s:?}"),
            };
            ScenarioError::bad_value(field, &shown)
                .map_or_else(|| format!("invalid number {shown}"), |e| e.to_string())
        })
    }
}

fn parse_mix(s: &str) -> Result<Mix, String> {
    s.parse()
}

macro_rules! value_enum {
    ($arg:ident => $target:ty { $($v:ident),* }) => {
        #[doc = concat!("Flag form of [`", stringify!($target), "`].")]
        #[derive(Debug, Clone, Copy, clap::ValueEnum)]
        pub enum $arg { $($v),* }
        impl From<$arg> for $target {
            fn from(a: $arg) -> Self {
                match a { $($arg::$v => <$target>::$v),* }
            }
        }
    };
}

value_enum!(DistributionArg => Distribution { Uniform, Hotspot, Zipf, Sequential });
value_enum!(ModeArg => Mode { Stress, Sched });
value_enum!(StrategyArg => Strategy { Random, Pct });
value_enum!(ExpectArg => Expect { Clean, Throw, Finding });
value_enum!(PerturbArg => Perturb { None, Spin, Yield });
