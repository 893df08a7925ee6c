//! A repro as a ready-to-paste regression test (`chaos shrink --emit-test`).
//!
//! The test embeds the repro's TOML, replays it through the public API
//! ([`super::replay_with`], continuing past a divergence, since a fixed
//! backend rarely keeps every yield point of the broken one) against the
//! backend the user's `new_map` builds, and asserts that the bug **stays
//! fixed**: neither the recorded finding nor any other may occur. So a
//! library author's bug, once fixed, becomes a permanent test in their crate.

use super::Repro;

/// The line before the embedded repro.
pub const REPRO_BEGIN: &str = "// chaos-repro-begin";
/// The line after the embedded repro.
pub const REPRO_END: &str = "// chaos-repro-end";

/// What the emitted test looks like around the repro.
#[derive(Clone, Debug)]
pub struct EmitOptions {
    /// Lines placed before the `use` lines (`mod common;`, your own `use`s).
    pub prelude: String,
    /// The body of `fn new_map(seed: u64) -> Box<dyn ChaosMap>`: an
    /// expression that builds the backend under test. The default is a
    /// `todo!` that says what to write.
    pub constructor: String,
    /// The test function's name; default `chaos_regression_<file stem>`.
    pub test_name: Option<String>,
}

impl Default for EmitOptions {
    fn default() -> Self {
        EmitOptions {
            prelude: String::new(),
            constructor:
                "todo!(\"build the backend under test here, e.g. Box::new(MyMap::new(seed))\")"
                    .into(),
            test_name: None,
        }
    }
}

/// The regression test's source text.
pub fn emit_test(repro: &Repro, opts: &EmitOptions) -> String {
    let name = opts
        .test_name
        .clone()
        .unwrap_or_else(|| format!("chaos_regression_{}", repro.file_stem().replace('-', "_")));
    let toml = repro.to_toml();
    // A raw string delimiter the text cannot close early.
    let mut hashes = 1;
    while toml.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    let prelude = if opts.prelude.is_empty() {
        String::new()
    } else {
        format!("{}\n\n", opts.prelude.trim_end())
    };
    format!(
        r#"//! Regression test emitted by `chaos shrink --emit-test`.
//!
//! It replays the minimal repro embedded below against the backend that
//! `new_map` builds, and asserts that the bug stays fixed: neither the
//! recorded finding nor any other may occur. If the backend changed since the repro was
//! recorded, the recorded schedule is followed as far as it still fits and
//! the execution finishes under the recorded seed.

{prelude}use chaos::maps::ChaosMap;
use chaos::repro::{{replay_with, ReplayOptions, Repro}};

/// Builds the backend under test; `seed` is for its own randomness.
fn new_map(seed: u64) -> Box<dyn ChaosMap> {{
    let _ = seed;
    {constructor}
}}

#[test]
fn {name}() {{
    let repro = Repro::from_toml(REPRO).expect("the embedded repro is valid");
    let opts = ReplayOptions {{
        continue_on_divergence: true,
        ..ReplayOptions::default()
    }};
    let replayed = replay_with(&repro, &new_map, &opts);
    assert!(
        !replayed.failed(),
        "the bug is back:\n{{}}",
        replayed.report(&repro)
    );
}}

{REPRO_BEGIN}
// {signature}
// What happens: {description}
const REPRO: &str = r{h}"
{toml}"{h};
{REPRO_END}
"#,
        constructor = opts.constructor.trim(),
        signature = repro.signature(),
        description = repro.description,
    )
}

/// The repro text embedded in an emitted test, if it has one.
pub fn embedded_repro(test_source: &str) -> Option<&str> {
    let start = test_source.find(REPRO_BEGIN)?;
    let rest = &test_source[start..];
    let open = rest.find("const REPRO: &str = r")? + "const REPRO: &str = ".len();
    let after = &rest[open + 1..];
    let hashes = after.chars().take_while(|&c| c == '#').count();
    let body = &after[hashes + 1..];
    let close = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&close)?;
    Some(body[..end].strip_prefix('\n').unwrap_or(&body[..end]))
}
