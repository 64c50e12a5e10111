"""posrig.Bench, posrig.open_bench and posrig.run."""

from __future__ import annotations

import atexit
import os
import weakref

from . import _posrig
from ._station import Station, _duration_ms

TYPE_CHECKING = False  # typing is not loaded at run time (see _station.py)
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Union

    from ._station import Duration

    PathLike = Union[str, "os.PathLike[str]"]

# Benches still up when the interpreter exits are brought down first, while the engine's
# threads can still be joined (their faults are reverted, their processes stopped).
_open_benches: "weakref.WeakSet[Bench]" = weakref.WeakSet()


@atexit.register
def _down_at_exit() -> None:
    for bench in list(_open_benches):
        bench.down()


class Bench:
    """A bench file loaded and checked; :meth:`up` starts its services and stations.

    ``vars`` replace bench variables as ``rig run --var NAME=VALUE`` does (e.g.
    ``{"bugs": "no-reversal"}`` starts the virtual terminals with that firmware defect).
    ``rig_dir`` is the folder of vterm and vhost (default: :func:`posrig.default_rig_dir`).
    Used as a context manager, the bench is brought up on entry and down on exit.
    """

    def __init__(self, native: _posrig.BenchHandle) -> None:
        self._native = native

    @classmethod
    def load(cls, path: PathLike, vars: Optional[Mapping[str, str]] = None,  # noqa: A002
             rig_dir: Optional[PathLike] = None) -> "Bench":
        """Loads a bench file; raises :class:`posrig.ConfigError` for a bad file."""
        overrides = {str(k): str(v) for k, v in (vars or {}).items()}
        return cls(_posrig.BenchHandle.load(os.fspath(path), overrides,
                                            os.fspath(rig_dir) if rig_dir else ""))

    @property
    def native(self) -> _posrig.BenchHandle:
        return self._native

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def file(self) -> str:
        return self._native.file

    @property
    def time_scale(self) -> float:
        return self._native.time_scale

    @property
    def variables(self) -> Dict[str, str]:
        """The bench file's variables (before ``vars``)."""
        return self._native.variables

    @property
    def vars(self) -> Dict[str, str]:
        """The overrides given to :meth:`load`."""
        return self._native.overrides

    @property
    def rig_dir(self) -> str:
        return self._native.rig_dir

    @property
    def load_options(self) -> _posrig.LoadOptions:
        """Loader options that know this bench's card names."""
        return self._native.load_options

    @property
    def is_up(self) -> bool:
        return self._native.is_up

    def up(self, timeout: Duration = "20s") -> "Bench":
        """Starts services and stations (real time, not scaled). Raises
        :class:`posrig.InfrastructureError` when no station came up; see
        :meth:`station_errors` for those that did not."""
        self._native.up(_duration_ms(timeout))
        _open_benches.add(self)
        return self

    def down(self) -> None:
        """Closes open stations (reverting their faults), stops stations and services."""
        self._native.down()
        _open_benches.discard(self)

    def stations(self) -> List[str]:
        """Names of the stations that came up (every station of the file before up())."""
        if not self.is_up:
            return list(self._native.configured_stations)
        return self._native.station_names()

    def station_errors(self) -> List[str]:
        return self._native.station_errors()

    def run_scenario(self, scenario: Union[PathLike, _posrig.Scenario],
                     station: Optional[str] = None) -> _posrig.ScenarioResult:
        """Runs one scenario (a file, or one loaded with :func:`posrig.load_scenario`) on a
        station of this bench that is up (the first free one that can serve it without
        ``station``), as ``rig run`` runs it, and returns its :class:`posrig.ScenarioResult`.
        One the station cannot serve (a fixture family it lacks, an action its drivers cannot
        do) comes back ``skipped`` with the reason. The station is put back after it. Ctrl-C
        ends it as an ``error`` with every fault reverted."""
        if not isinstance(scenario, _posrig.Scenario):
            scenario = _posrig.load_scenario(os.fspath(scenario), self.load_options)
        return self._native.run_scenario(scenario, station or "")

    def station(self, name: Optional[str] = None, evidence: bool = True) -> Station:
        """Takes a station (the first free one without ``name``) for this script; release it
        by leaving the ``with`` block or with :meth:`Station.close`, which run the evidence
        checks first unless ``evidence`` is False (:meth:`Station.verify`)."""
        return Station(self, self._native.open(name or ""), evidence)

    def run(self, paths: Union[PathLike, Iterable[PathLike]], **options: Any) -> _posrig.RunResult:
        """:func:`posrig.run` with this bench file and its ``vars``."""
        return run(paths, bench=self, **options)

    def __enter__(self) -> "Bench":
        if not self.is_up:
            self.up()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.down()
        return False

    def __repr__(self) -> str:
        return f"<posrig.Bench {self.name} ({'up' if self.is_up else 'down'}) {self.file}>"


