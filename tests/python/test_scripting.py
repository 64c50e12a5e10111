"""Scripting a station: sales, faults, checks and waits from Python, on the virtual bench."""

import inspect

import pytest

import posrig


def _line_of(marker: str) -> int:
    """Line number of the source line holding `marker` in this file."""
    lines, start = inspect.getsourcelines(inspect.getmodule(_line_of))
    for number, text in enumerate(lines, start=start or 1):
        if marker in text and "_line_of" not in text:
            return number
    raise AssertionError(marker)


def test_card_sale_approved_and_booked(station):
    before = station.ledger()
    step = station.sale(amount="1.00", method="card", card="visa-chip")
    assert step.ok and step.name == "sale"
    result = station.wait_for(result=True, timeout="20s")
    assert result["kind"] == "result"
    assert result["fields"]["status"] == "APPROVED"
    assert result["fields"]["amount"] == "1.00"
    assert result["fields"]["id"] == station.transaction_id
    check = station.expect(result={"status": "APPROVED", "entry": "chip"})
    assert check.passed and check.actual == ""
    station.expect(ledger={"net": "1.00", "debits": 1})
    after = station.ledger()
    assert after["debits"] == before["debits"] + 1
    assert after["net_minor"] - before["net_minor"] == 100
    assert after["tid"] == before["tid"]
    # The card's PIN was entered by the engine when the terminal asked for it.
    kinds = [(e["kind"], e["fields"].get("kind")) for e in station.timeline()]
    assert ("prompt", "PIN") in kinds


def test_capabilities_name_the_driver_and_what_it_can_do(station):
    caps = station.capabilities
    assert caps["driver"] == "rig-ecr"
    assert "refund" in caps["commands"] and "event" in caps["observations"]
    assert "pending_reversals" in caps["status_fields"] and "ecr.no_ack" in caps["faults"]


def test_network_drop_after_approval_is_reversed_on_next_sale(station):
    # The approval (0210) is lost on its way back: the terminal must fail the sale, store a
    # reversal and send it (0400) before the next transaction.
    station.inject("network.down", when={"host_message": "0210"})
    station.sale(amount="100.00", method="card", card="visa-chip")
    station.expect(result={"status": "FAILED"}, within="40s")
    station.expect(event="REVERSAL_STORED")
    assert station.status()["pending_reversals"] == 1
    station.clear("network.down")

    station.sale(amount="1.00", method="card", card="visa-chip")
    reversal = station.wait_for(host_message={"mti": "0400", "direction": "to_host"},
                                timeout="20s")
    fields = reversal["fields"]["fields"]
    assert fields["4"] == "000000010000"  # the lost 100.00
    assert fields["90"].startswith("0200")  # original data elements: the first sale
    station.expect(host_message={"mti": "0400", "field_90_refers_to": "previous"})
    station.expect(host_message={"mti": "0410", "fields": {"39": "00"}})
    station.expect(event="REVERSAL_ACKED", before="result")
    station.expect(result={"status": "APPROVED"})
    station.expect(ledger={"net": "1.00", "reversals": 1, "debits": 1})
    assert station.status()["pending_reversals"] == 0
    # The order as the timeline recorded it: reversal sent and acknowledged, then the result.
    order = [e["fields"].get("name", e["kind"]) for e in station.timeline()
             if e["kind"] in ("event", "result")]
    last_result = len(order) - 1 - order[::-1].index("result")
    assert order.index("REVERSAL_ACKED") < last_result


def test_failed_check_raises_check_failed_with_texts_and_timeline(station):
    station.sale(amount="2.00", method="card", card="visa-chip")
    station.expect(result={"status": "APPROVED"})
    with pytest.raises(posrig.CheckFailed) as caught:
        station.expect(result={"status": "DECLINED"}, within="1s")  # check-declined
    e = caught.value
    line = _line_of("# check-declined")
    assert e.where.endswith(f"test_scripting.py:{line}:1"), e.where
    assert e.expected == "status=DECLINED"
    assert "expected RESULT status=DECLINED within" in e.actual
    assert "status=APPROVED" in e.actual
    text = str(e)
    assert "expected: status=DECLINED" in text
    assert "actual:   " in text
    assert "recent timeline of station" in text
    assert any(entry["kind"] == "result" for entry in e.timeline)
    assert isinstance(e, AssertionError) and isinstance(e, posrig.Error)
    assert not e.check.passed
    assert [c.passed for c in station.checks()] == [True, False]


