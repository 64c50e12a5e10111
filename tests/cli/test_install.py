"""Installable: `cmake --install` and the Debian package put rig, vterm, vhost, the Python
module (with a complete dist-info), the scenario library, the benches and the bash completion
in place, and what is installed runs without the build tree."""

import base64
import csv
import glob
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD

VERSION_LINE = re.compile(r"^rig \d+\.\d+\.\d+ \(git ([0-9a-f]{7,40}(-dirty)?|unknown)\)$")


def clean_env(**extra):
    """An environment that knows nothing of the build tree."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def check_record(site: Path):
    """Every file of the package and the dist-info is in RECORD with its sha256 and size."""
    dist_info, = site.glob("posrig-*.dist-info")
    rows = list(csv.reader((dist_info / "RECORD").read_text().splitlines()))
    listed = {row[0] for row in rows}
    on_disk = {p.relative_to(site).as_posix()
               for top in ("posrig", dist_info.name) for p in (site / top).rglob("*")
               if p.is_file()}
    assert listed == on_disk
    for path, digest, size in rows:
        if path.endswith("/RECORD"):
            assert (digest, size) == ("", "")
            continue
        data = (site / path).read_bytes()
        want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={want}" and int(size) == len(data), path
    metadata = (dist_info / "METADATA").read_text()
    assert "Name: posrig" in metadata and re.search(r"^Version: \d+\.\d+\.\d+$", metadata, re.M)
    assert "posrig.pytest_plugin" in (dist_info / "entry_points.txt").read_text()


def check_runs(prefix: Path, site: Path, work: Path):
    """rig, the module and the pytest plugin, from the installed files only."""
    rig = prefix / "bin" / "rig"
    share = prefix / "share" / "posrig"
    bench = share / "fixtures" / "benches" / "virtual.yaml"
    decline = share / "scenarios" / "decline"
    out = subprocess.run([str(rig), "--version"], capture_output=True, text=True, env=clean_env())
    assert out.returncode == 0 and VERSION_LINE.match(out.stdout.strip()), out.stdout
    run = subprocess.run([str(rig), "run", str(decline), "--bench", str(bench), "--out", "out"],
                         cwd=work, capture_output=True, text=True, env=clean_env(), timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 scenario(s): 2 passed" in run.stdout

    script = ("import posrig\n"
              "print('rig_dir', posrig.default_rig_dir())\n"
              f"r = posrig.run([{str(decline)!r}], bench={str(bench)!r})\n"
              "print('counts', r.counts()['pass'], r.counts()['total'])\n")
    py = subprocess.run(["/usr/bin/python3", "-c", script], cwd=work, capture_output=True,
                        text=True, env=clean_env(PYTHONPATH=str(site)), timeout=300)
    assert py.returncode == 0, py.stdout + py.stderr
    assert f"rig_dir {prefix / 'bin'}" in py.stdout
    assert "counts 2 2" in py.stdout

    # The pytest plugin loads through its entry point (no -p) and runs the library.
    pt = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         f"--rig-bench={bench}", str(decline)], cwd=work, capture_output=True,
                        text=True, env=clean_env(PYTHONPATH=str(site)), timeout=300)
    assert pt.returncode == 0 and "2 passed" in pt.stdout, pt.stdout + pt.stderr


def test_cmake_install(tmp_path):
    root = tmp_path / "root"
    prefix_in_root = "/opt/posrig"
    r = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", prefix_in_root],
                       env=dict(os.environ, DESTDIR=str(root)), capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    prefix = root / prefix_in_root.lstrip("/")
    for tool in ("rig", "vterm", "vhost"):
        assert os.access(prefix / "bin" / tool, os.X_OK), tool
    share = prefix / "share" / "posrig"
    assert (share / "scenarios" / "reversal" / "approval-lost.yaml").is_file()
    assert (share / "fixtures" / "benches" / "virtual.yaml").is_file()
    assert (share / "fixtures" / "cards" / "visa-chip.yaml").is_file()
    assert (share / "fixtures" / "profiles" / "vterm.yaml").is_file()
    assert (prefix / "share" / "bash-completion" / "completions" / "rig").is_file()
    assert (prefix / "share" / "doc" / "posrig" / "cli.md").is_file()
    site, = [Path(p) for p in glob.glob(str(prefix / "lib" / "python3*" / "*-packages"))]
    assert list((site / "posrig").glob("_posrig*.so"))
    check_record(site)
    check_runs(prefix, site, tmp_path)


def test_without_simulators_the_module_says_where_it_looked(tmp_path):
    root = tmp_path / "root"
    r = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", "/opt/posrig"],
                       env=dict(os.environ, DESTDIR=str(root)), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    prefix = root / "opt" / "posrig"
    for tool in ("vterm", "vhost"):
        (prefix / "bin" / tool).unlink()
    site, = [Path(p) for p in glob.glob(str(prefix / "lib" / "python3*" / "*-packages"))]
    bench = prefix / "share" / "posrig" / "fixtures" / "benches" / "virtual.yaml"
    script = ("import posrig\n"
              f"posrig.run([{str(bench.parent.parent.parent / 'scenarios' / 'decline')!r}], "
              f"bench={str(bench)!r})\n")
    py = subprocess.run(["/usr/bin/python3", "-c", script], cwd=tmp_path, capture_output=True,
                        text=True, env=clean_env(PYTHONPATH=str(site)), timeout=120)
    assert py.returncode != 0
    assert "vhost: cannot start" in py.stderr
    logs, = tmp_path.glob("reports/*/logs")  # the run's own folder says what vhost printed
    assert f"(the simulators' output: {logs})" in py.stderr
    assert "no folder with vterm and vhost was found" in py.stderr
    assert "set POSRIG_RIG_DIR or pass rig_dir=" in py.stderr


@pytest.fixture(scope="module")
def deb(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    r = subprocess.run(["cpack", "-G", "DEB", "--config", str(BUILD / "CPackConfig.cmake"),
                        "-B", str(out)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    package, = out.glob("posrig_*.deb")
    return package


def test_deb_contents_and_control(deb):
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True).stdout
    assert re.search(r"^ Package: posrig$", info, re.M), info
    assert re.search(r"^ Version: \d+\.\d+\.\d+$", info, re.M)
    depends = re.search(r"^ Depends: (.*)$", info, re.M).group(1)
    assert "python3 (>= 3." in depends and "libyaml-cpp" in depends, depends
    contents = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True,
                              text=True).stdout
    for path in ("./usr/bin/rig", "./usr/bin/vterm", "./usr/bin/vhost",
                 "./usr/lib/python3/dist-packages/posrig/__init__.py",
                 "./usr/lib/python3/dist-packages/posrig/pytest_plugin.py",
                 "./usr/share/posrig/scenarios/decline/insufficient-funds.yaml",
                 "./usr/share/posrig/fixtures/benches/virtual.yaml",
                 "./usr/share/bash-completion/completions/rig"):
        assert re.search(rf" {re.escape(path)}$", contents, re.M), path
    assert re.search(r" \./usr/lib/python3/dist-packages/posrig-[\d.]+\.dist-info/RECORD$",
                     contents, re.M)


def test_deb_unpacked_runs(deb, tmp_path):
    root = tmp_path / "root"
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    site = root / "usr" / "lib" / "python3" / "dist-packages"
    check_record(site)
    check_runs(root / "usr", site, tmp_path)
