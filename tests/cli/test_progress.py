"""Feedback on long runs: live station lines on a terminal (a real pty), plain progress lines
in a pipe, colour and NO_COLOR, --verbose and --log-file, simulator output in the report
folder."""

import errno
import fcntl
import os
import pty
import re
import struct
import subprocess
import termios

from conftest import VIRTUAL, run_rig

SCENARIO = "scenarios/reversal/approval-lost.yaml"
STEP = re.compile(r"reversal/approval-lost  step (\d+)/(\d+) ")


def run_on_pty(rig, workdir, args, env_extra=None, drop=("NO_COLOR",)):
    """Runs rig with stdout and stderr on a pty of 120 columns; returns (exit code, output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["TERM"] = "xterm"
    env.update(env_extra or {})
    proc = subprocess.Popen([str(rig), *args], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError as e:  # EIO: the last writer closed the pty
            if e.errno != errno.EIO:
                raise
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_live_station_lines_and_colour_on_a_terminal(rig, workdir):
    code, out = run_on_pty(rig, workdir, ["run", SCENARIO, "--bench", VIRTUAL])
    assert code == 0, out
    # The station line: scenario, step N/M and its kind, elapsed time; redrawn in place.
    assert re.search(r"lane\d  reversal/approval-lost  step \d+/\d+ \w+  \d+\.\ds", out), out
    assert "\x1b[J" in out and re.search(r"\r\x1b\[\d+A", out), "no in-place redraw"
    assert "\x1b[32mPASS \x1b[0m" in out  # the result in green
    # The live lines are gone at the end: the last thing drawn is not a station line.
    tail = out[out.rindex("\x1b[J"):]
    assert not STEP.search(tail), tail


def test_no_color_keeps_live_lines_without_colour(rig, workdir):
    code, out = run_on_pty(rig, workdir, ["run", SCENARIO, "--bench", VIRTUAL],
                           env_extra={"NO_COLOR": "1"}, drop=())
    assert code == 0, out
    assert STEP.search(out)
    assert "\x1b[J" in out
    assert not re.search(r"\x1b\[[0-9;]*m", out), "colour despite NO_COLOR"


def test_plain_progress_lines_in_a_pipe(rig, workdir):
    r = run_rig(rig, ["run", SCENARIO, "--bench", VIRTUAL, "--progress-interval", "0s"], workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "\x1b" not in r.stdout
    steps = [(int(a), int(b)) for a, b in STEP.findall(r.stdout)]
    total = steps[0][1]
    assert [s for s, _ in steps] == list(range(1, total + 1)), r.stdout
    # Each line says where the step is in the file.
    assert f"({SCENARIO}:" in r.stdout


def test_pipe_default_is_quiet_and_colour_can_be_forced(rig, workdir):
    r = run_rig(rig, ["run", SCENARIO, "--bench", VIRTUAL, "--color", "always"], workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "\x1b[32mPASS" in r.stdout
    assert "\x1b[J" not in r.stdout  # no cursor movement outside a terminal
    # At most one progress line per station per 10 s: the scenario's start only.
    assert len(STEP.findall(r.stdout)) <= 1


def test_verbose_and_log_file(rig, workdir):
    r = run_rig(rig, ["run", SCENARIO, "--bench", VIRTUAL, "--verbose", "--log-file", "run.log"],
                workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"reversal/approval-lost step 1/\d+ fault at " + SCENARIO, r.stderr), r.stderr
    assert "host_message" in r.stderr and "fault_applied" in r.stderr
    log = (workdir / "run.log").read_text()
    assert "reversal/approval-lost started" in log
    assert re.search(r"pass reversal/approval-lost on lane\d", log)
    assert "host_message" in log
    # Without --verbose the log file still gets everything; stderr stays quiet.
    r = run_rig(rig, ["run", SCENARIO, "--bench", VIRTUAL, "--log-file", "quiet.log"], workdir)
    assert r.returncode == 0
    assert r.stderr == ""
    assert "host_message" in (workdir / "quiet.log").read_text()


def test_bad_log_file_and_colour_are_usage_errors(rig, workdir):
    (workdir / "a-file").write_text("")
    r = run_rig(rig, ["run", SCENARIO, "--bench", VIRTUAL, "--log-file", "a-file/x.log"], workdir)
    assert r.returncode == 2
    assert "rig: cannot write log file a-file/x.log: " in r.stderr
    r = run_rig(rig, ["run", SCENARIO, "--bench", VIRTUAL, "--color", "sometimes"], workdir)
    assert r.returncode == 2


def test_simulator_output_is_kept_in_the_report_folder(rig, workdir):
    r = run_rig(rig, ["run", SCENARIO, "--bench", VIRTUAL, "--out", "out"], workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    logs = workdir / "out" / "logs"
    names = sorted(p.name for p in logs.iterdir())
    assert "vhost.log" in names
    assert "vterm-lane1.log" in names and "vterm-lane2.log" in names
    vterm = (logs / "vterm-lane1.log").read_text()
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} stdout READY", vterm, re.M), vterm
