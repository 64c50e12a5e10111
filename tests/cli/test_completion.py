"""bash completion for rig: subcommands, options and values, read from the rig's own --help."""

import re
import subprocess

import pytest

from conftest import REPO

COMPLETION = REPO / "rig" / "cli" / "completion.bash"


def complete(rig, workdir, line):
    """What bash offers for `line` (the cursor at its end), like pressing TAB twice."""
    words = line.split(" ")
    words[0] = str(rig)
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (f"source {COMPLETION}\n"
              f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMP_LINE='{line}'\n"
              "_rig\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    r = subprocess.run(["bash", "-c", script], cwd=workdir, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return sorted(x for x in r.stdout.splitlines() if x)


def help_options(rig, *path):
    text = subprocess.run([str(rig), *path, "--help"], capture_output=True, text=True).stdout
    section = text.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    names = []
    for line in section.splitlines():
        if re.match(r"^ +-", line):
            names += line.split()[0].split(",")
    return names


def test_subcommands(rig, workdir):
    assert {"run", "validate", "list", "bench", "ports", "report", "merge",
            "proxy"} <= set(complete(rig, workdir, "rig "))
    assert complete(rig, workdir, "rig r") == ["report", "run"]
    assert complete(rig, workdir, "rig bench ") == ["up"]


@pytest.mark.parametrize("path", [("run",), ("validate",), ("list",), ("bench", "up"),
                                  ("ports",), ("report",), ("merge",), ("proxy",)])
def test_every_option_of_the_help_is_offered(rig, workdir, path):
    offered = complete(rig, workdir, "rig " + " ".join(path) + " -")
    missing = set(help_options(rig, *path)) - set(offered)
    assert not missing
    assert {"--verbose", "--log-file"} <= set(offered)  # the app's, accepted anywhere


def test_option_values(rig, workdir):
    assert complete(rig, workdir, "rig run --color ") == ["always", "auto", "never"]
    assert complete(rig, workdir, "rig run --c") == ["--color"]
    assert complete(rig, workdir, "rig proxy --framing ") == ["http", "iso8583", "raw"]
    assert complete(rig, workdir, "rig run --bench fixtures/benches/virtual.") == [
        "fixtures/benches/virtual.yaml"]
    benches = complete(rig, workdir, "rig run --bench fixtures/benches/v")
    assert "fixtures/benches/virtual.yaml" in benches
    assert complete(rig, workdir, "rig run -k ") == []  # a free text
    tags = complete(rig, workdir, "rig run --tag ")
    assert {"smoke", "nightly", "reversal", "rule-7"} <= set(tags)
    assert complete(rig, workdir, "rig run --tag sm") == ["smoke"]


def test_paths(rig, workdir):
    assert complete(rig, workdir, "rig run scenarios/dec") == ["scenarios/decline"]
    assert complete(rig, workdir, "rig run --tag smoke scenarios/decline/ins") == [
        "scenarios/decline/insufficient-funds.yaml"]
