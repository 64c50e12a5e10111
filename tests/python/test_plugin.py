"""The pytest plugin, run as a user would: a test file, `pytest -p posrig.pytest_plugin
--rig-bench FILE`, and what its report shows."""

import os

import pytest

import posrig

INNER_TESTS = '''
import posrig


def test_check_that_fails(station):
    station.sale(amount="1.00", method="card", card="visa-chip")
    station.expect(result={"status": "DECLINED"}, within="1s")


def test_plain_assert_that_fails(station):
    station.sale(amount="1.00", method="card", card="visa-chip")
    station.expect(result={"status": "APPROVED"})
    assert station.ledger()["debits"] == 99


def test_faults_of_earlier_tests_are_gone(station, rig_bench):
    # The earlier tests took the same station and left it, released, with no fault.
    assert station.name == rig_bench.stations()[0]
    station.inject("network.down")
    station.paper("out")


def test_and_gone_again(station):
    assert station.status()["paper"] == "ok"
    station.sale(amount="1.00", method="card", card="visa-chip")
    station.expect(result={"status": "APPROVED"})
'''


@pytest.fixture
def inner_env(monkeypatch):
    package_root = os.path.dirname(os.path.dirname(posrig.__file__))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p))
    monkeypatch.delenv("POSRIG_BENCH", raising=False)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")


def test_failed_check_report_shows_expected_actual_and_timeline(pytester, inner_env,
                                                                bench_file):
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "posrig.pytest_plugin", "-p", "no:cacheprovider",
                                           "--rig-bench", bench_file, timeout=300)
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert f"posrig bench: {bench_file}" in out
    # The failed check: its message has the expected and the actual text and the timeline.
    result.stdout.fnmatch_lines([
        "*test_inner.py:*:1: check failed: expect result status=DECLINED*",
        "*expected: status=DECLINED*",
        "*actual:   *test_inner.py:*:1: expected RESULT status=DECLINED within*saw RESULT*",
        "*recent timeline of station lane*",
        "*result*status=APPROVED*",
    ])
    assert "posrig check at " in out
    # A plain assert gets the timeline as a report section.
    result.stdout.fnmatch_lines(["*posrig station lane* recent timeline*"])
    # The traceback stops at the test's line, not inside posrig.
    assert "_station.py" not in out


def test_station_fixture_needs_a_bench(pytester, inner_env):
    pytester.makepyfile(test_inner="def test_x(station):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "posrig.pytest_plugin", "-p", "no:cacheprovider",
                                           timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the rig_bench and station fixtures need --rig-bench FILE*"])


def test_rig_var_reaches_the_bench(pytester, inner_env, bench_file):
    pytester.makepyfile(test_inner=(
        "def test_vars(rig_bench):\n"
        "    assert rig_bench.vars == {'bugs': ''}\n"))
    result = pytester.runpytest_subprocess("-p", "posrig.pytest_plugin", "-p", "no:cacheprovider",
                                           "--rig-bench", bench_file, "--rig-var", "bugs=",
                                           timeout=120)
    result.assert_outcomes(passed=1)
