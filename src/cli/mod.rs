//! The `chaos` command line: one module per subcommand; exit codes in one place.

pub mod args;
mod errors;
mod hunt;
mod replay;
mod run;
mod shrink;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command};

/// The documented exit codes (docs/design.md, "Contracts that users see").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
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
pub struct BadInput(pub String);

impl<E: std::fmt::Display> From<E> for BadInput {
    fn from(e: E) -> Self {
        BadInput(e.to_string())
    }
}

/// Parses the arguments, dispatches, and maps the result to an exit code.
pub fn main() -> ExitCode {
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
    };
    match result {
        Ok(exit) => exit.into(),
        Err(BadInput(reason)) => {
            eprintln!("chaos: {reason}");
            Exit::BadInput.into()
        }
    }
}
