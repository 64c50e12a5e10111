"""pytest plugin: a bench for the test session, a station for each test, and scenario files
as test items.

Enabled by itself once posrig is installed (entry point ``pytest11``), or with
``-p posrig.pytest_plugin`` (a build tree on PYTHONPATH). Options:

``--rig-bench FILE``
    the bench file (default: ``$POSRIG_BENCH``); tests that use ``station`` or ``rig_bench``
    are errors without one.
``--rig-var NAME=VALUE``
    replaces a bench variable (repeatable), like ``rig run --var``.
``--rig-station NAME``
    the station tests take (default: the first free one).
``--rig-no-scenarios``
    do not collect scenario files.

Scenario files (``*.yaml``/``*.yml`` inside a folder named ``scenarios``, at any depth) are
collected as test items, one per file, named by scenario id (``decline/insufficient-funds``):
pytest's ``-k`` matches the id, the family, the name and the tags; each tag is also a marker
(``-m smoke``); ``--lf``, ``-x``, ``pytest-xdist`` (``-n 2``: one bench per worker) and report
plugins work as for any test. An item runs its scenario on a station of the session's bench as
``rig run`` does; a failure shows the failed check, expected and actual, and the end of the
timeline. A file the loader refuses is a collection error showing ``file:line:col: message``.

Fixtures: ``rig_bench`` (session scope: brought up once, down at the end) and ``station``
(a :class:`posrig.Station`, released after the test with every fault reverted). When a test
that uses ``station`` fails, its report gets a section with the station's recent timeline; a
:class:`posrig.CheckFailed` shows the expected and the actual text as its message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Generator, Iterable, List, Optional

import pytest

from ._bench import Bench
from ._posrig import CheckFailed, ConfigError, Error, LoadOptions, Scenario, ScenarioResult
from ._posrig import load_scenario
from ._station import Station

_STATION_KEY = pytest.StashKey[Station]()
_FAILED_KEY = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("posrig", "posrig test bench")
    group.addoption("--rig-bench", metavar="FILE", default=os.environ.get("POSRIG_BENCH"),
                    help="bench file for the station fixture (default: $POSRIG_BENCH)")
    group.addoption("--rig-var", metavar="NAME=VALUE", action="append", default=[],
                    help="replace a bench variable, like rig run --var (repeatable)")
    group.addoption("--rig-station", metavar="NAME", default=None,
                    help="station the tests take (default: the first free one)")
    group.addoption("--rig-no-scenarios", action="store_true", default=False,
                    help="do not collect scenario files (*.yaml in a scenarios folder)")


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


class _BenchKeeper:
    """The session's bench: loaded when first needed, up once, down at the end of the session.
    Shared by the ``rig_bench`` and ``station`` fixtures and the scenario items."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._loaded: Optional[Bench] = None
        self._bench: Optional[Bench] = None
        self._failure: Optional[str] = None

    def _path(self) -> str:
        path = self._config.getoption("rig_bench")
        if not path:
            pytest.fail("posrig: the rig_bench and station fixtures need --rig-bench FILE "
                        "(or $POSRIG_BENCH), and so do scenario files", pytrace=False)
        return path

    def load_options(self) -> LoadOptions:
        """The loader's options: the bench's card names when a bench is given."""
        if not self._config.getoption("rig_bench"):
            return LoadOptions()
        return self._load().load_options

    def _load(self) -> Bench:
        if self._loaded is None:
            self._loaded = Bench.load(self._path(), vars=_vars(self._config))
        return self._loaded

    def get(self) -> Bench:
        """The bench, up; a bench that did not come up fails every test that needs it."""
        if self._failure:
            pytest.fail(self._failure, pytrace=False)
        if self._bench is None:
            path = self._path()
            try:
                bench = self._load()
            except ConfigError as e:
                self._failure = f"posrig: bench {path}: {e}"
                pytest.fail(self._failure, pytrace=False)
            try:
                bench.up()
            except Error as e:
                bench.down()
                self._failure = f"posrig: bench {path} did not come up: {e}"
                pytest.fail(self._failure, pytrace=False)
            self._bench = bench
        return self._bench

    def down(self) -> None:
        if self._bench is not None:
            self._bench.down()
            self._bench = None


_KEEPER_KEY = pytest.StashKey[_BenchKeeper]()


