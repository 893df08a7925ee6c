//! Scenarios: everything that defines a run except the seed.
//!
//! A scenario comes from a TOML file (see `chaos/*.toml`), from command-line
//! flags, or both — flags override the file. Both are first read into
//! [`RawScenario`], a mirror whose every field is optional, then merged over
//! the defaults and validated into a [`Scenario`], whose fields are all
//! present and in range. Errors name the field and say what is wrong.

mod fields;
mod mix;
mod swarm;

pub use mix::Mix;
pub use swarm::{SwarmChoice, SWARM_KEYS, SWARM_RATE};

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::files::TomlError;

/// How keys are drawn from the key space `0..keys`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Every key equally likely.
    Uniform,
    /// Hot spot: one key in eight takes seven ops in eight.
    Hotspot,
    /// Zipf with exponent 1: key `k` drawn with weight `1/(k+1)`.
    Zipf,
    /// Each thread walks the key space in order from a seeded start.
    Sequential,
}

/// How the threads of a run are executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Real OS threads released together; finds what hardware finds.
    Stress,
    /// The deterministic scheduler; the seed replays the run exactly.
    Sched,
}

/// The deterministic scheduler's strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Random walk: any runnable thread at every yield point.
    Random,
    /// Probabilistic concurrency testing with `depth` (the scenario's `depth`).
    Pct,
}

/// What the scenario expects of the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// No finding at all.
    Clean,
    /// A Go-style throw (e.g. `concurrent map writes` from a raw `gomap`).
    Throw,
    /// Some finding, of any kind: for scenarios that show a known-broken
    /// backend (the mutants) is still caught.
    Finding,
}

/// Stress-mode perturbation at yield points, to widen race windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturb {
    /// None: run at full speed.
    None,
    /// Spin a short seeded number of iterations at some yield points.
    Spin,
    /// `std::thread::yield_now` at some yield points.
    Yield,
}

/// A validated scenario. Field docs give the TOML key and the default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// `backend` (default `gomap`): a registered backend name.
    pub backend: String,
    /// `threads` (default 2): workload threads, 1 to [`MAX_THREADS`].
    pub threads: u32,
    /// `ops` (default 100): operations per thread, 1 to [`MAX_OPS`].
    pub ops: u32,
    /// `keys` (default 16): size of the key space, 1 to 2^40.
    pub keys: u64,
    /// `distribution` (default `uniform`).
    pub distribution: Distribution,
    /// `mix` (default `load=70,store=30`): operation weights by name.
    pub mix: Mix,
    /// `prefill` (default 0): keys `0..prefill` stored before the threads start.
    pub prefill: u64,
    /// `mode` (default `sched`).
    pub mode: Mode,
    /// The settings only sched mode reads.
    pub sched: SchedSettings,
    /// The settings only stress mode reads.
    pub stress: StressSettings,
    /// `resize_rate` (default 0): per-visit probability of forcing a grow
    /// (doubling or same-size) in the middle of a write or between ops.
    pub resize_rate: f64,
    /// `evacuate_rate` (default 0): probability of running or withholding
    /// evacuation steps at a write.
    pub evacuate_rate: f64,
    /// `promote_rate` (default 0): probability of forcing a `sync.Map`
    /// promotion or dirty rebuild where it holds its lock.
    pub promote_rate: f64,
    /// `expect` (default `clean`).
    pub expect: Expect,
    /// `go_target` (default none: the built-in target): the Go target a
    /// `go:` backend runs in, a binary or a Go package directory whose
    /// `main` calls `chaosmap.Serve` (`go/PROTOCOL.md`).
    pub go_target: Option<String>,
    /// `swarm` (default false): each seed chooses the op mix, key count and
    /// distribution, prefill and fault kinds, within the bounds `mix`,
    /// `keys`, `prefill` and the rates give ([`SwarmChoice`]).
    #[serde(default)]
    pub swarm: bool,
}

/// The command a person types to run this process's command line again:
/// `chaos`, or what [`set_program`] named (a library author's own binary,
/// `cargo run --example chaos --`). Every replay line starts with it.
pub fn program() -> &'static str {
    PROGRAM.get().map_or("chaos", String::as_str)
}

/// Names the command replay lines start with; the first call wins.
pub fn set_program(name: String) {
    let _ = PROGRAM.set(name);
}

static PROGRAM: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The prefix of a backend that runs on the real Go runtime, in a Go target
/// process: `go:map`, `go:rwmutex`, or `go:NAME` of a user's target.
pub const GO_PREFIX: &str = "go:";

