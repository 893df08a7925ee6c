//! The reports of `chaos hunt`: the verdict over a seed range, every
//! finding, and the repros written, as text, JSON or JUnit.

use serde_json::{json, Value as Json};

use super::{junit, junit_case, plural, run_human, run_json, JunitCase};
use crate::hunt::{HuntReport, SeedRange, Shard};
use crate::scenario::{Expect, Scenario};
use crate::seed::Seed;

/// A repro a hunt wrote: the signature it reproduces and its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenRepro {
    /// The finding's signature.
    pub signature: String,
    /// The file, as given to `chaos replay`.
    pub file: String,
}

/// A finished hunt, with what it ran over.
#[derive(Clone, Copy, Debug)]
pub struct Hunted<'a> {
    /// The scenario hunted.
    pub scenario: &'a Scenario,
    /// The seed range.
    pub range: SeedRange,
    /// The shard of the range this process ran.
    pub shard: Shard,
    /// What it found.
    pub report: &'a HuntReport,
    /// One repro per distinct signature, when `--out` asked for them.
    pub repros: &'a [WrittenRepro],
    /// Print the full report of every kept execution, not only the first
    /// of each signature (`--details`).
    pub details: bool,
}

impl Hunted<'_> {
    /// One word for the whole hunt: `clean`, `found as expected`,
    /// `FINDING` or `NOT FOUND`.
    pub fn verdict(&self) -> &'static str {
        if self.report.all_undecided() {
            return "UNDECIDED";
        }
        match (self.report.found.is_empty(), self.report.met()) {
            (true, true) => "clean",
            (false, true) => "found as expected",
            (false, false) => "FINDING",
            (true, false) => "NOT FOUND",
        }
    }

    /// The human report: the verdict line (how many seeds failed, of how
    /// many run), one line per signature with its count and lowest seeds,
    /// the full report of the first execution of each signature (of every
    /// kept one with `details`), and the repros written.
    pub fn human(&self) -> String {
        let r = self.report;
        let failed = match (r.expect, r.failing) {
            (_, 0) => String::new(),
            (Expect::Clean, n) => format!(
                "{} failed ({}), ",
                plural(n, "seed"),
                plural(r.signatures.len() as u64, "signature")
            ),
            (_, n) => format!("{} showed the expected finding, ", plural(n, "seed")),
        };
        let interrupted = if r.interrupted { " (interrupted)" } else { "" };
        let undecided = match (r.undecided, r.first_undecided) {
            (0, _) | (_, None) => String::new(),
            (n, Some(seed)) => format!(
                "; {} undecided, the first seed {} (a budget ran out: the scheduler's steps while ops still completed, raise --max-steps; or the checker's search: `{}` says which)",
                plural(n, "seed"),
                Seed(seed),
                self.scenario.command_line(Seed(seed))
            ),
        };
        let mut t = format!(
            "{}: {failed}{} run of {} ({} shard {}/{}) in {:.1}s, {:.0} seeds/s{interrupted}{undecided}\n",
            self.verdict(),
            plural(r.executed, "seed"),
            if self.scenario.swarm {
                format!("{} (swarm)", self.scenario.backend)
            } else {
                self.scenario.backend.clone()
            },
            self.range,
            self.shard.index,
            self.shard.count,
            r.elapsed.as_secs_f64(),
            r.rate()
        );
        for w in self.warnings() {
            t.push_str(&format!("warning: {w}\n"));
        }
        for tally in &r.signatures {
            let seeds: Vec<String> = tally.seeds.iter().map(|s| s.to_string()).collect();
            let more = if tally.count > tally.seeds.len() as u64 {
                ", ..."
            } else {
                ""
            };
            t.push_str(&format!(
                "  {} × {} (seeds {}{more})\n",
                tally.count,
                tally.signature,
                seeds.join(", ")
            ));
        }
        t.push_str(&self.interleavings());
        let mut shown = std::collections::BTreeSet::new();
        for exec in &r.found {
            if self.details || shown.insert(crate::hunt::signature_of(exec)) {
                t.push('\n');
                t.push_str(&run_human(exec));
            }
        }
        for w in self.repros {
            t.push_str(&format!(
                "repro for {}: {} ({} replay {})\n",
                w.signature,
                w.file,
                crate::scenario::program(),
                w.file
            ));
        }
        t
    }

    /// The interleaving classes of the backend and how many seeds reached
    /// each, one line per class; a class no seed reached is marked a gap.
    /// Empty for a backend without classes.
    pub fn interleavings(&self) -> String {
        let r = self.report;
        if r.classes.is_empty() {
            return String::new();
        }
        let width = r
            .classes
            .iter()
            .map(|(c, _)| c.name.len())
            .max()
            .unwrap_or(0);
        let mut t = format!(
            "interleavings reached (seeds, of {} run; each with another thread mid-op):\n",
            r.executed
        );
        for (class, seeds) in &r.classes {
            let gap = if *seeds == 0 {
                "GAP: none reached "
            } else {
                ""
            };
            t.push_str(&format!(
                "  {:<width$}  {seeds:>7}  {gap}{}\n",
                class.name, class.what
            ));
        }
        t
    }

    /// The classes no seed reached.
    pub fn gaps(&self) -> Vec<&'static str> {
        self.report
            .classes
            .iter()
            .filter(|(_, n)| *n == 0)
            .map(|(c, _)| c.name)
            .collect()
    }

    /// What the verdict is worth less for, one line each: seeds that could
    /// only interleave whole ops.
    pub fn warnings(&self) -> Vec<String> {
        let r = self.report;
        let mut out = Vec::new();
        if r.whole_ops_only > 0 {
            out.push(format!(
                "{} of {} seeds: {}",
                r.whole_ops_only.min(r.executed),
                r.executed,
                crate::engine::WHOLE_OPS_ONLY
            ));
        }
        out
    }

    /// The `chaos hunt --json` object.
    pub fn json(&self) -> Json {
        let r = self.report;
        json!({
            "outcome": match (r.found.is_empty(), r.all_undecided()) {
                (false, _) => "finding",
                (true, true) => "undecided",
                (true, false) => "clean",
            },
            "expectation_met": r.met(),
            "scenario": self.scenario.to_raw(),
            "seeds": self.range.to_string(),
            "shard": format!("{}/{}", self.shard.index, self.shard.count),
            "executed": r.executed,
            "failing": r.failing,
            "undecided": r.undecided,
            "first_undecided": r.first_undecided.map(|s| Seed(s).to_string()),
            "interrupted": r.interrupted,
            "warnings": self.warnings(),
            "interleavings": r.classes.iter().map(|(c, n)| json!({
                "class": c.name,
                "what": c.what,
                "seeds": n,
            })).collect::<Vec<_>>(),
            "gaps": self.gaps(),
            "signatures": r.signatures.iter().map(|t| json!({
                "signature": t.signature.0,
                "count": t.count,
                "seeds": t.seeds.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "elapsed_ms": r.elapsed.as_secs_f64() * 1e3,
            "seeds_per_second": r.rate(),
            "found": r.found.iter().map(run_json).collect::<Vec<_>>(),
            "repros": self.repros.iter().map(|w| json!({ "signature": w.signature, "file": w.file })).collect::<Vec<_>>(),
        })
    }

    /// The JUnit document: a `clean` hunt is one passing case for the range
    /// and a failing case per finding; an expected-finding hunt is one case,
    /// failing when the finding never came.
    pub fn junit(&self) -> String {
        let r = self.report;
        let name = format!(
            "{} {} shard {}/{}",
            self.scenario.backend, self.range, self.shard.index, self.shard.count
        );
        let case = |failure| JunitCase {
            name: name.clone(),
            classname: self.scenario.backend.clone(),
            time: r.elapsed,
            failure,
        };
        let cases: Vec<JunitCase> = match self.scenario.expect {
            Expect::Clean => std::iter::once(case(None))
                .chain(r.found.iter().map(junit_case))
                .collect(),
            _ if r.met() => vec![case(None)],
            _ => vec![case(Some((
                "the expected finding never came".into(),
                format!("{} seeds ran without it", r.executed),
            )))],
        };
        junit("chaos hunt", &cases)
    }
}
