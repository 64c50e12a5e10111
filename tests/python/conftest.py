"""The posrig pytest suite: the Python bindings on the virtual bench (loopback only).

Run from a build tree (ctest does this)::

    POSRIG_BUILD_DIR=build /usr/bin/python3 -m pytest tests/python -q

The package is taken from $POSRIG_BUILD_DIR/bindings unless posrig is importable already
(installed, or PYTHONPATH set). The bench is fixtures/benches/virtual.yaml unless --rig-bench
says otherwise; its simulators come from the build tree.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("POSRIG_BUILD_DIR", REPO / "build")).resolve()

if (BUILD / "bindings" / "posrig").is_dir() and str(BUILD / "bindings") not in sys.path:
    sys.path.insert(0, str(BUILD / "bindings"))
if (BUILD / "vterm").exists():
    os.environ.setdefault("POSRIG_RIG_DIR", str(BUILD))

pytest_plugins = ["pytester", "posrig.pytest_plugin"]

VIRTUAL_BENCH = REPO / "fixtures" / "benches" / "virtual.yaml"


def pytest_configure(config):
    if not config.getoption("rig_bench"):
        config.option.rig_bench = str(VIRTUAL_BENCH)


def pytest_collection_finish(session):
    # A suite that silently shrank (an import error swallowed, a wrong path) must not pass.
    wanted = int(os.environ.get("POSRIG_MIN_TESTS", "0"))
    if wanted and len(session.items) < wanted and not session.config.getoption("keyword"):
        raise pytest.UsageError(
            f"posrig: collected {len(session.items)} tests, expected at least {wanted} "
            "(POSRIG_MIN_TESTS)")


@pytest.fixture(autouse=True)
def _scratch_folder(tmp_path, monkeypatch):
    """Every test runs in a scratch folder: posrig.run without out= writes its reports into
    reports/ of the current folder, never into the repository's."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return BUILD


@pytest.fixture(scope="session")
def rig_command() -> Path:
    rig = BUILD / "rig"
    if not rig.exists():
        found = shutil.which("rig")
        if not found:
            pytest.fail(f"no rig command in {BUILD} or on PATH", pytrace=False)
        rig = Path(found)
    return rig


@pytest.fixture(scope="session")
def bench_file(pytestconfig) -> str:
    return pytestconfig.getoption("rig_bench")