def _keeper(config: pytest.Config) -> _BenchKeeper:
    keeper = config.stash.get(_KEEPER_KEY, None)
    if keeper is None:
        keeper = config.stash[_KEEPER_KEY] = _BenchKeeper(config)
    return keeper


def pytest_sessionfinish(session: pytest.Session) -> None:
    _keeper(session.config).down()


@pytest.fixture(scope="session")
def rig_bench(request: pytest.FixtureRequest) -> Bench:
    """The bench of ``--rig-bench``, up for the whole test session."""
    return _keeper(request.config).get()


@pytest.fixture
def station(rig_bench: Bench, request: pytest.FixtureRequest) -> Generator[Station, None, None]:
    """A station of the session's bench for this test; every fault is reverted after it. A
    test that passed is then judged by the evidence checks (:meth:`posrig.Station.verify`): a
    failed one fails the test's teardown with :class:`posrig.CheckFailed`."""
    st = rig_bench.station(request.config.getoption("rig_station"))
    request.node.stash[_STATION_KEY] = st
    try:
        yield st
    finally:
        st.close(evidence=not request.node.stash.get(_FAILED_KEY, False))


def _station_of(item: pytest.Item) -> Optional[Station]:
    return item.stash.get(_STATION_KEY, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator:
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not report.failed:
        return
    item.stash[_FAILED_KEY] = True  # its station's evidence is not judged on top
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


# -- scenario files as test items ---------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[pytest.Collector]:
    if file_path.suffix not in (".yaml", ".yml") or "scenarios" not in file_path.parent.parts:
        return None
    if parent.config.getoption("rig_no_scenarios"):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    """One scenario file: one item, named by the scenario's id."""

    def collect(self) -> Iterable[pytest.Item]:
        options = _keeper(self.config).load_options()
        scenario = load_scenario(str(self.path), options)
        for tag in scenario.tags:
            self.config.addinivalue_line("markers", f"{tag}: posrig scenario tag")
        yield ScenarioItem.from_parent(self, name=scenario.id, scenario=scenario)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        if isinstance(excinfo.value, ConfigError):
            return str(excinfo.value)  # file:line:col: message, one line per issue
        return super().repr_failure(excinfo)


class ScenarioFailed(Exception):
    """A scenario item that did not pass."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.message)
        self.result = result


def _timeline_text(timeline: List[Dict[str, Any]], count: int = 20) -> str:
    """The last entries for people; ECR frames are left out (their messages are there too)."""
    shown = [e for e in timeline if e.get("kind") not in ("ecr_in", "ecr_out")][-count:]
    lines = []
    for e in shown:
        fields = dict(e.get("fields", {}))
        fields.pop("station", None)
        if "summary" in fields:  # host messages: their one-line summary says it all
            fields.pop("fields", None)
        text = " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        lines.append(f"{e.get('t_ms', 0):10.1f}ms  {e.get('kind', ''):<15}{text}")
    return "\n".join(lines)


class ScenarioItem(pytest.Item):
    """A scenario run on a station of the session's bench, as ``rig run`` runs it."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        # -k: the id is the item's name; the family, the prose name and the tags match too.
        self.extra_keyword_matches.update([scenario.family, scenario.name, *scenario.tags])
        for tag in scenario.tags:
            self.add_marker(tag)

    def runtest(self) -> None:
        bench = _keeper(self.config).get()
        result = bench.run_scenario(self.scenario, self.config.getoption("rig_station"))
        self.user_properties.extend([("scenario", result.id), ("station", result.station),
                                     ("status", result.status)])
        if result.status == "pass":
            return
        self.add_report_section("call", "posrig timeline",
                                _timeline_text(result.timeline, len(result.timeline)))
        if result.status == "skipped":
            pytest.skip(result.message)
        raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if not isinstance(excinfo.value, ScenarioFailed):
            return super().repr_failure(excinfo, style=style)
        r = excinfo.value.result
        lines = [f"{r.id} {r.status} on station {r.station} after {r.duration_ms / 1000:.2f}s",
                 f"  {r.message}"]
        for check in r.checks:
            if not check.passed:
                lines += [f"failed check at {check.where}: {check.what}",
                          f"  expected: {check.expected}", f"  actual:   {check.actual}"]
        lines += ["end of the timeline (all of it: the posrig timeline section):",
                  _timeline_text(r.timeline, 12)]
        return "\n".join(lines)

    def reportinfo(self) -> Any:
        return self.path, self.scenario.loc.line - 1, f"scenario {self.scenario.id}"
