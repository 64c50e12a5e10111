"""docs/ci.md: the nightly pipeline's commands run here, on the virtual bench: four shards
one after the other, then the merge."""

import json
import os
import re
import subprocess

import yaml

from conftest import REPO, VIRTUAL

DOC = (REPO / "docs" / "ci.md").read_text()


def gitlab():
    block, = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
    return yaml.safe_load(block)


def jenkins_commands():
    block, = re.findall(r"```groovy\n(.*?)```", DOC, re.S)
    return re.findall(r"sh '([^']*)'", block)


def test_gitlab_and_jenkins_run_the_same_commands():
    ci = gitlab()
    commands = ci["nightly"]["script"] + ci["merge"]["script"]
    assert commands == jenkins_commands()
    assert [m["SHARD"] for m in ci["nightly"]["parallel"]["matrix"]] == [["1", "2", "3", "4"]]
    assert ci["merge"]["needs"] == ["nightly"]


def test_shards_then_merge(rig, workdir):
    ci = gitlab()
    families = ["scenarios/decline", "scenarios/printer", "scenarios/pin"]
    env = dict(os.environ, PATH=f"{rig.parent}:{os.environ['PATH']}",
               POSRIG_BENCH=VIRTUAL, POSRIG_SCENARIOS=" ".join(families),
               POSRIG_SHARDS=ci["variables"]["POSRIG_SHARDS"])

    def sh(command, **extra):
        r = subprocess.run(["bash", "-c", command], cwd=workdir, env=dict(env, **extra),
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, command + "\n" + r.stdout + r.stderr
        return r.stdout

    shards = {}
    for shard in ci["nightly"]["parallel"]["matrix"][0]["SHARD"]:
        for command in ci["nightly"]["script"]:
            sh(command, SHARD=shard)
        doc = json.loads((workdir / "reports" / f"shard{shard}" / "results.json").read_text())
        assert doc["shard"] == f"{shard}/4"
        shards[shard] = [s["id"] for s in doc["scenarios"]]
    every = [i for ids in shards.values() for i in ids]
    expected = sorted(p.parent.name + "/" + p.stem
                      for f in families for p in (REPO / f).glob("*.yaml"))
    assert sorted(every) == expected  # each scenario in exactly one shard

    for command in ci["merge"]["script"]:
        sh(command)
    merged = json.loads((workdir / "reports" / "nightly" / "results.json").read_text())
    assert sorted(s["id"] for s in merged["scenarios"]) == expected
    for name in ("junit.xml", "report.html"):
        assert (workdir / "reports" / "nightly" / name).stat().st_size > 0
