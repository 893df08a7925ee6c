//! `chaos replay FILE...`: re-execute repro files exactly.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{json, Value as Json};

use crate::report;
use crate::repro::{replay_with, ReplayOptions, Replayed, Repro, ReproError};

use super::{BadInput, Exit};

/// `chaos replay`.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit codes: 1 when a recorded finding reproduces, or the replay fails with
another finding (\"fails differently\"); 0 when it finds nothing (\"no longer
reproduces\": the bug was fixed, or the backend changed so that the recorded
schedule no longer fits it; --continue then finishes the execution); 2 when a
file cannot be read, is not a repro, or comes from an incompatible version.
With several files the worst code wins.

Examples:
  chaos replay chaos-repros/gomap-throw-concurrent-map-writes.toml
  chaos replay fixtures/*.toml --json
  chaos replay old.toml --continue      # the backend changed: finish under the recorded seed
  chaos replay repro.toml --html repro.html")]
pub struct ReplayArgs {
    /// Repro files written by `chaos shrink` (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// When the recorded schedule no longer fits the backend, follow it as
    /// far as it goes, then finish the execution with choices and faults
    /// drawn from the recorded seed.
    #[arg(long = "continue")]
    pub continue_on_divergence: bool,
    /// Print a JSON array, one object per file, instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Also write one self-contained HTML page: each file's verdict and the
    /// lanes of the replayed failure, with the finding and the replay lines.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// One file's outcome.
enum Outcome {
    Replayed(Box<(Repro, Replayed)>),
    Bad(String),
}

impl Outcome {
    fn exit(&self) -> Exit {
        match self {
            Outcome::Bad(_) => Exit::BadInput,
            Outcome::Replayed(r) if r.1.failed() => Exit::Finding,
            Outcome::Replayed(_) => Exit::Met,
        }
    }
}

fn replay_file(path: &Path, opts: &ReplayOptions) -> Outcome {
    let repro = match Repro::read(path) {
        Ok(r) => r,
        Err(e) => return Outcome::Bad(e.to_string()),
    };
    if repro.scenario.is_go() {
        // The same target: the built-in one of this toolchain, or the
        // `go_target` the repro names.
        return match super::run::factory(&repro.scenario) {
            Ok(make) => {
                let replayed = replay_with(&repro, make, opts);
                Outcome::Replayed(Box::new((repro, replayed)))
            }
            Err(e) => Outcome::Bad(format!("{}: {}", path.display(), e.0)),
        };
    }
    let info = match super::registry().lookup(&repro.scenario.backend) {
        Ok(info) => info,
        Err(_) => {
            return Outcome::Bad(
                ReproError::UnknownBackend {
                    path: path.display().to_string(),
                    name: repro.scenario.backend.clone(),
                }
                .to_string(),
            )
        }
    };
    let replayed = replay_with(&repro, info.constructor(), opts);
    Outcome::Replayed(Box::new((repro, replayed)))
}

/// What the reports say of a repro file.
fn status_line(path: &Path, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Bad(e) => e.clone(),
        Outcome::Replayed(r) => report::replay_status(&path.display().to_string(), &r.0, &r.1),
    }
}

fn outcome_json(path: &Path, outcome: &Outcome) -> Json {
    match outcome {
        Outcome::Bad(e) => json!({
            "file": path.display().to_string(),
            "status": "error",
            "error": e,
        }),
        Outcome::Replayed(r) => report::replay_json(&path.display().to_string(), &r.0, &r.1),
    }
}

/// `chaos replay`.
pub fn replay(args: &ReplayArgs) -> Result<Exit, BadInput> {
    super::run::check_html(args.html.as_deref())?;
    let opts = ReplayOptions {
        continue_on_divergence: args.continue_on_divergence,
        ..ReplayOptions::default()
    };
    let outcomes: Vec<(&PathBuf, Outcome)> = args
        .files
        .iter()
        .map(|f| (f, replay_file(f, &opts)))
        .collect();
    let worst = outcomes
        .iter()
        .map(|(_, o)| o.exit())
        .max_by_key(|e| *e as u8)
        .unwrap_or(Exit::Met);
    if let Some(html) = &args.html {
        let shown: Vec<String> = outcomes
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        let files: Vec<report::ReplayedFile<'_>> = outcomes
            .iter()
            .zip(&shown)
            .map(|((_, o), path)| match o {
                Outcome::Replayed(r) => report::ReplayedFile::Replayed {
                    path,
                    repro: &r.0,
                    replayed: &r.1,
                },
                Outcome::Bad(error) => report::ReplayedFile::Bad { path, error },
            })
            .collect();
        super::hunt::write_file(html, &report::replay_page(&files))?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let all: Vec<Json> = outcomes.iter().map(|(p, o)| outcome_json(p, o)).collect();
        let _ = writeln!(out, "{}", Json::Array(all));
        return Ok(worst);
    }
    for (path, outcome) in &outcomes {
        match outcome {
            Outcome::Bad(e) => eprintln!("chaos: {e}"),
            Outcome::Replayed(_) => {
                let _ = writeln!(out, "{}", status_line(path, outcome));
            }
        }
    }
    // One file: the whole report (finding, timeline, what to do next).
    if let [(_, Outcome::Replayed(r))] = &outcomes[..] {
        let _ = write!(out, "\n{}", r.1.report(&r.0));
    }
    Ok(worst)
}
