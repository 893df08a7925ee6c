//! The `chaos` binary: the command line over the built-in backends. A
//! library author's own binary is the same line with their registry:
//! `chaos::cli::main_with(registry)`.

fn main() -> std::process::ExitCode {
    chaos::cli::main_with(chaos::maps::registry::Registry::builtin())
}
