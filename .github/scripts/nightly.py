#!/usr/bin/env python3
"""Nightly report: reads every shard's `chaos hunt --json` result under a
directory and

  summary DIR  prints a Markdown summary: one row per scenario (every
               configured one, whether or not its shards left a result) with
               its distinct signatures, then every finding of the clean
               scenarios, deduplicated by signature across runs and shards;
  issues DIR   opens one GitHub issue per distinct signature, or comments on
               the open one that carries its marker line (`chaos-signature:
               HASH`, plain text in the body), via `gh`; then runs `check`,
               which a failing `gh` never skips;
  check DIR    exits 1 if any scenario's expectation was not met (across all
               its shards), 2 if a configured shard left no usable result;
  budget TIME  exits 2, saying why in one line, unless a hunt of TIME (90s,
               20m, 1h30m) fits the hunt job's timeout-minutes in nightly.yml
               (the workflow named as this script is) with the minutes that
               job needs besides hunting.

Options: --scenarios, the plan job's JSON list of the scenario files hunted
(`["chaos/syncmap.toml", ...]`), and --shards, the number of shards each was
split into. With them a scenario or shard that left nothing behind (a crashed
or cancelled job, a lost artifact) is reported as missing, not forgotten.

Exit codes of `issues`: those of `check`, plus 4 when a `gh` call failed
(so 5 is "expectation not met, and some issue was not filed"). Each `gh`
failure is one line on stderr.

Each shard directory is named SCENARIO-I (I: the shard's index) and holds
result.json (from `chaos hunt --json`) and exit-code; repro files are under
repros/.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

# The workflow this script serves, named as the script is: nightly.py serves
# .github/workflows/nightly.yml; the copy `chaos init` writes into a library's
# repository, chaos-nightly.py, serves chaos-nightly.yml.
WORKFLOW = Path(__file__).resolve().parent.parent / "workflows" / (Path(__file__).stem + ".yml")

# The minutes of the hunt job that are not hunting, as the comment on its
# timeout-minutes in nightly.yml adds them up.
SETUP_AND_BUILD_MINUTES = 10
SHRINK_MINUTES = 10
UPLOAD_AND_SLACK_MINUTES = 5
RESERVED_MINUTES = SETUP_AND_BUILD_MINUTES + SHRINK_MINUTES + UPLOAD_AND_SLACK_MINUTES


def err(message):
    print(f"nightly: {message}", file=sys.stderr)


class Shard:
    """One shard of one scenario: its directory and result, or why there is
    no usable result (`problem`, e.g. "missing", "exited 2")."""

    def __init__(self, scenario, index, path=None, data=None, code=None, problem=None):
        self.scenario = scenario
        self.index = index
        self.count = None
        self.path = path
        self.data = data
        self.code = code
        self.problem = problem

    @property
    def ok(self):
        return self.problem is None

    @property
    def expect(self):
        return self.data.get("scenario", {}).get("expect", "clean") if self.ok else None

    def __str__(self):
        if self.index is None:
            return f"shard {self.path.name}"
        return f"shard {self.index}/{self.count}" if self.count else f"shard {self.index}"


def split_dir_name(name):
    """`mutant-growth-3` -> ("mutant-growth", 3); no index -> (name, None)."""
    base, _, index = name.rpartition("-")
    return (base, int(index)) if base and index.isdigit() else (name, None)


def read_shard(d):
    scenario, index = split_dir_name(d.name)
    shard = Shard(scenario, index, d)
    code_file, result = d / "exit-code", d / "result.json"
    try:
        shard.code = int(code_file.read_text().strip())
    except (ValueError, OSError):
        shard.code = None
    try:
        shard.data = json.loads(result.read_text())
    except OSError:
        shard.problem = "without result.json"
    except ValueError:
        shard.problem = "with unreadable result.json"
    if shard.problem is None and not isinstance(shard.data, dict):
        shard.problem = "with unreadable result.json"
    if shard.problem is None and shard.code == 3:
        shard.problem = "undecided: every seed ran out of a budget"
    elif shard.problem is None and shard.code not in (0, 1):
        shard.problem = "without exit code" if shard.code is None else f"exited {shard.code}"
    if not shard.ok:
        shard.data = None
    return shard


def shard_count(found):
    """The largest N of the results' `I/N`, or index seen."""
    counts = [s.index or 0 for s in found]
    for s in found:
        m = re.fullmatch(r"\d+/(\d+)", str(s.data.get("shard", ""))) if s.ok else None
        if m:
            counts.append(int(m.group(1)))
    return max(counts, default=0)