def open_bench(path: PathLike, vars: Optional[Mapping[str, str]] = None,  # noqa: A002
               rig_dir: Optional[PathLike] = None, timeout: Duration = "20s") -> Bench:
    """Loads a bench file and brings it up; as a context manager, brings it down on exit::

        with posrig.open_bench("fixtures/benches/virtual.yaml") as bench:
            ...
    """
    return Bench.load(path, vars=vars, rig_dir=rig_dir).up(timeout)


def _paths(paths: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def run(paths: Union[PathLike, Iterable[PathLike]], bench: Union[PathLike, Bench],
        tags: Optional[Iterable[str]] = None, k: Optional[str] = None, jobs: int = 0,
        out: Optional[PathLike] = None, repeat: int = 1, fail_fast: bool = False,
        shard: Optional[str] = None, vars: Optional[Mapping[str, str]] = None,  # noqa: A002
        junit: Optional[PathLike] = None, json: Optional[PathLike] = None,
        html: Optional[PathLike] = None,
        rig_dir: Optional[PathLike] = None, strict_bench: bool = False,
        on_progress: Optional[Callable[[Dict[str, Any]], None]] = None,
        history: Union[PathLike, Literal[False], None] = None,
        seed: Optional[int] = None, shuffle: bool = False) -> _posrig.RunResult:
    """Runs scenario files and folders on a bench, as ``rig run`` does, and returns the
    :class:`posrig.RunResult` (``.to_json()`` is the results.json document).

    ``bench``: a bench file or a :class:`Bench` (its file and vars are used; the run brings up
    a bench of its own). ``tags``/``k``/``shard`` select as ``--tag``/``-k``/``--shard``;
    ``jobs``: stations used at once (0 = all); ``out``: folder for the journal, results.json,
    junit.xml and report.html, with the simulators' output in ``out/logs`` (None: a new folder
    of this run's own, ``reports/<UTC time>-<n>`` as ``rig run`` makes it, linked as
    ``reports/latest``); the result's ``report_dir`` says which. Like ``rig run --out`` it is
    locked for the run (a second run with the same ``out`` raises :class:`posrig.Error` naming
    the holder) and the reports an earlier run left there are removed;
    ``junit``/``json``/``html``: extra paths for those. The result keeps each attempt's summary;
    its steps, checks and timeline are read from the folder's journal when first asked for.
    ``history``: the run is added to ``history.sqlite`` beside the folder (None, the default),
    to this file, or nowhere (False), as ``rig run``'s ``--history``/``--no-history``. ``on_progress(event)`` is called from
    the stations' threads (with the GIL) as each scenario and step starts and each scenario
    ends; ``event`` is a dict (docs/python.md). An exception it raises stops the run, faults
    put back, and is raised by ``run``.
    Scenarios the bench cannot serve (a fixture family it lacks, an action its driver cannot do)
    come back ``skipped`` with the reason; ``strict_bench=True`` raises
    :class:`posrig.ConfigError` for them instead, as ``rig run --strict-bench`` refuses.
    Raises :class:`posrig.ConfigError` for bad files,
    :class:`posrig.InfrastructureError` when the bench cannot come up. Ctrl-C stops the run
    after putting every fault back, then raises KeyboardInterrupt.
    """
    if history is True or not (history is None or history is False
                               or isinstance(history, (str, os.PathLike))):
        raise TypeError(f"history must be a path, None or False, not {history!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed <= 0xFFFFFFFF):
        raise ValueError(f"seed must be a whole number from 0 to 4294967295, not {seed!r}")
    if on_progress is not None and not callable(on_progress):
        raise TypeError(f"on_progress must be callable, not {type(on_progress).__name__}")
    overrides: Dict[str, str] = {}
    if isinstance(bench, Bench):
        bench_file = bench.file
        overrides.update(bench.vars)
        rig_dir = rig_dir or bench.rig_dir
    else:
        bench_file = os.fspath(bench)
    overrides.update({str(key): str(v) for key, v in (vars or {}).items()})
    return _posrig.run(
        paths=_paths(paths), bench_file=bench_file, tags=list(tags or []), k_expr=k or "",
        jobs=jobs, out_dir=os.fspath(out) if out else "", repeat=repeat, fail_fast=fail_fast,
        shard=shard or "", overrides=overrides, rig_dir=os.fspath(rig_dir) if rig_dir else "",
        junit_path=os.fspath(junit) if junit else "", json_path=os.fspath(json) if json else "",
        html_path=os.fspath(html) if html else "",
        history_path=os.fspath(history) if history else "", no_history=history is False,
        strict_bench=strict_bench,
        seed=seed, shuffle=bool(shuffle), on_progress=on_progress)
