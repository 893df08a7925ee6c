//! Every scenario file in `chaos/` parses, validates and names a registered
//! backend (a `go:` one served by the built-in Go target): the nightly job runs them all, and a broken file would only be
//! noticed at night.

use chaos::scenario::RawScenario;

#[test]
fn every_scenario_file_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("chaos");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("chaos/ exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with('#'),
            "{} should open with a comment for the reader",
            path.display()
        );
        let s = RawScenario::from_file(&path)
            .and_then(RawScenario::validate)
            .unwrap_or_else(|e| panic!("{e}"));
        if s.is_go() {
            // Served by the built-in Go target (where a toolchain is; the
            // go_backends tests say when they are skipped).
            if chaos::engine::go::resolve(None).is_ok() {
                chaos::engine::go::target_map(&s)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        } else {
            chaos::maps::registry::lookup(&s.backend)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        n += 1;
    }
    assert!(n >= 8, "expected at least 8 scenario files, found {n}");
}

/// The scenario file the README shows is the real one, byte for byte.
#[test]
fn the_readme_shows_the_real_rwmutex_scenario() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let file = std::fs::read_to_string(root.join("chaos/rwmutex.toml")).unwrap();
    let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + readme[start..].find("```\n").unwrap();
    assert_eq!(&readme[start..end], file);
}