def load(root, scenarios=(), shards=None):
    """{scenario: [Shard]}: every shard directory under `root`, and a
    "missing" Shard for every shard 1..`shards` (else as many as the results
    say) of every scenario, configured (`scenarios`) or found, that left no
    directory."""
    dirs = {p.parent for name in ("result.json", "exit-code") for p in Path(root).rglob(name)}
    by_name = {name: [] for name in scenarios}
    for d in sorted(dirs):
        s = read_shard(d)
        by_name.setdefault(s.scenario, []).append(s)
    for name, found in by_name.items():
        count = shards or shard_count(found)
        have = {s.index for s in found}
        found.extend(Shard(name, i, problem="missing") for i in range(1, count + 1) if i not in have)
        found.sort(key=lambda s: (s.index is None, s.index or 0, str(s.path)))
        for s in found:
            s.count = count
    return by_name


def tallies(shard):
    """{signature: seeds that showed it} from the hunt's `signatures` tally,
    which counts every failing seed while `found` keeps only the first few
    runs of each signature; {} from a hunt that has no tally."""
    out = {}
    for t in shard.data.get("signatures") or []:
        if isinstance(t, dict) and isinstance(t.get("signature"), str):
            out[t["signature"]] = int(t.get("count") or 0)
    return out


def signatures(by_name):
    """{signature: {"scenarios", "count", "seeds", "example": (shard, run,
    finding), "repros", "pages"}}: every finding of every run of every shard
    of the `clean` scenarios (a throw or finding *expected* of a mutant or
    raw map is not news), with every repro file a shard wrote for it and the
    HTML page drawn beside each. `count` is how many seeds showed it,
    `seeds` the (scenario, seed) of the runs at hand."""
    sigs = {}
    clean = [s for found in by_name.values() for s in found if s.expect == "clean"]
    for shard in clean:
        here = {}
        for run in shard.data.get("found", []):
            for f in run.get("findings", []):
                s = sigs.setdefault(f["signature"], {"scenarios": set(), "count": 0, "seeds": set(),
                                                     "example": None, "repros": [], "pages": []})
                s["scenarios"].add(shard.scenario)
                s["seeds"].add((shard.scenario, run.get("seed")))
                s["example"] = s["example"] or (shard, run, f)
                here.setdefault(f["signature"], set()).add(run.get("seed"))
        tally = tallies(shard)
        for sig in here:
            # The tally counts a seed under its first bug only; the runs
            # at hand also show the findings that came after it.
            sigs[sig]["count"] += max(len(here[sig]), tally.get(sig, 0))
    for shard in clean:
        for r in shard.data.get("repros", []):
            if r.get("signature") in sigs:
                # Where it sits in the run's `repros` artifact.
                name = Path(r["file"]).name
                sigs[r["signature"]]["repros"].append(f"{shard.path.name}/repros/{name}")
                # The page the hunt job drew beside it, if it did.
                page = Path(name).with_suffix(".html").name
                if (shard.path / "repros" / page).is_file():
                    sigs[r["signature"]]["pages"].append(f"{shard.path.name}/repros/{page}")
    return sigs


def verdict(found):
    """(expect, met, broken) of one scenario's shards: met is True or False
    when the shards that ran decide it, None when they cannot (none ran, or
    a clean scenario is clean so far but a shard is missing); broken names
    each shard without a usable result. A clean scenario needs every shard
    clean; throw/finding needs some shard to have met it."""
    ran = [s for s in found if s.ok]
    broken = [f"{s} {s.problem}" for s in found if not s.ok]
    expect = ran[0].expect if ran else None
    met_by = [bool(s.data.get("expectation_met", False)) for s in ran]
    # One dirty shard fails a clean scenario; one shard that saw the
    # expected finding passes a throw/finding one. Else it takes them all.
    decided = not all(met_by) if expect == "clean" else any(met_by)
    if ran and decided:
        met = expect != "clean"
    elif ran and not broken:
        met = expect == "clean"
    else:
        met = None
    return expect, met, broken


def distinct_signatures(found):
    return {f["signature"] for s in found if s.ok
            for run in s.data.get("found", []) for f in run.get("findings", [])} | {
        sig for s in found if s.ok for sig in tallies(s)}


def sig_hash(sig):
    return hashlib.sha256(sig.encode()).hexdigest()[:12]


def marker(sig):
    """The line an issue's body carries for its signature, in plain text:
    GitHub's issue search does not index HTML comments."""
    return f"chaos-signature: {sig_hash(sig)}"


def artifact_link(path):
    """`path` in the `repros` artifact, linked to that artifact when the
    workflow gave its address (REPROS_URL: the upload step's artifact-url)."""
    url = os.environ.get("REPROS_URL", "").strip()
    if url:
        return f"[`{path}`]({url}) (in the `repros` artifact)"
    return f"`{path}` (in the `repros` artifact)"


