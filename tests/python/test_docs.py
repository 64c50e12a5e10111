"""docs/python.md works when pasted: its complete example runs, and so does its pytest test."""

import os
import re
import subprocess
import sys

import posrig


def _python_blocks(markdown: str, heading: str):
    """The ```python blocks of the section under `heading` (up to the next ## heading)."""
    section = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def _env():
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(posrig.__file__))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _for_bench(code: str, repo, bench_file: str) -> str:
    default = "fixtures/benches/virtual.yaml"
    if os.path.realpath(bench_file) != os.path.realpath(repo / default):
        code = code.replace(default, bench_file)
    return code


def test_complete_example_runs(repo, bench_file, tmp_path):
    blocks = _python_blocks((repo / "docs" / "python.md").read_text(), "A complete example")
    assert len(blocks) == 1
    script = tmp_path / "example.py"
    script.write_text(_for_bench(blocks[0], repo, bench_file))
    run = subprocess.run([sys.executable, str(script)], cwd=repo, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "stations up: ['lane1', 'lane2']" in out
    assert re.search(r"^approved: \S+ net 1\.00$", out, re.M), out
    assert "pending reversals: 1" in out
    assert "reversal of 000000010000 (minor units)" in out
    assert "no PAPER_OUT, as it should be: name=PAPER_OUT" in out
    assert re.search(r"^card/approved pass \d+ ms$", out, re.M), out
    assert "'pass': 1" in out and "exit code 0" in out


def test_pytest_example_passes(repo, bench_file, pytester, monkeypatch):
    blocks = _python_blocks((repo / "docs" / "python.md").read_text(), "pytest")
    assert len(blocks) == 1
    pytester.makepyfile(test_doc=blocks[0])
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])
    result = pytester.runpytest_subprocess("-p", "posrig.pytest_plugin", "-p", "no:cacheprovider",
                                           "--rig-bench", bench_file, timeout=300)
    result.assert_outcomes(passed=1)
