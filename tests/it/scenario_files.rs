//! Every scenario file in `chaos/` parses, validates and names a registered
//! backend: the nightly job runs them all, and a broken file would only be
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
        assert!(!s.backend.is_empty());
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
