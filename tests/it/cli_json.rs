//! The machine-readable output against its documentation: every command's
//! `--json` checked against the `schema` blocks of `docs/json.md` (every
//! documented field there, of its documented type, and nothing else), and
//! the JUnit reports' test cases carrying a class and a time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::Scratch;

fn chaos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaos"))
        .args(args)
        .output()
        .unwrap()
}

/// A type of `docs/json.md`.
#[derive(Clone, Debug)]
enum Ty {
    String,
    Bool,
    Null,
    Integer,
    Number,
    Literal(String),
    Array(Box<Ty>),
    Map(Box<Ty>),
    Object(String),
    Union(Vec<Ty>),
}

/// One field of a schema block.
#[derive(Clone, Debug)]
struct Field {
    name: String,
    optional: bool,
    ty: Ty,
}

/// `A | B` split at the top level (not inside `<...>` or quotes).
fn alternatives(s: &str) -> Vec<&str> {
    let (mut depth, mut quoted, mut start, mut out) = (0, false, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth -= 1,
            '|' if !quoted && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

fn parse_ty(s: &str) -> Ty {
    let alts = alternatives(s);
    if alts.len() > 1 {
        return Ty::Union(alts.into_iter().map(parse_ty).collect());
    }
    let s = s.trim();
    let inner = |prefix: &str| {
        s.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix('>'))
            .map(|r| Box::new(parse_ty(r)))
    };
    match s {
        "string" => Ty::String,
        "bool" => Ty::Bool,
        "null" => Ty::Null,
        "integer" => Ty::Integer,
        "number" => Ty::Number,
        _ if s.starts_with('"') && s.ends_with('"') && s.len() >= 2 => {
            Ty::Literal(s[1..s.len() - 1].to_string())
        }
        _ => {
            if let Some(t) = inner("array<") {
                Ty::Array(t)
            } else if let Some(t) = inner("map<") {
                Ty::Map(t)
            } else {
                assert!(
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                    "docs/json.md: {s:?} is no type"
                );
                Ty::Object(s.to_string())
            }
        }
    }
}

/// The `schema NAME` blocks of `docs/json.md`, by name.
fn schemas() -> BTreeMap<String, Vec<Field>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md");
    let text = std::fs::read_to_string(&path).expect("docs/json.md exists");
    let mut blocks = BTreeMap::new();
    let mut current: Option<(String, Vec<Field>)> = None;
    for line in text.lines() {
        if let Some((name, fields)) = current.take() {
            if line.trim() == "```" {
                assert!(!fields.is_empty(), "schema {name} is empty");
                assert!(
                    blocks.insert(name.clone(), fields).is_none(),
                    "schema {name} twice"
                );
                continue;
            }
            current = Some((name, fields));
            let body = line.split(" #").next().unwrap().trim();
            if body.is_empty() {
                continue;
            }
            let (name, ty) = body
                .split_once(':')
                .unwrap_or_else(|| panic!("docs/json.md: {line:?} is not `field: type`"));
            let (name, optional) = match name.strip_suffix('?') {
                Some(n) => (n, true),
                None => (name, false),
            };
            let fields = &mut current.as_mut().unwrap().1;
            assert!(
                fields.iter().all(|f| f.name != name),
                "docs/json.md: {name} twice"
            );
            fields.push(Field {
                name: name.trim().to_string(),
                optional,
                ty: parse_ty(ty),
            });
        } else if let Some(name) = line.strip_prefix("```schema ") {
            current = Some((name.trim().to_string(), Vec::new()));
        }
    }
    assert!(
        current.is_none(),
        "docs/json.md: a schema block is not closed"
    );
    blocks
}

/// Checks `v` against the types and fields of `docs/json.md`, and notes
/// every (schema, field) it saw.
struct Checker {
    schemas: BTreeMap<String, Vec<Field>>,
    seen: BTreeSet<(String, String)>,
}

