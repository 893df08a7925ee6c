//! Reports: the replay command, the human summary and the JSON object.
//!
//! The JSON schema of `chaos run --json` (stable; fields are only ever added):
//!
//! ```text
//! {
//!   "outcome": "clean" | "finding",
//!   "expectation_met": bool,        // exit code 0 iff true
//!   "seed": "0x…",                  // as --seed takes it
//!   "scenario": { …every scenario field, as in a scenario file… },
//!   "findings": [ { "kind", "message", "thread", "op", "step", "signature", "detail" } ],
//!   "replay": "chaos run … --seed 0x…",
//!   "history_hash": "0x…",          // sched mode only: equal on every replay
//!   "steps": n,                     // sched mode only
//!   "ops_recorded": n, "truncated": bool, "elapsed_ms": f64,
//!   "coverage": { "Grow": n, … }
//! }
//! ```

use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::check::Finding;
use crate::engine::Execution;
use crate::scenario::{Mode, Scenario};
use crate::seed::Seed;

/// The command line that reproduces `scenario` under `seed`: every field
/// that differs from the defaults, plus the ones a reader wants to see.
pub fn replay_command(scenario: &Scenario, seed: Seed) -> String {
    let d = Scenario::default();
    let mut args = vec![
        "chaos run".to_string(),
        format!("--backend {}", scenario.backend),
        format!("--threads {}", scenario.threads),
        format!("--ops {}", scenario.ops),
        format!("--keys {}", scenario.keys),
        format!("--mix {}", scenario.mix),
        format!("--mode {}", enum_name(&scenario.mode)),
    ];
    let mut opt = |differs: bool, flag: &str, value: String| {
        if differs {
            args.push(format!("--{flag} {value}"));
        }
    };
    opt(
        scenario.distribution != d.distribution,
        "distribution",
        enum_name(&scenario.distribution),
    );
    opt(
        scenario.prefill != d.prefill,
        "prefill",
        scenario.prefill.to_string(),
    );
    let sched = scenario.mode == Mode::Sched;
    opt(
        sched && scenario.strategy != d.strategy,
        "strategy",
        enum_name(&scenario.strategy),
    );
    opt(
        sched && scenario.depth != d.depth,
        "depth",
        scenario.depth.to_string(),
    );
    opt(
        scenario.resize_rate != d.resize_rate,
        "resize-rate",
        scenario.resize_rate.to_string(),
    );
    opt(
        scenario.evacuate_rate != d.evacuate_rate,
        "evacuate-rate",
        scenario.evacuate_rate.to_string(),
    );
    opt(
        scenario.promote_rate != d.promote_rate,
        "promote-rate",
        scenario.promote_rate.to_string(),
    );
    opt(
        !sched && scenario.perturb != d.perturb,
        "perturb",
        enum_name(&scenario.perturb),
    );
    opt(
        scenario.expect != d.expect,
        "expect",
        enum_name(&scenario.expect),
    );
    opt(
        sched && scenario.max_steps != d.max_steps,
        "max-steps",
        scenario.max_steps.to_string(),
    );
    opt(
        !sched && scenario.timeout_ms != d.timeout_ms,
        "timeout-ms",
        scenario.timeout_ms.to_string(),
    );
    args.push(format!("--seed {seed}"));
    args.join(" ")
}

/// A unit enum's serde name (`stress`, `random`, ...).
fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Json::String(s)) => s,
        other => format!("{other:?}"),
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

/// The `chaos run --json` object for an execution.
pub fn run_json(exec: &Execution) -> Json {
    let mut o = json!({
        "outcome": if exec.findings.is_empty() { "clean" } else { "finding" },
        "expectation_met": exec.expectation_met(),
        "seed": exec.seed.to_string(),
        "scenario": exec.scenario.to_raw(),
        "findings": exec.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "replay": replay_command(&exec.scenario, exec.seed),
        "ops_recorded": exec.history.events.iter().filter(|e| matches!(e, crate::history::Event::Invoke { .. })).count(),
        "truncated": exec.truncated,
        "elapsed_ms": exec.elapsed.as_secs_f64() * 1e3,
        "coverage": exec.coverage.iter().map(|(k, v)| (format!("{k:?}"), *v)).collect::<std::collections::BTreeMap<_, _>>(),
    });
    if exec.scenario.mode == Mode::Sched {
        o["history_hash"] = json!(format!("{:#018x}", exec.history_hash()));
        o["steps"] = json!(exec.steps);
    }
    o
}

/// The human summary of an execution.
pub fn run_human(exec: &Execution) -> String {
    let s = &exec.scenario;
    let mut out = String::new();
    let verdict = match (exec.findings.is_empty(), exec.expectation_met()) {
        (true, _) => "clean",
        (false, true) => "finding (expected)",
        (false, false) => "FINDING",
    };
    out.push_str(&format!(
        "{verdict}: {} · {} threads × {} ops · {} keys · mix {} · {} mode · seed {}\n",
        s.backend,
        s.threads,
        s.ops,
        s.keys,
        s.mix,
        enum_name(&s.mode),
        exec.seed
    ));
    for f in &exec.findings {
        out.push_str(&format!("  {f}\n"));
        if !f.detail.is_empty() {
            out.push_str(&format!("    {}\n", f.detail));
        }
        out.push_str(&format!("    signature: {}\n", f.signature()));
    }
    if s.mode == Mode::Sched {
        out.push_str(&format!(
            "  history hash {:#018x} over {} steps\n",
            exec.history_hash(),
            exec.steps.unwrap_or(0)
        ));
    }
    out.push_str(&format!("  replay: {}\n", replay_command(s, exec.seed)));
    out
}

/// One JUnit test case: its name and, if it failed, (message, description).
pub type JunitCase = (String, Option<(String, String)>);

/// A JUnit XML report with one test suite, for CI test reporting.
pub fn junit(suite: &str, cases: &[JunitCase]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("chaos");
    let mut ts = TestSuite::new(suite);
    for (name, failure) in cases {
        let status = match failure {
            None => TestCaseStatus::success(),
            Some((message, description)) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(message.as_str());
                s.set_description(description.as_str());
                s
            }
        };
        ts.add_test_case(TestCase::new(name.as_str(), status));
    }
    report.add_test_suite(ts);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- JUnit serialisation failed: {e} -->"))
}

/// The JUnit case of one execution: named for its scenario and seed; failed
/// when the expectation was not met, with the findings and the replay line.
pub fn junit_case(exec: &Execution) -> JunitCase {
    let name = format!("{} seed {}", exec.scenario.backend, exec.seed);
    if exec.expectation_met() {
        return (name, None);
    }
    let message = match exec.findings.first() {
        Some(f) => f.signature().0,
        None => "expectation not met".into(),
    };
    let mut description: Vec<String> = exec
        .findings
        .iter()
        .map(|f| format!("{f}: {}", f.detail))
        .collect();
    description.push(format!(
        "replay: {}",
        replay_command(&exec.scenario, exec.seed)
    ));
    (name, Some((message, description.join("\n"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_command_round_trips_through_the_flags_it_names() {
        let s = Scenario {
            backend: "rwmutex".into(),
            threads: 8,
            resize_rate: 0.25,
            mode: Mode::Stress,
            ..Scenario::default()
        };
        let cmd = replay_command(&s, Seed(0x5eed));
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
}
