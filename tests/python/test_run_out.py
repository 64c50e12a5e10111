"""posrig.run(out=…) treats its report folder as `rig run --out` does: locked for one run,
reports an earlier run left there removed, the run added to history.sqlite beside it."""

import fcntl
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import posrig

SCENARIO = """\
name: card sale approved
family: card
steps:
  - sale: {amount: "1.00", method: card, card: visa-chip, id: out-1}
  - expect: {result: {status: APPROVED}}
"""


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "scenarios" / "approved.yaml"
    path.parent.mkdir()
    path.write_text(SCENARIO)
    return path


def history(rig_command, db):
    """`rig history --db DB --json`: the document it prints."""
    r = subprocess.run([str(rig_command), "history", "--db", str(db), "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def runs_of(doc):
    """How many runs the history holds (each configuration's count)."""
    return sum(c["runs"] for c in doc)


def test_out_is_locked_for_one_run(tmp_path, scenario, bench_file):
    out = tmp_path / "reports" / "py"
    out.mkdir(parents=True)
    with open(out / ".rig.lock", "w") as held:  # another run holds the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242 (rig run, bench virtual) since 2026-12-03T17:00:00.000Z\n")
        held.flush()
        with pytest.raises(posrig.Error) as e:
            posrig.run(scenario, bench=bench_file, out=out)
        assert str(e.value) == (f"{out} is in use by pid 4242 (rig run, bench virtual) since "
                                "2026-12-03T17:00:00.000Z; two runs cannot share one out "
                                "(choose another folder)")
        assert not (out / "results.json").exists()  # nothing ran
    # A report an earlier run left there never passes for this run's.
    (out / "report.html").write_text("an earlier run's")
    (out / "journal.jsonl").write_text("{}\n")
    result = posrig.run(scenario, bench=bench_file, out=out, html=tmp_path / "copy.html")
    assert result.counts()["pass"] == 1
    assert "an earlier run's" not in (out / "report.html").read_text()
    assert not (out / ".rig.lock").exists()  # released


def test_the_run_goes_to_history_beside_out(tmp_path, scenario, bench_file, rig_command):
    out = tmp_path / "reports" / "py"
    posrig.run(scenario, bench=bench_file, out=out)
    db = tmp_path / "reports" / "history.sqlite"
    doc = history(rig_command, db)
    assert runs_of(doc) == 1
    assert [(s["id"], s["outcomes"]) for c in doc for s in c["scenarios"]] == [
        ("card/approved", ["pass"])]

    posrig.run(scenario, bench=bench_file, out=out, history=False)
    assert runs_of(history(rig_command, db)) == 1
    elsewhere = tmp_path / "elsewhere.sqlite"
    posrig.run(scenario, bench=bench_file, out=out, history=elsewhere)
    assert runs_of(history(rig_command, elsewhere)) == 1
    assert runs_of(history(rig_command, db)) == 1
    with pytest.raises(TypeError):
        posrig.run(scenario, bench=bench_file, history=True)


def test_without_out_each_run_has_a_folder_of_its_own(tmp_path, scenario, bench_file,
                                                      rig_command, monkeypatch):
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    first = posrig.run(scenario, bench=bench_file)
    second = posrig.run(scenario, bench=bench_file)
    folders = [Path(r.report_dir) for r in (first, second)]
    assert folders[0] != folders[1]
    for result, folder in zip((first, second), folders):
        # reports/<UTC time with milliseconds>-<n>, as `rig run` names its folders
        assert folder.parent == here / "reports" and folder.is_absolute()
        assert re.fullmatch(r"\d{8}T\d{6}\.\d{3}Z-\d+", folder.name), folder.name
        for name in ("journal.jsonl", "results.json", "junit.xml", "report.html"):
            assert (folder / name).stat().st_size > 0, name
        assert list((folder / "logs").glob("vterm-*.log"))  # the simulators' output
        doc = json.loads((folder / "results.json").read_text())
        assert doc["run_id"] == result.run_id and doc == result.to_json()
    assert (here / "reports" / "latest").resolve() == folders[1]
    # As `rig run`: the runs go to history.sqlite beside the folders.
    assert runs_of(history(rig_command, here / "reports" / "history.sqlite")) == 2

    out = tmp_path / "given"
    assert posrig.run(scenario, bench=bench_file, out=out).report_dir == str(out)


def test_details_are_read_from_the_journal_when_asked_for(tmp_path, scenario, bench_file):
    result = posrig.run(scenario, bench=bench_file, out=tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    attempt = result.scenarios[0]
    assert isinstance(attempt, posrig.ScenarioResult)
    assert (attempt.id, attempt.status, attempt.outcome) == ("card/approved", "pass", "pass")
    assert attempt.timeline == doc["scenarios"][0]["timeline"] != []
    assert [s.where for s in attempt.steps] == [s["where"] for s in doc["scenarios"][0]["steps"]]
    assert len(attempt.checks) == len(doc["scenarios"][0]["checks"]) > 0
    # The summaries stay in memory; the details are in the folder, so without it they are gone.
    later = result.scenarios[0]
    shutil.rmtree(tmp_path / "out")
    assert attempt.timeline != []  # read already: kept by the object
    assert later.status == "pass"
    with pytest.raises(posrig.Error, match="journal.jsonl: cannot read back a record"):
        later.timeline
