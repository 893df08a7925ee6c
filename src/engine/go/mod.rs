//! Real Go: a `go:NAME` backend runs in a Go target process, on the real Go
//! runtime (`go/PROTOCOL.md`).
//!
//! One execution: the workload the seed generates (the same ops a Rust
//! backend gets) goes to `TARGET serve` as a request, with the prefill and
//! a perturbation plan drawn from the seed; every goroutine is released
//! together; each op's stamps and result land in a shared-memory events
//! file that a fatal error cannot erase. `chaos` reads it back into a
//! [`History`], reads stderr for Go's fatal
//! message and the goroutine that threw, and hands both to the same
//! checker as every other backend. Stress mode only: nobody schedules Go's
//! goroutines but Go.
//!
//! - [`toolchain`]: the `go` command, the built-in target's embedded
//!   sources, and the cache it is built into;
//! - [`target`]: what `TARGET list` says (Go version, Swiss or classic
//!   map, the maps and their semantics);
//! - `wire`: the request, the events and final-state files;
//! - `fatal`: stderr (goroutines, recovered panics, the runtime's death).

mod fatal;
pub mod target;
pub mod toolchain;
mod wire;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use self::fatal::{Death, Stderr, DEADLOCK};
use self::target::{Target, TargetMap};
use self::toolchain::Toolchain;
use crate::check::{Checked, Finding, FindingKind, Quiescent};
use crate::history::History;
use crate::maps::{ChaosMap, Key, OpResult, Value};
use crate::scenario::{Scenario, GO_PREFIX};
use crate::seed::Seed;
use crate::workload::Workload;

/// The target protocol version this `chaos` speaks.
pub const PROTOCOL: u32 = 1;

/// The origin of the built-in target.
pub const BUILTIN: &str = "built-in";

/// Why a Go target cannot be used. One line each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GoError {
    /// No `go` anywhere.
    #[error("no Go toolchain found: `go` is not on PATH and CHAOS_GO is not set; {how}", how = toolchain::HOW_TO_GET_GO)]
    NoToolchain,
    /// The toolchain did not answer.
    #[error("the Go toolchain {go} does not work: {reason}; {how}", how = toolchain::HOW_TO_GET_GO)]
    Toolchain {
        /// The `go` command.
        go: String,
        /// What went wrong.
        reason: String,
    },
    /// A target did not build.
    #[error("cannot build {what}: {reason}")]
    Build {
        /// What was being built.
        what: String,
        /// Why not.
        reason: String,
    },
    /// A target did not answer `list` as the protocol says.
    #[error("Go target {target}: {reason}")]
    Target {
        /// The target.
        target: String,
        /// Why not.
        reason: String,
    },
    /// The target does not serve that map.
    #[error("the {target} Go target serves no map {name:?}; it serves: {known}", known = .known.join(", "))]
    UnknownMap {
        /// The name asked for (after `go:`).
        name: String,
        /// The target.
        target: String,
        /// What it serves, as backend names.
        known: Vec<String>,
    },
}

/// Targets found so far in this process, by `go_target` (`None`: the
/// built-in one): a hunt resolves its target once.
type Memo = HashMap<Option<String>, Result<Arc<Target>, GoError>>;
static RESOLVED: Mutex<Option<Memo>> = Mutex::new(None);

/// The target a scenario's `go:` backend runs in (`go_target`, else the
/// built-in one, built on first use). Returns it and whether this call
/// built the built-in target (so the caller may say so, once).
pub fn resolve(go_target: Option<&str>) -> Result<(Arc<Target>, bool), GoError> {
    let key = go_target.map(str::to_string);
    let mut memo = RESOLVED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = memo.get_or_insert_with(HashMap::new).get(&key) {
        return found.clone().map(|t| (t, false));
    }
    let mut built = false;
    let found = (|| {
        let target = match go_target {
            None => {
                let (path, now) = Toolchain::find()?.builtin_target()?;
                built = now;
                Target::list(path, BUILTIN.to_string())?
            }
            Some(given) => {
                let path = Path::new(given);
                let binary = if path.is_dir() {
                    Toolchain::find()?.user_target(path)?
                } else if path.is_file() {
                    path.to_path_buf()
                } else {
                    return Err(GoError::Target {
                        target: given.to_string(),
                        reason:
                            "no such file or directory (a target binary or a Go package directory)"
                                .into(),
                    });
                };
                Target::list(binary, given.to_string())?
            }
        };
        Ok(Arc::new(target))
    })();
    memo.get_or_insert_with(HashMap::new)
        .insert(key, found.clone());
    found.map(|t| (t, built))
}