def gaps(found):
    """(classes, unreached) of one scenario's shards: the backend's
    interleaving classes that any shard reported (each hunt lists them with
    the seeds that reached one), and of those the ones no seed of any shard
    reached that night, in the hunt's order."""
    seeds = {}
    for s in found:
        if not s.ok:
            continue
        for c in s.data.get("interleavings") or []:
            if isinstance(c, dict) and isinstance(c.get("class"), str):
                seeds[c["class"]] = seeds.get(c["class"], 0) + int(c.get("seeds") or 0)
    return list(seeds), [name for name, n in seeds.items() if n == 0]


def summary(by_name):
    sigs = signatures(by_name)
    print("## chaos nightly\n")
    print("| scenario | expects | seeds run | distinct signatures | met |")
    print("|---|---|---|---|---|")
    for name, found in sorted(by_name.items()):
        expect, met, broken = verdict(found)
        words = {True: "yes", False: "**no**", None: "**no result**"}[met]
        if broken:
            words += f" ({', '.join(broken)})"
        seeds = sum(s.data.get("executed", 0) for s in found if s.ok)
        print(f"| {name} | {expect or '?'} | {seeds} | {len(distinct_signatures(found))} | {words} |")
    if not by_name:
        print("| (no results, no configured scenarios) | ? | 0 | 0 | **no result** |")
    unreached = {name: gaps(found) for name, found in sorted(by_name.items())}
    unreached = {name: g for name, g in unreached.items() if g[0]}
    if unreached:
        print("\n### Interleavings no seed reached tonight (gaps)\n")
        for name, (classes, missing) in unreached.items():
            if missing:
                print(f"- {name}: {', '.join(f'`{c}`' for c in missing)} (of {len(classes)} classes)")
            else:
                print(f"- {name}: none; all {len(classes)} classes reached")
    print(f"\n### Findings in clean scenarios: {len(sigs)} distinct signature(s)\n")
    for sig, s in sorted(sigs.items()):
        _, run, f = s["example"]
        print(f"- `{sig}` — {s['count']} seed(s) in {', '.join(sorted(s['scenarios']))}")
        print(f"  - replay: `{run.get('replay', '?')}`")
        for r in s["repros"]:
            print(f"  - repro: `{r}` (in the `repros` artifact)")
        for p in s["pages"]:
            print(f"  - page: {artifact_link(p)}: the lanes of the minimal failure")
        if f.get("detail"):
            print(f"  - {f['detail'][:300]}")
    return 0


class GhError(Exception):
    pass


GH_FAILED = 4


