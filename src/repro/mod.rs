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
//! description = "thread 0 store(0) passed the hashWriting check; thread 0 store(0) flipped hashWriting (flags ^= hashWriting); thread 1 store(0) throws: fatal error: concurrent map writes"
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
//! up to [`crate::replay::REPLAY_N`] times, and reproduces on the first try
//! that fails the same way.
//!
//! Files are written atomically ([`crate::files::write_new`]), and a
//! different repro never replaces one already there: it gets a numbered
//! name.

mod emit;
mod format;
mod make;
mod store;

pub use emit::{embedded_repro, emit_test, EmitOptions, REPRO_BEGIN, REPRO_END};
pub use make::{make, Made, MakeError, MakeOptions};

use std::fmt;
use std::path::Path;

use crate::check::{Finding, Signature};
use crate::files::TomlError;
use crate::maps::Constructor;
use crate::replay::{replay_script, Recorded};
use crate::scenario::Scenario;
use crate::seed::Seed;
use crate::shrink::script::Minimised;

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
    /// Found by a swarm scenario: the seed it ran under and the shape that
    /// seed chose. [`Repro::scenario`] is that shape (shrunk), swarm off,
    /// so it replays without this; the record says where it came from.
    pub swarm: Option<SwarmOrigin>,
}

/// A seed as its text, `0x`-hex, in a TOML file.
mod seed_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::seed::Seed;

    pub(super) fn serialize<S: Serializer>(seed: &Seed, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(seed)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Seed, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Where a repro found by a swarm scenario came from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SwarmOrigin {
    /// The seed the swarm scenario ran under (written as text: TOML's
    /// integers stop at 2^63).
    #[serde(with = "seed_text")]
    pub seed: Seed,
    /// What that seed chose.
    #[serde(flatten)]
    pub choice: crate::scenario::SwarmChoice,
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
    #[error(transparent)]
    Toml(#[from] TomlError),
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
            swarm: None,
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
