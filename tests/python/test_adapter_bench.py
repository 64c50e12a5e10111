"""The terminal adapter path end to end (docs/terminal-adapters.md): the example adapter
fixtures/adapters/rig_ecr_adapter.py (Python, stdlib only) drives vterm over RIG-ECR for the
`adapter` driver of fixtures/benches/virtual-adapter.yaml. It passes `rig adapter-check`, the
scenario library passes on it (skipping only what an adapter cannot do: the rig's own ECR link
faults), vterm defects are caught through it, and a broken adapter is named by adapter-check."""

import collections
import json
import subprocess
import sys

BENCH = ("fixtures", "benches", "virtual-adapter.yaml")


def _rig(rig_command, repo, *args, timeout=600):
    return subprocess.run([str(rig_command), *args], cwd=repo, capture_output=True, text=True,
                          timeout=timeout)


def _run(rig_command, repo, out, *extra):
    run = _rig(rig_command, repo, "run", "scenarios", "--bench", str(repo.joinpath(*BENCH)),
               "--out", str(out), *extra)
    results = json.loads((out / "results.json").read_text())
    return run, results["scenarios"]


def test_example_adapter_passes_adapter_check(rig_command, repo):
    check = _rig(rig_command, repo, "adapter-check", "--bench", str(repo.joinpath(*BENCH)),
                 "--station", "lane2", timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "hello: rig-ecr-adapter 1.0.0 (protocol 1)" in check.stdout
    assert '"tid":"RIG00002"' in check.stdout  # the status answer came from lane2's vterm
    assert check.stdout.rstrip().endswith("ok: the adapter said hello and answered status")


def test_library_passes_over_the_adapter(rig_command, repo, tmp_path):
    run, scenarios = _run(rig_command, repo, tmp_path / "lib")
    status = collections.Counter(s["status"] for s in scenarios)
    assert run.returncode == 0, run.stdout + run.stderr
    assert status["fail"] == 0 and status["error"] == 0, run.stdout
    skipped = {s["id"]: s["message"] for s in scenarios if s["status"] == "skipped"}
    # An adapter makes no faults of the rig's own ECR link; everything else runs.
    assert sorted(skipped) == ["ecr/bad-lrc", "ecr/link-lost-mid-sale", "ecr/no-ack"], skipped
    assert all("driver adapter cannot make it" in why for why in skipped.values()), skipped
    assert status["pass"] == len(scenarios) - 3
    # Results came through the adapter: its transaction type arrived as the model's `type`.
    run_json = json.loads((tmp_path / "lib" / "results.json").read_text())
    assert run_json["scenarios"], run_json


def test_vterm_defects_are_caught_over_the_adapter(rig_command, repo, tmp_path):
    run, scenarios = _run(
        rig_command, repo, tmp_path / "bugs", "-k",
        "decline/ or reversal/host-silent or reprint-duplicate or ecr/duplicate-sale",
        "--var", "bugs=no-reversal,ignores-decline-code,reprint-not-marked,ecr-duplicate-executed")
    assert run.returncode == 1, run.stdout + run.stderr
    ran = {s["id"]: s["status"] for s in scenarios}
    assert ran == {"decline/insufficient-funds": "fail", "decline/issuer-declines": "fail",
                   "reversal/host-silent": "fail", "printer/reprint-duplicate": "fail",
                   "ecr/duplicate-sale": "fail"}, ran


def test_adapter_check_names_what_is_wrong(rig_command, repo, tmp_path):
    broken = tmp_path / "broken_adapter.py"
    broken.write_text(
        "import json, sys\n"
        "print(json.dumps({'type': 'hello', 'protocol': 1, 'name': 'broken', 'version': '0',\n"
        "  'capabilities': {'commands': ['status'], 'observations': ['status']}}), flush=True)\n"
        "c = json.loads(sys.stdin.readline())\n"
        "print(json.dumps({'type': 'accepted', 'request': c['request']}), flush=True)\n"
        "print(json.dumps({'type': 'status', 'id': c['id'], 'colour': 'red'}), flush=True)\n"
        "sys.stderr.write('about to idle\\n')\n"
        "sys.stdin.read()\n")
    check = _rig(rig_command, repo, "adapter-check", "--timeout", "3s", "--", sys.executable,
                 str(broken), timeout=60)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "hello: broken 0 (protocol 1)" in check.stdout
    assert ("FAIL: adapter " in check.stdout and "wrote a bad line 3: status: unknown field "
            "'colour'" in check.stdout), check.stdout

    silent = _rig(rig_command, repo, "adapter-check", "--timeout", "500ms", "--", "sleep", "5",
                  timeout=60)
    assert silent.returncode == 1
    assert "FAIL: adapter sleep 5 sent no hello within" in silent.stdout, silent.stdout

    usage = _rig(rig_command, repo, "adapter-check", timeout=60)
    assert usage.returncode == 2
    assert "give either --bench FILE [--station S] or -- ARGV" in usage.stderr

    not_adapter = _rig(rig_command, repo, "adapter-check", "--bench",
                       str(repo / "fixtures" / "benches" / "virtual.yaml"), timeout=60)
    assert not_adapter.returncode == 2
    assert "has no station with driver adapter" in not_adapter.stderr
