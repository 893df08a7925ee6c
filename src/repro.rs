//! Repro files: a minimal failure and everything that replays it, as TOML.
//!
//! A repro is self-describing: the format version, the crate version that
//! wrote it, the seed-level shrunk scenario and seed (what `chaos run`
//! reproduces), the minimised script (each thread's ops, the scheduling
//! choices and fired faults of the run that failed, and the seed of that
//! run), the finding with its signature, and a one-line description of what
//! happens. `fixtures/gomap-throw-concurrent-map-writes.toml`, for example:
//!
//! ```toml
//! # chaos repro: throw: concurrent map writes [gomap]
//! # Replay it with `chaos replay <this file>`; see `chaos replay --help`.
//!
//! format = 1
//! chaos_version = "0.1.0"
//! description = "thread 0 store(0) set hashWriting; thread 1 store(0) throws: fatal error: concurrent map writes"
//! seed = "0x0"
//! run = "chaos run --backend gomap --threads 2 --ops 1 --keys 1 --mix store=1 --mode sched --seed 0x0"
//!
//! [finding]
//! signature = "throw: concurrent map writes [gomap]"
//! kind = "throw"
//! message = "concurrent map writes"
//! thread = 1
//! op = 0
//! step = 5
//! detail = "fatal error: concurrent map writes"
//!
//! [scenario]
//! backend = "gomap"
//! threads = 2
//! ops = 1
//! keys = 1
//! # ... every scenario field, as in a scenario file
//!
//! [scenario.mix]
//! store = 1
//!
//! [script]
//! seed = "0x0"
//! history_hash = "0x7f2f1d9d993fcb22"
//! # each thread's ops, in order
//! threads = [
//!     ["store(0, 0x10000000001)"],
//!     ["store(0, 0x20000000001)"],
//! ]
//!
//! [script.trace]
//! # the thread chosen at each scheduling decision
//! choices = [
//!     0, 0, 0, 1, 1,
//! ]
//! # the faults that fired: at = visit index in the run; op, in_op = the thread's op and the visit within it
//! faults = []
//! ```
//!
//! [`replay`] re-executes the script exactly ([`crate::replay`] does the
//! work: the explicit ops, the recorded choices and faults) and says whether
//! the recorded signature came back, or the run failed some other way (a
//! finding the checker now classifies differently, or another bug): its
//! [`Verdict`]. A stress script (a failure the scheduler could not
//! reproduce) has no trace; it replays by running the ops on real threads
//! up to [`crate::replay::STRESS_N`] times, and reproduces on the first try
//! that fails the same way.
//!
//! Files are written atomically ([`crate::files::write_new`]), and a
//! different repro never replaces one already there: it gets a numbered
//! name.

mod emit;

pub use emit::{embedded_repro, emit_test, EmitOptions, REPRO_BEGIN, REPRO_END};

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::check::{Finding, FindingKind, Signature};
use crate::engine::faults::FiredFault;
use crate::engine::sched::Trace;
use crate::maps::Constructor;
use crate::replay::{replay_script, Recorded};
use crate::report::Timeline;
use crate::scenario::{RawScenario, Scenario};
use crate::seed::Seed;
use crate::shrink::script::{self, Minimised, ScriptError, ScriptOptions};
use crate::shrink::{self, ShrinkOptions, Shrunk};
use crate::workload::Op;

pub use crate::replay::{ReplayOptions, Replayed, Script, Verdict};

/// The repro format this crate writes and reads.
pub const FORMAT: u32 = 1;

/// A minimal failure and everything that replays it.
#[derive(Clone, Debug, PartialEq)]
pub struct Repro {
    /// The version of `chaos` that wrote it.
    pub chaos_version: String,
    /// What happens, in one line (derived from the replayed run).
    pub description: String,
    /// The seed-level shrunk scenario: `chaos run` with its flags and
    /// [`Repro::seed`] reproduces the finding.
    pub scenario: Scenario,
    /// The seed of the seed-level shrunk run.
    pub seed: Seed,
    /// The finding, as recorded.
    pub finding: Finding,
    /// The minimised script.
    pub script: Script,
    /// The seed of the script's recorded run (it seeds the backend, and the
    /// draws after a departure under `--continue`).
    pub script_seed: Seed,
    /// Sched mode: the recorded run's history hash, which a replay
    /// reproduces byte for byte.
    pub history_hash: Option<u64>,
}

