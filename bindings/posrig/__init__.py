"""posrig: drive payment-terminal test benches from Python.

The same engine as the ``rig`` command (native module ``posrig._posrig``), for scripts and
pytest suites::

    import posrig

    with posrig.open_bench("fixtures/benches/virtual.yaml") as bench:
        with bench.station("lane1") as st:
            st.sale(amount="1.00", method="card", card="visa-chip")
            st.expect(result={"status": "APPROVED"})

    result = posrig.run(["scenarios/card"], bench="fixtures/benches/virtual.yaml")
    print(result.counts())

Errors form one hierarchy: :class:`Error` and its subclasses :class:`ConfigError`,
:class:`LinkError`, :class:`Timeout`, :class:`InfrastructureError` and :class:`CheckFailed`.
The pytest plugin is :mod:`posrig.pytest_plugin`. docs/python.md has the whole story.
"""

from ._posrig import (  # noqa: F401  (re-exported)
    CheckFailed,
    CheckResult,
    ConfigError,
    ConfigIssue,
    Error,
    InfrastructureError,
    LinkError,
    LoadOptions,
    RunResult,
    Scenario,
    ScenarioResult,
    SourceLoc,
    Step,
    StepResult,
    Timeout,
    Trigger,
    __version__,
    card_damages,
    default_rig_dir,
    expectations,
    faults,
    family_of,
    has_any_tag,
    known_events,
    load_scenario,
    load_scenario_text,
    load_scenarios,
    load_step_text,
    matches_k,
    merge,
    needed_families,
    parse_duration,
    ports,
    prompt_kinds,
    shard,
    steps,
    trigger_kinds,
)
from ._bench import Bench, open_bench, run  # noqa: F401
from ._station import Station, load_step  # noqa: F401

__all__ = [
    "Bench",
    "CheckFailed",
    "CheckResult",
    "ConfigError",
    "ConfigIssue",
    "Error",
    "InfrastructureError",
    "LinkError",
    "LoadOptions",
    "RunResult",
    "Scenario",
    "ScenarioResult",
    "SourceLoc",
    "Station",
    "Step",
    "StepResult",
    "Timeout",
    "Trigger",
    "card_damages",
    "default_rig_dir",
    "expectations",
    "faults",
    "family_of",
    "has_any_tag",
    "known_events",
    "load_scenario",
    "load_scenario_text",
    "load_scenarios",
    "load_step",
    "load_step_text",
    "matches_k",
    "merge",
    "needed_families",
    "open_bench",
    "parse_duration",
    "ports",
    "prompt_kinds",
    "run",
    "shard",
    "steps",
    "trigger_kinds",
]
