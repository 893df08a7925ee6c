//! The repro file's text: the TOML shape, writing it with each thread's ops
//! on one line, and reading it back with every field checked.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Repro, ReproError, SwarmOrigin, FORMAT};
use crate::check::{Finding, FindingKind};
use crate::engine::faults::FiredFault;
use crate::engine::sched::Trace;
use crate::files::TomlError;
use crate::op::Op;
use crate::replay::Script;
use crate::scenario::RawScenario;
use crate::seed::Seed;

/// The file's TOML shape.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    format: u32,
    chaos_version: String,
    description: String,
    seed: String,
    run: String,
    finding: FileFinding,
    scenario: RawScenario,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    swarm: Option<SwarmOrigin>,
    script: FileScript,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFinding {
    signature: String,
    kind: FindingKind,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thread: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    op: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step: Option<u64>,
    #[serde(default)]
    detail: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileScript {
    seed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    history_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    threads: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trace: Option<FileTrace>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTrace {
    choices: Vec<u32>,
    #[serde(default)]
    faults: Vec<FiredFault>,
}

/// The stable hash of a script as written: its seed, each thread's ops,
/// the choices and the faults. A repro file records it so that a replay of
/// a hand-edited script is refused instead of reported as "no longer
/// reproduces".
fn script_digest(seed: Seed, script: &Script) -> u64 {
    let mut text = format!("seed {seed}\n");
    for ops in &script.threads {
        let ops: Vec<String> = ops.iter().map(|o| o.to_string()).collect();
        text.push_str(&format!("[{}]\n", ops.join(", ")));
    }
    if let Some(trace) = &script.trace {
        text.push_str(&format!("choices {:?}\n", trace.choices));
        for f in &trace.faults {
            let v = toml::Value::try_from(f).expect("a fault serialises");
            text.push_str(&format!("fault {v}\n"));
        }
    }
    crate::seed::stable_hash(text.as_bytes())
}

impl Repro {
    /// The file's text: the header and the finding through serde, the script
    /// laid out by hand so that each thread's ops sit on one line.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct Head<'a> {
            format: u32,
            chaos_version: &'a str,
            description: &'a str,
            seed: String,
            run: String,
            finding: FileFinding,
            scenario: RawScenario,
            #[serde(skip_serializing_if = "Option::is_none")]
            swarm: Option<&'a SwarmOrigin>,
        }
        let head = Head {
            format: FORMAT,
            chaos_version: &self.chaos_version,
            description: &self.description,
            seed: self.seed.to_string(),
            run: self.run_command(),
            finding: FileFinding {
                signature: self.signature().0,
                kind: self.finding.kind,
                message: self.finding.message.clone(),
                thread: self.finding.thread,
                op: self.finding.op,
                step: self.finding.step,
                detail: self.finding.detail.clone(),
            },
            scenario: self.scenario.to_raw(),
            swarm: self.swarm.as_ref(),
        };
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = format!(
            "# chaos repro: {}\n# Replay it with `{p} replay <this file>`; see `{p} replay --help`.\n\n",
            self.signature(),
            p = crate::scenario::program()
        );
        out.push_str(&toml::to_string(&head).expect("a repro always serialises"));
        out.push_str("\n[script]\n");
        out.push_str(&format!(
            "seed = {}\n",
            quote(&self.script_seed.to_string())
        ));
        if let Some(h) = self.history_hash {
            out.push_str(&format!(
                "history_hash = {}\n",
                quote(&format!("{h:#018x}"))
            ));
        }
        out.push_str(&format!(
            "# a hash of the script's seed, ops, choices and faults: an edited script is refused (delete this line to replay one)\ndigest = {}\n",
            quote(&format!("{:#018x}", script_digest(self.script_seed, &self.script)))
        ));
        out.push_str("# each thread's ops, in order\nthreads = [\n");
        for ops in &self.script.threads {
            let ops: Vec<String> = ops.iter().map(|o| quote(&o.to_string())).collect();
            out.push_str(&format!("    [{}],\n", ops.join(", ")));
        }
        out.push_str("]\n");
        if let Some(trace) = &self.script.trace {
            out.push_str(
                "\n[script.trace]\n# the thread chosen at each scheduling decision\nchoices = [",
            );
            for (i, c) in trace.choices.iter().enumerate() {
                if i % 32 == 0 {
                    out.push_str("\n    ");
                } else {
                    out.push(' ');
                }
                out.push_str(&format!("{c},"));
            }
            out.push_str(if trace.choices.is_empty() {
                "]\n"
            } else {
                "\n]\n"
            });
            out.push_str("# the faults that fired: at = visit index in the run; op, in_op = the thread's op and the visit within it\nfaults = [");
            for f in &trace.faults {
                let v = toml::Value::try_from(f).expect("a fault serialises");
                out.push_str(&format!("\n    {v},"));
            }
            out.push_str(if trace.faults.is_empty() {
                "]\n"
            } else {
                "\n]\n"
            });
        }
        out
    }

    /// Parses a repro's text (`path` only names it in errors).
    pub fn from_toml_at(text: &str, path: &str) -> Result<Repro, ReproError> {
        let invalid = |field: &str, reason: String| ReproError::Invalid {
            path: path.to_string(),
            field: field.to_string(),
            reason,
        };
        // The version first: a file from another format may not parse as ours.
        let table: toml::Table = toml::from_str(text).map_err(|e| TomlError::at(text, path, &e))?;
        let written_by = match table.get("chaos_version") {
            Some(toml::Value::String(v)) => format!(", written by chaos {v}"),
            _ => String::new(),
        };
        match table.get("format") {
            Some(toml::Value::Integer(n)) if *n == i64::from(FORMAT) => {}
            Some(other) => {
                return Err(ReproError::Version {
                    path: path.to_string(),
                    found: other.to_string(),
                    ours: env!("CARGO_PKG_VERSION").to_string(),
                    written_by,
                })
            }
            None => {
                return Err(invalid(
                    "format",
                    "missing: not a chaos repro file (it has no format version)".into(),
                ))
            }
        }
        let file: FileRepr = toml::from_str(text).map_err(|e| TomlError::at(text, path, &e))?;
        let scenario = file
            .scenario
            .validate()
            .map_err(|e| invalid("scenario", e.to_string()))?;
        let seed: Seed = file
            .seed
            .parse()
            .map_err(|e: crate::seed::ParseSeedError| invalid("seed", e.to_string()))?;
        let script_seed: Seed = file
            .script
            .seed
            .parse()
            .map_err(|e: crate::seed::ParseSeedError| invalid("script.seed", e.to_string()))?;
        let history_hash = match &file.script.history_hash {
            None => None,
            Some(h) => Some(
                h.strip_prefix("0x")
                    .and_then(|x| u64::from_str_radix(x, 16).ok())
                    .ok_or_else(|| {
                        invalid("script.history_hash", format!("{h:?} is not a 0x-hex hash"))
                    })?,
            ),
        };
        let mut threads = Vec::new();
        for (t, ops) in file.script.threads.iter().enumerate() {
            let mut parsed = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                parsed.push(
                    op.parse::<Op>().map_err(|e| {
                        invalid(&format!("script.threads[{t}][{i}]"), e.to_string())
                    })?,
                );
            }
            threads.push(parsed);
        }
        if threads.is_empty() {
            return Err(invalid(
                "script.threads",
                "the script has no threads".into(),
            ));
        }
        let trace = file.script.trace.map(|t| Trace {
            choices: t.choices,
            faults: t.faults,
        });
        if let Some(trace) = &trace {
            let n = threads.len() as u32;
            if let Some(bad) = trace.choices.iter().find(|&&c| c >= n) {
                return Err(invalid(
                    "script.trace.choices",
                    format!("thread {bad} chosen, but the script has {n} threads"),
                ));
            }
            if let Some(bad) = trace.faults.iter().find(|f| f.thread as u32 >= n) {
                return Err(invalid(
                    "script.trace.faults",
                    format!(
                        "a fault for thread {}, but the script has {n} threads",
                        bad.thread
                    ),
                ));
            }
        }
        let finding = Finding {
            kind: file.finding.kind,
            message: file.finding.message,
            backend: scenario.backend.clone(),
            thread: file.finding.thread,
            op: file.finding.op,
            step: file.finding.step,
            detail: file.finding.detail,
        };
        // A file written before panic messages were normalised in
        // signatures carries the message's digits; it names the same finding.
        let unnormalised = format!(
            "{}: {} [{}]",
            finding.kind, finding.message, finding.backend
        );
        if finding.signature().0 != file.finding.signature && unnormalised != file.finding.signature
        {
            return Err(invalid(
                "finding.signature",
                format!(
                    "{:?} does not match the finding's kind, message and backend ({:?})",
                    file.finding.signature,
                    finding.signature().0
                ),
            ));
        }
        let script = Script { threads, trace };
        if let Some(d) = &file.script.digest {
            let now = format!("{:#018x}", script_digest(script_seed, &script));
            if *d != now {
                return Err(invalid(
                    "script.digest",
                    format!(
                        "the script (its seed, ops, choices or faults) was changed after the file was written ({d} recorded, {now} now); \
                         delete the digest line to replay the edited script"
                    ),
                ));
            }
        }
        Ok(Repro {
            chaos_version: file.chaos_version,
            description: file.description,
            scenario,
            seed,
            finding,
            script,
            script_seed,
            history_hash,
            swarm: file.swarm,
        })
    }

    /// Parses a repro's text.
    pub fn from_toml(text: &str) -> Result<Repro, ReproError> {
        Self::from_toml_at(text, "<repro>")
    }

    /// Reads and validates a repro file.
    pub fn read(path: &Path) -> Result<Repro, ReproError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ReproError::Io {
            path: shown.clone(),
            reason: format!("cannot read the repro file: {e}"),
        })?;
        Self::from_toml_at(&text, &shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Signature;

    /// A repro of the writes fixture, its finding turned into a panic whose
    /// message has digits in it.
    fn panic_repro() -> Repro {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/gomap-throw-concurrent-map-writes.toml"
        );
        let mut repro = Repro::read(Path::new(path)).unwrap();
        repro.finding.kind = FindingKind::Panic;
        repro.finding.message = "index 9 out of range for slice of length 8".into();
        repro
    }

    #[test]
    fn a_panic_signature_is_written_normalised_and_read_back() {
        let repro = panic_repro();
        let text = repro.to_toml();
        assert!(
            text.contains(
                "signature = \"panic: index N out of range for slice of length N [gomap]\""
            ),
            "{text}"
        );
        assert_eq!(Repro::from_toml(&text).unwrap(), repro);
    }

    #[test]
    fn a_swarm_origin_is_written_as_its_own_table_and_read_back() {
        let mut repro = panic_repro();
        let bounds = crate::scenario::RawScenario {
            swarm: Some(true),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let seed = Seed(u64::MAX - 1);
        repro.swarm = Some(SwarmOrigin {
            seed,
            choice: bounds.swarm_choice(seed).unwrap(),
        });
        let text = repro.to_toml();
        assert!(
            text.contains("\n[swarm]\nseed = \"0xfffffffffffffffe\"\n"),
            "{text}"
        );
        assert_eq!(Repro::from_toml(&text).unwrap(), repro);
    }

    #[test]
    fn a_file_with_the_unnormalised_panic_signature_still_reads() {
        let repro = panic_repro();
        let old = repro.to_toml().replace(
            "index N out of range for slice of length N",
            "index 9 out of range for slice of length 8",
        );
        let read = Repro::from_toml(&old).unwrap();
        assert_eq!(
            read.signature(),
            Signature("panic: index N out of range for slice of length N [gomap]".into())
        );
        let wrong = repro.to_toml().replace("[gomap]\"", "[rwmutex]\"");
        let err = Repro::from_toml(&wrong).unwrap_err().to_string();
        assert!(err.contains("`finding.signature`"), "{err}");
    }

    #[test]
    fn an_edited_script_is_refused_with_the_field_named() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/gomap-throw-concurrent-map-writes.toml"
        );
        let repro = Repro::read(Path::new(path)).unwrap();
        let text = repro.to_toml();
        assert!(text.contains("\ndigest = \"0x"), "{text}");
        assert_eq!(Repro::from_toml(&text).unwrap(), repro);
        // One choice changed by hand.
        let at = text.find("choices = [").unwrap();
        let digit = at + text[at..].find(|c: char| c.is_ascii_digit()).unwrap();
        let mut edited = text.clone();
        let flipped = if &text[digit..=digit] == "0" {
            "1"
        } else {
            "0"
        };
        edited.replace_range(digit..=digit, flipped);
        let err = Repro::from_toml(&edited).unwrap_err().to_string();
        assert!(
            err.contains("`script.digest`")
                && err.contains("was changed after the file was written"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        // Without the digest line it reads (the user asked for the edit).
        let undigested: String = edited
            .lines()
            .filter(|l| !l.starts_with("digest = "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(Repro::from_toml(&undigested).is_ok());
    }
}
