"""pytest plugin: a bench for the test session and a station for each test.

Enabled by itself once posrig is installed (entry point ``pytest11``), or with
``-p posrig.pytest_plugin`` (a build tree on PYTHONPATH). Options:

``--rig-bench FILE``
    the bench file (default: ``$POSRIG_BENCH``); tests that use ``station`` or ``rig_bench``
    are errors without one.
``--rig-var NAME=VALUE``
    replaces a bench variable (repeatable), like ``rig run --var``.
``--rig-station NAME``
    the station tests take (default: the first free one).

Fixtures: ``rig_bench`` (session scope: brought up once, down at the end) and ``station``
(a :class:`posrig.Station`, released after the test with every fault reverted). When a test
that uses ``station`` fails, its report gets a section with the station's recent timeline; a
:class:`posrig.CheckFailed` shows the expected and the actual text as its message.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Generator, List, Optional

import pytest

from ._bench import Bench
from ._posrig import CheckFailed, Error
from ._station import Station

_STATION_KEY = pytest.StashKey[Station]() if hasattr(pytest, "StashKey") else None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("posrig", "posrig test bench")
    group.addoption("--rig-bench", metavar="FILE", default=os.environ.get("POSRIG_BENCH"),
                    help="bench file for the station fixture (default: $POSRIG_BENCH)")
    group.addoption("--rig-var", metavar="NAME=VALUE", action="append", default=[],
                    help="replace a bench variable, like rig run --var (repeatable)")
    group.addoption("--rig-station", metavar="NAME", default=None,
                    help="station the tests take (default: the first free one)")


def _vars(config: pytest.Config) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for item in config.getoption("rig_var") or []:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise pytest.UsageError(f"--rig-var {item!r}: expected NAME=VALUE")
        out[name] = value
    return out


def pytest_report_header(config: pytest.Config) -> Optional[List[str]]:
    bench = config.getoption("rig_bench")
    return [f"posrig bench: {bench}"] if bench else None


@pytest.fixture(scope="session")
def rig_bench(request: pytest.FixtureRequest) -> Generator[Bench, None, None]:
    """The bench of ``--rig-bench``, up for the whole test session."""
    path = request.config.getoption("rig_bench")
    if not path:
        pytest.fail("posrig: the rig_bench and station fixtures need --rig-bench FILE "
                    "(or $POSRIG_BENCH)", pytrace=False)
    bench = Bench.load(path, vars=_vars(request.config))
    try:
        bench.up()
    except Error as e:
        bench.down()
        pytest.fail(f"posrig: bench {path} did not come up: {e}", pytrace=False)
    try:
        yield bench
    finally:
        bench.down()


@pytest.fixture
def station(rig_bench: Bench, request: pytest.FixtureRequest) -> Generator[Station, None, None]:
    """A station of the session's bench for this test; every fault is reverted after it."""
    st = rig_bench.station(request.config.getoption("rig_station"))
    if _STATION_KEY is not None:
        request.node.stash[_STATION_KEY] = st
    else:  # pragma: no cover - pytest < 7
        request.node._posrig_station = st
    try:
        yield st
    finally:
        st.close()


def _station_of(item: pytest.Item) -> Optional[Station]:
    if _STATION_KEY is not None:
        return item.stash.get(_STATION_KEY, None)
    return getattr(item, "_posrig_station", None)  # pragma: no cover - pytest < 7


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator:
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not report.failed:
        return
    st = _station_of(item)
    if st is None:
        return
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, CheckFailed):
        # Its message already holds the expected and actual text and the recent timeline.
        report.sections.append((f"posrig check at {exc.where}",
                                f"expected: {exc.expected}\nactual:   {exc.actual}"))
        return
    if not st.closed:
        report.sections.append((f"posrig station {st.name}: recent timeline", st.recent()))
