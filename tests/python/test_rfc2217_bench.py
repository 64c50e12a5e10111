"""The scenario library over remote serial ports (fixtures/benches/virtual-rfc2217.yaml: each
vterm's pty served by Debian's ser2net over RFC 2217, lane1 RIG-ECR, lane2 ZVT): scenarios pass
through ser2net on both drivers, a defect is caught through it, and a station whose RFC 2217
server is not there is an infrastructure error for that station only."""

import json
import os
import shutil
import socket
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("ser2net") is None and
                                not os.path.exists("/usr/sbin/ser2net"),
                                reason="ser2net is not installed (scripts/deps.sh installs it)")


def _run(rig_command, repo, bench, out, *extra):
    run = subprocess.run(
        [str(rig_command), "run", "scenarios", "--bench", str(bench), "--out", str(out), *extra],
        cwd=repo, capture_output=True, text=True, timeout=600)
    results = json.loads((out / "results.json").read_text())
    return run, results


def _bench(repo):
    return repo / "fixtures" / "benches" / "virtual-rfc2217.yaml"


def test_scenarios_pass_over_ser2net_on_both_drivers(rig_command, repo, tmp_path):
    run, results = _run(rig_command, repo, _bench(repo), tmp_path / "ok", "-k",
                        "decline or reprint or ecr")
    assert run.returncode == 0, run.stdout + run.stderr
    status = {s["id"]: s["status"] for s in results["scenarios"]}
    assert set(status.values()) == {"pass"}, status
    # ecr/* (link faults: bad LRC, no ACK, link lost) ran over the remote serial port too.
    assert {"ecr/bad-lrc", "decline/insufficient-funds"} <= set(status), status
    stations = {s["station"] for s in results["scenarios"]}
    assert stations == {"lane1", "lane2"}, "both drivers ran scenarios over RFC 2217"
    assert all(not st["error"] for st in results["stations"]), results["stations"]
    assert all(st["link"].startswith("rfc2217://") for st in results["stations"])


def test_a_defect_is_caught_over_ser2net(rig_command, repo, tmp_path):
    run, results = _run(rig_command, repo, _bench(repo), tmp_path / "bug", "-k",
                        "decline/insufficient-funds", "--var", "bugs=ignores-decline-code")
    assert run.returncode == 1, run.stdout + run.stderr
    assert [s["status"] for s in results["scenarios"]] == ["fail"], run.stdout


def test_a_dead_server_fails_its_station_only(rig_command, repo, tmp_path):
    # A port nothing listens on: bound, then closed.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    text = _bench(repo).read_text()
    fixtures = repo / "fixtures"
    text = (text.replace("cards: ../cards", f"cards: {fixtures}/cards")
                .replace("../profiles/", f"{fixtures}/profiles/")
                .replace("${bench_dir}/../sim/", f"{fixtures}/sim/")
                .replace("rfc2217://${remote2.rfc2217}", f"rfc2217://127.0.0.1:{dead_port}"))
    bench = tmp_path / "dead-remote.yaml"
    bench.write_text(text)
    run, results = _run(rig_command, repo, bench, tmp_path / "dead", "-k", "decline")
    assert run.returncode == 0, run.stdout + run.stderr
    errors = {st["name"]: st["error"] for st in results["stations"]}
    assert errors == {
        "lane1": "",
        "lane2": f"station lane2: rfc2217://127.0.0.1:{dead_port}: open failed: Connection refused",
    }
    assert f"station lane2: rfc2217://127.0.0.1:{dead_port}: open failed" in run.stdout
    status = {s["id"]: (s["status"], s["station"]) for s in results["scenarios"]}
    assert status and all(v == ("pass", "lane1") for v in status.values()), status
