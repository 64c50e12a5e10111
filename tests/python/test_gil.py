"""Blocking calls release the GIL: a Python thread keeps running while they wait.

A pure-Python thread can only run while no other thread holds the GIL. It records the time of
each turn of its loop; a blocking call that released the GIL shows turns throughout its
duration, one that held it would show none.
"""

import threading
import time

import pytest

import posrig


class Counter:
    def __init__(self):
        self.stamps = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.stamps.append(time.monotonic())
            time.sleep(0.001)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def turns_between(self, start, end):
        return sum(1 for t in self.stamps if start < t < end)


def _timed(call):
    start = time.monotonic()
    value = call()
    return value, start, time.monotonic()


def _assert_kept_running(counter, start, end, what):
    duration = end - start
    # Leave the edges out: the thread may be between turns when the call starts or ends.
    inner_start, inner_end = start + 0.2 * duration, end - 0.2 * duration
    turns = counter.turns_between(inner_start, inner_end)
    # At 1 ms per turn, a released GIL gives dozens of turns per 100 ms; a held one none.
    assert turns >= max(5, int((inner_end - inner_start) * 1000 * 0.2)), (
        f"{what}: the Python thread made {turns} turns in {inner_end - inner_start:.3f}s")


def test_wait_releases_the_gil(station):
    with Counter() as counter:
        # 10 s of scenario time: 0.5 s on the virtual bench (time_scale 0.05).
        _, start, end = _timed(lambda: station.wait("10s"))
    assert end - start >= 10 * station.time_scale * 0.9
    _assert_kept_running(counter, start, end, "Station.wait")


def test_checks_that_wait_release_the_gil(station):
    station.sale(amount="1.00", method="card", card="visa-chip")
    station.expect(result={"status": "APPROVED"})
    with Counter() as counter:
        # An absence is judged at the end of its window: the call waits the whole `within`.
        _, start, end = _timed(lambda: station.expect(event="NEVER_SEEN", absent=True,
                                                      within="20s"))
    _assert_kept_running(counter, start, end, "Station.expect(absent, within)")
    with Counter() as counter:
        start = time.monotonic()
        with pytest.raises(posrig.Timeout):
            station.wait_for(event="NEVER_SEEN", timeout="20s")
        end = time.monotonic()
    _assert_kept_running(counter, start, end, "Station.wait_for")


def test_bench_up_and_suite_run_release_the_gil(bench_file, tmp_path):
    scenario = tmp_path / "wait.yaml"
    scenario.write_text("name: waits a while\nfamily: card\nsteps:\n  - wait: 10s\n"
                        "  - status\n  - expect: {state: {paper: ok}}\n")
    with Counter() as counter:
        result, start, end = _timed(lambda: posrig.run([scenario], bench=bench_file))
    assert [s.status for s in result.scenarios] == ["pass"]
    _assert_kept_running(counter, start, end, "posrig.run")