/// Why a repro file could not be read or written. One line each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReproError {
    /// The file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The OS's reason.
        reason: String,
    },
    /// Not valid TOML, or a field of the wrong type or name.
    #[error("{path}:{line}:{column}: {reason}")]
    Toml {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's reason, on one line.
        reason: String,
    },
    /// Written by an incompatible version.
    #[error(
        "{path}: repro format {found} is not supported: this chaos ({ours}) reads format {FORMAT}{written_by}"
    )]
    Version {
        /// The file.
        path: String,
        /// The format it declares.
        found: String,
        /// This crate's version.
        ours: String,
        /// ", written by chaos X" when the file says.
        written_by: String,
    },
    /// A field is present but wrong (bad op text, bad seed, a scenario field
    /// out of range, a signature that does not match the finding).
    #[error("{path}: `{field}`: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// The field, as a TOML path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The scenario names a backend this build does not have.
    #[error("{path}: unknown backend {name:?} (see `chaos backends`)")]
    UnknownBackend {
        /// The file.
        path: String,
        /// The backend named.
        name: String,
    },
}

/// The file's TOML shape.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    format: u32,
    chaos_version: String,
    description: String,
    seed: String,
    run: String,
    finding: FileFinding,
    scenario: RawScenario,
    script: FileScript,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFinding {
    signature: String,
    kind: FindingKind,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thread: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    op: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step: Option<u64>,
    #[serde(default)]
    detail: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileScript {
    seed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    history_hash: Option<String>,
    threads: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trace: Option<FileTrace>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTrace {
    choices: Vec<u32>,
    #[serde(default)]
    faults: Vec<FiredFault>,
}

fn toml_error(text: &str, path: &str, e: &toml::de::Error) -> ReproError {
    let (line, column, reason) = crate::scenario::toml_error_at(text, e);
    ReproError::Toml {
        path: path.to_string(),
        line,
        column,
        reason,
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    // At most 80 characters, cut at a word.
    match out.char_indices().nth(80) {
        None => out.to_string(),
        Some((cut, _)) => out[..cut]
            .rsplit_once('-')
            .map_or(&out[..cut], |(head, _)| head)
            .to_string(),
    }
}

impl Repro {
    /// A repro of a minimised script, for a scenario shrunk at seed level to
    /// `scenario` under `seed`. The description is left empty; [`make`]
    /// derives it from the replayed run.
    pub fn new(scenario: &Scenario, seed: Seed, minimised: &Minimised) -> Repro {
        Repro {
            chaos_version: env!("CARGO_PKG_VERSION").to_string(),
            description: String::new(),
            scenario: scenario.clone(),
            seed,
            finding: minimised.finding.clone(),
            script: minimised.script.clone(),
            script_seed: minimised.seed,
            history_hash: minimised.history_hash,
        }
    }

    /// The recorded finding's signature.
    pub fn signature(&self) -> Signature {
        self.finding.signature()
    }

    /// The `chaos run` line that reproduces the seed-level shrunk run.
    pub fn run_command(&self) -> String {
        self.scenario.command_line(self.seed)
    }

    /// The scenario the script runs under.
    pub fn script_scenario(&self) -> Scenario {
        self.script.scenario(&self.scenario)
    }

    /// The file's text: the header and the finding through serde, the script
    /// laid out by hand so that each thread's ops sit on one line.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct Head<'a> {
            format: u32,
            chaos_version: &'a str,
            description: &'a str,
            seed: String,
            run: String,
            finding: FileFinding,
            scenario: RawScenario,
        }
        let head = Head {
            format: FORMAT,
            chaos_version: &self.chaos_version,
            description: &self.description,
            seed: self.seed.to_string(),
            run: self.run_command(),
            finding: FileFinding {
                signature: self.signature().0,
                kind: self.finding.kind,
                message: self.finding.message.clone(),
                thread: self.finding.thread,
                op: self.finding.op,
                step: self.finding.step,
                detail: self.finding.detail.clone(),
            },
            scenario: self.scenario.to_raw(),
        };
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = format!(
            "# chaos repro: {}\n# Replay it with `chaos replay <this file>`; see `chaos replay --help`.\n\n",
            self.signature()
        );
        out.push_str(&toml::to_string(&head).expect("a repro always serialises"));
        out.push_str("\n[script]\n");
        out.push_str(&format!(
            "seed = {}\n",
            quote(&self.script_seed.to_string())
        ));
        if let Some(h) = self.history_hash {
            out.push_str(&format!(
                "history_hash = {}\n",
                quote(&format!("{h:#018x}"))
            ));
        }
        out.push_str("# each thread's ops, in order\nthreads = [\n");
        for ops in &self.script.threads {
            let ops: Vec<String> = ops.iter().map(|o| quote(&o.to_string())).collect();
            out.push_str(&format!("    [{}],\n", ops.join(", ")));
        }
        out.push_str("]\n");
        if let Some(trace) = &self.script.trace {
            out.push_str(
                "\n[script.trace]\n# the thread chosen at each scheduling decision\nchoices = [",
            );
            for (i, c) in trace.choices.iter().enumerate() {
                if i % 32 == 0 {
                    out.push_str("\n    ");
                } else {
                    out.push(' ');
                }
                out.push_str(&format!("{c},"));
            }
            out.push_str(if trace.choices.is_empty() {
                "]\n"
            } else {
                "\n]\n"
            });
            out.push_str("# the faults that fired: at = visit index in the run; op, in_op = the thread's op and the visit within it\nfaults = [");
            for f in &trace.faults {
                let v = toml::Value::try_from(f).expect("a fault serialises");
                out.push_str(&format!("\n    {v},"));
            }
            out.push_str(if trace.faults.is_empty() {
                "]\n"
            } else {
                "\n]\n"
            });
        }
        out
    }

    /// Parses a repro's text (`path` only names it in errors).
    pub fn from_toml_at(text: &str, path: &str) -> Result<Repro, ReproError> {
        let invalid = |field: &str, reason: String| ReproError::Invalid {
            path: path.to_string(),
            field: field.to_string(),
            reason,
        };
        // The version first: a file from another format may not parse as ours.
        let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, path, &e))?;
        let written_by = match table.get("chaos_version") {
            Some(toml::Value::String(v)) => format!(", written by chaos {v}"),
            _ => String::new(),
        };
        match table.get("format") {
            Some(toml::Value::Integer(n)) if *n == i64::from(FORMAT) => {}
            Some(other) => {
                return Err(ReproError::Version {
                    path: path.to_string(),
                    found: other.to_string(),
                    ours: env!("CARGO_PKG_VERSION").to_string(),
                    written_by,
                })
            }
            None => {
                return Err(invalid(
                    "format",
                    "missing: not a chaos repro file (it has no format version)".into(),
                ))
            }
        }
        let file: FileRepr = toml::from_str(text).map_err(|e| toml_error(text, path, &e))?;
        let scenario = file
            .scenario
            .validate()
            .map_err(|e| invalid("scenario", e.to_string()))?;
        let seed: Seed = file
            .seed
            .parse()
            .map_err(|e: crate::seed::ParseSeedError| invalid("seed", e.to_string()))?;
        let script_seed: Seed = file
            .script
            .seed
            .parse()
            .map_err(|e: crate::seed::ParseSeedError| invalid("script.seed", e.to_string()))?;
        let history_hash = match &file.script.history_hash {
            None => None,
            Some(h) => Some(
                h.strip_prefix("0x")
                    .and_then(|x| u64::from_str_radix(x, 16).ok())
                    .ok_or_else(|| {
                        invalid("script.history_hash", format!("{h:?} is not a 0x-hex hash"))
                    })?,
            ),
        };
        let mut threads = Vec::new();
        for (t, ops) in file.script.threads.iter().enumerate() {
            let mut parsed = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                parsed.push(
                    op.parse::<Op>().map_err(|e| {
                        invalid(&format!("script.threads[{t}][{i}]"), e.to_string())
                    })?,
                );
            }
            threads.push(parsed);
        }
        if threads.is_empty() {
            return Err(invalid(
                "script.threads",
                "the script has no threads".into(),
            ));
        }
        let trace = file.script.trace.map(|t| Trace {
            choices: t.choices,
            faults: t.faults,
        });
        if let Some(trace) = &trace {
            let n = threads.len() as u32;
            if let Some(bad) = trace.choices.iter().find(|&&c| c >= n) {
                return Err(invalid(
                    "script.trace.choices",
                    format!("thread {bad} chosen, but the script has {n} threads"),
                ));
            }
            if let Some(bad) = trace.faults.iter().find(|f| f.thread as u32 >= n) {
                return Err(invalid(
                    "script.trace.faults",
                    format!(
                        "a fault for thread {}, but the script has {n} threads",
                        bad.thread
                    ),
                ));
            }
        }
        let finding = Finding {
            kind: file.finding.kind,
            message: file.finding.message,
            backend: scenario.backend.clone(),
            thread: file.finding.thread,
            op: file.finding.op,
            step: file.finding.step,
            detail: file.finding.detail,
        };
        if finding.signature().0 != file.finding.signature {
            return Err(invalid(
                "finding.signature",
                format!(
                    "{:?} does not match the finding's kind, message and backend ({:?})",
                    file.finding.signature,
                    finding.signature().0
                ),
            ));
        }
        Ok(Repro {
            chaos_version: file.chaos_version,
            description: file.description,
            scenario,
            seed,
            finding,
            script: Script { threads, trace },
            script_seed,
            history_hash,
        })
    }

    /// Parses a repro's text.
    pub fn from_toml(text: &str) -> Result<Repro, ReproError> {
        Self::from_toml_at(text, "<repro>")
    }

    /// Reads and validates a repro file.
    pub fn read(path: &Path) -> Result<Repro, ReproError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ReproError::Io {
            path: shown.clone(),
            reason: format!("cannot read the repro file: {e}"),
        })?;
        Self::from_toml_at(&text, &shown)
    }

    /// Checks that the scenario's backend is one of those `known` accepts.
    pub fn require_backend(
        &self,
        path: &Path,
        known: impl Fn(&str) -> bool,
    ) -> Result<(), ReproError> {
        if known(&self.scenario.backend) {
            Ok(())
        } else {
            Err(ReproError::UnknownBackend {
                path: path.display().to_string(),
                name: self.scenario.backend.clone(),
            })
        }
    }

    /// The file name this repro is written under (before any numbering):
    /// backend and kind, and the message where it tells findings of one
    /// kind apart (throws, panics, invariants), e.g.
    /// `gomap-throw-concurrent-map-writes`, `mutant-split-swap-linearizability`.
    pub fn file_stem(&self) -> String {
        let kind = self.finding.kind;
        let named = matches!(
            kind,
            FindingKind::Throw | FindingKind::Panic | FindingKind::Invariant
        );
        let text = if named {
            format!("{}-{kind}-{}", self.scenario.backend, self.finding.message)
        } else {
            format!("{}-{kind}", self.scenario.backend)
        };
        slug(&text)
    }

    /// Writes the repro into `dir` (created if needed) and returns its path.
    /// Atomic, and never over a different file: a file of that name with the
    /// same text is left as it is (the same repro); one with other text gets
    /// the repro written under the next free numbered name (`stem-2.toml`,
    /// `stem-3.toml`, ...). See [`crate::files::write_new`].
    pub fn write_to_dir(&self, dir: &Path) -> Result<PathBuf, ReproError> {
        crate::files::write_new(dir, &self.file_stem(), "toml", &self.to_toml()).map_err(|e| {
            ReproError::Io {
                path: dir.display().to_string(),
                reason: e.to_string(),
            }
        })
    }
}