/// The target and map a scenario's `go:NAME` backend names.
pub fn target_map(scenario: &Scenario) -> Result<(Arc<Target>, TargetMap), GoError> {
    let (target, _) = resolve(scenario.go_target.as_deref())?;
    let name = scenario.backend.strip_prefix(GO_PREFIX).unwrap_or_default();
    let map = target.map(name)?.clone();
    Ok((target, map))
}

/// The constructor a `go:` backend is looked up as: [`super::run`] runs
/// a `go:` scenario in its target and never builds a map in this process,
/// so nothing calls it; if something did, the map it builds says so on
/// every operation.
pub static IN_TARGET: fn(u64) -> Box<dyn ChaosMap> = |_| Box::new(InTarget);

/// The map [`IN_TARGET`] builds: none of its operations can run here.
struct InTarget;

impl InTarget {
    fn elsewhere<T>(&self) -> T {
        panic!("a go: backend runs in its Go target process, not in this one")
    }
}

impl ChaosMap for InTarget {
    fn load(&self, _: Key) -> OpResult<Option<Value>> {
        self.elsewhere()
    }
    fn store(&self, _: Key, _: Value) -> OpResult<()> {
        self.elsewhere()
    }
    fn delete(&self, _: Key) -> OpResult<()> {
        self.elsewhere()
    }
    fn load_or_store(&self, _: Key, _: Value) -> OpResult<(Value, bool)> {
        self.elsewhere()
    }
    fn load_and_delete(&self, _: Key) -> OpResult<Option<Value>> {
        self.elsewhere()
    }
    fn swap(&self, _: Key, _: Value) -> OpResult<Option<Value>> {
        self.elsewhere()
    }
    fn compare_and_swap(&self, _: Key, _: Value, _: Value) -> OpResult<bool> {
        self.elsewhere()
    }
    fn compare_and_delete(&self, _: Key, _: Value) -> OpResult<bool> {
        self.elsewhere()
    }
    fn range(&self, _: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        self.elsewhere()
    }
    fn clear(&self) -> OpResult<()> {
        self.elsewhere()
    }
}

/// What one run in a target gave: the engine makes an execution of it.
pub(super) struct GoRun {
    /// The recorded history.
    pub history: History,
    /// What the checker found, or why nothing was decided.
    pub checked: Checked,
    /// What the checker assumed.
    pub semantics: crate::maps::Semantics,
    /// The runtime, as a report names it.
    pub runtime: Option<String>,
    /// Wall time of the process.
    pub elapsed: Duration,
}

/// Runs `workload` on the scenario's `go:` backend under `seed`.
pub(super) fn run(scenario: &Scenario, seed: Seed, workload: &Workload) -> GoRun {
    let started = Instant::now();
    let undecided = |why: String, runtime: Option<String>| GoRun {
        history: History::default(),
        checked: Checked {
            findings: Vec::new(),
            undecided: Some(why),
        },
        semantics: Default::default(),
        runtime,
        elapsed: started.elapsed(),
    };
    let (target, map) = match target_map(scenario) {
        Ok(t) => t,
        Err(e) => return undecided(e.to_string(), None),
    };
    let runtime = target.runtime();
    let dir = match tempfile::Builder::new().prefix("chaos-go-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            return undecided(
                format!("cannot make a directory for the events file: {e}"),
                Some(runtime),
            )
        }
    };
    let events = dir.path().join("events");
    let request = wire::Request::new(&map.name, scenario, seed, workload, &events);
    let timeout = Duration::from_millis(scenario.stress.timeout_ms);
    let ended = match serve(&target.path, &request, timeout) {
        Ok(e) => e,
        Err(why) => {
            return undecided(
                format!("the Go target could not be run: {why}"),
                Some(runtime),
            )
        }
    };
    let stderr = Stderr::parse(&ended.stderr);
    let last_words = toolchain::last_line(ended.stderr.as_bytes());
    if ended.status.and_then(|s| s.code()) == Some(64) {
        return undecided(
            format!("the Go target refused the request: {last_words}"),
            Some(runtime),
        );
    }
    let recorded = match wire::history(&events, workload, map.has_len, &stderr.panics) {
        Ok(r) => r,
        Err(why) => {
            return undecided(
                format!("the Go target left no events ({why}); it said: {last_words}"),
                Some(runtime),
            )
        }
    };
    let judged = Judged {
        scenario,
        runtime: &runtime,
        records: &recorded.records,
        workload,
        stderr: &stderr,
        last_words,
        has_len: map.has_len,
    };
    let checked = match (&ended.status, &stderr.death) {
        (None, _) => judged.found(judged.hang(timeout)),
        (Some(s), _) if s.success() => match judged.first_panic() {
            Some(f) => judged.found(f),
            None => match wire::read_final(&events) {
                Ok((len, contents)) => {
                    let quiescent = Quiescent {
                        contents: Some(contents),
                        violations: Vec::new(),
                        len,
                    };
                    let mut checked = super::findings::check_at_quiescence(
                        scenario,
                        &recorded.history,
                        &quiescent,
                        map.semantics,
                    );
                    for f in &mut checked.findings {
                        f.detail = with_runtime(&f.detail, &runtime);
                    }
                    checked
                }
                Err(why) => return undecided(why, Some(runtime)),
            },
        },
        (Some(_), Some(death)) => judged.found(judged.death(death)),
        (Some(s), None) => judged.found(judged.died(s)),
    };
    GoRun {
        history: recorded.history,
        checked,
        semantics: map.semantics,
        runtime: Some(runtime),
        elapsed: ended.elapsed,
    }
}

