#!/usr/bin/env python3
"""Nightly report: reads every shard's `chaos hunt --json` result under a
directory and

  summary  prints a Markdown summary: per scenario its distinct signatures,
           and every finding of the clean scenarios, deduplicated by
           signature across all runs and shards;
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
    """{signature: {"scenarios", "seeds", "example": (shard, run, finding),
    "repros"}}: every finding of every run of every shard of the `clean`
    scenarios (a throw or finding *expected* of a mutant or raw map is not
    news), with every repro file a shard wrote for it."""
    sigs = {}
    clean = [(d, data) for d, data, _ in shards if data and data.get("scenario", {}).get("expect") == "clean"]
    for d, data in clean:
        for run in data.get("found", []):
            for f in run.get("findings", []):
                s = sigs.setdefault(f["signature"], {"scenarios": set(), "seeds": set(), "example": None, "repros": []})
                s["scenarios"].add(scenario_name(d))
                s["seeds"].add((scenario_name(d), run.get("seed")))
                s["example"] = s["example"] or (d, run, f)
    for d, data in clean:
        for r in data.get("repros", []):
            if r.get("signature") in sigs:
                # Where it sits in the run's `repros` artifact.
                sigs[r["signature"]]["repros"].append(f"{d.name}/repros/{Path(r['file']).name}")
    return sigs


def expectations(shards):
    """{scenario: (expect, met, seeds, signatures)}: clean needs every shard
    clean; throw/finding needs some shard to have met it. `signatures` is
    the set of distinct signatures found in all its shards."""
    out = {}
    for d, data, _ in shards:
        if not data:
            continue
        name = scenario_name(d)
        expect = data.get("scenario", {}).get("expect", "clean")
        e, met, seeds, sigs = out.get(name, (expect, expect == "clean", 0, set()))
        if expect == "clean":
            met = met and data.get("expectation_met", False)
        else:
            met = met or data.get("expectation_met", False)
        sigs = sigs | {f["signature"] for run in data.get("found", []) for f in run.get("findings", [])}
        out[name] = (expect, met, seeds + data.get("executed", 0), sigs)
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
    print("| scenario | expects | seeds run | distinct signatures | met |")
    print("|---|---|---|---|---|")
    for name, (expect, met, seeds, found) in sorted(exp.items()):
        print(f"| {name} | {expect} | {seeds} | {len(found)} | {'yes' if met else '**no**'} |")
    broken = [d.name for d, data, code in shards if data is None or code not in (0, 1)]
    if broken:
        print(f"\nShards that did not run: {', '.join(broken)}")
    print(f"\n### Findings in clean scenarios: {len(sigs)} distinct signature(s)\n")
    for sig, s in sorted(sigs.items()):
        _, run, f = s["example"]
        print(f"- `{sig}` — {len(s['seeds'])} seed(s) in {', '.join(sorted(s['scenarios']))}")
        print(f"  - replay: `{run.get('replay', '?')}`")
        for r in s["repros"]:
            print(f"  - repro: `{r}` (in the `repros` artifact)")
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
    shown = ", ".join(seeds[:10]) + (", ..." if len(seeds) > 10 else "")
    repros = "".join(f"- `{r}`\n" for r in s["repros"]) or "- none written (shrink the replay command by hand)\n"
    return (
        f"Found by the nightly hunt ({os.environ.get('RUN_URL', '')}) in "
        f"{', '.join(sorted(s['scenarios']))}, {len(seeds)} seed(s): {shown}.\n\n"
        f"**Signature:** `{sig}`\n\n**Replay:**\n```\n{run.get('replay', '?')}\n```\n\n"
        f"{f.get('detail', '')}\n\n**Repro files** in the run's `repros` artifact:\n{repros}\n"
        f"Once minimised, add one to `fixtures/` as a regression test.\n\n"
        f"{mark}\n"
    )


def issues(root):
    sigs = signatures(load(root))
    failed = 0
    for sig, s in sorted(sigs.items()):
        mark = marker(sig)
        body = issue_body(sig, s, mark)
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
    unmet = [name for name, (_, met, _, _) in expectations(shards).items() if not met]
    for name in unmet:
        err(f"expectation not met: {name}")
    return 1 if unmet else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("summary", "issues", "check"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit({"summary": summary, "issues": issues, "check": check}[sys.argv[1]](sys.argv[2]))