/// Replays `repro` exactly against the backend `build` builds.
pub fn replay(repro: &Repro, build: &Constructor<'_>) -> Replayed {
    replay_with(repro, build, &ReplayOptions::default())
}

/// Replays `repro` as `opts` say.
pub fn replay_with(repro: &Repro, build: &Constructor<'_>, opts: &ReplayOptions) -> Replayed {
    let signature = repro.signature();
    let recorded = Recorded {
        scenario: &repro.scenario,
        script: &repro.script,
        seed: repro.script_seed,
        signature: &signature,
        history_hash: repro.history_hash,
    };
    replay_script(recorded, build, opts)
}

impl Replayed {
    /// The human report of replaying `repro`: the verdict, the finding and
    /// its timeline, or where the replay diverged, and what to do next
    /// ([`crate::report::replayed`]).
    pub fn report(&self, repro: &Repro) -> String {
        crate::report::replayed(
            self,
            &repro.signature(),
            repro.script_seed,
            repro.history_hash,
            &repro.run_command(),
        )
    }
}

/// How much work [`make`] may do.
#[derive(Clone, Debug, Default)]
pub struct MakeOptions {
    /// Seed-level shrinking.
    pub shrink: ShrinkOptions,
    /// Script minimisation.
    pub script: ScriptOptions,
}

