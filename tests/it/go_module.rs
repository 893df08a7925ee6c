//! The Go module (`go/`: the target protocol's Go side and the built-in
//! target) under its own tools: `gofmt`, `go vet` and `go test`. A machine
//! without Go skips them in one line that says how to run them; CI never
//! skips them (`.ci/run` installs a toolchain where there is none).

use std::io::ErrorKind;
use std::path::Path;
use std::process::Command;

/// The `go` command: `CHAOS_GO` if set, else `go` on `PATH`.
fn go() -> String {
    std::env::var("CHAOS_GO").unwrap_or_else(|_| "go".into())
}

/// Runs `go args` in `go/`, or `None` when there is no toolchain. The
/// toolchain's directory leads `PATH`, for the tests that run `go` again.
pub(crate) fn run(args: &[&str]) -> Option<std::process::Output> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("go");
    let go = go();
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(bin) = Path::new(&go)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        let mut dirs = vec![bin.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs).expect("PATH entries join");
    }
    match Command::new(&go)
        .args(args)
        .current_dir(&dir)
        .env("PATH", path)
        .output()
    {
        Ok(out) => Some(out),
        Err(e) if e.kind() == ErrorKind::NotFound && std::env::var_os("CI").is_none() => None,
        Err(e) => panic!(
            "cannot run `{go} {}` (CI never skips the Go tests): {e}",
            args.join(" ")
        ),
    }
}

#[test]
fn the_go_module_is_formatted_vetted_and_passes_its_tests() {
    let Some(version) = run(&["version"]) else {
        crate::support::say_go_skipped();
        return;
    };
    assert!(version.status.success(), "go version: {version:?}");
    for args in [&["fmt", "./..."][..], &["vet", "./..."], &["test", "./..."]] {
        let out = run(args).expect("go was found a moment ago");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // `go fmt` prints the files it had to rewrite: none, in a clean tree.
        let clean = if args[0] == "fmt" {
            text.trim().is_empty()
        } else {
            true
        };
        assert!(
            out.status.success() && clean,
            "go {} in go/ failed:\n{text}",
            args.join(" ")
        );
    }
}