impl Checker {
    fn check(&mut self, v: &Value, ty: &Ty, at: &str) -> Result<(), String> {
        let wrong = |what: &str| Err(format!("{at}: expected {what}, got {v}"));
        match ty {
            Ty::String if v.is_string() => Ok(()),
            Ty::Bool if v.is_boolean() => Ok(()),
            Ty::Null if v.is_null() => Ok(()),
            Ty::Integer if v.is_u64() || v.is_i64() => Ok(()),
            Ty::Number if v.is_number() => Ok(()),
            Ty::Literal(s) if v.as_str() == Some(s) => Ok(()),
            Ty::Array(t) => match v.as_array() {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, item)| self.check(item, t, &format!("{at}[{i}]"))),
                None => wrong("an array"),
            },
            Ty::Map(t) => match v.as_object() {
                Some(o) => o
                    .iter()
                    .try_for_each(|(k, item)| self.check(item, t, &format!("{at}.{k}"))),
                None => wrong("an object"),
            },
            Ty::Object(name) => self.object(v, name, at),
            Ty::Union(alts) => {
                let mut why = Vec::new();
                for alt in alts {
                    // Only the alternative that fits counts as seen.
                    let before = self.seen.clone();
                    match self.check(v, alt, at) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            self.seen = before;
                            why.push(e);
                        }
                    }
                }
                Err(why.join("; or "))
            }
            _ => wrong(&format!("{ty:?}")),
        }
    }

    fn object(&mut self, v: &Value, name: &str, at: &str) -> Result<(), String> {
        let fields = self
            .schemas
            .get(name)
            .unwrap_or_else(|| panic!("docs/json.md has no schema {name}"))
            .clone();
        let Some(o) = v.as_object() else {
            return Err(format!("{at}: expected a {name} object, got {v}"));
        };
        for key in o.keys() {
            if fields.iter().all(|f| &f.name != key) {
                return Err(format!(
                    "{at}: field {key:?} is not documented in schema {name}"
                ));
            }
        }
        for f in &fields {
            match o.get(&f.name) {
                Some(value) => {
                    self.check(value, &f.ty, &format!("{at}.{}", f.name))?;
                    self.seen.insert((name.to_string(), f.name.clone()));
                }
                None if f.optional => {}
                None => return Err(format!("{at}: documented field {} is missing", f.name)),
            }
        }
        Ok(())
    }

    /// Checks the stdout of `chaos <command> args` against the type the
    /// `commands` block gives `command`.
    fn command(&mut self, command: &str, args: &[&str], exit: i32) -> Value {
        let all: Vec<&str> = std::iter::once(command)
            .chain(args.iter().copied())
            .chain(["--json"])
            .collect();
        let o = chaos(&all);
        assert_eq!(
            o.status.code(),
            Some(exit),
            "{all:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{all:?}: {e}: {}", String::from_utf8_lossy(&o.stdout)));
        let ty = self
            .schemas
            .get("commands")
            .and_then(|c| c.iter().find(|f| f.name == command))
            .unwrap_or_else(|| panic!("docs/json.md: the commands block lacks {command}"))
            .ty
            .clone();
        if let Err(e) = self.check(&v, &ty, command) {
            panic!("{all:?} does not match docs/json.md: {e}");
        }
        v
    }
}

