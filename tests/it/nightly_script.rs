//! The nightly job's report script (`.github/scripts/nightly.py`) under its
//! own tests (`.github/scripts/test_nightly.py`): it decides which issues
//! the nightly hunt files and whether the night fails, and nothing else
//! would run it before a night does.

use std::io::{ErrorKind, Write};
use std::process::Command;

#[test]
fn nightly_report_script_passes_its_tests() {
    let script = ".github/scripts/test_nightly.py";
    let out = match Command::new("python3")
        .arg(script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound && std::env::var_os("CI").is_none() => {
            // Straight to stderr: the test harness captures `eprintln!`, and
            // a skip nobody sees is a pass nobody earned.
            let _ = writeln!(
                std::io::stderr(),
                "nightly_script: python3 not found, {script} skipped"
            );
            return;
        }
        // CI never skips it.
        Err(e) => panic!("cannot run python3 {script}: {e}"),
    };
    assert!(
        out.status.success(),
        "python3 {script} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