def test_bad_arguments_are_config_errors_at_the_script_line(station):
    with pytest.raises(posrig.ConfigError) as caught:
        station.sale(amount="1.00", method="card", card="visa-gold")  # bad-card
    e = caught.value
    assert e.file.endswith("test_scripting.py")
    assert e.line == _line_of("# bad-card")
    assert e.message.startswith("unknown card 'visa-gold' (known: expired, frozen")
    assert len(e.issues) == 1 and str(e.issues[0]) == str(e)
    with pytest.raises(posrig.ConfigError, match="unknown fault 'network.dwn'"):
        station.inject("network.dwn")
    with pytest.raises(posrig.ConfigError, match="expected an amount with two fraction digits"):
        station.sale(amount=1.5, method="card", card="visa-chip")
    with pytest.raises(posrig.ConfigError, match="parameter 'ms' belongs to network.latency"):
        station.inject("network.down", ms=20)
    # Nothing was sent: the next sale is the first transaction.
    station.sale(amount="1.00", card="visa-chip")
    station.expect(result={"status": "APPROVED"})


def test_wait_for_prompt_and_timeout(station):
    station.sale(amount="3.00", method="card", card="visa-chip")
    prompt = station.wait_for(prompt="PIN", timeout="20s")
    assert prompt["kind"] == "prompt" and prompt["fields"]["kind"] == "PIN"
    station.wait_for(result="APPROVED", timeout="20s")
    with pytest.raises(posrig.Timeout) as caught:
        station.wait_for(event="NEVER_HAPPENS", timeout="1s")
    assert "station lane" in str(caught.value) and "no event with name=NEVER_HAPPENS" in str(
        caught.value)
    assert caught.value.timeline
    with pytest.raises(TypeError):
        station.wait_for(event="A", prompt="PIN")


def test_paper_state_shows_in_status(station):
    station.paper("out")
    assert station.status()["paper"] == "out"
    station.paper("ok")
    assert station.status()["paper"] == "ok"


def test_step_accepts_yaml_text_and_mappings(station):
    r = station.step('sale: {amount: "1.00", method: card, card: visa-chip}')
    assert r.ok
    station.step({"expect": {"result": {"status": "APPROVED"}}})
    step = posrig.load_step("fault: network.latency\nms: 200", station._bench.load_options)
    assert step.name == "fault" and step.args["ms"] == 200
    assert station.step(step).ok
    station.clear()


def test_a_station_has_one_session_at_a_time(rig_bench, station):
    with pytest.raises(posrig.Error, match=f"station {station.name} is in use"):
        rig_bench.station(station.name)
    other = rig_bench.station()  # the first free one
    try:
        assert other.name != station.name
    finally:
        other.close()
    station.close()
    with pytest.raises(posrig.Error, match="the session is closed"):
        station.last()
    again = rig_bench.station(station.name)
    again.close()


def test_catalogue_is_visible():
    names = {f["name"] for f in posrig.faults()}
    assert {"network.down", "network.latency"} <= names
    down = next(f for f in posrig.faults() if f["name"] == "network.down")
    assert down["family"] == "network"
    assert "sale" in {s["name"] for s in posrig.steps()}
    assert posrig.family_of("host.decline") == "acquirer"
    assert posrig.parse_duration("1.5s") == 1500
    with pytest.raises(posrig.ConfigError):
        posrig.parse_duration("soon")
    # `rig ports --json`: a list (empty on a machine without serial ports).
    for port in posrig.ports():
        assert {"name", "description", "usb_vid", "usb_pid", "summary"} <= set(port)
