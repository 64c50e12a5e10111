"""The `rig` command as a user runs it: docs examples, progress on a terminal and in a pipe.

Run from a build tree (ctest runs each test_*.py here as its own test)::

    POSRIG_BUILD_DIR=build /usr/bin/python3 -m pytest tests/cli -q

Each test works in a scratch folder that links the repository's scenarios/ and fixtures/, so
that reports/ and other output never land in the source tree.
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("POSRIG_BUILD_DIR", REPO / "build")).resolve()
VIRTUAL = "fixtures/benches/virtual.yaml"


@pytest.fixture(scope="session")
def rig() -> Path:
    path = BUILD / "rig"
    if not path.exists():
        pytest.fail(f"no rig command in {BUILD} (set POSRIG_BUILD_DIR)", pytrace=False)
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A scratch folder with the library: scenarios/ and fixtures/ link to the repository's."""
    for name in ("scenarios", "fixtures"):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def run_rig(rig: Path, args, cwd: Path, env=None, timeout=300) -> subprocess.CompletedProcess:
    """Runs rig with `args` in `cwd`; output as text."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([str(rig), *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def dry_run_ids(output: str):
    """The scenario ids a `rig run --dry-run` lists, in order."""
    ids = []
    for line in output.splitlines():
        if line.startswith("  ") and "/" in line.split()[0]:
            ids.append(line.split()[0])
    return ids


def library_ids(repo: Path, folder: str = "scenarios"):
    """Every scenario id under a folder of the repository, sorted like the loader sorts."""
    root = repo / folder
    ids = []
    for path in sorted(root.rglob("*.yaml")):
        family = None
        for line in path.read_text().splitlines():
            if line.startswith("family:"):
                family = line.split(":", 1)[1].strip()
        ids.append(f"{family}/{path.stem}")
    return ids