#[test]
fn every_commands_json_is_exactly_what_docs_json_md_documents() {
    let mut c = Checker {
        schemas: schemas(),
        seen: BTreeSet::new(),
    };
    let scratch = Scratch::new("json-schema");
    let dir = &scratch.0;
    let out = dir.join("repros");
    let out = out.to_str().unwrap();
    // run: the built-in scenario (sched, explained) and a stress run.
    c.command("run", &[], 0);
    c.command(
        "run",
        &[
            "--backend",
            "rwmutex",
            "--mode",
            "stress",
            "--threads",
            "2",
            "--ops",
            "20",
        ],
        0,
    );
    // run: a swarm run, which says what its seed chose.
    c.command(
        "run",
        &[
            "--backend",
            "rwmutex",
            "--swarm",
            "--ops",
            "20",
            "--seed",
            "3",
        ],
        0,
    );
    // hunt: a race found and its repro written.
    let gomap = [
        "--backend",
        "gomap",
        "--threads",
        "2",
        "--ops",
        "2",
        "--mix",
        "store=1",
    ];
    let hunt: Vec<&str> = gomap
        .iter()
        .copied()
        .chain(["--seeds", "0..8", "--out", out])
        .collect();
    let h = c.command("hunt", &hunt, 1);
    assert_eq!(h["repros"].as_array().map(Vec::len), Some(1), "{h}");
    // shrink: shrunk with the emitted test, and a run with nothing to shrink.
    let shrink: Vec<&str> = gomap
        .iter()
        .copied()
        .chain(["--seed", "0", "--out", out, "--emit-test"])
        .collect();
    let s = c.command("shrink", &shrink, 1);
    c.command("shrink", &["--backend", "rwmutex", "--ops", "5"], 0);
    // replay: reproduced, diverged and no longer reproducing, unreadable.
    let fixed = dir.join("fixed.toml");
    let split = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/mutant-split-swap-linearizability.toml");
    let text = std::fs::read_to_string(split).unwrap();
    std::fs::write(&fixed, text.replace("mutant-split-swap", "rwmutex")).unwrap();
    let missing = dir.join("missing.toml");
    let r = c.command(
        "replay",
        &[
            s["file"].as_str().unwrap(),
            fixed.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        2,
    );
    assert!(r[1]["divergence"].is_object(), "{r}");
    c.command("backends", &[], 0);
    // bench: a clean backend measured, and a mutant marked failed.
    c.command(
        "bench",
        &[
            "--backends",
            "mutex,mutant-write-under-rlock",
            "--threads",
            "2",
            "--ops",
            "20",
            "--repeat",
            "2",
            "--check-seeds",
            "3",
        ],
        1,
    );
    // run on the real Go runtime (where there is a toolchain; the
    // go_backends tests say when there is none, and CI always has one).
    if chaos::engine::go::resolve(None).is_ok() {
        c.command("run", &["--backend", "go:rwmutex", "--ops", "20"], 0);
    } else {
        c.seen.insert(("run".into(), "go_runtime".into()));
    }

    // Every documented field was met: the documentation holds nothing the
    // commands no longer print.
    let mut unseen = Vec::new();
    for (name, fields) in &c.schemas {
        if name == "commands" {
            continue;
        }
        for f in fields {
            if !c.seen.contains(&(name.clone(), f.name.clone())) {
                unseen.push(format!("{name}.{}", f.name));
            }
        }
    }
    assert!(
        unseen.is_empty(),
        "documented but never printed: {unseen:?}"
    );
}

#[test]
fn the_schema_check_rejects_a_missing_an_extra_and_a_mistyped_field() {
    let mut c = Checker {
        schemas: schemas(),
        seen: BTreeSet::new(),
    };
    let good = serde_json::json!({ "signature": "s", "file": "f" });
    let ty = Ty::Object("written".into());
    assert!(c.check(&good, &ty, "w").is_ok());
    let missing = serde_json::json!({ "signature": "s" });
    assert!(c.check(&missing, &ty, "w").unwrap_err().contains("missing"));
    let extra = serde_json::json!({ "signature": "s", "file": "f", "x": 1 });
    assert!(c
        .check(&extra, &ty, "w")
        .unwrap_err()
        .contains("not documented"));
    let mistyped = serde_json::json!({ "signature": "s", "file": 3 });
    assert!(c.check(&mistyped, &ty, "w").is_err());
    let union = parse_ty("\"a\" | array<integer | null>");
    assert!(c.check(&serde_json::json!([1, null]), &union, "u").is_ok());
    assert!(c.check(&serde_json::json!("b"), &union, "u").is_err());
}

#[test]
fn junit_test_cases_carry_the_backend_as_class_and_a_time() {
    let dir = Scratch::new("json-junit");
    let run = dir.0.join("run.xml");
    let hunt = dir.0.join("hunt.xml");
    let o = chaos(&[
        "run",
        "--backend",
        "gomap",
        "--ops",
        "1",
        "--mix",
        "store=1",
        "--seed",
        "7",
        "--junit",
        run.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = chaos(&[
        "hunt",
        "--backend",
        "rwmutex",
        "--threads",
        "2",
        "--ops",
        "10",
        "--seeds",
        "0..4",
        "--junit",
        hunt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    for (file, backend) in [(&run, "gomap"), (&hunt, "rwmutex")] {
        let xml = std::fs::read_to_string(file).unwrap();
        let cases: Vec<&str> = xml.split("<testcase ").skip(1).collect();
        assert!(!cases.is_empty(), "{xml}");
        for case in cases {
            let tag = case.split('>').next().unwrap();
            assert!(tag.contains(&format!("classname=\"{backend}\"")), "{tag}");
            let time = tag
                .split("time=\"")
                .nth(1)
                .and_then(|t| t.split('"').next())
                .unwrap_or_else(|| panic!("no time: {tag}"));
            assert!(time.parse::<f64>().is_ok_and(|t| t >= 0.0), "{tag}");
        }
    }
}
