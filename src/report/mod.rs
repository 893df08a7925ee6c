//! Reports: every text a person or a machine reads, in one place — the
//! human summary and the JSON of a run, JUnit, the report of a replay, of a
//! shrink ([`Shrunk`]) and of a hunt ([`Hunted`]), and the backend list.
//!
//! This module only renders, and it is the top floor of the library:
//! nothing in the crate depends on it but the binary. The timeline of a
//! failure is drawn by [`crate::timeline`], which a repro also uses for its
//! one-line description.
//!
//! The JSON every `--json` prints ([`run_json`], [`Hunted::json`],
//! [`Shrunk::json`], [`replay_json`], [`backends_json`]) is documented, field by
//! field, in `docs/json.md`, its one home: fields are only ever added, and
//! `tests/it/cli_json.rs` fails when the output and that file disagree.

use std::time::Duration;

use serde_json::{json, Value as Json};

pub mod bench;
mod html;
mod hunt;
mod shrink;

use crate::timeline::Timeline;
pub use html::{clean_page, replay_page, run_page, shrink_page, ReplayedFile};
pub use hunt::{Hunted, WrittenRepro};
pub use shrink::{explanation, nothing_to_shrink, nothing_to_shrink_json, Shrunk};

use crate::check::{Finding, Signature};
use crate::engine::{Execution, Outcome};
use crate::replay::{Replayed, Verdict};
use crate::repro::Repro;
use crate::scenario::{Mode, Scenario};
use crate::seed::Seed;

/// `1 thing` or `n things`.
/// `gomap · 2 threads × 1 op · 1 key · mix store=1 · sched mode`: a
/// scenario in one line, as a run's headline and its page show it.
pub(crate) fn scenario_line(s: &Scenario) -> String {
    format!(
        "{} · {} × {} · {} · mix {} · {} mode",
        s.backend,
        plural(u64::from(s.threads), "thread"),
        plural(u64::from(s.ops), "op"),
        plural(s.keys, "key"),
        s.mix,
        crate::scenario::enum_name(&s.mode),
    )
}

