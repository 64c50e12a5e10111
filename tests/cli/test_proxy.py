"""`rig proxy` in front of a real upstream (vhost's ISO 8583 acquirer and wallet gateway, on
127.0.0.1): messages relayed, faults armed and cleared through the control socket, bad requests
answered with the loader's messages, the token beyond loopback, exit codes."""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, REPO

BITMAP_7_11_41 = bytes([0x02, 0x20, 0, 0, 0, 0x80, 0, 0])


def echo_request(stan: int) -> bytes:
    """A real ISO 8583 0800 (fields 7, 11, 41) behind its 2-byte length prefix."""
    body = b"0800" + BITMAP_7_11_41 + b"1203120000" + b"%06d" % stan + b"RIG00001"
    return len(body).to_bytes(2, "big") + body


def exchange(endpoint, data: bytes, timeout=5.0, source=None):
    """Sends one framed message on a new connection (from address `source` when given): the
    framed reply; b"" when the connection was closed without one; None when nothing came within
    `timeout`."""
    host, port = endpoint.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout,
                                  source_address=(source, 0) if source else None) as s:
        s.sendall(data)
        got = b""
        try:
            while len(got) < 2 or len(got) < 2 + int.from_bytes(got[:2], "big"):
                chunk = s.recv(4096)
                if not chunk:
                    return b""
                got += chunk
        except ConnectionResetError:
            return b""
        except socket.timeout:
            return None
        return got[2:]


def post(endpoint, path, body: str, timeout=5.0):
    """One HTTP POST on a new connection: (status, body), or None when the connection closed
    without an answer."""
    host, port = endpoint.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.read().decode()
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return None
    finally:
        conn.close()


class Control:
    """A connection to the control socket: one JSON line out, one JSON line back."""

    def __init__(self, endpoint, token=None):
        host, port = endpoint.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.file = self.sock.makefile("rwb")
        self.token = token

    def __call__(self, **request):
        if self.token:
            request["token"] = self.token
        return self.raw(json.dumps(request).encode() + b"\n")

    def raw(self, line: bytes):
        self.file.write(line)
        self.file.flush()
        reply = self.file.readline()
        return json.loads(reply) if reply else None

    def close(self):
        self.file.close()
        self.sock.close()


