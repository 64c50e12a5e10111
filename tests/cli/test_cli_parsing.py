"""Options never take a positional path: what a command line selects is what it says."""

from conftest import VIRTUAL, dry_run_ids, run_rig


def plan(rig, workdir, *args):
    r = run_rig(rig, ["run", *args, "--bench", VIRTUAL, "--dry-run"], workdir)
    assert r.returncode == 0, r.stderr
    return dry_run_ids(r.stdout)


def test_tag_does_not_swallow_the_path(rig, workdir):
    # The command: it ran all 9 smoke scenarios of the library.
    assert plan(rig, workdir, "--tag", "smoke", "scenarios/decline") == [
        "decline/insufficient-funds"]


def test_var_does_not_swallow_the_path(rig, workdir):
    assert plan(rig, workdir, "--var", "bugs=none", "scenarios/pin") == [
        "pin/operator-lockout", "pin/pin-blocked", "pin/wrong-pin-retry"]


def test_paths_before_between_and_after_options(rig, workdir):
    ids = plan(rig, workdir, "scenarios/decline", "--tag", "smoke", "scenarios/printer",
               "--var", "bugs=none", "scenarios/pin", "-k", "paper or funds")
    assert ids == ["decline/insufficient-funds", "printer/paper-out"]


def test_repeated_and_comma_separated_tags_are_the_same(rig, workdir):
    both = plan(rig, workdir, "--tag", "smoke", "--tag", "decline")
    assert both == plan(rig, workdir, "--tag", "smoke,decline")
    assert "decline/issuer-declines" in both  # decline, not smoke
    assert "card/chip-mute-fallback" in both  # smoke, not decline


def test_list_and_validate_parse_alike(rig, workdir):
    r = run_rig(rig, ["list", "--tag", "smoke", "scenarios/decline"], workdir)
    assert r.returncode == 0, r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["decline/insufficient-funds"]
    r = run_rig(rig, ["validate", "--tag", "smoke", "scenarios/decline"], workdir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "2 scenario(s) valid"


def test_an_option_without_its_value_is_a_usage_error(rig, workdir):
    r = run_rig(rig, ["run", "--bench", VIRTUAL, "--tag"], workdir)
    assert r.returncode == 2
    assert "--tag" in r.stderr


def test_dry_run_counts_repeats(rig, workdir):
    r = run_rig(rig, ["run", "scenarios/pin", "--bench", VIRTUAL, "--repeat", "20", "--dry-run"],
                workdir)
    assert r.returncode == 0, r.stderr
    assert "3 scenario(s) would run, 20 times each (60 runs)" in r.stdout


def test_history_file_is_taken_as_given(rig, workdir):
    # --history FILE in the current folder is that file, not history.sqlite beside the reports.
    r = run_rig(rig, ["run", "scenarios/decline", "-k", "insufficient", "--bench", VIRTUAL,
                      "--out", "reports/x", "--history", "mine.sqlite"], workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (workdir / "mine.sqlite").is_file()
    assert not (workdir / "reports" / "history.sqlite").exists()
    assert not (workdir / "history.sqlite").exists()
    r = run_rig(rig, ["run", "scenarios/decline", "-k", "insufficient", "--bench", VIRTUAL,
                      "--out", "reports/y/"], workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (workdir / "reports" / "history.sqlite").is_file()  # beside reports/y, slash or not