/// The settings of a [`Scenario`] that only sched mode reads. In TOML and on
/// the command line they are flat keys like the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedSettings {
    /// `strategy` (default `random`).
    pub strategy: Strategy,
    /// `depth` (default 3): PCT bug depth, 1 to 64.
    pub depth: u32,
    /// `max_steps`: the step budget; `None` (the default) is
    /// [`Scenario::step_budget`]'s, which grows with the run's size. A run
    /// that uses it up while ops still complete is *undecided*; one where
    /// no op completes for [`Scenario::livelock_window`] steps is a
    /// livelock finding.
    pub max_steps: Option<u64>,
}

impl Default for SchedSettings {
    fn default() -> Self {
        SchedSettings {
            strategy: Strategy::Random,
            depth: 3,
            max_steps: None,
        }
    }
}

/// The settings of a [`Scenario`] that only stress mode reads. In TOML and
/// on the command line they are flat keys like the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StressSettings {
    /// `perturb` (default `none`): perturbation at yield points.
    pub perturb: Perturb,
    /// `timeout_ms` (default 10,000): the watchdog (a hang finding).
    pub timeout_ms: u64,
}

impl Default for StressSettings {
    fn default() -> Self {
        StressSettings {
            perturb: Perturb::None,
            timeout_ms: 10_000,
        }
    }
}

/// Most workload threads a scenario may ask for.
pub const MAX_THREADS: u32 = 1024;
/// Most operations per thread.
pub const MAX_OPS: u32 = 1_000_000;
/// Most operations of all threads together (`threads × ops`): a run keeps
/// the history of every op (about 100 MB at this bound).
pub const MAX_OPS_IN_ALL: u64 = 1_000_000;
/// Most keys stored before the threads start.
pub const MAX_PREFILL: u64 = 1 << 20;

/// The default step budget's base, and steps per op above it
/// ([`Scenario::step_budget`]).
const STEP_BUDGET_BASE: u64 = 1_000_000;
const STEP_BUDGET_PER_OP: u64 = 1_000;
/// The fewest steps without any op completing that make a livelock
/// ([`Scenario::livelock_window`]).
const LIVELOCK_WINDOW_MIN: u64 = 100_000;

impl Scenario {
    /// The sched-mode step budget: `max_steps` if set, else
    /// 1,000,000 + 1,000 × threads × ops — far above what any built-in
    /// backend uses (tens of steps per op), so a correct map never runs out
    /// of it, and a livelock still ends in seconds.
    pub fn step_budget(&self) -> u64 {
        self.sched.max_steps.unwrap_or_else(|| {
            STEP_BUDGET_BASE + STEP_BUDGET_PER_OP * u64::from(self.threads) * u64::from(self.ops)
        })
    }

    /// Steps with no op completing anywhere after which a run the budget
    /// stopped counts as a livelock: 100,000, or 16 per key when keys are
    /// more (a whole-map op visits every key, with a yield point at each).
    pub fn livelock_window(&self) -> u64 {
        LIVELOCK_WINDOW_MIN.max(16 * (self.keys + self.prefill))
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            backend: "gomap".into(),
            threads: 2,
            ops: 100,
            keys: 16,
            distribution: Distribution::Uniform,
            mix: Mix::default(),
            prefill: 0,
            mode: Mode::Sched,
            sched: SchedSettings::default(),
            stress: StressSettings::default(),
            resize_rate: 0.0,
            evacuate_rate: 0.0,
            promote_rate: 0.0,
            expect: Expect::Clean,
            go_target: None,
            swarm: false,
        }
    }
}

/// The TOML / flags mirror of [`Scenario`]: every field optional, unknown
/// keys rejected. `mix` is a table of weights (`mix = { load = 70, store = 30 }`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    missing_docs,
    reason = "each field mirrors the Scenario field of the same name"
)]
pub struct RawScenario {
    pub backend: Option<String>,
    pub threads: Option<u32>,
    pub ops: Option<u32>,
    pub keys: Option<u64>,
    pub distribution: Option<Distribution>,
    pub mix: Option<std::collections::BTreeMap<String, u32>>,
    pub prefill: Option<u64>,
    pub mode: Option<Mode>,
    pub strategy: Option<Strategy>,
    pub depth: Option<u32>,
    pub resize_rate: Option<f64>,
    pub evacuate_rate: Option<f64>,
    pub promote_rate: Option<f64>,
    pub perturb: Option<Perturb>,
    pub expect: Option<Expect>,
    pub max_steps: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub go_target: Option<String>,
    pub swarm: Option<bool>,
}

