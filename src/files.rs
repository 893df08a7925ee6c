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
/// file the tool reads (scenarios, repros) reports errors this way. A wrong
/// value is named by its key and shown as written: `s.toml:2:11: field
/// `threads`: expected a whole number from 0 to 4294967295, got string "two"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {reason}")]
pub struct TomlError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The dotted key of the value at fault (`threads`, `mix.load`), when
    /// the error is about one value.
    pub key: Option<String>,
    /// That value as the file writes it (`"two"`, `-1`), with `key`.
    pub value: Option<String>,
    /// The reason, on one line.
    pub reason: String,
}

impl TomlError {
    /// The parser's error `e` on `text`, the contents of `path`.
    pub fn at(text: &str, path: &str, e: &toml::de::Error) -> TomlError {
        let span = e.span().unwrap_or(0..0);
        let offset = span.start.min(text.len());
        let before = &text[..offset];
        let key = key_of(e);
        let value = key
            .as_ref()
            .and_then(|_| text.get(span))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let reason = match (plain(e.message().replace('\n', " ").trim()), &value) {
            // An enum given a number or a boolean.
            (r, Some(v)) if r == "wanted string or table" => format!("expected a string, got {v}"),
            (r, _) => r,
        };
        TomlError {
            path: path.to_string(),
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
            reason: match &key {
                Some(k) => format!("field `{k}`: {reason}"),
                None => reason,
            },
            key,
            value,
        }
    }
}

/// The dotted key of the value `e` is about. The parser keeps it private
/// but prints it (`in `threads``) when it has no input to quote.
fn key_of(e: &toml::de::Error) -> Option<String> {
    let mut bare = e.clone();
    bare.set_input(None);
    let text = bare.to_string();
    let key = text
        .lines()
        .last()?
        .strip_prefix("in `")?
        .strip_suffix('`')?;
    Some(key.to_string())
}

/// serde's `invalid type: string "two", expected u32` in a user's words:
/// `expected a whole number from 0 to 4294967295, got string "two"`.
fn plain(message: &str) -> String {
    let wrong = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.rsplit_once(", expected "));
    let Some((got, expected)) = wrong else {
        return message.to_string();
    };
    let expected = match expected {
        "u8" => "a whole number from 0 to 255".to_string(),
        "u16" => "a whole number from 0 to 65535".to_string(),
        "u32" => format!("a whole number from 0 to {}", u32::MAX),
        "u64" | "usize" => format!("a whole number from 0 to {}", u64::MAX),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_string(),
        "f32" | "f64" => "a number".to_string(),
        other => other.to_string(),
    };
    format!("expected {expected}, got {got}")
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
    fn a_value_of_the_wrong_type_is_named_by_its_key_and_shown_as_written() {
        #[derive(Debug, serde::Deserialize)]
        #[expect(dead_code, reason = "only parsed")]
        struct S {
            n: u32,
            t: Option<std::collections::BTreeMap<String, u32>>,
        }
        let text = "n = \"two\"\n";
        let e = toml::from_str::<S>(text).unwrap_err();
        let t = TomlError::at(text, "s.toml", &e);
        assert_eq!(t.key.as_deref(), Some("n"));
        assert_eq!(t.value.as_deref(), Some("\"two\""));
        assert_eq!(
            t.to_string(),
            "s.toml:1:5: field `n`: expected a whole number from 0 to 4294967295, got string \"two\""
        );
        let text = "n = 1\nt = { a = -1 }\n";
        let e = toml::from_str::<S>(text).unwrap_err();
        let t = TomlError::at(text, "s.toml", &e);
        assert_eq!(t.key.as_deref(), Some("t.a"), "{t}");
        assert_eq!(t.value.as_deref(), Some("-1"), "{t}");
        assert!(t.reason.contains("got integer `-1`"), "{t}");
        // Not about one value: no key, the parser's reason.
        let text = "n = = 1\n";
        let t = TomlError::at(text, "s.toml", &toml::from_str::<S>(text).unwrap_err());
        assert_eq!((t.key, t.value), (None, None));
    }

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
