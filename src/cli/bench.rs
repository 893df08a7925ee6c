//! `chaos bench`: several backends' throughput under one scenario, side
//! by side (the measuring is [`crate::bench`]; the rendering
//! [`crate::report::bench`]).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::bench::{
    self, BenchReport, Entrant, Experiment, Settings, Subject, DEFAULT_BACKENDS,
    DEFAULT_CHECK_SEEDS, DEFAULT_REPEAT, INCIDENT_GO_BACKENDS, PRESETS,
};
use crate::engine::go;
use crate::report;
use crate::scenario::GO_PREFIX;
use crate::seed::Seed;

use super::args::{parse_seed, ScenarioArgs};
use super::{BadInput, Exit};

/// `chaos bench`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  chaos bench --mix load=90,store=10 --threads 8 --ops 10000 --keys 1000
  chaos bench --scenario chaos/syncmap.toml --backends mutex,rwmutex,syncmap --json
  chaos bench --preset incident --html bench.html")]
// The scenario flags bench refuses (each with one line) are not offered.
#[command(mut_arg("backend", |a| a.hide(true)), mut_arg("expect", |a| a.hide(true)))]
#[command(mut_arg("swarm", |a| a.hide(true)), mut_arg("no_swarm", |a| a.hide(true)))]
pub struct BenchArgs {
    /// The scenario and its overrides (its backend is not used: see --backends).
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The backends to compare, a comma list (default: mutex, rwmutex,
    /// syncmap, then the other correct backends registered; with --preset
    /// incident, also go:mutex, go:rwmutex, go:syncmap when Go is found).
    #[arg(long, value_name = "A,B,C")]
    pub backends: Option<String>,
    /// Measurements of each backend, at least 1 (default 7).
    #[arg(long, value_parser = parse_repeat)]
    pub repeat: Option<u32>,
    /// Seeds of the correctness pass run on each backend before measuring
    /// (default 20; 0: no check, and the table says "unchecked").
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64))]
    pub check_seeds: Option<u64>,
    /// The seed of the ops (decimal or 0x-hex; default 0); the check runs
    /// seeds from it.
    #[arg(long, value_parser = parse_seed)]
    pub seed: Option<Seed>,
    /// A built-in experiment set: `incident` (pure writes, then 90% reads,
    /// 100 threads × 100 ops, beside the incident's own figures). It sets
    /// threads, ops, keys, mix, distribution and prefill.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write one self-contained HTML page (table and bar chart) to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Parses `--repeat`: a whole number, at least 1.
fn parse_repeat(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err("must be at least 1 (measurements of each backend)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number, at least 1 (measurements of each backend)".into()),
    }
}

/// The scenario fields a preset sets, as their flags, with whether each
/// was given.
fn preset_conflicts(args: &ScenarioArgs) -> Vec<&'static str> {
    let mut given = Vec::new();
    let fields: [(&str, bool); 7] = [
        ("--scenario", args.scenario.is_some()),
        ("--threads", args.threads.is_some()),
        ("--ops", args.ops.is_some()),
        ("--keys", args.keys.is_some()),
        ("--mix", args.mix.is_some()),
        ("--distribution", args.distribution.is_some()),
        ("--prefill", args.prefill.is_some()),
    ];
    for (flag, on) in fields {
        if on {
            given.push(flag);
        }
    }
    given
}

/// The backends named by `--backends`, or the default list.
fn backend_names(args: &BenchArgs, preset: bool) -> Result<Vec<String>, BadInput> {
    let Some(list) = &args.backends else {
        let registry = super::registry();
        let mut names: Vec<String> = DEFAULT_BACKENDS
            .iter()
            .filter(|n| registry.lookup(n).is_ok())
            .filter(|n| !preset || bench::Design::of(n).is_some())
            .map(|n| n.to_string())
            .collect();
        if !preset {
            // The other correct backends a library author registered; not
            // the unsynchronised Go maps, which throw.
            names.extend(
                registry
                    .backends()
                    .iter()
                    .filter(|b| !b.is_mutant())
                    .map(|b| b.name())
                    .filter(|n| !["gomap", "swissmap"].contains(n))
                    .filter(|n| !DEFAULT_BACKENDS.contains(n))
                    .map(str::to_string),
            );
        }
        return Ok(names);
    };
    let names: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
    if names.iter().all(String::is_empty) {
        return Err(BadInput(format!(
            "--backends {list:?}: empty list; name at least one backend, comma-separated (see `chaos backends`)"
        )));
    }
    if let Some(at) = names.iter().position(String::is_empty) {
        return Err(BadInput(format!(
            "--backends {list}: name {} is empty; names are comma-separated with none empty",
            at + 1
        )));
    }
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(BadInput(format!(
                "--backends {list}: {n} is named twice; each backend once"
            )));
        }
    }
    Ok(names)
}

