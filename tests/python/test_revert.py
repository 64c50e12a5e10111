"""Leaving a `with bench.station(...)` block puts the station back: on an exception, on a
KeyboardInterrupt, and on a real Ctrl-C (SIGINT) that arrives while a call is blocked."""

import json
import os
import signal
import threading
import time

import pytest

import posrig


def _break_everything(st):
    """Faults whose effects a later session would see if they were left in place."""
    st.inject("network.down")
    st.paper("out")
    assert st.status()["paper"] == "out"


def _assert_station_is_back(bench, name):
    with bench.station(name) as st:
        assert st.status()["paper"] == "ok"
        # The network is back: a sale goes to the host and is approved.
        st.sale(amount="1.00", method="card", card="visa-chip")
        st.expect(result={"status": "APPROVED"}, within="30s")
        st.expect(host_message={"mti": "0210", "fields": {"39": "00"}})
        applied = [e for e in st.timeline() if e["kind"] == "fault_applied"]
        assert applied == []


def test_exception_in_block_reverts_faults(rig_bench):
    with pytest.raises(ValueError, match="script bug"):
        with rig_bench.station() as st:
            name = st.name
            _break_everything(st)
            raise ValueError("script bug")
    assert st.closed
    _assert_station_is_back(rig_bench, name)


def test_keyboard_interrupt_in_block_reverts_faults(rig_bench):
    with pytest.raises(KeyboardInterrupt):
        with rig_bench.station() as st:
            name = st.name
            _break_everything(st)
            raise KeyboardInterrupt
    assert st.closed
    _assert_station_is_back(rig_bench, name)


def test_ctrl_c_during_a_blocking_call_ends_it_and_reverts(rig_bench):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Ctrl-C reaches the main thread only")
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default handler here")
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            with rig_bench.station() as st:
                name = st.name
                _break_everything(st)
                started = time.monotonic()
                timer.start()
                # 200 s of scenario time: 10 s on the virtual bench; Ctrl-C must end it at once.
                st.wait("200s")
                pytest.fail("the wait was not interrupted")
    finally:
        timer.cancel()  # a stray Ctrl-C after a failure would stop the whole session
        if timer.is_alive():
            timer.join()
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"Ctrl-C took {elapsed:.1f}s to end the wait"
    assert st.closed
    with pytest.raises(posrig.Error, match="closed by Ctrl-C"):
        st.last()
    _assert_station_is_back(rig_bench, name)


def test_close_without_with_reverts_too(rig_bench):
    st = rig_bench.station()
    name = st.name
    _break_everything(st)
    st.close()
    st.close()  # idempotent
    _assert_station_is_back(rig_bench, name)


def test_bench_down_closes_open_stations(bench_file):
    bench = posrig.Bench.load(bench_file)
    with bench:
        st = bench.station()
        st.inject("network.down")
    assert st.closed
    assert not bench.is_up
    with pytest.raises(posrig.Error, match="is not up"):
        bench.station()


def test_ctrl_c_during_a_suite_run_stops_it_and_reports(bench_file, tmp_path):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Ctrl-C reaches the main thread only")
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default handler here")
    scenario = tmp_path / "long.yaml"
    scenario.write_text("name: waits long with the network down\nfamily: network\nsteps:\n"
                        "  - fault: network.down\n  - wait: 400s\n  - expect: {result: {}}\n")
    out = tmp_path / "out"
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            posrig.run([scenario], bench=bench_file, out=out)
    finally:
        timer.cancel()  # a stray Ctrl-C after a failure would stop the whole session
        if timer.is_alive():
            timer.join()
    elapsed = time.monotonic() - started - 1.0
    assert elapsed < 10, f"the run went on for {elapsed:.1f}s after Ctrl-C"
    # Like `rig run`: the report is written, the scenario is not counted as passed or failed.
    report = posrig.RunResult.from_json(json.loads((out / "results.json").read_text()))
    assert report.interrupted
    # Cut short: neither passed nor failed (the engine reports it as interrupted).
    [cut] = report.scenarios
    assert cut.status in ("error", "skipped") and "interrupted" in cut.message, cut.message
    # The fault it applied was cleared before the run returned.
    kinds = [f["kind"] for f in report.scenarios[0].faults]
    assert kinds.count("fault_applied") >= 1
    assert kinds.count("fault_cleared") == kinds.count("fault_applied")
    assert kinds[-1] == "fault_cleared"
