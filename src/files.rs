//! The one way this crate writes a file (atomically), and the one way it
//! reports a TOML file it cannot read ([`TomlError`]).
//!
//! The text goes to a temporary file in the target's own directory (so the
//! final step never crosses file systems), and only complete text ever
//! appears under the target's name: a reader sees the old file, the new one,
//! or none, never half of one, and a failed write leaves nothing behind.
//!
//! - [`write_atomic`] replaces whatever is there (reports: JUnit files).
//! - [`write_new`] never replaces a file with different text: it links the
//!   temporary file under the first free name of a numbered series
//!   (`stem.toml`, `stem-2.toml`, ...), and a file that already holds the
//!   same text is the answer (repro files).

use std::io;
use std::path::{Path, PathBuf};

/// A TOML file that does not parse, or has a field of the wrong name or
/// type: where (1-based line and column) and why, on one line. Every TOML
/// file the tool reads (scenarios, repros) reports errors this way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {reason}")]
pub struct TomlError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The parser's reason, on one line.
    pub reason: String,
}

impl TomlError {
    /// The parser's error `e` on `text`, the contents of `path`.
    pub fn at(text: &str, path: &str, e: &toml::de::Error) -> TomlError {
        let offset = e.span().map_or(0, |s| s.start);
        let before = &text[..offset.min(text.len())];
        TomlError {
            path: path.to_string(),
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
            reason: e.message().replace('\n', " ").trim().to_string(),
        }
    }
}

/// A temporary name beside `target`, unique to this process.
fn temp_beside(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `text` to `path`, replacing any file there, atomically.
pub fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("chaos");
    let tmp = temp_beside(dir, name);
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// Writes `text` into `dir` (created if needed) under `stem.ext`, or the
/// first `stem-N.ext` (N from 2) that is free or already holds exactly this
/// text, and returns the path. Never overwrites a file with different text,
/// even when another process writes the same name at the same moment.
pub fn write_new(dir: &Path, stem: &str, ext: &str, text: &str) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let tmp = temp_beside(dir, stem);
    let mut written = false;
    let cleanup = |written: bool| {
        if written {
            let _ = std::fs::remove_file(&tmp);
        }
    };
    for n in 1..10_000u32 {
        let target = if n == 1 {
            dir.join(format!("{stem}.{ext}"))
        } else {
            dir.join(format!("{stem}-{n}.{ext}"))
        };
        match std::fs::read(&target) {
            Ok(existing) if existing == text.as_bytes() => {
                cleanup(written);
                return Ok(target);
            }
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                cleanup(written);
                return Err(e);
            }
        }
        if !written {
            std::fs::write(&tmp, text).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
            written = true;
        }
        match std::fs::hard_link(&tmp, &target) {
            Ok(()) => {
                cleanup(true);
                return Ok(target);
            }
            // Someone wrote it meanwhile: compare again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if std::fs::read(&target).is_ok_and(|t| t == text.as_bytes()) {
                    cleanup(true);
                    return Ok(target);
                }
            }
            // A file system without hard links: rename, having just seen
            // the name free.
            Err(_) => {
                return std::fs::rename(&tmp, &target)
                    .map(|()| target.clone())
                    .inspect_err(|_| cleanup(true));
            }
        }
    }
    cleanup(written);
    Err(io::Error::other(format!("no free name for {stem}.{ext}")))
}

/// Checks, before a long run, that files can be written into `dir`
/// (creating it if needed): a probe file is written and removed.
pub fn check_writable_dir(dir: &Path) -> io::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "is a file, not a directory",
        ));
    }
    std::fs::create_dir_all(dir)?;
    let probe = temp_beside(dir, "chaos-probe");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// Checks, before a long run, that `path` can be written later: it is not
/// a directory, and its directory exists and takes files. Nothing is left
/// behind.
pub fn check_writable_file(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory, not a file",
        ));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ));
    }
    let probe = temp_beside(dir, "chaos-probe");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_numbers_different_text_and_reuses_the_same() {
        let dir = std::env::temp_dir().join(format!("chaos-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = write_new(&dir, "r", "toml", "one").unwrap();
        let again = write_new(&dir, "r", "toml", "one").unwrap();
        let b = write_new(&dir, "r", "toml", "two").unwrap();
        assert_eq!(a, again);
        assert_eq!(b.file_name().unwrap(), "r-2.toml");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "one");
        write_atomic(&a, "three").unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "three");
        // Nothing half-written or temporary is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
