#!/usr/bin/env python3
"""Nightly report: reads every shard's `chaos hunt --json` result under a
directory and

  summary  prints a Markdown summary, findings deduplicated by signature;
  issues   opens one GitHub issue per distinct signature, or comments on the
           open one that carries its marker line (`chaos-signature: HASH`,
           plain text in the body), via `gh`; then runs `check`, which a
           failing `gh` never skips;
  check    exits 1 if any scenario's expectation was not met (across all its
           shards), 2 if a shard failed to run at all.

Exit codes of `issues`: those of `check`, plus 4 when a `gh` call failed
(so 5 is "expectation not met, and some issue was not filed"). Each `gh`
failure is one line on stderr.

Each shard directory holds result.json (from `chaos hunt --json`) and
exit-code; repro files are under repros/.
"""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path


def err(message):
    print(f"nightly: {message}", file=sys.stderr)


def load(root):
    """[(shard_dir, result or None, exit_code)] for every shard directory."""
    shards = []
    for result in sorted(Path(root).rglob("result.json")):
        d = result.parent
        code_file = d / "exit-code"
        code = int(code_file.read_text().strip()) if code_file.exists() else None
        try:
            data = json.loads(result.read_text())
        except (ValueError, OSError):
            data = None
        shards.append((d, data, code))
    return shards


def scenario_name(shard_dir):
    return shard_dir.name.rsplit("-", 1)[0]


def signatures(shards):
    """{signature: {"scenarios", "count", "example": (shard, run, finding),
    "shards"}} for the findings that are problems: those of `clean` scenarios
    (a throw or finding *expected* of a mutant or raw map is not news)."""
    sigs = {}
    for d, data, _ in shards:
        if not data or data.get("scenario", {}).get("expect") != "clean":
            continue
        for run in data.get("found", []):
            for f in run.get("findings", [])[:1]:
                s = sigs.setdefault(f["signature"], {"scenarios": set(), "count": 0, "example": None, "shards": set()})
                s["scenarios"].add(scenario_name(d))
                s["shards"].add(d)
                s["count"] += 1
                s["example"] = s["example"] or (d, run, f)
    return sigs


def expectations(shards):
    """{scenario: (expect, met, seeds)}: clean needs every shard clean;
    throw/finding needs some shard to have met it."""
    out = {}
    for d, data, _ in shards:
        if not data:
            continue
        name = scenario_name(d)
        expect = data.get("scenario", {}).get("expect", "clean")
        e, met, seeds = out.get(name, (expect, expect == "clean", 0))
        if expect == "clean":
            met = met and data.get("expectation_met", False)
        else:
            met = met or data.get("expectation_met", False)
        out[name] = (expect, met, seeds + data.get("executed", 0))
    return out


def sig_hash(sig):
    return hashlib.sha256(sig.encode()).hexdigest()[:12]


def marker(sig):
    """The line an issue's body carries for its signature, in plain text:
    GitHub's issue search does not index HTML comments."""
    return f"chaos-signature: {sig_hash(sig)}"


def summary(root):
    shards = load(root)
    sigs = signatures(shards)
    exp = expectations(shards)
    print("## chaos nightly\n")
    print("| scenario | expects | seeds run | met |")
    print("|---|---|---|---|")
    for name, (expect, met, seeds) in sorted(exp.items()):
        print(f"| {name} | {expect} | {seeds} | {'yes' if met else '**no**'} |")
    broken = [d.name for d, data, code in shards if data is None or code not in (0, 1)]
    if broken:
        print(f"\nShards that did not run: {', '.join(broken)}")
    print(f"\n### Findings: {len(sigs)} distinct signature(s)\n")
    for sig, s in sorted(sigs.items()):
        _, run, f = s["example"]
        print(f"- `{sig}` — {s['count']} seed(s) in {', '.join(sorted(s['scenarios']))}")
        print(f"  - replay: `{run['replay']}`")
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


def issues(root):
    sigs = signatures(load(root))
    run_url = os.environ.get("RUN_URL", "")
    failed = 0
    for sig, s in sorted(sigs.items()):
        mark = marker(sig)
        _, run, f = s["example"]
        body = (
            f"Found by the nightly hunt ({run_url}) in {', '.join(sorted(s['scenarios']))}, "
            f"{s['count']} seed(s).\n\n**Signature:** `{sig}`\n\n**Replay:**\n```\n{run['replay']}\n```\n\n"
            f"{f.get('detail', '')}\n\nThe repro files are in the run's `repros` artifact; once minimised, "
            f"add one to `fixtures/` as a regression test.\n\n{mark}\n"
        )
        try:
            listed = gh("issue", "list", "--state", "open", "--search", f'"{mark}" in:body',
                        "--json", "number,body", "--limit", "20")
            try:
                # Search is fuzzy: only an issue that carries the line is ours.
                ours = [i for i in json.loads(listed) if mark in (i.get("body") or "")]
            except (ValueError, TypeError, AttributeError):
                raise GhError(f"gh issue list: unreadable answer {listed.strip()[:80]!r}") from None
            if ours:
                gh("issue", "comment", str(ours[0]["number"]), "--body", body)
            else:
                gh("issue", "create", "--title", f"chaos: {sig}"[:250], "--body", body)
        except GhError as e:
            failed += 1
            err(f"{e} (signature {sig_hash(sig)}: {sig[:100]})")
    if failed:
        err(f"{failed} of {len(sigs)} issue(s) not opened or updated; checking expectations anyway")
    return check(root) | (GH_FAILED if failed else 0)


def check(root):
    shards = load(root)
    if any(data is None or code not in (0, 1) for _, data, code in shards) or not shards:
        err("some shards did not produce a result")
        return 2
    unmet = [name for name, (_, met, _) in expectations(shards).items() if not met]
    for name in unmet:
        err(f"expectation not met: {name}")
    return 1 if unmet else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("summary", "issues", "check"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit({"summary": summary, "issues": issues, "check": check}[sys.argv[1]](sys.argv[2]))
