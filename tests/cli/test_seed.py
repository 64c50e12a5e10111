"""`rig run --seed N --shuffle`: the order is drawn from the seed, the same seed replays it, and
every report records the seed (issue 9: scenarios that pass only after another one)."""

import json
import re
import subprocess

from conftest import REPO, VIRTUAL, dry_run_ids, library_ids, run_rig

XSD = REPO / "tests" / "data" / "junit-10.xsd"


def plan(rig, workdir, *args):
    r = run_rig(rig, ["run", *args, "--bench", VIRTUAL, "--dry-run"], workdir)
    assert r.returncode == 0, r.stderr
    return r.stdout, dry_run_ids(r.stdout)


def test_same_seed_same_order_other_seed_other_order(rig, workdir):
    given = library_ids(REPO)
    out, seven = plan(rig, workdir, "--shuffle", "--seed", "7")
    assert "seed 7 (shuffled; replay: --seed 7 --shuffle)" in out
    assert plan(rig, workdir, "--seed", "7", "--shuffle")[1] == seven
    eight = plan(rig, workdir, "--shuffle", "--seed", "8")[1]
    assert seven != eight
    assert sorted(seven) == sorted(eight) == sorted(given)  # the same scenarios, each once
    assert seven != given
    # Without --shuffle the seed changes nothing: the order given.
    out, plain = plan(rig, workdir, "--seed", "7")
    assert plain == given
    assert "seed 7 (scenarios in the order given)" in out


def test_without_a_seed_one_is_drawn_and_printed_and_replays(rig, workdir):
    seeds, orders = [], []
    for _ in range(2):
        out, order = plan(rig, workdir, "--shuffle")
        seeds.append(re.search(r"^seed (\d+) \(shuffled; replay: --seed \1 --shuffle\)$", out,
                               re.M).group(1))
        orders.append(order)
    assert seeds[0] != seeds[1]
    assert plan(rig, workdir, "--shuffle", "--seed", seeds[1])[1] == orders[1]


def test_a_bad_seed_is_a_usage_error(rig, workdir):
    for bad in ("-1", "4294967296", "x", ""):
        r = run_rig(rig, ["run", "scenarios/decline", "--bench", VIRTUAL, f"--seed={bad}",
                          "--dry-run"], workdir)
        assert r.returncode == 2, (bad, r.stdout, r.stderr)
        if bad:
            assert f"rig: bad --seed '{bad}': expected a whole number from 0 to 4294967295" \
                in r.stderr


def test_a_shuffled_run_records_its_seed_and_order_everywhere(rig, workdir):
    args = ["scenarios/decline", "scenarios/pin", "scenarios/printer", "--seed", "7",
            "--shuffle", "--jobs", "1"]
    _, order = plan(rig, workdir, *args)
    given = plan(rig, workdir, *args[:3])[1]
    assert order != given
    r = run_rig(rig, ["run", *args, "--bench", VIRTUAL, "--out", "out", "--no-history"], workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "seed 7 (shuffled; replay: --seed 7 --shuffle)" in r.stdout
    out = workdir / "out"

    doc = json.loads((out / "results.json").read_text())
    assert (doc["seed"], doc["shuffle"]) == ("7", True)
    assert [s["id"] for s in doc["scenarios"]] == order  # one station: run in the drawn order

    lines = (out / "journal.jsonl").read_text().splitlines()
    head = json.loads(lines[0])
    assert (head["run"]["seed"], head["run"]["shuffle"]) == ("7", True)
    assert [p["id"] for p in head["planned"]] == order
    assert [json.loads(line)["scenario"]["id"] for line in lines[1:-1]] == order

    junit = (out / "junit.xml").read_text()
    assert '<property name="seed" value="7"/>' in junit
    assert '<property name="shuffle" value="true"/>' in junit
    lint = subprocess.run(["xmllint", "--noout", "--schema", str(XSD), str(out / "junit.xml")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stderr

    html = (out / "report.html").read_text()
    assert "<code>7</code> (shuffled order: replay with <code>--seed 7 --shuffle</code>)" in html

    # `rig report` renders the same from the journal.
    again = run_rig(rig, ["report", str(out / "journal.jsonl"), "--out", "again"], workdir)
    assert again.returncode == 0, again.stderr
    redone = json.loads((workdir / "again" / "results.json").read_text())
    assert (redone["seed"], redone["shuffle"]) == ("7", True)


def test_an_unshuffled_run_records_the_seed_it_drew(rig, workdir):
    r = run_rig(rig, ["run", "scenarios/decline", "-k", "insufficient", "--bench", VIRTUAL,
                      "--out", "out", "--no-history"], workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    printed = re.search(r"seed (\d+) \(scenarios in the order given\)", r.stdout).group(1)
    doc = json.loads((workdir / "out" / "results.json").read_text())
    assert (doc["seed"], doc["shuffle"]) == (printed, False)
    assert f'<property name="seed" value="{printed}"/>' in (workdir / "out" / "junit.xml").read_text()