def start(argv, env=None):
    """Starts a server that prints one READY line; (process, its key=value pairs)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})))
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        pytest.fail(f"{argv[0]}: {line}{proc.stderr.read()}")
    return proc, dict(kv.split("=", 1) for kv in line.split()[1:])


def stop(proc, sig=signal.SIGTERM):
    """Stops `proc` with `sig`; its exit code and stderr."""
    proc.send_signal(sig)
    code = proc.wait(timeout=10)
    return code, proc.stderr.read()


@pytest.fixture
def vhost(tmp_path):
    proc, ready = start([str(BUILD / "vhost"), "--iso", "127.0.0.1:0", "--wallet", "127.0.0.1:0",
                         "--admin", "127.0.0.1:0", "--db", str(tmp_path / "ledger.sqlite"),
                         "--cards", str(REPO / "fixtures" / "cards")])
    yield ready
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def proxy(rig, vhost, tmp_path):
    log = tmp_path / "proxy.log"
    proc, ready = start([str(rig), "proxy", "--upstream", vhost["iso"], "--log-file", str(log)])
    ready["log"] = log
    yield ready
    code, err = stop(proc)
    assert code == 0, err
    assert err == "rig proxy: stopped (SIGTERM)\n"  # no --verbose: nothing else on stderr


def test_relays_and_faults_through_the_control_socket(proxy, vhost):
    assert re.fullmatch(r"127\.0\.0\.1:\d+", proxy["listen"]), proxy
    assert proxy["upstream"] == vhost["iso"] and proxy["framing"] == "iso8583"
    assert exchange(proxy["listen"], echo_request(1))[:4] == b"0810"

    control = Control(proxy["control"])
    status = control(cmd="status")
    assert status == {"ok": True, "listen": proxy["listen"], "upstream": vhost["iso"],
                      "framing": "iso8583", "connections": status["connections"],
                      "messages": 2}

    # A scenario's fault step in JSON: the 0810 (to the terminal by default) is dropped.
    armed = control(cmd="arm", fault="network.down", when={"host_message": "0810"})
    assert armed["ok"], armed
    assert armed["fault"].startswith("down") and "0810" in armed["fault"]
    assert exchange(proxy["listen"], echo_request(2)) == b""
    faults = control(cmd="faults")["faults"]
    assert [f["id"] for f in faults] == [armed["id"]] and faults[0]["fired"]
    page = control(cmd="messages", **{"from": 2})
    assert page["ok"] and page["next"] == 4
    to_host, to_terminal = page["messages"]
    assert (to_host["index"], to_host["direction"], to_host["mti"]) == (2, "to_host", "0800")
    assert to_host["fields"]["11"] == "000002" and to_host["size"] == len(echo_request(2))  # the frame, prefix included
    assert to_terminal["direction"] == "to_terminal" and to_terminal["mti"] == "0810"
    assert to_terminal["dropped"] and "fault" in to_terminal
    assert control(cmd="messages", **{"from": 4}) == {"ok": True, "messages": [], "next": 4}

    assert control(cmd="clear_all") == {"ok": True, "cleared": 1}
    assert control(cmd="faults") == {"ok": True, "faults": []}
    assert exchange(proxy["listen"], echo_request(3))[:4] == b"0810"

    late = control(cmd="arm", fault="network.latency", ms=400, direction="to_terminal")
    assert late["ok"], late
    started = time.monotonic()
    assert exchange(proxy["listen"], echo_request(4))[:4] == b"0810"
    assert time.monotonic() - started >= 0.4
    assert control(cmd="clear", id=late["id"]) == {"ok": True, "cleared": True}
    assert control(cmd="clear", id=late["id"]) == {"ok": True, "cleared": False}

    # blackhole: read, never forwarded; `for` clears it by itself once it fired.
    hole = control(cmd="arm", fault="network.blackhole", **{"for": "1s"})
    assert hole["ok"], hole
    assert exchange(proxy["listen"], echo_request(5), timeout=0.5) is None
    deadline = time.monotonic() + 5
    while control(cmd="faults")["faults"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert control(cmd="faults")["faults"] == []
    assert exchange(proxy["listen"], echo_request(6))[:4] == b"0810"
    control.close()
    # --log-file: each message by its summary, each event (faults fired and cleared)
    log = proxy["log"].read_text()
    assert re.search(r"message 2 conn \d+ to_host 0800 7=1203120000 11=000002", log), log
    assert re.search(r"message 3 conn \d+ to_terminal 0810 .* \| ", log), log  # its fault


def test_wallet_gateway_behind_http_framing(rig, vhost):
    proc, ready = start([str(rig), "proxy", "--upstream", vhost["wallet"], "--framing", "http",
                         "--verbose"])
    try:
        bad_order = json.dumps({"out_trade_no": "A", "amount": "1.00"})
        status, body = post(ready["listen"], "/micropay", bad_order)
        assert status == 400 and "missing field 'auth_code'" in body
        control = Control(ready["control"])
        r = control(cmd="arm", fault="network.down", when={"host_message": "0210"})
        assert not r["ok"] and "host_message trigger cannot fire on this http proxy" in r["error"]
        armed = control(cmd="arm", fault="network.down", when={"wallet_message": "/micropay"})
        assert armed["ok"], armed
        assert post(ready["listen"], "/micropay", bad_order) is None  # request dropped
        messages = control(cmd="messages")["messages"]
        assert [(m["method"], m["path"]) for m in messages[:2]] == [("POST", "/micropay")] * 2
        assert messages[1]["status"] == 400
        assert messages[1]["body"] == {"error": "missing field 'auth_code'"}
        assert messages[2]["direction"] == "to_host" and messages[2]["dropped"]
        control.close()
    finally:
        code, err = stop(proc, signal.SIGINT)
        assert code == 0 and err.endswith("rig proxy: stopped (SIGINT)\n"), err
        # --verbose: each message on stderr
        assert re.search(r"info: message 0 conn \d+ to_host POST /micropay", err), err


def test_bad_requests_get_the_loaders_messages_and_the_connection_stays(proxy):
    control = Control(proxy["control"])
    assert control.raw(b"{nope\n") == {"ok": False, "error": "not JSON"}
    assert control.raw(b"[1, 2]\n") == {"ok": False, "error": 'expected an object with "cmd"'}
    r = control(cmd="arm", fault="network.meltdown")
    assert not r["ok"] and re.match(r"request:1:\d+: unknown fault 'network.meltdown'",
                                    r["error"]), r
    r = control(cmd="arm", fault="network.latency")
    assert r == {"ok": False,
                 "error": "request:1:1: missing parameter 'ms' for fault network.latency"}
    # Positions point into the line as sent, whatever comes before the fault's members.
    line = '{"token": "x", "cmd": "arm", "fault": "network.down", "bogus": 1}'
    r = control.raw(line.encode() + b"\n")
    column = line.index('"bogus"') + 1
    assert not r["ok"] and r["error"].startswith(
        f"request:1:{column}: unknown parameter 'bogus' for fault network.down"), r
    line = '{"fault":"network.latency","ms":-5,"cmd":"arm"}'
    r = control.raw(line.encode() + b"\n")
    assert not r["ok"] and r["error"].startswith(f"request:1:{line.index('-5') + 1}: "), r
    r = control(cmd="arm", fault="scanner.dirty", level=0.5)
    assert r == {"ok": False, "error": "request: rig proxy arms network.* faults only, "
                                       "not scanner.dirty"}
    r = control(cmd="arm", fault="network.down", when={"wallet_message": "/micropay"})
    assert not r["ok"] and "wallet_message trigger cannot fire on this iso8583 proxy" in r["error"]
    r = control(cmd="arm", fault="network.down", when={"event": "BOOT"})
    assert not r["ok"] and "event trigger cannot fire" in r["error"]
    r = control(cmd="arm", wait="1s")
    assert not r["ok"] and "expected a fault step" in r["error"], r
    assert control(cmd="fly") == {
        "ok": False, "error": "unknown cmd 'fly' (known: arm, clear, clear_all, faults, messages, "
                              "status)"}
    assert control(cmd="clear") == {"ok": False,
                                    "error": "clear: id: expected the id an arm reply gave"}
    assert not control(cmd="messages", **{"from": -1})["ok"]
    assert control(cmd="faults") == {"ok": True, "faults": []}  # nothing was armed
    assert control(cmd="status")["ok"]
    # A line over 64 KiB: dropped as it comes, its error at its end; the connection stays.
    assert control.raw(b"x" * (200 * 1024) + b"\n") == {
        "ok": False, "error": "request longer than 64 KiB"}
    assert control(cmd="status")["ok"]
    control.close()


def test_token_beyond_loopback(rig, vhost):
    for option in ("--control", "--listen"):
        r = subprocess.run([str(rig), "proxy", "--upstream", vhost["iso"], option, "0.0.0.0:0"],
                           capture_output=True, text=True, timeout=30,
                           env={k: v for k, v in os.environ.items() if k != "POSRIG_PROXY_TOKEN"})
        assert r.returncode == 2, r.stderr
        assert f"rig proxy: {option} beyond loopback (0.0.0.0) needs --token or " \
               "$POSRIG_PROXY_TOKEN" in r.stderr
    # The token from the environment keeps it out of ps.
    proc, ready = start([str(rig), "proxy", "--upstream", vhost["iso"], "--control", "0.0.0.0:0"],
                        env={"POSRIG_PROXY_TOKEN": "s3cret"})
    try:
        port = ready["control"].rsplit(":", 1)[1]
        without = Control(f"127.0.0.1:{port}")
        assert without(cmd="status") == {"ok": False, "error": "token: missing or wrong"}
        assert without(cmd="arm", fault="network.down", token=7) == {
            "ok": False, "error": "token: missing or wrong"}
        without.close()
        wrong = Control(f"127.0.0.1:{port}", token="s3cres")
        assert wrong(cmd="status") == {"ok": False, "error": "token: missing or wrong"}
        wrong.close()
        right = Control(f"127.0.0.1:{port}", token="s3cret")
        assert right(cmd="status")["ok"]
        armed = right(cmd="arm", fault="network.down")  # the token is not a fault parameter
        assert armed["ok"], armed
        right.close()
    finally:
        code, _ = stop(proc, signal.SIGINT)
        assert code == 0


def test_allow_from_beyond_loopback(rig, vhost):
    """A terminal cannot send the token: beyond loopback only listed sources get through."""
    env = {"POSRIG_PROXY_TOKEN": "s3cret"}
    for extra, message in (
            ([], "rig proxy: --listen beyond loopback (0.0.0.0) needs --allow-from CIDR (the "
                 "sources terminals connect from): terminals cannot send the token"),
            (["--allow-from", "10.1.2.0/33"],
             "rig proxy: --allow-from '10.1.2.0/33': the prefix of an IPv4 block is 0 to 32")):
        r = subprocess.run([str(rig), "proxy", "--upstream", vhost["iso"], "--listen", "0.0.0.0:0",
                            *extra], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, **env))
        assert r.returncode == 2, r.stderr
        assert message in r.stderr, r.stderr

    # All of 127.0.0.0/8 is loopback: 127.0.0.3 is a source outside the list, without root.
    proc, ready = start([str(rig), "proxy", "--upstream", vhost["iso"], "--listen", "127.0.0.2:0",
                         "--allow-from", "127.0.0.1/32", "--verbose"])
    try:
        for stan in (1, 2, 3):
            assert exchange(ready["listen"], echo_request(stan), source="127.0.0.3") == b""
        assert exchange(ready["listen"], echo_request(4), source="127.0.0.1")[:4] == b"0810"
    finally:
        code, err = stop(proc, signal.SIGINT)
    assert code == 0, err
    refused = [line for line in err.splitlines() if "refused: its source" in line]
    assert len(refused) == 1, err  # said once within the second, counted
    assert re.search(r"connection 1 from 127\.0\.0\.3:\d+ refused: its source is not in "
                     r"allow_from \(127\.0\.0\.1/32\); 1 refused so far", refused[0]), refused
    assert "message 0 conn 4 to_host 0800" in err, err  # only the listed source's message


def test_exit_codes(rig, vhost):
    def run(*args):
        return subprocess.run([str(rig), "proxy", *args], capture_output=True, text=True,
                              timeout=30)

    r = run()
    assert r.returncode == 2 and "--upstream is required" in r.stderr
    r = run("--upstream", "127.0.0.1")
    assert r.returncode == 2 and "bad endpoint '127.0.0.1': expected HOST:PORT" in r.stderr
    r = run("--upstream", vhost["iso"], "--framing", "xml")
    assert r.returncode == 2 and "xml" in r.stderr
    r = run("--upstream", vhost["iso"], "--listen", vhost["iso"])  # the port is taken
    assert r.returncode == 3 and r.stderr.startswith("rig proxy: "), r.stderr
    assert r.stdout == ""
    r = run("--upstream", vhost["iso"], "--control", vhost["wallet"])
    assert r.returncode == 3 and "control: cannot listen on " + vhost["wallet"] in r.stderr
