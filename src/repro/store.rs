//! Where a repro is stored: a readable file name from the finding, written
//! atomically and never over a different repro.

use std::path::{Path, PathBuf};

use super::{Repro, ReproError};
use crate::check::FindingKind;

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    // At most 80 characters, cut at a word.
    match out.char_indices().nth(80) {
        None => out.to_string(),
        Some((cut, _)) => out[..cut]
            .rsplit_once('-')
            .map_or(&out[..cut], |(head, _)| head)
            .to_string(),
    }
}

impl Repro {
    /// The file name this repro is written under (before any numbering):
    /// backend and kind, and the message where it tells findings of one
    /// kind apart (throws, panics, invariants), e.g.
    /// `gomap-throw-concurrent-map-writes`, `mutant-split-swap-linearizability`.
    pub fn file_stem(&self) -> String {
        let kind = self.finding.kind;
        let named = matches!(
            kind,
            FindingKind::Throw | FindingKind::Panic | FindingKind::Invariant
        );
        let text = if named {
            format!("{}-{kind}-{}", self.scenario.backend, self.finding.message)
        } else {
            format!("{}-{kind}", self.scenario.backend)
        };
        slug(&text)
    }

    /// Writes the repro into `dir` (created if needed) and returns its path.
    /// Atomic, and never over a different file: a file of that name with the
    /// same text is left as it is (the same repro); one with other text gets
    /// the repro written under the next free numbered name (`stem-2.toml`,
    /// `stem-3.toml`, ...). See [`crate::files::write_new`].
    pub fn write_to_dir(&self, dir: &Path) -> Result<PathBuf, ReproError> {
        crate::files::write_new(dir, &self.file_stem(), "toml", &self.to_toml()).map_err(|e| {
            ReproError::Io {
                path: dir.display().to_string(),
                reason: e.to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_readable_slugs() {
        assert_eq!(
            slug("gomap-throw-concurrent map writes"),
            "gomap-throw-concurrent-map-writes"
        );
        assert_eq!(slug("a: b [c]"), "a-b-c");
        let long = slug(&"word ".repeat(40));
        assert!(long.len() <= 80 && long.ends_with("word"), "{long}");
    }
}
