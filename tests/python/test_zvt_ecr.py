"""vterm --protocol zvt driven by an ECR that shares no code with posrig (zvt_ecr.py: the
standard library and the protocol's byte layouts), over TCP and over the pty: registration,
payment, reversal, repeat receipt, status enquiry and a decline, in the order the ZVT
specification gives them. The card and the PIN are given at the terminal through vterm's
control port when the terminal's intermediate status asks for them."""

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

import zvt_ecr

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("POSRIG_BUILD_DIR", REPO / "build")).resolve()
CARDS = REPO / "fixtures" / "cards"
TID = "52000001"


def _ready(proc) -> dict:
    line = proc.stdout.readline()
    assert line.startswith("READY "), line
    return dict(kv.split("=", 1) for kv in line.split()[1:])


class Control:
    """vterm's control port: JSON lines over TCP."""

    def __init__(self, address: str):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=20)
        self.file = self.sock.makefile("rw")

    def __call__(self, cmd: str, **args) -> dict:
        self.file.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.file.flush()
        reply = json.loads(self.file.readline())
        assert reply["ok"], reply
        return reply


@pytest.fixture
def vhost(tmp_path_factory):
    # One acquirer per test: it keys transactions by terminal id and STAN, and every test's
    # terminal starts with a fresh flash (STAN 000001).
    d = tmp_path_factory.mktemp("vhost")
    proc = subprocess.Popen(
        [str(BUILD / "vhost"), "--iso", "127.0.0.1:0", "--wallet", "127.0.0.1:0", "--admin",
         "127.0.0.1:0", "--db", str(d / "ledger.sqlite"), "--cards", str(CARDS)],
        stdout=subprocess.PIPE, text=True)
    yield _ready(proc)
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(params=["tcp", "pty"])
def terminal(request, vhost, tmp_path):
    port = ["--ecr-listen", "127.0.0.1:0"] if request.param == "tcp" else [
        "--ecr-link", str(tmp_path / "ecr")]
    proc = subprocess.Popen(
        [str(BUILD / "vterm"), "--protocol", "zvt", *port, "--host", vhost["iso"], "--wallet",
         "http://" + vhost["wallet"], "--tid", TID, "--mid", "4711", "--cards", str(CARDS), "--currency", "978",
         "--control", "127.0.0.1:0", "--state", str(tmp_path / "flash")],
        stdout=subprocess.PIPE, text=True)
    ready = _ready(proc)
    spec = "tcp:" + ready["ecr"] if request.param == "tcp" else ready["ecr"]
    control = Control(ready["control"])
    ecr = zvt_ecr.Ecr(zvt_ecr.connect(spec))
    yield ecr, control
    ecr.t.close()
    proc.terminate()
    assert proc.wait(timeout=20) == 0


def at_the_terminal(control, card="visa-chip", pin="1234"):
    """What the customer does when the terminal's intermediate status asks for it."""

    def act(message: bytes):
        status = message[3]
        if status == 0x0A:  # insert card
            control("card.remove")
            control("card.insert", card=card)
        elif status == 0x01:  # watch the PIN pad
            control("keypad.press", keys=list(pin) + ["ENTER"])

    return act


def commands(messages):
    return [m[:2].hex() for m in messages]


def test_register_then_pay_reverse_repeat_and_ask(terminal):
    ecr, control = terminal

    # Registration 06 00: 80 00, then completion 06 0F with status byte, TID and currency.
    done = ecr.register(password="000000", config=0x8A, currency=978)
    assert commands(done) == ["060f"]
    completion = zvt_ecr.bmps(done[0][3:])
    assert completion[0x19] == b"\x00"
    assert completion[0x29] == bytes.fromhex(TID)
    assert completion[0x49] == b"\x09\x78"

    # Authorization 06 01 of 12.34 EUR.
    messages = ecr.pay(1234, on_status=at_the_terminal(control))
    order = commands(messages)
    # Intermediate statuses, the status information, the receipt as print lines, completion.
    assert order[0] == "04ff" and order[-1] == "060f", order
    info_at = order.index("040f")
    assert set(order[:info_at]) == {"04ff"}
    assert set(order[info_at + 1:-1]) == {"06d1"}
    info = zvt_ecr.status_information(messages)
    assert info[0x27] == b"\x00"
    assert info[0x04] == bytes.fromhex("000000001234")
    assert info[0x22] == bytes.fromhex("476173eeeeee0010")  # masked PAN, E = masked digit
    assert info[0x29] == bytes.fromhex(TID)
    assert info[0x49] == b"\x09\x78"
    assert info[0x3B][6:] == b"\x00\x00"  # approval code, NUL-padded
    receipt = info[0x87]
    lines = zvt_ecr.print_lines(messages)
    assert any("12.34" in line for line in lines), lines
    assert messages[-2][3] & 0x80  # the last print line is marked last
    # Every PT message was answered 80 00 00, right after it.
    for (d1, a1), (d2, a2) in zip(ecr.log, ecr.log[1:]):
        if d1 == "<-" and a1[:2] not in (b"\x80\x00", b"\x84\x00"):
            assert (d2, a2) == ("->", b"\x80\x00\x00")

    # Status enquiry 05 01: completion with the software version and terminal status 00.
    done = ecr.status()
    assert commands(done) == ["060f"]
    assert all(b & 0xF0 == 0xF0 for b in done[0][3:6])  # LLLVAR software version
    version_length = (done[0][3] & 0x0F) * 100 + (done[0][4] & 0x0F) * 10 + (done[0][5] & 0x0F)
    assert done[0][6:6 + version_length].startswith(b"vterm")
    assert done[0][6 + version_length] == 0x00

    # Repeat receipt 06 20: the last transaction's status information, its receipt again.
    again = ecr.repeat_receipt()
    assert commands(again)[0] == "040f" and commands(again)[-1] == "060f"
    assert zvt_ecr.status_information(again)[0x87] == receipt
    assert any("DUPLICATE" in line for line in zvt_ecr.print_lines(again))

    # Reversal 06 30 of that receipt: the card again, then the whole amount back.
    messages = ecr.command(
        zvt_ecr.apdu(0x06, 0x30, bytes.fromhex("000000") + b"\x87" + receipt),
        on_status=at_the_terminal(control))
    assert commands(messages)[-1] == "060f", commands(messages)
    assert zvt_ecr.status_information(messages)[0x04] == bytes.fromhex("000000001234")
    # A second reversal of the same receipt: already reversed (B4).
    messages = ecr.reverse(int(receipt.hex()))
    assert commands(messages) == ["061e"] and messages[0][3] == 0xB4


def test_decline_is_status_information_and_abort(terminal):
    ecr, control = terminal
    ecr.register(config=0x8A)
    # The low-balance card: the host answers 51, carried as 0x33 (51 decimal).
    messages = ecr.pay(900000, on_status=at_the_terminal(control, card="low-balance"))
    order = commands(messages)
    assert order[-2:] == ["040f", "061e"], order
    assert zvt_ecr.status_information(messages)[0x27] == b"\x33"
    assert messages[-1][3] == 0x33


def test_wrong_password_is_refused(terminal):
    ecr, _ = terminal
    refused = ecr.register(password="123456")
    assert refused == [b"\x84\x83\x00"]
