//! The reports of `chaos shrink`: the shrunk finding with its timeline and
//! the lines that replay it, as text or JSON, and the short explanation
//! `chaos run` and `chaos hunt` append to a finding they shrank.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value as Json};

use super::plural;
use crate::repro::Made;
use crate::scenario::Scenario;
use crate::seed::Seed;
use crate::timeline::Timeline;

/// A shrink that wrote a repro.
#[derive(Clone, Copy, Debug)]
pub struct Shrunk<'a> {
    /// The scenario of the run that failed.
    pub from: &'a Scenario,
    /// The repro and the steps that made it.
    pub made: &'a Made,
    /// The file the repro was written to.
    pub file: &'a Path,
    /// Wall time from the failing run to the written repro.
    pub elapsed: Duration,
}

impl Shrunk<'_> {
    fn replay_line(&self) -> String {
        format!(
            "{} replay {}",
            crate::scenario::program(),
            self.file.display()
        )
    }

    /// The human report: what shrank to what, the timeline, what happens,
    /// the file, and the two replay lines.
    pub fn human(&self) -> String {
        let (made, repro) = (self.made, &self.made.repro);
        let s = &made.shrunk.scenario;
        let mut text = format!(
            "shrunk {} in {} executions ({:.0?})\n  from {} × {} to {} × {} · {} · mix {} · seed {}\n  minimal script: {} in {}\n\n",
            repro.signature(),
            made.executions(),
            self.elapsed,
            plural(u64::from(self.from.threads), "thread"),
            plural(u64::from(self.from.ops), "op"),
            plural(u64::from(s.threads), "thread"),
            plural(u64::from(s.ops), "op"),
            plural(s.keys, "key"),
            s.mix,
            made.shrunk.seed,
            plural(repro.script.ops() as u64, "op"),
            plural(repro.script.threads.len() as u64, "thread"),
        );
        if let Some(f) = &made.replayed.finding {
            text.push_str(&Timeline::build(&made.replayed.execution, f).render());
        }
        text.push_str(&format!(
            "\nwhat happens: {}\n\nwrote {}\nreplay the shrunk run:    {}\nreplay the minimal repro: {}\n",
            repro.description,
            self.file.display(),
            repro.run_command(),
            self.replay_line(),
        ));
        text
    }

    /// The `chaos shrink --json` object; `test` is the emitted regression
    /// test, when one was asked for.
    pub fn json(&self, test: Option<&str>) -> Json {
        let (made, repro) = (self.made, &self.made.repro);
        let mut o = json!({
            "outcome": "shrunk",
            "file": self.file.display().to_string(),
            "signature": repro.signature().0,
            "description": repro.description,
            "scenario": made.shrunk.scenario.to_raw(),
            "seed": made.shrunk.seed.to_string(),
            "replay": repro.run_command(),
            "replay_repro": self.replay_line(),
            "script_threads": repro.script.threads.len(),
            "script_ops": repro.script.ops(),
            "executions": made.executions(),
            "elapsed_ms": self.elapsed.as_secs_f64() * 1e3,
        });
        if let Some(t) = test {
            o["test"] = json!(t);
        }
        o
    }
}

/// `chaos shrink` on a run that does not fail, as text.
pub fn nothing_to_shrink(scenario: &Scenario, seed: Seed) -> String {
    format!(
        "nothing to shrink: the run does not fail ({})",
        scenario.command_line(seed)
    )
}

/// `chaos shrink --json` on a run that does not fail.
pub fn nothing_to_shrink_json(scenario: &Scenario, seed: Seed) -> Json {
    json!({ "outcome": "clean", "seed": seed.to_string(), "scenario": scenario.to_raw() })
}

/// What `chaos run --explain` appends to a finding: the shrunk script's
/// timeline, what happens, and the commands that replay the shrunk run and
/// write the repro (a `chaos shrink` of the original `scenario` and `seed`).
/// `None` when the replay of the repro has no finding to draw.
pub fn explanation(made: &Made, scenario: &Scenario, seed: Seed) -> Option<String> {
    let f = made.replayed.finding.as_ref()?;
    let timeline = Timeline::build(&made.replayed.execution, f);
    Some(format!(
        "\nshrunk to {} in {} executions:\n\n{}\nwhat happens: {}\n\nreplay the shrunk run: {}\nwrite the minimal repro: {}\n",
        plural(made.repro.script.ops() as u64, "op"),
        made.executions(),
        timeline.render(),
        made.repro.description,
        made.repro.run_command(),
        scenario.command("shrink", seed),
    ))
}