/// Why a scenario was rejected. One line, naming the field or the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// A field's value is out of range or inconsistent.
    #[error("scenario field `{field}`: {reason}")]
    Field {
        /// The TOML key / flag name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read scenario file {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The OS's reason.
        reason: String,
    },
    /// The file is not valid TOML or has unknown keys / wrong types.
    #[error(transparent)]
    Toml(#[from] TomlError),
}

fn field(field: &'static str, reason: impl fmt::Display) -> ScenarioError {
    ScenarioError::Field {
        field,
        reason: reason.to_string(),
    }
}

impl RawScenario {
    /// Parses TOML text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &str) -> Result<Self, ScenarioError> {
        toml::from_str(text).map_err(|e| ScenarioError::Toml(fields::toml_error(text, path, &e)))
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        Self::from_toml(&text, &shown)
    }

    /// `self` with every field that `over` sets replaced by `over`'s value
    /// (flags over a file).
    pub fn overlay(mut self, over: RawScenario) -> RawScenario {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        take!(
            backend,
            threads,
            ops,
            keys,
            distribution,
            mix,
            prefill,
            mode,
            strategy,
            depth,
            resize_rate,
            evacuate_rate,
            promote_rate,
            perturb,
            expect,
            max_steps,
            timeout_ms,
            go_target,
            swarm
        );
        self
    }

    /// Merges over the defaults and validates. Under `swarm` the defaults
    /// of the fields that bound the seed's choices are swarm's own: every
    /// op, [`SWARM_KEYS`] keys, a prefill up to the key count, and each
    /// fault at [`SWARM_RATE`] when on (none for a `go:` backend).
    pub fn validate(self) -> Result<Scenario, ScenarioError> {
        let d = Scenario::default();
        let swarm = self.swarm.unwrap_or(d.swarm);
        let backend = self.backend.unwrap_or(d.backend);
        if swarm && self.distribution.is_some() {
            return Err(field(
                "distribution",
                "swarm draws the distribution for each seed: leave it out, or turn swarm off to fix one",
            ));
        }
        let is_go = backend.starts_with(GO_PREFIX);
        let keys = self.keys.unwrap_or(if swarm { SWARM_KEYS } else { d.keys });
        let rate = |r: Option<f64>| match r {
            Some(r) => r,
            None if swarm && !is_go => SWARM_RATE,
            None => 0.0,
        };
        // A Go target runs on real threads only: its default mode is stress.
        let mode = match self.mode {
            Some(m) => m,
            None if backend.starts_with(GO_PREFIX) => Mode::Stress,
            None => d.mode,
        };
        let s = Scenario {
            backend,
            threads: self.threads.unwrap_or(d.threads),
            ops: self.ops.unwrap_or(d.ops),
            keys,
            distribution: self.distribution.unwrap_or(d.distribution),
            mix: match self.mix {
                Some(m) => Mix::from_weights(&m).map_err(|r| field("mix", r))?,
                None if swarm => Mix::every_op(),
                None => d.mix,
            },
            prefill: self.prefill.unwrap_or(if swarm {
                keys.min(MAX_PREFILL)
            } else {
                d.prefill
            }),
            mode,
            sched: SchedSettings {
                strategy: self.strategy.unwrap_or(d.sched.strategy),
                depth: self.depth.unwrap_or(d.sched.depth),
                max_steps: self.max_steps.or(d.sched.max_steps),
            },
            stress: StressSettings {
                perturb: self.perturb.unwrap_or(d.stress.perturb),
                timeout_ms: self.timeout_ms.unwrap_or(d.stress.timeout_ms),
            },
            resize_rate: rate(self.resize_rate),
            evacuate_rate: rate(self.evacuate_rate),
            promote_rate: rate(self.promote_rate),
            expect: self.expect.unwrap_or(d.expect),
            go_target: self.go_target.or(d.go_target),
            swarm,
        };
        s.check()?;
        Ok(s)
    }
}

