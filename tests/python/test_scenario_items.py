"""The pytest plugin collects scenario files as test items: -k, -m, --lf, xdist, failures."""

import re
import shutil

import pytest

from test_docs import _env


@pytest.fixture
def library(repo, pytester, monkeypatch):
    """A scratch project with a copy of some families of the scenario library."""
    for family in ("decline", "reversal", "printer"):
        shutil.copytree(repo / "scenarios" / family, pytester.path / "scenarios" / family)
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])
    return pytester


def run(pytester, bench_file, *args, cache=False):
    plugins = ["-p", "posrig.pytest_plugin"] + ([] if cache else ["-p", "no:cacheprovider"])
    # --rig-bench=FILE: a separate absolute path would take part in choosing the rootdir.
    return pytester.runpytest_subprocess(*plugins, f"--rig-bench={bench_file}", *args,
                                         timeout=300)


def test_each_file_is_an_item_named_by_its_id(library, bench_file):
    result = run(library, bench_file, "--collect-only", "-q", "scenarios/decline")
    result.stdout.fnmatch_lines([
        "scenarios/decline/insufficient-funds.yaml::decline/insufficient-funds",
        "scenarios/decline/issuer-declines.yaml::decline/issuer-declines",
    ])


def test_k_matches_id_name_and_tags_and_m_matches_tags(library, bench_file):
    result = run(library, bench_file, "--collect-only", "-q", "scenarios", "-k",
                 "smoke and not printer")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == ["scenarios/decline/insufficient-funds.yaml::decline/insufficient-funds",
                   "scenarios/reversal/approval-lost.yaml::reversal/approval-lost"]
    # Words of the names: "…; declined 51, no debit" and "…; each declined, no debit".
    result = run(library, bench_file, "--collect-only", "-q", "scenarios", "-k", "declined")
    assert len([line for line in result.outlines if "::" in line]) == 2
    result = run(library, bench_file, "--collect-only", "-q", "scenarios", "-m", "rule-16")
    ids = [line.split("::")[1] for line in result.outlines if "::" in line]
    assert ids == ["printer/paper-out-on-reprint", "printer/paper-out",
                   "printer/roll-ends-mid-receipt"]


def test_items_run_on_the_bench_and_failures_say_why(library, bench_file):
    result = run(library, bench_file, "--rig-var", "bugs=no-reversal", "-k",
                 "approval-lost or insufficient", "scenarios")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "reversal/approval-lost fail on station lane" in out
    assert re.search(r"failed check at .*approval-lost\.yaml:\d+:\d+: event name=REVERSAL_STORED",
                     out)
    assert "expected: name=REVERSAL_STORED" in out
    assert "posrig timeline" in out  # the whole timeline as a report section
    assert "fault_applied" in out


def test_last_failed_reruns_only_the_failure(library, bench_file):
    first = run(library, bench_file, "--rig-var", "bugs=no-reversal", "scenarios",
                "-k", "approval-lost or insufficient", cache=True)
    first.assert_outcomes(passed=1, failed=1)
    again = run(library, bench_file, "--lf", "scenarios", cache=True)
    again.assert_outcomes(passed=1)  # the correct terminal passes it now
    again.stdout.fnmatch_lines(["*run-last-failure: rerun previous 1 failure*"])


def test_xdist_runs_items_on_a_bench_per_worker(library, bench_file):
    pytest.importorskip("xdist")
    result = run(library, bench_file, "-n", "2", "scenarios/decline", "scenarios/printer")
    result.assert_outcomes(passed=6)


def test_a_bad_scenario_file_is_a_collection_error_with_its_location(library, bench_file):
    bad = library.path / "scenarios" / "decline" / "bad.yaml"
    bad.write_text("name: bad\nfamily: decline\nsteps:\n  - sael: {amount: \"1.00\"}\n")
    result = run(library, bench_file, "scenarios/decline")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*scenarios/decline/bad.yaml:4:5: *sael*"])
    assert "Traceback" not in result.stdout.str()


def test_no_scenarios_option_and_other_yaml_are_left_alone(library, bench_file):
    (library.path / "config.yaml").write_text("a: 1\n")
    result = run(library, bench_file, "--collect-only", "-q", ".", "--rig-no-scenarios")
    assert "::" not in result.stdout.str()
    result = run(library, bench_file, "--collect-only", "-q", "config.yaml")
    assert "::" not in result.stdout.str()
