//! The `chaos` command line, for the built-in backends and for a library
//! author's own: one module per subcommand; exit codes in one place.
//!
//! [`main_with`] is the whole of `chaos`'s `main`, over a [`Registry`]. A
//! library author gives their backends every subcommand (`run`, `hunt`,
//! `shrink`, `replay`, `backends`) with a binary of three lines, e.g.
//! `examples/chaos.rs` in their crate:
//!
//! ```no_run
//! use chaos::maps::registry::{BackendInfo, Registry};
//! # use chaos::maps::rwmutex::RwMutexMap;
//! # struct MyMap;
//! # impl MyMap { fn new(seed: u64) -> RwMutexMap { RwMutexMap::new(seed) } }
//!
//! fn main() -> std::process::ExitCode {
//!     let mut registry = Registry::builtin();
//!     registry
//!         .register(BackendInfo::new("my-map", "my wrapper", |seed| Box::new(MyMap::new(seed))))
//!         .unwrap();
//!     chaos::cli::main_with(registry)
//! }
//! ```
//!
//! Every line `chaos` prints that runs something again (a report's
//! `replay:` line, a repro file's `run`, `chaos replay FILE`) names the
//! binary that was run: `cargo run --example NAME --` for an example,
//! the binary's own name otherwise ([`crate::scenario::program`]).

mod args;
mod bench;
mod errors;
mod hunt;
mod init;
mod replay;
mod run;
mod shrink;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command};

use crate::maps::registry::Registry;

/// The documented exit codes (docs/design.md, "Contracts that users see").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// The run met its expectation.
    Met = 0,
    /// A finding, or an expected throw that never came.
    Finding = 1,
    /// Bad usage or bad input, with a one-line reason on stderr.
    BadInput = 2,
    /// Undecided: no finding, but the step budget ran out while operations
    /// were still completing (`--max-steps` raises it).
    Undecided = 3,
    /// Interrupted (Ctrl-C) before anything was found: the report covers
    /// the seeds run so far.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Bad input: printed as one line, exit code 2.
#[derive(Debug)]
pub(crate) struct BadInput(pub String);

impl<E: std::fmt::Display> From<E> for BadInput {
    fn from(e: E) -> Self {
        BadInput(e.to_string())
    }
}

/// The registry this process's command line serves (set once, by
/// [`main_with`]).
static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();

/// The backends the command line knows: those given to [`main_with`].
pub(crate) fn registry() -> &'static Registry {
    REGISTRY.get_or_init(Registry::builtin)
}

/// `chaos`'s `main` over `registry`: parses the arguments, dispatches, and
/// maps the result to an exit code. The built-in `chaos` binary is
/// `main_with(Registry::builtin())`. Call it once per process.
pub fn main_with(registry: Registry) -> ExitCode {
    let _ = REGISTRY.set(registry);
    crate::scenario::set_program(program_of(std::env::args_os().next()));
    main()
}

/// How a person runs the binary `argv0` names again: `cargo run --example
/// NAME --` for a cargo example (under `target/*/examples/`), its file
/// name otherwise (`chaos`, or a user's `my-chaos` on their PATH).
fn program_of(argv0: Option<std::ffi::OsString>) -> String {
    let Some(argv0) = argv0 else {
        return "chaos".into();
    };
    let path = std::path::Path::new(&argv0);
    let name = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chaos".into());
    let in_examples = path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|d| d == "examples");
    if in_examples {
        format!("cargo run --example {name} --")
    } else {
        name
    }
}

/// Parses the arguments, dispatches, and maps the result to an exit code.
fn main() -> ExitCode {
    let grammar = Cli::command();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = grammar
        .clone()
        .try_get_matches_from(errors::negatives_as_values(&grammar, argv.clone()))
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                return Exit::Met.into();
            }
            eprintln!("chaos: {}", errors::one_line(&e, &grammar, &argv));
            return Exit::BadInput.into();
        }
    };
    let result = match cli.command {
        None => run::run(&args::RunArgs::default()),
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Hunt(args)) => hunt::hunt_command(&args),
        Some(Command::Backends(args)) => run::backends(&args),
        Some(Command::Shrink(args)) => shrink::shrink(&args),
        Some(Command::Replay(args)) => replay::replay(&args),
        Some(Command::Init(args)) => init::init(&args),
        Some(Command::Bench(args)) => bench::bench_command(&args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(BadInput(reason)) => {
            eprintln!("chaos: {reason}");
            Exit::BadInput.into()
        }
    }
}