impl Scenario {
    /// Checks every field's range; the error names the first bad field.
    pub fn check(&self) -> Result<(), ScenarioError> {
        if self.backend.trim().is_empty() {
            return Err(field(
                "backend",
                "must name a backend (see `chaos backends`)",
            ));
        }
        if self.threads == 0 || self.threads > MAX_THREADS {
            return Err(field(
                "threads",
                format!("must be between 1 and {MAX_THREADS}, got {}", self.threads),
            ));
        }
        if self.ops == 0 || self.ops > MAX_OPS {
            return Err(field(
                "ops",
                format!("must be between 1 and {MAX_OPS}, got {}", self.ops),
            ));
        }
        let all = u64::from(self.threads) * u64::from(self.ops);
        if all > MAX_OPS_IN_ALL {
            return Err(field(
                "ops",
                format!(
                    "threads × ops must be at most {MAX_OPS_IN_ALL} (the history of every op is kept), got {} × {} = {all}",
                    self.threads, self.ops
                ),
            ));
        }
        if self.keys == 0 || self.keys > 1 << 40 {
            return Err(field(
                "keys",
                format!("must be between 1 and 2^40, got {}", self.keys),
            ));
        }
        if self.prefill > MAX_PREFILL {
            return Err(field(
                "prefill",
                format!("must be at most {MAX_PREFILL}, got {}", self.prefill),
            ));
        }
        if self.sched.depth == 0 || self.sched.depth > 64 {
            return Err(field(
                "depth",
                format!("must be between 1 and 64, got {}", self.sched.depth),
            ));
        }
        for (name, rate) in [
            ("resize_rate", self.resize_rate),
            ("evacuate_rate", self.evacuate_rate),
            ("promote_rate", self.promote_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                let name: &'static str = name;
                return Err(field(
                    name,
                    format!("must be a probability between 0 and 1, got {rate}"),
                ));
            }
        }
        if self.sched.max_steps == Some(0) {
            return Err(field("max_steps", "must be at least 1"));
        }
        if self.stress.timeout_ms == 0 {
            return Err(field("timeout_ms", "must be at least 1"));
        }
        self.check_go()
    }

    /// Whether the backend runs on the real Go runtime, in a Go target.
    pub fn is_go(&self) -> bool {
        self.backend.starts_with(GO_PREFIX)
    }

    /// What a `go:` backend cannot do: be scheduled, take a forced resize;
    /// and a Go target only serves `go:` backends.
    fn check_go(&self) -> Result<(), ScenarioError> {
        let backend = &self.backend;
        if !self.is_go() {
            return match &self.go_target {
                Some(t) => Err(field(
                    "go_target",
                    format!("{t:?} serves go: backends only; backend {backend} runs in this process (name one of the target's maps as go:NAME)"),
                )),
                None => Ok(()),
            };
        }
        let name = &backend[GO_PREFIX.len()..];
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || !name.chars().all(ok_char) {
            return Err(field(
                "backend",
                format!("{backend:?}: a Go backend is go:NAME, NAME one word of letters, digits, '-' or '_'"),
            ));
        }
        if self.mode == Mode::Sched {
            return Err(field(
                "mode",
                format!("\"sched\": backend {backend} runs on the real Go runtime, whose goroutines chaos cannot schedule: stress mode only (--mode stress)"),
            ));
        }
        for (name, rate) in [
            ("resize_rate", self.resize_rate),
            ("evacuate_rate", self.evacuate_rate),
            ("promote_rate", self.promote_rate),
        ] {
            if rate != 0.0 {
                return Err(field(
                    name,
                    format!("{rate}: backend {backend} runs on the real Go runtime, whose maps cannot be forced to resize: must be 0"),
                ));
            }
        }
        if self.go_target.as_deref() == Some("") {
            return Err(field(
                "go_target",
                "must name a Go target binary or package directory",
            ));
        }
        Ok(())
    }

    /// The scenario as `chaos run` flags: every field that differs from the
    /// defaults, plus the ones a reader wants to see; a setting the mode does
    /// not read is left out.
    pub fn flags(&self) -> Vec<String> {
        let d = Scenario::default();
        let mut args = vec![format!("--backend {}", self.backend)];
        if self.swarm {
            args.push("--swarm".into());
        }
        args.extend([
            format!("--threads {}", self.threads),
            format!("--ops {}", self.ops),
            format!("--keys {}", self.keys),
            format!("--mix {}", self.mix),
            format!("--mode {}", enum_name(&self.mode)),
        ]);
        let mut opt = |differs: bool, flag: &str, value: String| {
            if differs {
                args.push(format!("--{flag} {value}"));
            }
        };
        opt(
            !self.swarm && self.distribution != d.distribution,
            "distribution",
            enum_name(&self.distribution),
        );
        opt(
            self.prefill != d.prefill,
            "prefill",
            self.prefill.to_string(),
        );
        let sched = self.mode == Mode::Sched;
        opt(
            sched && self.sched.strategy != d.sched.strategy,
            "strategy",
            enum_name(&self.sched.strategy),
        );
        opt(
            sched && self.sched.depth != d.sched.depth,
            "depth",
            self.sched.depth.to_string(),
        );
        opt(
            self.resize_rate != d.resize_rate,
            "resize-rate",
            self.resize_rate.to_string(),
        );
        opt(
            self.evacuate_rate != d.evacuate_rate,
            "evacuate-rate",
            self.evacuate_rate.to_string(),
        );
        opt(
            self.promote_rate != d.promote_rate,
            "promote-rate",
            self.promote_rate.to_string(),
        );
        opt(
            !sched && self.stress.perturb != d.stress.perturb,
            "perturb",
            enum_name(&self.stress.perturb),
        );
        opt(self.expect != d.expect, "expect", enum_name(&self.expect));
        if let Some(t) = &self.go_target {
            opt(true, "go-target", shell_word(t));
        }
        opt(
            sched && self.sched.max_steps.is_some(),
            "max-steps",
            self.sched.max_steps.unwrap_or_default().to_string(),
        );
        opt(
            !sched && self.stress.timeout_ms != d.stress.timeout_ms,
            "timeout-ms",
            self.stress.timeout_ms.to_string(),
        );
        args
    }