/// A repro made from a failing run, with the steps that made it.
#[derive(Clone, Debug)]
pub struct Made {
    /// The repro (its description derived from `replayed`).
    pub repro: Repro,
    /// The seed-level shrink.
    pub shrunk: Shrunk,
    /// The script minimisation.
    pub minimised: Minimised,
    /// The replay of the repro the description was derived from.
    pub replayed: Replayed,
}

impl Made {
    /// Executions spent in all: shrinking, minimising, replaying.
    pub fn executions(&self) -> u64 {
        self.shrunk.executions + self.minimised.executions + u64::from(self.replayed.tries)
    }
}

/// Why no repro could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MakeError {
    /// The run does not fail with the signature (nothing to shrink).
    #[error("the run does not fail with {0}: nothing to shrink")]
    NotFailing(Signature),
    /// The script could not be minimised into something that replays.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// The minimal script did not reproduce on replay.
    #[error("the minimal script did not reproduce {0} on replay")]
    NotReproduced(Signature),
}

/// From a failing run of `scenario` under `seed` with a finding of
/// `signature` to a minimal repro: seed-level shrinking
/// ([`crate::shrink::shrink`]), script minimisation
/// ([`crate::shrink::script::minimise`]), then a replay that records the
/// timeline and describes what happens.
///
/// Seed-level shrinking sets a fault rate to zero when the bug still shows
/// without it, but a forced fault is often what makes the *script* short (a
/// forced `sync.Map` promotion stands for the dozens of misses that trigger
/// one naturally). So when it zeroed rates the scenario had and the script
/// has more than two ops, the scenario is shrunk again with its fault rates
/// kept ([`ShrinkOptions::keep_fault_rates`]) and minimised, and the repro
/// keeps the smaller script.
pub fn make(
    scenario: &Scenario,
    seed: Seed,
    signature: &Signature,
    build: &Constructor<'_>,
    opts: &MakeOptions,
) -> Result<Made, MakeError> {
    let mut shrunk = shrink::shrink(scenario, seed, signature, build, opts.shrink.clone())
        .ok_or_else(|| MakeError::NotFailing(signature.clone()))?;
    let mut minimised = script::minimise(
        &shrunk.scenario,
        shrunk.seed,
        signature,
        build,
        opts.script.clone(),
    )?;
    let zeroed = |s: &Scenario| {
        (
            scenario.resize_rate,
            scenario.evacuate_rate,
            scenario.promote_rate,
        ) != (s.resize_rate, s.evacuate_rate, s.promote_rate)
    };
    if zeroed(&shrunk.scenario) && minimised.script.ops() > 2 && !opts.shrink.keep_fault_rates {
        let keep = ShrinkOptions {
            keep_fault_rates: true,
            ..opts.shrink.clone()
        };
        let spent = shrunk.executions + minimised.executions;
        if let Some(again) = shrink::shrink(scenario, seed, signature, build, keep) {
            let m = script::minimise(
                &again.scenario,
                again.seed,
                signature,
                build,
                opts.script.clone(),
            );
            match m {
                Ok(m) if m.script.ops() < minimised.script.ops() => {
                    shrunk = Shrunk {
                        executions: again.executions + spent,
                        ..again
                    };
                    minimised = m;
                }
                Ok(m) => shrunk.executions += again.executions + m.executions,
                Err(_) => shrunk.executions += again.executions,
            }
        }
    }
    let mut repro = Repro::new(&shrunk.scenario, shrunk.seed, &minimised);
    let replayed = replay(&repro, build);
    let Some(finding) = &replayed.finding else {
        return Err(MakeError::NotReproduced(signature.clone()));
    };
    repro.description = Timeline::build(&replayed.execution, finding).describe();
    Ok(Made {
        repro,
        shrunk,
        minimised,
        replayed,
    })
}

impl fmt::Display for Repro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} ops in {} threads): {}",
            self.signature(),
            self.script.ops(),
            self.script.threads.len(),
            self.description
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_readable_slugs() {
        assert_eq!(
            slug("gomap-throw-concurrent map writes"),
            "gomap-throw-concurrent-map-writes"
        );
        assert_eq!(slug("a: b [c]"), "a-b-c");
        let long = slug(&"word ".repeat(40));
        assert!(long.len() <= 80 && long.ends_with("word"), "{long}");
    }
}
