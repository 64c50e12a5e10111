"""Every example of docs/cli.md runs here and does what its comment says.

The examples are read from the sh blocks of docs/cli.md, so an example that changes or is added
there without a check here fails this test. Whole-library runs and repeats are checked as
--dry-run plans (what would run); the others run on the virtual bench.
"""

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, VIRTUAL, dry_run_ids, library_ids

DOC = REPO / "docs" / "cli.md"


def examples():
    """(command, comment) of each line of docs/cli.md's sh blocks."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S):
        for line in block.splitlines():
            if not line.strip():
                continue
            command, _, comment = line.partition("  #")
            out.append((command.strip(), comment.strip()))
    return out


def shell(rig, workdir, command, extra=""):
    env = dict(os.environ, PATH=f"{rig.parent}:{os.environ['PATH']}")
    return subprocess.run(["bash", "-c", command + extra], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)


def results(path: Path):
    doc = json.loads(path.read_text())
    return {s["id"]: s["status"] for s in doc["scenarios"]}


def check_whole_library(rig, workdir, command):
    r = shell(rig, workdir, command, " --dry-run")
    assert r.returncode == 0, r.stderr
    assert sorted(dry_run_ids(r.stdout)) == sorted(library_ids(REPO))


def check_network_not_qr(rig, workdir, command):
    r = shell(rig, workdir, command)
    assert r.returncode == 0, r.stdout + r.stderr
    got = results(workdir / "reports" / "latest" / "results.json")
    # "network" is in these names; qr/drop-during-query has it too but its id says qr.
    assert got == {"reversal/approval-lost": "pass", "reversal/drop-during-reversal": "pass"}


def check_decline_smoke(rig, workdir, command):
    r = shell(rig, workdir, command)
    assert r.returncode == 0, r.stdout + r.stderr
    assert results(workdir / "reports" / "latest" / "results.json") == {
        "decline/insufficient-funds": "pass"}


def check_no_reversal_bug(rig, workdir, command):
    r = shell(rig, workdir, command)
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads((workdir / "reports" / "latest" / "results.json").read_text())
    failed = {s["id"] for s in doc["scenarios"] if s["status"] == "fail"}
    # A terminal that never reverses fails the reversal scenario, and only reversal ones.
    assert "reversal/approval-lost" in failed
    assert all("reversal" in s["tags"] for s in doc["scenarios"] if s["id"] in failed), failed
    assert len(doc["scenarios"]) == 9  # the library's smoke scenarios


def check_repeat(rig, workdir, command):
    r = shell(rig, workdir, command, " --dry-run")
    assert r.returncode == 0, r.stderr
    assert dry_run_ids(r.stdout) == library_ids(REPO, "scenarios/pin")
    assert "3 scenario(s) would run, 20 times each (60 runs)" in r.stdout


def check_shuffle(rig, workdir, command):
    r = shell(rig, workdir, command, " --dry-run")
    assert r.returncode == 0, r.stderr
    assert "seed 1234 (shuffled; replay: --seed 1234 --shuffle)" in r.stdout
    order = dry_run_ids(r.stdout)
    assert sorted(order) == sorted(library_ids(REPO)) and order != library_ids(REPO)
    assert dry_run_ids(shell(rig, workdir, command, " --dry-run").stdout) == order
    other = shell(rig, workdir, command.replace("1234", "1235"), " --dry-run")
    assert dry_run_ids(other.stdout) != order


def check_shard(rig, workdir, command):
    r = shell(rig, workdir, command, " --dry-run")
    assert r.returncode == 0, r.stderr
    mine = dry_run_ids(r.stdout)
    shards = []
    for k in range(1, 5):
        other = shell(rig, workdir, command.replace("--shard 2/4", f"--shard {k}/4"), " --dry-run")
        shards.append(dry_run_ids(other.stdout))
    assert shards[1] == mine
    every = [i for s in shards for i in s]
    assert sorted(every) == sorted(library_ids(REPO))  # each scenario in exactly one shard
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def check_merge(rig, workdir, command):
    # The four CI jobs, each on its own bench (here the smoke scenarios, to keep it short).
    for k in range(1, 5):
        r = shell(rig, workdir, f"rig run --bench {VIRTUAL} --tag smoke --shard {k}/4 "
                                f"--out reports/shard{k}")
        assert r.returncode == 0, r.stdout + r.stderr
    r = shell(rig, workdir, command)
    assert r.returncode == 0, r.stdout + r.stderr
    merged = json.loads((workdir / "reports" / "nightly" / "results.json").read_text())
    ids = [s["id"] for s in merged["scenarios"]]
    assert len(ids) == len(set(ids)) == 9
    for k in range(1, 5):
        assert set(results(workdir / "reports" / f"shard{k}" / "results.json")) <= set(ids)
    for name in ("junit.xml", "report.html"):
        assert (workdir / "reports" / "nightly" / name).stat().st_size > 0


CHECKS = {
    f"rig run --bench {VIRTUAL}": check_whole_library,
    f'rig run --bench {VIRTUAL} -k "network and not qr"': check_network_not_qr,
    f"rig run --tag smoke scenarios/decline --bench {VIRTUAL}": check_decline_smoke,
    f"rig run --bench {VIRTUAL} --tag smoke --var bugs=no-reversal": check_no_reversal_bug,
    f"rig run scenarios/pin --bench {VIRTUAL} --repeat 20": check_repeat,
    f"rig run --bench {VIRTUAL} --shuffle --seed 1234": check_shuffle,
    f"rig run --bench {VIRTUAL} --shard 2/4 --out reports/shard2": check_shard,
    "rig merge reports/shard*/results.json --out reports/nightly": check_merge,
}


def test_every_example_is_checked():
    documented = [command for command, _ in examples()]
    assert documented, "no sh examples found in docs/cli.md"
    unchecked = [c for c in documented if c not in CHECKS]
    assert not unchecked, f"examples of docs/cli.md without a check here: {unchecked}"
    for command in documented:
        shlex.split(command)  # each one is a valid command line


@pytest.mark.parametrize("command", [c for c, _ in examples() if c in CHECKS])
def test_example(rig, workdir, command):
    CHECKS[command](rig, workdir, command)
