"""The package itself: its type stubs name what the module has, and `cmake --install` gives a
package that imports and registers its pytest plugin."""

import ast
import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import posrig
from posrig import _posrig

PACKAGE = Path(posrig.__file__).parent


def _stub(name):
    return ast.parse((PACKAGE / name).read_text())


def _top_level(tree):
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def _native_params(function):
    """Parameter names from a pybind11 signature line: "name(a: int, b: str = '') -> X"."""
    first = function.__doc__.splitlines()[0]
    inside = first[first.index("(") + 1:first.rindex(") ->")]
    names, depth, current = [], 0, ""
    for ch in inside + ",":
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            if current.strip():
                names.append(current.split(":")[0].strip())
            current = ""
        else:
            current += ch
    return [n for n in names if n != "self"]


def test_native_stub_names_every_public_name_of_the_module():
    declared = _top_level(_stub("_posrig.pyi"))
    public = {n for n in dir(_posrig) if not n.startswith("_")} | {"__version__"}
    assert public == set(declared)


def test_native_stub_has_the_arg_names_of_the_bindings():
    declared = _top_level(_stub("_posrig.pyi"))
    for name, node in declared.items():
        native = getattr(_posrig, name)
        if isinstance(node, ast.FunctionDef):
            assert [a.arg for a in node.args.args] == _native_params(native), name
        elif isinstance(node, ast.ClassDef) and not issubclass(native, BaseException):
            members = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
            attributes = {n.target.id for n in node.body
                          if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
            native_members = {n for n in dir(native) if not n.startswith("_")}
            assert (set(members) | attributes) - {"__init__"} == native_members, name
            for member, fn in members.items():
                if any(isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list):
                    continue
                if member == "__init__":
                    continue
                args = [a.arg for a in fn.args.args if a.arg != "self"]
                assert args == _native_params(getattr(native, member)), f"{name}.{member}"


def test_package_stub_names_everything_in_all():
    tree = _stub("__init__.pyi")
    exported = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            exported |= {a.asname or a.name for a in node.names}
    assert set(posrig.__all__) <= exported
    assert (PACKAGE / "py.typed").exists()


def test_errors_form_one_hierarchy():
    for cls in (posrig.ConfigError, posrig.LinkError, posrig.Timeout,
                posrig.InfrastructureError, posrig.CheckFailed):
        assert issubclass(cls, posrig.Error) and cls.__module__ == "posrig"
    assert issubclass(posrig.CheckFailed, AssertionError)
    assert not issubclass(posrig.Error, RuntimeError)


def test_station_methods_are_documented():
    for name, member in inspect.getmembers(posrig.Station, inspect.isfunction):
        if not name.startswith("_"):
            assert member.__doc__, name


@pytest.mark.skipif(not shutil.which("cmake"), reason="needs cmake")
def test_cmake_install_gives_an_importable_package_with_its_plugin(build_dir, tmp_path):
    if not (build_dir / "CMakeCache.txt").exists():
        pytest.skip(f"{build_dir} is not a CMake build tree")
    prefix = tmp_path / "prefix"
    install = subprocess.run(["cmake", "--install", str(build_dir), "--prefix", str(prefix)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    packages = list(prefix.rglob("posrig/__init__.py"))
    assert len(packages) == 1, install.stdout
    site = packages[0].parent.parent
    assert list(site.glob("posrig/_posrig*.so"))
    assert list(site.glob("posrig/*.pyi")) and (site / "posrig" / "py.typed").exists()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    probe = subprocess.run(
        [sys.executable, "-c",
         "import importlib.metadata as m, posrig\n"
         "print(posrig.__file__)\n"
         "print([e.value for e in m.entry_points(group='pytest11') if e.name.startswith('posrig')])\n"
         "print(posrig.Bench.load)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    assert lines[0].startswith(str(site))
    assert lines[1] == "['posrig.pytest_plugin']"
    # pytest finds the plugin by itself: its options are there without -p.
    helped = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "--rig-bench=FILE" in helped.stdout
