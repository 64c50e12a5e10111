"""posrig.run against `rig run`: CPU time and peak memory of the controller process for the
same scenarios on the virtual bench, measured in the same run (rounds alternate the two).

usage: POSRIG_BUILD_DIR=build /usr/bin/python3 tests/bench/bench_python_cost.py \
           [--rounds 3] [--repeat N] [PATH ...]          (default: scenarios, --repeat 1)

Both figures are the process's own (getrusage RUSAGE_SELF: user+system CPU, peak RSS) over its
whole life — interpreter start and import included for Python — without the simulators, which
are the same in both. Each process is started through a small `sh` that forks it: Linux's
ru_maxrss counts the memory of the process that forked, as it was at the fork (it is kept
across exec), so started from this script directly both figures would be at least this
script's own (about 13 MB). `rig run` prints its own at the end of its summary line. The figures of
an interpreter that only imports posrig, and of one that imports nothing, are printed too, to
tell the run's own cost from the interpreter's and the module's.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("POSRIG_BUILD_DIR", REPO / "build")).resolve()
BENCH = "fixtures/benches/virtual.yaml"

PY = """
import resource, sys
sys.path.insert(0, {bindings!r})
import posrig
r = posrig.run({paths!r}, bench={bench!r}, out={out!r}, repeat={repeat})
u = resource.getrusage(resource.RUSAGE_SELF)
c = r.counts()
print("counts", c["pass"], c["total"])
print("self", u.ru_utime + u.ru_stime, u.ru_maxrss / 1024.0)
"""


IMPORT_ONLY = """
import resource, sys
sys.path.insert(0, {bindings!r})
import posrig
u = resource.getrusage(resource.RUSAGE_SELF)
print("self", u.ru_utime + u.ru_stime, u.ru_maxrss / 1024.0)
"""


BARE = """
import resource
u = resource.getrusage(resource.RUSAGE_SELF)
print("self", u.ru_utime + u.ru_stime, u.ru_maxrss / 1024.0)
"""


def import_only(script_template=IMPORT_ONLY):
    script = script_template.format(bindings=str(BUILD / "bindings"))
    r = subprocess.run([*FORKED, "/usr/bin/python3", "-c", script],
                       cwd=REPO, capture_output=True, text=True, check=True)
    cpu, rss = re.search(r"^self ([\d.]+) ([\d.]+)$", r.stdout, re.M).groups()
    return float(cpu), float(rss)


# `sh` forks the command (it does not exec it: something follows), so that its ru_maxrss
# starts from sh's few hundred kB, not from this interpreter's memory.
FORKED = ["sh", "-c", '"$@"; status=$?; exit $status', "sh"]


def run_cli(paths, repeat, out):
    r = subprocess.run([*FORKED, str(BUILD / "rig"), "run", *paths, "--bench", BENCH, "--out",
                        out, "--repeat", str(repeat)], cwd=REPO, capture_output=True, text=True)
    m = re.search(r"(\d+) scenario\(s\): (\d+) passed.*peak RSS ([\d.]+) MB, CPU ([\d.]+) s",
                  r.stdout)
    if not m:
        sys.exit(f"rig run: no summary line (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    return float(m.group(4)), float(m.group(3)), (int(m.group(2)), int(m.group(1)))


def run_python(paths, repeat, out):
    script = PY.format(bindings=str(BUILD / "bindings"), paths=paths, bench=BENCH, out=out,
                       repeat=repeat)
    env = dict(os.environ, POSRIG_RIG_DIR=str(BUILD))
    r = subprocess.run([*FORKED, "/usr/bin/python3", "-c", script], cwd=REPO,
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"posrig.run failed:\n{r.stdout}{r.stderr}")
    counts = re.search(r"^counts (\d+) (\d+)$", r.stdout, re.M)
    cpu, rss = re.search(r"^self ([\d.]+) ([\d.]+)$", r.stdout, re.M).groups()
    return float(cpu), float(rss), (int(counts.group(1)), int(counts.group(2)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("paths", nargs="*", default=["scenarios"])
    args = parser.parse_args()
    cli, py = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(1, args.rounds + 1):
            cli.append(run_cli(args.paths, args.repeat, f"{tmp}/cli{k}"))
            py.append(run_python(args.paths, args.repeat, f"{tmp}/py{k}"))
            (cc, cr, cn), (pc, pr, pn) = cli[-1], py[-1]
            print(f"round {k}: rig run CPU {cc:.2f} s RSS {cr:.1f} MB ({cn[0]}/{cn[1]} passed) | "
                  f"posrig.run CPU {pc:.2f} s RSS {pr:.1f} MB ({pn[0]}/{pn[1]} passed) | "
                  f"ratio CPU {pc / cc:.2f} RSS {pr / cr:.2f}", flush=True)
    cpu_c = statistics.median(c[0] for c in cli)
    cpu_p = statistics.median(p[0] for p in py)
    rss_c = statistics.median(c[1] for c in cli)
    rss_p = statistics.median(p[1] for p in py)
    bare_cpu, bare_rss = import_only(BARE)
    print(f"the interpreter alone: CPU {bare_cpu:.2f} s RSS {bare_rss:.1f} MB")
    base_cpu, base_rss = import_only()
    print(f"import posrig alone: CPU {base_cpu:.2f} s RSS {base_rss:.1f} MB")
    print(f"median: rig run CPU {cpu_c:.2f} s RSS {rss_c:.1f} MB | posrig.run CPU {cpu_p:.2f} s "
          f"RSS {rss_p:.1f} MB | ratio CPU {cpu_p / cpu_c:.2f} RSS {rss_p / rss_c:.2f}")


if __name__ == "__main__":
    main()
