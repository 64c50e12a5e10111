"""posrig.Station: one station of a bench driven from a script, step by step.

Every method builds the step a scenario file would hold (``sale: {...}``, ``fault: ...``) and
hands it to the engine's own loader (``load_step_text``), so that a script is checked exactly
like a scenario: an unknown card, fault or parameter is a :class:`posrig.ConfigError` naming
the script line. The engine then performs it, as ``rig run`` would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from . import _posrig

# typing, json and decimal cost an interpreter 2.5 MB of memory: annotations are strings here
# (PEP 563), json is imported by the first step a script writes, and a Decimal can only be
# given when its module is loaded already.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Union

    Duration = Union[str, int, float]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _caller() -> "tuple[str, int]":
    """File and line of the first frame outside this package (the user's script line)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            break
        frame = frame.f_back
    if frame is None:
        return "<posrig>", 1
    filename = frame.f_code.co_filename
    if os.path.isabs(filename):
        relative = os.path.relpath(filename)
        if not relative.startswith(".." + os.sep):
            filename = relative
    return filename, max(frame.f_lineno, 1)


def _plain(value: Any) -> Any:
    """Python values as the JSON (= YAML flow) a step is written in."""
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def load_step(step: Union[str, Mapping[str, Any]],
              options: Optional[_posrig.LoadOptions] = None,
              origin: Optional[str] = None, line: Optional[int] = None) -> _posrig.Step:
    """Checks one step, given as YAML text or as a mapping, with the engine's loader.

    The step's location is the calling script's file and line (or ``origin``/``line``), so that
    errors and failed checks point at the script. Raises :class:`posrig.ConfigError`.
    """
    if origin is None or line is None:
        caller_file, caller_line = _caller()
        origin = caller_file if origin is None else origin
        line = caller_line if line is None else line
    if isinstance(step, str):
        text = step
    else:
        import json
        text = json.dumps(_plain(step))
    # Blank lines put the step on the script's line: the loader counts lines in its text.
    padded = "\n" * (max(line, 1) - 1) + text
    return _posrig.load_step_text(padded, origin,
                                  options if options is not None else _posrig.LoadOptions())


def _duration_ms(value: Duration) -> int:
    """'10s', '500ms' -> milliseconds; numbers are seconds."""
    if isinstance(value, str):
        return _posrig.parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"a duration is a text like '10s' or a number of seconds, got {value!r}")
    return int(round(value * 1000))


def _no_none(**items: Any) -> Dict[str, Any]:
    return {k: v for k, v in items.items() if v is not None}