/// How the target process ended.
struct Ended {
    /// Its exit status; `None` when the watchdog killed it.
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs `target serve` with `request` on stdin, killing it at `timeout`.
fn serve(target: &Path, request: &wire::Request<'_>, timeout: Duration) -> Result<Ended, String> {
    call(target, "serve", request, timeout)
}

/// Runs `target COMMAND` with `request` on stdin, killing it at `timeout`.
fn call(
    target: &Path,
    command: &str,
    request: &wire::Request<'_>,
    timeout: Duration,
) -> Result<Ended, String> {
    let body = serde_json::to_vec(request).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut child = Command::new(target)
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", target.display()))?;
    let pipe_reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let err_reader = pipe_reader(Box::new(child.stderr.take().expect("stderr is piped")));
    let out_reader = pipe_reader(Box::new(child.stdout.take().expect("stdout is piped")));
    if let Some(mut stdin) = child.stdin.take() {
        // A target that dies before reading all of it is judged by how it
        // died; a broken pipe here says nothing more.
        let _ = stdin.write_all(&body);
    }
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break Some(s),
            None if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    };
    let elapsed = started.elapsed();
    let stderr = err_reader.join().unwrap_or_default();
    let stdout = out_reader.join().unwrap_or_default();
    Ok(Ended {
        status,
        stdout,
        stderr,
        elapsed,
    })
}

/// Measures `workload` on the scenario's `go:` backend in its target
/// (`TARGET bench`, `go/PROTOCOL.md`): the same ops on goroutines released
/// together, nothing recorded; the target times them from the release to
/// the last op's return. Returns that time, or one line saying why there
/// is none: the process died (a Go fatal error: its message), hung past the
/// scenario's `timeout_ms`, or refused the request.
pub fn bench(scenario: &Scenario, workload: &Workload) -> Result<Duration, String> {
    let (target, map) = target_map(scenario).map_err(|e| e.to_string())?;
    let request = wire::Request::bench(&map.name, scenario, workload);
    let timeout = Duration::from_millis(scenario.stress.timeout_ms);
    let ended = call(&target.path, "bench", &request, timeout)
        .map_err(|why| format!("the Go target could not be run: {why}"))?;
    let Some(status) = ended.status else {
        return Err(format!(
            "hang: still running after {} ms",
            scenario.stress.timeout_ms
        ));
    };
    let last_words = toolchain::last_line(ended.stderr.as_bytes());
    if !status.success() {
        let stderr = Stderr::parse(&ended.stderr);
        return Err(match &stderr.death {
            Some(Death::Fatal { message, .. }) => format!("throw: fatal error: {message}"),
            Some(Death::Panic { message, .. }) => format!("panic: {message}"),
            _ if status.code() == Some(64) => {
                format!("the Go target refused the bench request: {last_words}")
            }
            _ => format!("the Go target died ({status}): {last_words}"),
        });
    }
    ended
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("elapsed_ns="))
        .and_then(|n| n.parse::<u64>().ok())
        .map(Duration::from_nanos)
        .ok_or_else(|| format!("the Go target's bench printed no elapsed_ns=N: {last_words}"))
}

/// A finding's detail with the runtime it was found on.
fn with_runtime(detail: &str, runtime: &str) -> String {
    if detail.is_empty() {
        format!("on {runtime}")
    } else {
        format!("{detail}; on {runtime}")
    }
}

/// What the findings of a run that did not complete are made of.
struct Judged<'a> {
    scenario: &'a Scenario,
    runtime: &'a str,
    records: &'a [Vec<wire::Record>],
    workload: &'a Workload,
    stderr: &'a Stderr,
    /// The last line of stderr.
    last_words: String,
    /// Whether the map has `Len`.
    has_len: bool,
}

