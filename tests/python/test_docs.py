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
    for name in ("fixtures", "scenarios"):  # the repository's, in a folder for the reports
        (tmp_path / name).symlink_to(repo / name)
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(),
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


def test_on_progress_example_prints_steps(repo, bench_file, tmp_path):
    blocks = _python_blocks((repo / "docs" / "python.md").read_text(), "Running suites")
    example = [b for b in blocks if "on_progress=" in b]
    assert len(example) == 1
    script = tmp_path / "progress.py"
    script.write_text("import posrig\n" + _for_bench(example[0], repo, bench_file))
    for name in ("fixtures", "scenarios"):
        (tmp_path / name).symlink_to(repo / name)
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    for scenario in ("decline/insufficient-funds", "decline/issuer-declines"):
        assert re.search(rf"^lane\d: {scenario} step 1/\d+$", run.stdout, re.M), run.stdout


def _sh_blocks(markdown: str, heading: str):
    """The ```sh blocks of the section under `heading` (up to the next ## heading)."""
    section = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [b.replace("\\\n", " ") for b in re.findall(r"```sh\n(.*?)```", section, re.S)]


def _like_the_repository(repo, build_dir, where):
    """A folder laid out like the repository's top folder (tests/ included, the collision)."""
    for name in ("fixtures", "scenarios", "tests"):
        (where / name).symlink_to(repo / name)
    (where / "build").symlink_to(build_dir)


def test_pytest_commands_run_from_the_top_folder(repo, build_dir, bench_file, tmp_path):
    markdown = (repo / "docs" / "python.md").read_text()
    commands = _sh_blocks(markdown, "pytest")
    assert len(commands) == 2
    _like_the_repository(repo, build_dir, tmp_path)
    test_file, = re.findall(r"saved as `(test_\w+\.py)`", markdown)
    (tmp_path / test_file).write_text(_python_blocks(markdown, "pytest")[0])
    env = dict(_env(), POSRIG_RIG_DIR=str(build_dir))
    env.pop("PYTHONPATH")  # the commands set it themselves
    expected = ["1 passed", "7 passed"]  # the test above; the smoke scenarios but the printer's
    for command, outcome in zip(commands, expected):
        run = subprocess.run(["bash", "-c", _for_bench(command.strip(), repo, bench_file)],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, command + "\n" + run.stdout + run.stderr
        assert outcome in run.stdout, run.stdout