/// `chaos bench`.
pub fn bench_command(args: &BenchArgs) -> Result<Exit, BadInput> {
    if let Some(b) = &args.scenario.backend {
        return Err(BadInput(format!(
            "--backend {b}: chaos bench compares several backends: name them with --backends A,B,C"
        )));
    }
    if let Some(e) = args.scenario.expect {
        return Err(BadInput(format!(
            "--expect {}: chaos bench checks every backend expecting it clean; drop --expect",
            format!("{e:?}").to_lowercase()
        )));
    }
    let preset = match args.preset.as_deref() {
        None => None,
        Some(p) if PRESETS.contains(&p) => Some(p),
        Some(p) => {
            return Err(BadInput(format!(
                "--preset {p}: unknown preset; known presets: {}",
                PRESETS.join(", ")
            )))
        }
    };
    if let Some(p) = preset {
        let given = preset_conflicts(&args.scenario);
        if !given.is_empty() {
            return Err(BadInput(format!(
                "--preset {p} sets threads, ops, keys, mix, distribution and prefill itself; drop {}",
                given.join(", ")
            )));
        }
    }
    if let Some(path) = &args.html {
        crate::files::check_writable_file(path)
            .map_err(|e| BadInput(format!("--html {}: {e}", path.display())))?;
    }
    let names = backend_names(args, preset.is_some())?;

    // The scenario, validated by the scenario module as `run` validates
    // it; its backend is each entrant's in turn, so it is validated under
    // a correct built-in, and the Go target is given back afterwards.
    let mut raw = ScenarioArgs {
        backend: Some("mutex".into()),
        go_target: None,
        ..args.scenario.clone()
    };
    raw.expect = None;
    let mut base = super::run::scenario_of(&raw)?;
    // Every backend runs the same ops: one shape, never a seed's swarm draw.
    if base.swarm {
        let whence = match &args.scenario.scenario {
            Some(path) if !args.scenario.swarm => format!("{}: swarm = true", path.display()),
            _ => "--swarm".to_string(),
        };
        return Err(BadInput(format!(
            "{whence}: chaos bench measures one workload shape on every backend; drop swarm (or give --no-swarm)"
        )));
    }
    base.go_target = args.scenario.go_target.clone();

    let registry = super::registry();
    let mut notes = Vec::new();
    let mut entrants: Vec<Entrant<'static>> = Vec::new();
    for name in &names {
        if name.starts_with(GO_PREFIX) {
            let s = bench::scenario_for(&base, name);
            s.check()
                .map_err(|e| BadInput(format!("--backends {name}: {e}")))?;
            super::run::factory(&s)
                .map_err(|BadInput(e)| BadInput(e.replacen("--backend ", "--backends ", 1)))?;
            entrants.push(Entrant {
                name: name.clone(),
                subject: Subject::Go,
            });
        } else {
            let info = registry
                .lookup(name)
                .map_err(|e| BadInput(format!("--backends {name}: {e}")))?;
            entrants.push(Entrant {
                name: name.clone(),
                subject: Subject::Local(info.constructor()),
            });
        }
    }
    if args.scenario.go_target.is_some() && !entrants.iter().any(|e| e.name.starts_with(GO_PREFIX))
    {
        return Err(BadInput(format!(
            "--go-target {}: no go: backend in the bench; name one in --backends (e.g. go:mutex)",
            args.scenario.go_target.as_deref().unwrap_or_default()
        )));
    }
    if preset == Some("incident") && args.backends.is_none() {
        match go::resolve(base.go_target.as_deref()) {
            Ok((target, built)) => {
                if built {
                    eprintln!(
                        "chaos: built the Go target with {} into {}",
                        target.go_version,
                        target.path.display()
                    );
                }
                for name in INCIDENT_GO_BACKENDS {
                    if target.map(&name[GO_PREFIX.len()..]).is_ok() {
                        entrants.push(Entrant {
                            name: name.to_string(),
                            subject: Subject::Go,
                        });
                    }
                }
            }
            Err(e) => {
                let note = format!(
                    "the go: rows ({}) were skipped: {e}",
                    INCIDENT_GO_BACKENDS.join(", ")
                );
                eprintln!("chaos: {note}");
                notes.push(note);
            }
        }
    }

    let experiments = match preset {
        Some(_) => bench::incident(&base),
        None => vec![Experiment {
            name: "scenario".into(),
            incident: None,
            scenario: base,
        }],
    };
    let settings = Settings {
        repeat: args.repeat.unwrap_or(DEFAULT_REPEAT),
        check_seeds: args.check_seeds.unwrap_or(DEFAULT_CHECK_SEEDS),
        seed: args.seed.unwrap_or(Seed(0)),
    };
    let experiments = bench::bench(&experiments, &entrants, &settings, &mut |_| {});
    let report = BenchReport {
        preset: preset.map(str::to_string),
        experiments,
        repeat: settings.repeat,
        check_seeds: settings.check_seeds,
        seed: settings.seed,
        notes,
    };
    if let Some(path) = &args.html {
        super::hunt::write_file(path, &report::bench::html(&report))?;
    }
    let text = if args.json {
        format!("{}\n", report::bench::json(&report))
    } else {
        report::bench::human(&report)
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    // A backend marked failed is a finding: exit 1, as `run` and `hunt`.
    let failed = report
        .experiments
        .iter()
        .any(|e| e.rows.iter().any(|r| r.failed()));
    Ok(if failed { Exit::Finding } else { Exit::Met })
}
