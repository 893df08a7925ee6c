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
