//! A target process as `TARGET list` describes it: the Go it was built
//! with, its runtime map, and the maps it serves with their semantics.

use std::path::PathBuf;
use std::process::Command;

use super::{GoError, PROTOCOL};
use crate::maps::{ClearSemantics, LenSemantics, RangeSemantics, Semantics};
use crate::scenario::Expect;

/// A target binary and what it serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The binary.
    pub path: PathBuf,
    /// `built-in`, or the `go_target` the user named.
    pub origin: String,
    /// The Go release it was built with (`runtime.Version()`).
    pub go_version: String,
    /// Its runtime map: `swiss` or `classic`.
    pub map_kind: String,
    /// The maps it serves, sorted by name.
    pub maps: Vec<TargetMap>,
}

/// One map a target serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetMap {
    /// Its name in the target (the backend is `go:NAME`).
    pub name: String,
    /// What the checker may assume of it.
    pub semantics: Semantics,
    /// Whether it has `Len`.
    pub has_len: bool,
    /// What chaos should find on it (`clean` for a correct map).
    pub expect: Expect,
    /// One line.
    pub about: String,
}

impl Target {
    /// Runs `path list` and reads what it says.
    pub fn list(path: PathBuf, origin: String) -> Result<Target, GoError> {
        let err = |reason: String| GoError::Target {
            target: origin.clone(),
            reason,
        };
        let out = Command::new(&path)
            .arg("list")
            .output()
            .map_err(|e| err(format!("{}: {e}", path.display())))?;
        if !out.status.success() {
            return Err(err(format!(
                "`list` exited with {}: {}",
                out.status,
                super::toolchain::last_line(&out.stderr)
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        Target::parse(&text, path, origin.clone()).map_err(err)
    }

    /// Reads `list`'s output.
    pub fn parse(text: &str, path: PathBuf, origin: String) -> Result<Target, String> {
        let mut lines = text.lines();
        let head = lines.next().unwrap_or_default();
        let mut words = head.split_whitespace();
        if words.next() != Some("chaos-target") {
            return Err(format!(
                "`list` must begin with `chaos-target protocol={PROTOCOL} ...`, got {head:?}: is it a target whose main calls chaosmap.Serve?"
            ));
        }
        let (mut protocol, mut go_version, mut map_kind) = (None, None, None);
        for w in words {
            match w.split_once('=') {
                Some(("protocol", v)) => protocol = Some(v.to_string()),
                Some(("go", v)) => go_version = Some(v.to_string()),
                Some(("map", v)) => map_kind = Some(v.to_string()),
                _ => {}
            }
        }
        if protocol.as_deref() != Some(&PROTOCOL.to_string()) {
            return Err(format!(
                "it speaks target protocol {}, this chaos speaks {PROTOCOL}: rebuild it against this chaos's go/ module",
                protocol.as_deref().unwrap_or("(none)")
            ));
        }
        let mut maps = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            maps.push(parse_map(line).map_err(|e| format!("`list` line {line:?}: {e}"))?);
        }
        Ok(Target {
            path,
            origin,
            go_version: go_version.unwrap_or_else(|| "go?".into()),
            map_kind: map_kind.unwrap_or_else(|| "unknown".into()),
            maps,
        })
    }

    /// The map called `name`.
    pub fn map(&self, name: &str) -> Result<&TargetMap, GoError> {
        self.maps
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| GoError::UnknownMap {
                name: name.to_string(),
                target: self.origin.clone(),
                known: self.maps.iter().map(|m| format!("go:{}", m.name)).collect(),
            })
    }

    /// What a report says of the runtime: `go1.26.8, swiss map, built-in
    /// target`.
    pub fn runtime(&self) -> String {
        let target = if self.origin == super::BUILTIN {
            "built-in target".to_string()
        } else {
            format!("target {}", self.origin)
        };
        format!("{}, {} map, {target}", self.go_version, self.map_kind)
    }
}

fn parse_map(line: &str) -> Result<TargetMap, String> {
    let (fields, about) = line.split_once('\t').unwrap_or((line, ""));
    let mut words = fields.split_whitespace();
    let name = words.next().ok_or("no name")?.to_string();
    let mut semantics = Semantics::default();
    let (mut has_len, mut expect) = (false, Expect::Clean);
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("{w:?} is not key=value"))?;
        let bad = || format!("{k}={v} is not one of the words chaos knows");
        match k {
            "range" => {
                semantics.range = match v {
                    "snapshot" => RangeSemantics::Snapshot,
                    "weak" => RangeSemantics::WeakConsistent,
                    _ => return Err(bad()),
                }
            }
            "clear" => {
                semantics.clear = match v {
                    "atomic" => ClearSemantics::Atomic,
                    "per-key" => ClearSemantics::PerKey,
                    "best-effort" => ClearSemantics::BestEffort,
                    _ => return Err(bad()),
                }
            }
            "len" => {
                semantics.len = match v {
                    "exact" => LenSemantics::Exact,
                    "approximate" => LenSemantics::Approximate,
                    _ => return Err(bad()),
                }
            }
            "has_len" => has_len = v == "true",
            "expect" => {
                expect = match v {
                    "clean" => Expect::Clean,
                    "throw" => Expect::Throw,
                    "finding" => Expect::Finding,
                    _ => return Err(bad()),
                }
            }
            // A later protocol's words: ignored, as the protocol allows.
            _ => {}
        }
    }
    Ok(TargetMap {
        name,
        semantics,
        has_len,
        expect,
        about: about.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "chaos-target protocol=1 go=go1.26.8 map=swiss\n\
        map range=snapshot clear=atomic len=exact has_len=true expect=throw\tGo's map, no lock\n\
        syncmap range=weak clear=atomic len=exact has_len=false expect=clean\tsync.Map\n";

    #[test]
    fn list_output_is_read_word_by_word() {
        let t = Target::parse(LIST, "/x".into(), "built-in".into()).unwrap();
        assert_eq!(t.go_version, "go1.26.8");
        assert_eq!(t.map_kind, "swiss");
        assert_eq!(t.maps.len(), 2);
        let m = t.map("map").unwrap();
        assert_eq!((m.has_len, m.expect), (true, Expect::Throw));
        assert_eq!(m.about, "Go's map, no lock");
        let s = t.map("syncmap").unwrap();
        assert_eq!(s.semantics.range, RangeSemantics::WeakConsistent);
        assert!(!s.has_len);
        assert_eq!(t.runtime(), "go1.26.8, swiss map, built-in target");
        let e = t.map("nope").unwrap_err().to_string();
        assert!(e.contains("go:map, go:syncmap"), "{e}");
    }

    #[test]
    fn another_protocol_or_no_header_is_refused_in_one_line() {
        let e = Target::parse("hello\n", "/x".into(), "t".into()).unwrap_err();
        assert!(e.contains("chaosmap.Serve"), "{e}");
        let e = Target::parse(
            "chaos-target protocol=2 go=go1.30\n",
            "/x".into(),
            "t".into(),
        )
        .unwrap_err();
        assert!(e.contains("protocol 2"), "{e}");
        let e = Target::parse(
            "chaos-target protocol=1 go=go1.22\nm range=sometimes\tx\n",
            "/x".into(),
            "t".into(),
        )
        .unwrap_err();
        assert!(e.contains("range=sometimes"), "{e}");
        assert!(!e.contains('\n'));
    }
}