def gh(*args):
    """`gh ARGS`' stdout; GhError with one line saying why not."""
    what = "gh " + " ".join(args[:2])
    try:
        p = subprocess.run(["gh", *args], capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        raise GhError(f"{what}: gh is not installed or not on PATH") from None
    except OSError as e:
        raise GhError(f"{what}: cannot run gh: {e.strerror or e}") from None
    except subprocess.TimeoutExpired:
        raise GhError(f"{what}: no answer in 300s") from None
    if p.returncode != 0:
        first = next((line.strip() for line in p.stderr.splitlines() if line.strip()), "no message")
        raise GhError(f"{what} failed (exit {p.returncode}): {first}")
    return p.stdout


def seed_order(seed):
    try:
        return (0, int(seed, 0), seed)
    except ValueError:
        return (1, 0, seed)


def issue_body(sig, s, mark):
    _, run, f = s["example"]
    seeds = sorted((str(seed) for _, seed in s["seeds"]), key=seed_order)
    shown = ", ".join(seeds[:10]) + (", ..." if s["count"] > min(len(seeds), 10) else "")
    repros = "".join(f"- `{r}`\n" for r in s["repros"]) or "- none written (shrink the replay command by hand)\n"
    return (
        f"Found by the nightly hunt ({os.environ.get('RUN_URL', '')}) in "
        f"{', '.join(sorted(s['scenarios']))}, {s['count']} seed(s): {shown}.\n\n"
        f"**Signature:** `{sig}`\n\n**Replay:**\n```\n{run.get('replay', '?')}\n```\n\n"
        f"{f.get('detail', '')}\n\n**Repro files** in the run's `repros` artifact:\n{repros}\n"
        f"Once minimised, add one to `fixtures/` as a regression test.\n\n"
        f"{mark}\n"
    )


def issues(by_name):
    sigs = signatures(by_name)
    failed = 0
    for sig, s in sorted(sigs.items()):
        mark = marker(sig)
        body = issue_body(sig, s, mark)
        try:
            listed = gh("issue", "list", "--state", "open", "--search", f'"{mark}" in:body',
                        "--json", "number,body", "--limit", "20")
            try:
                # Search is fuzzy: only an issue that carries the line is ours.
                ours = [str(i["number"]) for i in json.loads(listed) if mark in (i.get("body") or "")]
            except (ValueError, TypeError, AttributeError, KeyError):
                raise GhError(f"gh issue list: unreadable answer {listed.strip()[:80]!r}") from None
            if ours:
                gh("issue", "comment", ours[0], "--body", body)
            else:
                gh("issue", "create", "--title", f"chaos: {sig}"[:250], "--body", body)
        except GhError as e:
            failed += 1
            err(f"{e} (signature {sig_hash(sig)}: {sig[:100]})")
    if failed:
        err(f"{failed} of {len(sigs)} issue(s) not opened or updated; checking expectations anyway")
    return check(by_name) | (GH_FAILED if failed else 0)


def check(by_name):
    if not by_name:
        err("no shard results, and no configured scenarios to expect them of")
        return 2
    unmet = broken = False
    for name, found in sorted(by_name.items()):
        _, met, missing = verdict(found)
        if met is False:
            unmet = True
            err(f"expectation not met: {name}")
        if missing:
            broken = True
            err(f"incomplete: {name} ({', '.join(missing)})")
    return 2 if broken else 1 if unmet else 0


UNITS = {
    "ms": 0.001, "msec": 0.001, "msecs": 0.001,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}


def parse_duration(text):
    """Seconds in a duration as `chaos hunt --time-budget` reads it (90s,
    20m, 1h 30m); ValueError saying why not."""
    t = text.strip()
    if not re.fullmatch(r"(\d+\s*[a-z]+\s*)+", t):
        raise ValueError(f"cannot read time budget {text!r}: expected e.g. 90s, 20m, 1h30m")
    total = 0.0
    for n, unit in re.findall(r"(\d+)\s*([a-z]+)", t):
        if unit not in UNITS:
            raise ValueError(f"cannot read time budget {text!r}: unknown unit {unit!r}")
        total += int(n) * UNITS[unit]
    return total


def hunt_timeout_minutes(workflow_text):
    """The `timeout-minutes` of the `hunt` job in a workflow, or None."""
    in_jobs = in_hunt = False
    for line in workflow_text.splitlines():
        if re.match(r"\S", line):
            in_jobs, in_hunt = line.rstrip() == "jobs:", False
        elif in_jobs and re.match(r"  [A-Za-z0-9_-]+:\s*(#.*)?$", line):
            in_hunt = line.strip().startswith("hunt:")
        elif in_hunt:
            m = re.match(r"    timeout-minutes:\s*(\d+)\s*(#.*)?$", line)
            if m:
                return int(m.group(1))
    return None


def budget(text, workflow):
    try:
        seconds = parse_duration(text)
        timeout = hunt_timeout_minutes(Path(workflow).read_text())
    except ValueError as e:
        err(str(e))
        return 2
    except OSError as e:
        err(f"cannot read {workflow}: {e.strerror or e}")
        return 2
    if timeout is None:
        err(f"no timeout-minutes on the hunt job in {workflow}")
        return 2
    most = timeout - RESERVED_MINUTES
    if seconds > most * 60:
        err(f"time budget {text} does not fit the hunt job: of its timeout-minutes {timeout}, "
            f"{RESERVED_MINUTES} are for set-up and build ({SETUP_AND_BUILD_MINUTES}), shrinking "
            f"({SHRINK_MINUTES}) and upload ({UPLOAD_AND_SLACK_MINUTES}); use at most {max(most, 0)}m")
        return 2
    print(f"time budget {text} fits the hunt job: at most {most}m of its {timeout} minutes go to hunting")
    return 0


def scenario_names(text):
    """The plan job's JSON list of scenario files -> their names."""
    if not text.strip():
        return []
    try:
        files = json.loads(text)
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a JSON list of scenario files: {text[:80]!r}") from None
    return [Path(f).stem for f in files]


def main(argv):
    p = argparse.ArgumentParser(prog="nightly.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("summary", "issues", "check"):
        c = sub.add_parser(name)
        c.add_argument("dir", help="the directory of shard directories")
        c.add_argument("--scenarios", type=scenario_names, default=[],
                       help="JSON list of the scenario files hunted")
        c.add_argument("--shards", type=int, default=None, help="shards per scenario")
    b = sub.add_parser("budget")
    b.add_argument("time", help="a --time-budget, e.g. 20m")
    b.add_argument("--workflow", default=str(WORKFLOW), help="the workflow with the hunt job")
    args = p.parse_args(argv)
    if args.command == "budget":
        return budget(args.time, args.workflow)
    by_name = load(args.dir, args.scenarios, args.shards)
    return {"summary": summary, "issues": issues, "check": check}[args.command](by_name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