    /// The command line that runs this scenario under `seed`:
    /// `chaos run <flags> --seed <seed>`.
    pub fn command_line(&self, seed: crate::seed::Seed) -> String {
        self.command("run", seed)
    }

    /// `chaos <subcommand>` ([`program`]) with this scenario's flags and `seed`, e.g.
    /// `chaos shrink --backend gomap ... --seed 0x1`.
    pub fn command(&self, subcommand: &str, seed: crate::seed::Seed) -> String {
        format!(
            "{} {subcommand} {} --seed {seed}",
            program(),
            self.flags().join(" ")
        )
    }

    /// The scenario as TOML, in the format `--scenario` reads.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.to_raw()).expect("a validated scenario always serialises")
    }

    /// The raw mirror with every field set.
    pub fn to_raw(&self) -> RawScenario {
        RawScenario {
            backend: Some(self.backend.clone()),
            threads: Some(self.threads),
            ops: Some(self.ops),
            keys: Some(self.keys),
            // Under swarm the distribution is drawn, never given.
            distribution: (!self.swarm).then_some(self.distribution),
            mix: Some(self.mix.to_weights()),
            prefill: Some(self.prefill),
            mode: Some(self.mode),
            strategy: Some(self.sched.strategy),
            depth: Some(self.sched.depth),
            resize_rate: Some(self.resize_rate),
            evacuate_rate: Some(self.evacuate_rate),
            promote_rate: Some(self.promote_rate),
            perturb: Some(self.stress.perturb),
            expect: Some(self.expect),
            max_steps: self.sched.max_steps,
            timeout_ms: Some(self.stress.timeout_ms),
            go_target: self.go_target.clone(),
            swarm: self.swarm.then_some(true),
        }
    }
}

/// `s` as one shell word: bare when it is plain, single-quoted otherwise.
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A unit enum's serde name (`stress`, `random`, ...).
pub(crate) fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_round_trip_through_toml() {
        let s = RawScenario::default().validate().unwrap();
        assert_eq!(s, Scenario::default());
        let back = RawScenario::from_toml(&s.to_toml(), "x")
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn flags_override_file() {
        let file = RawScenario::from_toml("threads = 4\nops = 9\n", "f.toml").unwrap();
        let flags = RawScenario {
            threads: Some(8),
            ..Default::default()
        };
        let s = file.overlay(flags).validate().unwrap();
        assert_eq!((s.threads, s.ops), (8, 9));
    }

    #[test]
    fn malformed_toml_names_line_and_column() {
        let e = RawScenario::from_toml("threads = 2\nops = = 3\n", "bad.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("bad.toml:2:"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn unknown_key_is_rejected_with_its_name() {
        let e = RawScenario::from_toml("thread = 2\n", "s.toml").unwrap_err();
        assert!(e.to_string().contains("thread"), "{e}");
        assert!(e.to_string().starts_with("s.toml:1:1"), "{e}");
    }

    #[test]
    fn out_of_range_fields_are_rejected() {
        let bad = [
            ("threads = 0", "threads"),
            ("ops = 0", "ops"),
            ("keys = 0", "keys"),
            ("depth = 0", "depth"),
            ("resize_rate = 1.5", "resize_rate"),
            ("mix = { load = 0, store = 0 }", "mix"),
            ("mix = { lod = 1 }", "mix"),
            ("backend = \"\"", "backend"),
        ];
        for (text, name) in bad {
            let e = RawScenario::from_toml(text, "s")
                .unwrap()
                .validate()
                .unwrap_err();
            assert!(
                matches!(&e, ScenarioError::Field { field, .. } if *field == name),
                "{text}: {e}"
            );
        }
    }
}
