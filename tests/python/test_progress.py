"""posrig.run(..., on_progress=callable): events from the stations' threads, with the GIL."""

import threading

import pytest

import posrig


def test_on_progress_reports_scenarios_and_steps(repo, bench_file, tmp_path):
    events = []
    threads = set()

    def on_progress(event):
        # Called with the GIL held: touching Python objects from here is safe.
        threads.add(threading.get_ident())
        events.append(dict(event))

    scenarios = [repo / "scenarios" / "decline" / "insufficient-funds.yaml",
                 repo / "scenarios" / "printer" / "paper-out.yaml"]
    result = posrig.run(scenarios, bench=bench_file, out=tmp_path / "out", on_progress=on_progress)
    assert result.exit_code() == 0, result.counts()
    assert threading.get_ident() not in threads  # the stations' threads, not the caller's

    for scenario in result.scenarios:
        mine = [e for e in events if e["scenario"] == scenario.id]
        assert mine[0]["event"] == "scenario_started"
        assert mine[0]["station"] == scenario.station
        steps = [e for e in mine if e["event"] == "step_started"]
        assert [e["step"] for e in steps] == list(range(1, mine[0]["steps"] + 1))
        assert [e["step_name"] for e in steps] == [s.name for s in scenario.steps]
        assert [e["where"] for e in steps] == [s.where for s in scenario.steps]
        elapsed = [e["elapsed_ms"] for e in steps]
        assert elapsed == sorted(elapsed)
        assert mine[-1]["event"] == "scenario_finished"
        assert mine[-1]["status"] == "pass" and mine[-1]["total"] == 2
    assert sorted(e["done"] for e in events if e["event"] == "scenario_finished") == [1, 2]
    # The simulators' output is kept beside the reports.
    assert (tmp_path / "out" / "logs" / "vhost.log").stat().st_size > 0


def test_an_exception_in_on_progress_stops_the_run_and_is_raised(repo, bench_file):
    calls = []

    class Stop(Exception):
        pass

    def on_progress(event):
        calls.append(event["event"])
        if event["event"] == "step_started":
            raise Stop("enough")

    with pytest.raises(Stop, match="enough"):
        posrig.run([repo / "scenarios" / "pin"], bench=bench_file, jobs=1,
                   on_progress=on_progress)
    # Not called again after it raised; the run did not go on through the three scenarios.
    assert calls == ["scenario_started", "step_started"]


def test_on_progress_must_be_callable(repo, bench_file):
    with pytest.raises(TypeError):
        posrig.run([repo / "scenarios" / "decline"], bench=bench_file, on_progress=42)
