#!/usr/bin/python3
"""rig explore on the virtual bench: the correct vterm, then vterm with each firmware defect.

Prints one row per terminal (Markdown, for docs/explore.md "Figures"): the defect and its rule,
the boundaries of the flow, the runs made, the time, and the violations found with the faults
that found them. Run from the source tree after a build:

    /usr/bin/python3 tests/bench/bench_explore.py [--rig build/rig] [--vterm build/vterm]
        [--flow card-sale] [--seed 1] [--only NAME,NAME]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def defects(vterm):
    out = subprocess.run([vterm, "--list-bugs"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        name, rule, _ = line.split("\t", 2)
        rows.append((name, rule))
    return rows


def explore(rig, flow, seed, bug, work):
    out = os.path.join(work, bug or "correct")
    args = [rig, "explore", "--bench", os.path.join(ROOT, "fixtures/benches/virtual.yaml"),
            "--flow", flow, "--seed", str(seed), "--out", out]
    if bug:
        args += ["--var", "bugs=" + bug]
    start = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - start
    try:
        with open(os.path.join(out, "explore.json")) as f:
            e = json.load(f)
    except (OSError, ValueError):
        return {"error": (p.stderr or p.stdout).strip().splitlines()[-1:], "seconds": seconds,
                "rc": p.returncode}
    found = sorted({r["id"] for r in e["runs"] if r["verdict"] == "violated"})
    if e["clean"]["verdict"] == "violated":
        found.insert(0, "clean")
    return {"rc": p.returncode, "seconds": seconds, "boundaries": len(e["boundaries"]),
            "runs": e["summary"]["runs"], "errors": e["summary"]["errors"], "found": found}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rig", default=os.path.join(ROOT, "build/rig"))
    ap.add_argument("--vterm", default=os.path.join(ROOT, "build/vterm"))
    ap.add_argument("--flow", default="card-sale")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated defects (default: every one)")
    a = ap.parse_args()
    rows = [("", "")] + defects(a.vterm)
    if a.only:
        wanted = set(a.only.split(","))
        rows = [r for r in rows if r[0] in wanted]
    print(f"rig explore --flow {a.flow} --seed {a.seed} on fixtures/benches/virtual.yaml "
          f"(2 stations, time_scale 0.05)\n")
    print("| vterm | rule | boundaries | runs | time | violations | found by |")
    print("|---|---|---|---|---|---|---|")
    total_found = 0
    with tempfile.TemporaryDirectory(prefix="posrig-bench-explore-") as work:
        for bug, rule in rows:
            r = explore(a.rig, a.flow, a.seed, bug, work)
            name = f"`--bug {bug}`" if bug else "correct"
            if "error" in r:
                print(f"| {name} | {rule} | – | – | {r['seconds']:.1f} s | error (exit {r['rc']}) "
                      f"| {' '.join(r['error'])} |")
                continue
            n = len(r["found"])
            total_found += 1 if bug and n else 0
            shown = ", ".join(r["found"][:3]) + (f", … ({n} in all)" if n > 3 else "")
            errors = f" ({r['errors']} errors)" if r["errors"] else ""
            print(f"| {name} | {rule} | {r['boundaries']} | {r['runs']}{errors} | "
                  f"{r['seconds']:.1f} s | {n} | {shown or '–'} |", flush=True)
    print(f"\n{total_found} of {len(rows) - (1 if rows and rows[0][0] == '' else 0)} defects found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