pub(crate) fn plural(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// One finding as JSON.
pub fn finding_json(f: &Finding) -> Json {
    json!({
        "kind": f.kind.name(),
        "message": f.message,
        "thread": f.thread,
        "op": f.op,
        "step": f.step,
        "signature": f.signature().0,
        "detail": f.detail,
    })
}

/// The `chaos run --json` object for an execution (`docs/json.md`,
/// `schema run`).
pub fn run_json(exec: &Execution) -> Json {
    let findings = exec.reported_findings();
    let outcome = match exec.outcome() {
        Outcome::Undecided { .. } => "undecided",
        _ if findings.is_empty() => "clean",
        _ => "finding",
    };
    let mut o = json!({
        "outcome": outcome,
        "semantics": exec.checked.semantics,
        "undecided": exec.checked.undecided.clone().or_else(|| match exec.outcome() {
            Outcome::Undecided { why } => Some(why),
            _ => None,
        }),
        "expectation_met": exec.expectation_met(),
        "seed": exec.seed.to_string(),
        "scenario": exec.scenario.to_raw(),
        "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
        "replay": exec.scenario.command_line(exec.seed),
        "swarm": exec.swarm,
        "ops_recorded": exec.history.events.iter().filter(|e| matches!(e, crate::history::Event::Invoke { .. })).count(),
        "truncated": exec.truncated(),
        "warnings": exec.warnings(),
        "elapsed_ms": exec.elapsed.as_secs_f64() * 1e3,
        "coverage": exec.coverage.iter().map(|(k, v)| (format!("{k:?}"), *v)).collect::<std::collections::BTreeMap<_, _>>(),
    });
    let overlap = exec.overlap();
    o["overlap"] = json!({
        "ops_concurrent": overlap.ops_concurrent,
        "same_key_concurrent": overlap.same_key_concurrent,
        "thread_pairs": overlap.thread_pairs,
        "thread_pairs_possible": overlap.thread_pairs_possible,
    });
    if let Some(rt) = &exec.runtime {
        o["go_runtime"] = json!(rt);
    }
    if exec.scenario.mode == Mode::Sched {
        o["history_hash"] = json!(format!("{:#018x}", exec.history_hash()));
        o["steps"] = json!(exec.steps());
    }
    o
}

/// What a backend declared, in words: `range snapshot · clear atomic ·
/// len exact`.
fn semantics_text(s: crate::maps::Semantics) -> String {
    format!(
        "range {} · clear {} · len {}",
        crate::scenario::enum_name(&s.range),
        crate::scenario::enum_name(&s.clear),
        crate::scenario::enum_name(&s.len)
    )
}

/// The human summary of an execution.
pub fn run_human(exec: &Execution) -> String {
    let s = &exec.scenario;
    let mut out = String::new();
    let findings = exec.reported_findings();
    let undecided = match exec.outcome() {
        Outcome::Undecided { why } => Some(why),
        _ => None,
    };
    let verdict = match (findings.is_empty(), exec.expectation_met()) {
        _ if undecided.is_some() => "UNDECIDED",
        (true, _) => "clean",
        (false, true) => "finding (expected)",
        (false, false) => "FINDING",
    };
    out.push_str(&format!(
        "{verdict}: {} · seed {}\n",
        scenario_line(s),
        exec.seed
    ));
    if let Some(rt) = &exec.runtime {
        out.push_str(&format!("  on the real Go runtime: {rt}\n"));
    }
    if let Some(choice) = &exec.swarm {
        out.push_str(&format!("  swarm: seed {} chose {choice}\n", exec.seed));
    }
    for w in exec.warnings() {
        out.push_str(&format!("  warning: {w}\n"));
    }
    if let Some(why) = undecided {
        out.push_str(&format!(
            "  undecided, neither clean nor a finding: {why}\n"
        ));
    }
    for f in &findings {
        out.push_str(&format!("  {f}\n"));
        if !f.detail.is_empty() {
            out.push_str(&format!("    {}\n", f.detail));
        }
        out.push_str(&format!("    signature: {}\n", f.signature()));
    }
    out.push_str(&format!(
        "  checked as the backend declares: {}\n",
        semantics_text(exec.checked.semantics)
    ));
    if s.mode == Mode::Stress {
        // Sched mode's overlap is its strategy's choice, not the machine's:
        // it is in the JSON only (see check::overlap).
        let o = exec.overlap();
        let percent = |f: f64| match f {
            0.0 => "0%".to_string(),
            f if f < 0.001 => "under 0.1%".to_string(),
            f => format!("{:.1}%", f * 100.0),
        };
        if o.barely() {
            out.push_str(&format!(
                "  threads barely overlapped: {} of ops ran concurrently with another thread's{}\n",
                percent(o.ops_concurrent),
                if findings.is_empty() && !matches!(exec.outcome(), Outcome::Undecided { .. }) {
                    " — this clean verdict says little; raise --ops, or try --perturb yield"
                } else {
                    ""
                }
            ));
        } else if o.thread_pairs_possible > 0 {
            out.push_str(&format!(
                "  threads overlapped: {} of ops ran concurrently with another thread's, {} on the same key; {} of {} overlapped\n",
                percent(o.ops_concurrent),
                percent(o.same_key_concurrent),
                o.thread_pairs,
                plural(o.thread_pairs_possible, "thread pair"),
            ));
        }
    }
    if s.mode == Mode::Sched {
        out.push_str(&format!(
            "  history hash {:#018x} over {} steps\n",
            exec.history_hash(),
            exec.steps().unwrap_or(0)
        ));
    }
    out.push_str(&format!("  replay: {}\n", s.command_line(exec.seed)));
    out
}

/// One JUnit test case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JunitCase {
    /// The case: the backend and the seed, or the seed range hunted.
    pub name: String,
    /// Its class, the backend tested: CI tools group cases by it.
    pub classname: String,
    /// How long it ran.
    pub time: Duration,
    /// If it failed: the message (the finding's signature) and the
    /// description.
    pub failure: Option<(String, String)>,
}

/// A JUnit XML report with one test suite, for CI test reporting.
pub fn junit(suite: &str, cases: &[JunitCase]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("chaos");
    let mut ts = TestSuite::new(suite);
    for case in cases {
        let status = match &case.failure {
            None => TestCaseStatus::success(),
            Some((message, description)) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(message.as_str());
                s.set_description(description.as_str());
                s
            }
        };
        let mut tc = TestCase::new(case.name.as_str(), status);
        tc.set_classname(case.classname.as_str());
        tc.set_time(case.time);
        ts.add_test_case(tc);
    }
    report.add_test_suite(ts);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- JUnit serialisation failed: {e} -->"))
}

/// The JUnit case of one execution: named for its backend and seed, of the
/// backend's class, timed by the execution; failed when the expectation
/// was not met, with the findings and the replay line.
pub fn junit_case(exec: &Execution) -> JunitCase {
    let mut case = JunitCase {
        name: format!("{} seed {}", exec.scenario.backend, exec.seed),
        classname: exec.scenario.backend.clone(),
        time: exec.elapsed,
        failure: None,
    };
    if exec.expectation_met() {
        return case;
    }
    let findings = exec.reported_findings();
    let message = match findings.first() {
        Some(f) => f.signature().0,
        None => "expectation not met".into(),
    };
    let mut description: Vec<String> = findings
        .iter()
        .map(|f| format!("{f}: {}", f.detail))
        .collect();
    description.push(format!("replay: {}", exec.scenario.command_line(exec.seed)));
    case.failure = Some((message, description.join("\n")));
    case
}

