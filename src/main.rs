//! The `chaos` binary: parse, dispatch, exit code. Everything else lives in
//! the library; `cli/` keeps clap out of it.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