class Station:
    """A station of an up bench, held by this script until closed.

    Made by :meth:`posrig.Bench.station`. Use it as a context manager: on leaving the block —
    normally, on an exception or on Ctrl-C — every fault is reverted, the fixtures are put back
    at their base state and the station is released::

        with bench.station("lane1") as st:
            st.sale(amount="1.00", method="card", card="visa-chip")
            st.expect(result={"status": "APPROVED"})

    Times (``within``, ``wait``, ``for_``, ``timeout``) are scenario time: the bench's
    ``time_scale`` shrinks them, as it does for scenario files.

    Leaving the block without an exception (or :meth:`close`) first ends the script's scenario
    as ``rig run`` ends one (:meth:`verify`): the station is put back, then the evidence checks
    every scenario gets run over the whole session, and one that fails raises
    :class:`posrig.CheckFailed` — after the station was released. ``evidence=False`` (here or
    in :meth:`posrig.Bench.station`) leaves them out.
    """

    def __init__(self, bench: Any, native: _posrig.SessionHandle, evidence: bool = True) -> None:
        self._bench = bench
        self._native = native
        self._evidence = evidence

    # -- life --------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def time_scale(self) -> float:
        return self._native.time_scale

    @property
    def capabilities(self) -> Dict[str, Any]:
        """The station's terminal driver and what it can do (docs/terminal-drivers.md):
        ``{"driver", "commands", "observations", "status_fields", "faults"}``."""
        return self._native.capabilities

    @property
    def closed(self) -> bool:
        return self._native.closed

    @property
    def native(self) -> _posrig.SessionHandle:
        """The native session (posrig._posrig.SessionHandle)."""
        return self._native

    def __enter__(self) -> "Station":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is not None:
            # The script failed already: put the station back, judge nothing more.
            self._native.close()
            return False
        self.close()
        return False

    def close(self, evidence: Optional[bool] = None) -> None:
        """Ends the session (what leaving the ``with`` does): :meth:`verify` unless
        ``evidence`` (default: the station's) is False, then reverts every fault and releases
        the station. A failed evidence check raises :class:`posrig.CheckFailed` once the
        station is released."""
        __tracebackhide__ = True
        failure: Optional[BaseException] = None
        if (self._evidence if evidence is None else evidence) and not self.closed:
            try:
                file, line = _caller()
                self._native.verify(file, line)
            except _posrig.CheckFailed as e:
                failure = e
        error = self._native.close()
        if failure is not None:
            raise failure
        if error:
            raise _posrig.InfrastructureError(f"station {self.name}: {error}")

    def verify(self) -> List[_posrig.CheckResult]:
        """Ends the script's scenario as ``rig run`` ends one, keeping the station: puts it back
        (faults reverted, fixtures at their base state, the terminal idle — a reversal it still
        holds is sent now and counts here), then runs the evidence checks (money conserved,
        charged once, reversal fields, display agrees, receipts for approvals; docs/kinds.md)
        over the whole session and the host's evidence. Raises :class:`posrig.CheckFailed` for
        the first that fails; returns the evidence checks, all passed. Once per session (later
        calls return the same); :meth:`close` calls it."""
        __tracebackhide__ = True
        file, line = _caller()
        self._native.verify(file, line)
        return [c for c in self._native.checks() if c.what.startswith("evidence ")]

    def restore(self) -> None:
        """Reverts every fault now and keeps the station."""
        __tracebackhide__ = True
        error = self._native.restore()
        if error:
            raise _posrig.InfrastructureError(f"station {self.name}: {error}")

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<posrig.Station {self.name} ({state})>"

    # -- steps -------------------------------------------------------------------------------

    def step(self, step: Union[str, Mapping[str, Any], _posrig.Step]) -> _posrig.StepResult:
        """Performs one step: a Step, YAML text or a mapping as in a scenario's steps list."""
        __tracebackhide__ = True
        if not isinstance(step, _posrig.Step):
            step = load_step(step, self._bench.load_options)
        return self._native.step(step)

    def _do(self, step: Union[str, Mapping[str, Any]]) -> _posrig.StepResult:
        __tracebackhide__ = True
        return self._native.step(load_step(step, self._bench.load_options))

    def sale(self, amount: Union[str, decimal.Decimal], method: Optional[str] = None,
             card: Optional[str] = None, code: Optional[str] = None,
             **more: Any) -> _posrig.StepResult:
        """Starts a sale (ECR SALE). ``method`` defaults to ``qr`` with a ``code``, else
        ``card``; with a ``card`` the card is presented when asked (and its PIN entered).
        ``more``: ``currency``, ``id``."""
        __tracebackhide__ = True
        if method is None:
            method = "qr" if code is not None else "card"
        return self._do({"sale": _no_none(amount=amount, method=method, card=card, code=code,
                                          **more)})

    def refund(self, amount: Union[str, decimal.Decimal], of: Optional[str] = None,
               **more: Any) -> _posrig.StepResult:
        """Starts a refund (ECR REFUND), of the sale with id ``of`` when given."""
        __tracebackhide__ = True
        return self._do({"refund": _no_none(amount=amount, of=of, **more)})

    def query(self, id: Optional[str] = None) -> _posrig.StepResult:  # noqa: A002
        """Asks for a transaction's outcome (ECR QUERY); default: the last transaction."""
        __tracebackhide__ = True
        return self._do({"query": {"id": id}} if id is not None else "query")

    def last(self) -> _posrig.StepResult:
        """Asks for the last result (ECR LAST)."""
        __tracebackhide__ = True
        return self._do("last")

    def reprint(self) -> _posrig.StepResult:
        """Reprints the last receipt (ECR REPRINT)."""
        __tracebackhide__ = True
        return self._do("reprint")

    def cancel(self) -> _posrig.StepResult:
        """Cancels what the terminal is doing (ECR CANCEL)."""
        __tracebackhide__ = True
        return self._do("cancel")

    def reset(self) -> _posrig.StepResult:
        """Resets the terminal (ECR RESET)."""
        __tracebackhide__ = True
        return self._do("reset")

    def status(self, timeout: Duration = "10s") -> Dict[str, Any]:
        """Asks for the terminal's state (ECR STATUS) and returns the reply's fields
        (``state``, ``paper``, ``pending_reversals``, …)."""
        __tracebackhide__ = True
        first = self._native.size()
        self._do("status")
        entry = self._native.wait_for("status", {}, _duration_ms(timeout), "now", first)
        return entry["fields"] if entry is not None else {}

    # -- faults and fixtures -------------------------------------------------------------------

    def inject(self, fault: str, when: Optional[Mapping[str, Any]] = None,
               for_: Optional[Duration] = None, **params: Any) -> _posrig.StepResult:
        """Arms a fault (``fault:`` step): at once, or ``when`` its trigger fires
        (``{"host_message": "0210"}``, ``{"event": ...}``, ``{"prompt": ...}``,
        ``{"after": "2s"}``); cleared ``for_`` after it fired when given. ``params``: the
        fault's own parameters (see :func:`posrig.faults`)."""
        __tracebackhide__ = True
        step: Dict[str, Any] = {"fault": fault}
        if when is not None:
            step["when"] = when
        if for_ is not None:
            step["for"] = for_ if isinstance(for_, str) else f"{_duration_ms(for_)}ms"
        step.update(params)
        return self._do(step)

    def clear(self, fault: str = "all") -> _posrig.StepResult:
        """Reverts one fault, or every fault with ``"all"``."""
        __tracebackhide__ = True
        return self._do({"clear": fault})

    def card(self, insert: Optional[str] = None, swipe: Optional[str] = None,
             tap: Optional[str] = None, damage: Optional[str] = None,
             failures: Optional[int] = None) -> _posrig.StepResult:
        """Presents a card profile: ``insert``, ``swipe`` or ``tap`` (one), with a ``damage``
        (chip_mute, …)."""
        __tracebackhide__ = True
        return self._do({"card": _no_none(insert=insert, swipe=swipe, tap=tap, damage=damage,
                                          failures=failures)})

    def card_remove(self) -> _posrig.StepResult:
        """Takes the card out."""
        __tracebackhide__ = True
        return self._do({"card": "remove"})

    def scan(self, code: str, dirt: Optional[float] = None, blur: Optional[float] = None,
             seed: Optional[int] = None) -> _posrig.StepResult:
        """Shows a payment code to the scanner, with ``dirt``/``blur`` on the glass."""
        __tracebackhide__ = True
        return self._do({"scan": _no_none(code=code, dirt=dirt, blur=blur, seed=seed)})

    def clean_scanner(self) -> _posrig.StepResult:
        """Cleans the scanner glass."""
        __tracebackhide__ = True
        return self._do({"scanner": "clean"})

    def keys(self, keys: Union[str, Iterable[str]]) -> _posrig.StepResult:
        """Presses keypad keys: ``["1", "2", "3", "4", "ENTER"]``."""
        __tracebackhide__ = True
        return self._do({"keys": [keys] if isinstance(keys, str) else list(keys)})

    def paper(self, state: str) -> _posrig.StepResult:
        """Sets the printer's paper: ``ok``, ``low`` or ``out``."""
        __tracebackhide__ = True
        return self._do({"paper": state})

    def power(self, action: str) -> _posrig.StepResult:
        """Cuts or restores the terminal's power: ``cut`` or ``restore``."""
        __tracebackhide__ = True
        return self._do({"power": action})

    def wait(self, duration: Duration) -> _posrig.StepResult:
        """Waits (scenario time): ``"500ms"``, ``"2s"``."""
        __tracebackhide__ = True
        text = duration if isinstance(duration, str) else f"{_duration_ms(duration)}ms"
        return self._do({"wait": text})

    # -- checks and observation ------------------------------------------------------------------

    def expect(self, **check: Any) -> _posrig.CheckResult:
        """Checks what the terminal did, like an ``expect:`` step: ``result={"status":
        "APPROVED"}``, ``event="REVERSAL_ACKED", before="result"``, ``prompt="PIN"``,
        ``display=...``, ``receipt={...}``, ``host_message={"mti": "0400"}``,
        ``ledger={"net": "1.00"}``, ``state={...}``, with ``within=`` and ``since=``.

        Returns the passed CheckResult; raises :class:`posrig.CheckFailed` (with the expected
        and actual text and the recent timeline) when it does not hold."""
        __tracebackhide__ = True
        self._do({"expect": check})
        return self._native.checks()[-1]

    def wait_for(self, event: Optional[Union[str, Mapping[str, Any]]] = None,
                 prompt: Optional[Union[str, Mapping[str, Any]]] = None,
                 result: Optional[Union[bool, str, Mapping[str, Any]]] = None,
                 display: Optional[str] = None,
                 host_message: Optional[Union[str, Mapping[str, Any]]] = None,
                 receipt: Optional[Union[bool, str, Mapping[str, Any]]] = None,
                 status: Optional[Union[bool, Mapping[str, Any]]] = None,
                 timeout: Duration = "10s", since: str = "transaction") -> Dict[str, Any]:
        """Waits for one thing the terminal does and returns the timeline entry as a dict
        ``{"t_ms", "kind", "fields"}`` (as in results.json).

        Give one of: ``event`` (name), ``prompt`` (kind), ``result`` (a status, a mapping of
        RESULT fields, or True for any result of the current transaction), ``display`` (text
        contained), ``host_message`` (MTI or a mapping: mti, direction, …), ``receipt`` (text
        contained, a mapping, or True), ``status`` (a mapping or True). Looks from ``since``:
        ``transaction`` (the last step that started one: sale, refund, query, cancel, last,
        reprint, login, unlock), ``now`` or
        ``session``. Raises :class:`posrig.Timeout` when nothing matched in ``timeout``
        (scenario time)."""
        __tracebackhide__ = True
        given = {k: v for k, v in dict(event=event, prompt=prompt, result=result,
                                       display=display, host_message=host_message,
                                       receipt=receipt, status=status).items()
                 if v is not None}
        if len(given) != 1:
            raise TypeError("wait_for needs exactly one of: event, prompt, result, display, "
                            f"host_message, receipt, status (got {sorted(given) or 'none'})")
        kind, value = next(iter(given.items()))
        scalar_key = {"event": "name", "prompt": "kind", "result": "status", "display": "text",
                      "host_message": "mti", "receipt": "text"}
        if value is True:
            match: Dict[str, Any] = {}
        elif isinstance(value, Mapping):
            match = _plain(dict(value))
        elif isinstance(value, str) and kind in scalar_key:
            match = {scalar_key[kind]: value}
        else:
            raise TypeError(f"wait_for {kind}: expected a text, a mapping or True, got {value!r}")
        entry = self._native.wait_for(kind, match, _duration_ms(timeout), since)
        if entry is None:  # Ctrl-C: the pending KeyboardInterrupt follows
            return {}
        return entry

    def timeline(self) -> List[Dict[str, Any]]:
        """Everything that happened on the station in this session, as results.json records
        it: ``[{"t_ms", "kind", "fields"}, …]``."""
        return self._native.timeline()

    def recent(self, count: int = 25) -> str:
        """The last entries of the timeline, as text for people."""
        return self._native.recent_text(count)

    def ledger(self) -> Dict[str, Any]:
        """The host's ledger figures for this terminal now (debits, reversals, net, …)."""
        return self._native.ledger()

    def checks(self) -> List[_posrig.CheckResult]:
        """Every check of this session so far."""
        return self._native.checks()

    @property
    def transaction_id(self) -> str:
        """Id of the current transaction (the last sale, refund, query, cancel, last, reprint,
        login or unlock)."""
        return self._native.transaction_id()