/// The one-line status of replaying the repro file `p`: its verdict, and a
/// divergence or another recording version when there is one.
pub fn replay_status(p: &str, repro: &Repro, replayed: &Replayed) -> String {
    let signature = repro.signature();
    let diverged = match (&replayed.divergence, replayed.continued) {
        (Some(d), false) => format!(
            " (the recorded schedule diverged at decision {}; --continue finishes it under the seed)",
            d.step
        ),
        (Some(d), true) => format!(
            " (diverged at decision {}, continued under the seed)",
            d.step
        ),
        (None, _) => String::new(),
    };
    // Same format, other version: the replay is still exact, but a
    // changed checker may name the same bug differently.
    let here = env!("CARGO_PKG_VERSION");
    let diverged = if repro.chaos_version == here {
        diverged
    } else {
        format!(
            "{diverged} (recorded by chaos {}, replayed by {here})",
            repro.chaos_version
        )
    };
    match replayed.verdict() {
        Verdict::Reproduced(_) => {
            format!("{p}: reproduced: {signature}{diverged}")
        }
        Verdict::FailsDifferently(other) => format!(
            "{p}: fails differently: {} (recorded: {}){diverged}",
            other.signature(),
            signature
        ),
        Verdict::Gone => {
            format!("{p}: no longer reproduces: {signature}{diverged}")
        }
    }
}

/// The `chaos replay --json` object of one replayed file.
pub fn replay_json(file: &str, repro: &Repro, replayed: &Replayed) -> Json {
    json!({
        "file": file,
        "status": match replayed.verdict() {
            Verdict::Reproduced(_) => "reproduced",
            Verdict::FailsDifferently(_) => "fails-differently",
            Verdict::Gone => "not-reproduced",
        },
        "findings": replayed.failures().iter().map(|f| f.signature().0).collect::<Vec<_>>(),
        "signature": repro.signature().0,
        "description": repro.description,
        "finding": replayed.finding.as_ref().map(finding_json),
        "history_hash": format!("{:#018x}", replayed.execution.history_hash()),
        "history_matches": replayed.history_matches,
        "divergence": replayed.divergence.as_ref().map(|d| json!({
            "step": d.step,
            "detail": d.detail,
        })),
        "continued": replayed.continued,
        "tries": replayed.tries,
        "run": repro.run_command(),
    })
}

impl Replayed {
    /// The human report of replaying `repro`: the verdict, the finding and
    /// its timeline, or where the replay diverged, and what to do next.
    pub fn report(&self, repro: &Repro) -> String {
        replayed(
            self,
            &repro.signature(),
            repro.script_seed,
            repro.history_hash,
            &repro.run_command(),
        )
    }
}

/// [`Replayed::report`], from the recorded repro's `signature`,
/// `script_seed`, `history_hash` and `run_command`.
fn replayed(
    r: &Replayed,
    signature: &Signature,
    script_seed: Seed,
    history_hash: Option<u64>,
    run_command: &str,
) -> String {
    let mut out = String::new();
    if let Some(d) = &r.divergence {
        out.push_str(&format!(
            "the recorded schedule no longer fits the backend: at decision {} {}\n",
            d.step, d.detail
        ));
        if r.continued {
            out.push_str(&format!(
                "continued from there under seed {}\n",
                script_seed
            ));
        } else {
            out.push_str(
                "  (the backend changed since the repro was recorded; run with --continue to finish the execution under the recorded seed)\n",
            );
        }
    }
    match &r.finding {
        Some(f) => {
            out.push_str(&format!("reproduced: {f}\n"));
            if !f.detail.is_empty() {
                out.push_str(&format!("  {}\n", f.detail));
            }
            out.push_str(&format!("  signature: {}\n", f.signature()));
            if let Some(t) = r.finding.as_ref().map(|f| Timeline::build(&r.execution, f)) {
                out.push('\n');
                out.push_str(&t.render());
                out.push('\n');
                out.push_str(&format!("what happens: {}\n", t.describe()));
            }
            if let (Some(m), Some(h)) = (r.history_matches, history_hash) {
                out.push_str(&format!(
                    "history hash {:#018x} ({})\n",
                    r.execution.history_hash(),
                    if m {
                        "identical to the recorded run".to_string()
                    } else {
                        format!("the recorded run had {h:#018x}")
                    }
                ));
            }
            out.push_str(&format!(
                "seed-level replay: {}\nfix the backend, then `{} replay` this file again: it exits 0 once the bug is gone\n",
                run_command,
                crate::scenario::program()
            ));
        }
        None => match r.failures().first() {
            Some(other) => {
                out.push_str(&format!(
                    "fails differently: {} did not occur, but {}\n",
                    signature,
                    other.signature()
                ));
                if !other.detail.is_empty() {
                    out.push_str(&format!("  {}\n", other.detail));
                }
                let t = Timeline::build(&r.execution, other);
                out.push('\n');
                out.push_str(&t.render());
                out.push_str(&format!("\nwhat happens: {}\n", t.describe()));
            }
            None => out.push_str(&format!(
                "no longer reproduces: {} did not occur, nor any other finding\n",
                signature
            )),
        },
    }
    out
}