impl Judged<'_> {
    fn found(&self, f: Finding) -> Checked {
        Checked {
            findings: vec![f],
            undecided: None,
        }
    }

    fn finding(
        &self,
        kind: FindingKind,
        message: String,
        at: Option<(u32, u32)>,
        detail: String,
    ) -> Finding {
        Finding {
            kind,
            message,
            backend: self.scenario.backend.clone(),
            thread: at.map(|a| a.0),
            op: at.map(|a| a.1),
            step: None,
            detail: with_runtime(&detail, self.runtime),
        }
    }

    /// Each thread's op in flight (invoked, never returned).
    fn in_flight(&self) -> Vec<(u32, u32)> {
        self.records
            .iter()
            .enumerate()
            .filter_map(|(t, recs)| {
                let i = recs.iter().position(|r| r.invoke != 0 && r.ret == 0)?;
                Some((t as u32, i as u32))
            })
            .collect()
    }

    fn op_text(&self, (t, i): (u32, u32)) -> String {
        let op = self.workload.threads[t as usize][i as usize];
        format!("thread {t} op {i} {op}")
    }

    /// `in flight: thread 0 op 3 load(1), ...` (at most eight named).
    fn in_flight_text(&self) -> String {
        let all = self.in_flight();
        if all.is_empty() {
            return "no op in flight".into();
        }
        let mut named: Vec<String> = all.iter().take(8).map(|&a| self.op_text(a)).collect();
        if all.len() > 8 {
            named.push(format!("and {} more", all.len() - 8));
        }
        format!("{} in flight: {}", all.len(), named.join(", "))
    }

    /// Where goroutine `g` was: its thread and the op it was in.
    fn at_goroutine(&self, g: Option<u64>) -> Option<(u32, u32)> {
        let t = *self.stderr.goroutines.get(&g?)?;
        self.in_flight().into_iter().find(|a| a.0 == t)
    }

    fn death(&self, death: &Death) -> Finding {
        match death {
            Death::Fatal { message, .. } if message == DEADLOCK => self.finding(
                FindingKind::Deadlock,
                message.clone(),
                self.in_flight().first().copied(),
                format!("fatal error: {message}; {}", self.in_flight_text()),
            ),
            Death::Fatal { message, goroutine } | Death::Panic { message, goroutine } => {
                let fatal = matches!(death, Death::Fatal { .. });
                let at = self.at_goroutine(*goroutine);
                let who = match (goroutine, at) {
                    (Some(g), Some(a)) => format!(" in goroutine {g} ({})", self.op_text(a)),
                    (Some(g), None) => format!(" in goroutine {g} (not a workload thread's op)"),
                    (None, _) => String::new(),
                };
                let (kind, head) = if fatal {
                    (FindingKind::Throw, "fatal error")
                } else {
                    (FindingKind::Panic, "panic")
                };
                self.finding(
                    kind,
                    message.clone(),
                    at,
                    format!("{head}: {message}{who}; {}", self.in_flight_text()),
                )
            }
        }
    }

    fn died(&self, status: &ExitStatus) -> Finding {
        self.finding(
            FindingKind::Panic,
            format!("the Go target died ({status})"),
            self.in_flight().first().copied(),
            format!(
                "its last words: {}; {}",
                self.last_words,
                self.in_flight_text()
            ),
        )
    }

    fn hang(&self, timeout: Duration) -> Finding {
        self.finding(
            FindingKind::Hang,
            "threads still running when the watchdog fired".into(),
            self.in_flight().first().copied(),
            format!(
                "the Go target was killed after {} ms; {}",
                timeout.as_millis(),
                self.in_flight_text()
            ),
        )
    }

    /// The first op (by invoke stamp) that panicked and was recovered.
    fn first_panic(&self) -> Option<Finding> {
        let mut first: Option<(u64, (u32, u32))> = None;
        for (t, (recs, ops)) in self.records.iter().zip(&self.workload.threads).enumerate() {
            for (i, (r, op)) in recs.iter().zip(ops).enumerate() {
                let panicked = r.panicked() && !wire::unsupported(op, self.has_len);
                if panicked && first.is_none_or(|f| r.invoke < f.0) {
                    first = Some((r.invoke, (t as u32, i as u32)));
                }
            }
        }
        let (_, at) = first?;
        let message = self
            .stderr
            .panics
            .get(&at)
            .cloned()
            .unwrap_or_else(|| "panicked (no message on stderr)".into());
        Some(self.finding(
            FindingKind::Panic,
            message,
            Some(at),
            format!("recovered in {}", self.op_text(at)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_and_say_how_to_get_go() {
        let e = GoError::NoToolchain.to_string();
        assert!(e.contains("CHAOS_GO") && e.contains("go.dev/dl"), "{e}");
        assert!(!e.contains('\n'));
        let e = GoError::UnknownMap {
            name: "x".into(),
            target: BUILTIN.into(),
            known: vec!["go:map".into(), "go:syncmap".into()],
        }
        .to_string();
        assert_eq!(
            e,
            "the built-in Go target serves no map \"x\"; it serves: go:map, go:syncmap"
        );
    }
}