/// The `chaos backends --json` array: each backend's name and description,
/// and for a mutant the finding it plants and whether it needs growth.
pub fn backends_json(backends: &[crate::maps::registry::BackendInfo]) -> Json {
    let list: Vec<Json> = backends
        .iter()
        .map(|b| {
            json!({
                "name": b.name(),
                "description": b.description(),
                "mutant": b.is_mutant(),
                "expected": b.mutant_info().map(|m| m.expected.kinds()[0].name()),
                "needs_growth": b.mutant_info().map(|m| m.needs_growth),
            })
        })
        .collect();
    Json::Array(list)
}

/// What `chaos backends` says of a Go target's map after its name: what
/// it is, what it should produce, and the runtime it runs on.
pub fn go_backend_what(m: &crate::engine::go::target::TargetMap, runtime: &str) -> String {
    let expect = match m.expect {
        crate::scenario::Expect::Clean => String::new(),
        e => format!("planted bug, expect {}: ", crate::scenario::enum_name(&e)),
    };
    format!("{expect}{} (real Go: {runtime}; stress mode)", m.about)
}

/// A Go target's map as an element of `chaos backends --json`.
pub fn go_backend_json(m: &crate::engine::go::target::TargetMap, runtime: &str) -> Json {
    let planted = m.expect != crate::scenario::Expect::Clean;
    json!({
        "name": format!("go:{}", m.name),
        "description": go_backend_what(m, runtime),
        "mutant": planted,
        "expected": planted.then(|| crate::scenario::enum_name(&m.expect)),
        "needs_growth": planted.then_some(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn replay_command_round_trips_through_the_flags_it_names() {
        let s = Scenario {
            backend: "rwmutex".into(),
            threads: 8,
            resize_rate: 0.25,
            mode: Mode::Stress,
            ..Scenario::default()
        };
        let cmd = s.command_line(Seed(0x5eed));
        assert!(
            cmd.starts_with("chaos run --backend rwmutex --threads 8"),
            "{cmd}"
        );
        assert!(cmd.contains("--mode stress"), "{cmd}");
        assert!(cmd.contains("--resize-rate 0.25"), "{cmd}");
        assert!(cmd.ends_with("--seed 0x5eed"), "{cmd}");
        assert!(
            !cmd.contains("--strategy"),
            "sched-only flags stay out of a stress replay: {cmd}"
        );
    }

    #[test]
    fn junit_cases_carry_the_backend_as_classname_and_the_elapsed_time() {
        let s = Scenario {
            threads: 2,
            ops: 1,
            mix: "store=1".parse().unwrap(),
            ..Scenario::default()
        };
        let make = crate::maps::registry::lookup("gomap")
            .unwrap()
            .constructor();
        let exec = crate::engine::execute(&s, Seed(7), make);
        let case = junit_case(&exec);
        assert_eq!(case.classname, "gomap");
        assert_eq!(case.time, exec.elapsed);
        assert!(case.failure.is_some(), "the race fails a clean expectation");
        let xml = junit("chaos run", std::slice::from_ref(&case));
        let time = format!("time=\"{:.3}\"", exec.elapsed.as_secs_f64());
        assert!(xml.contains("classname=\"gomap\""), "{xml}");
        assert!(xml.contains(&time), "{time} in {xml}");
    }

    #[test]
    fn backends_json_names_a_mutants_expectation_as_its_findings_do() {
        use crate::check::FindingKind;
        let json = backends_json(crate::maps::registry::backends());
        let expected: Vec<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["expected"].as_str())
            .collect();
        assert!(expected.contains(&"lost-write"), "{json}");
        for e in &expected {
            assert!(
                [
                    FindingKind::Throw,
                    FindingKind::Linearizability,
                    FindingKind::LostWrite,
                    FindingKind::Invariant
                ]
                .iter()
                .any(|k| k.name() == *e),
                "{e} is no finding kind's name"
            );
        }
    }
}
