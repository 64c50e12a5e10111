"""posrig.run: the same run as `rig run`, with results as Python objects."""

import json
import subprocess
from pathlib import Path

import pytest

import posrig

SCENARIOS = {
    "card/approved.yaml": """\
name: card sale approved and booked
family: card
tags: [smoke]
steps:
  - sale: {amount: "1.00", method: card, card: visa-chip, id: approved-1}
  - expect: {result: {status: APPROVED, entry: chip}}
  - expect: {receipt: {copy: original}}
  - expect: {ledger: {net: "1.00", debits: 1}}
""",
    "card/wrong-expectation.yaml": """\
name: a check that cannot hold (the approval is expected declined)
family: card
tags: [smoke, broken]
steps:
  - sale: {amount: "2.00", method: card, card: visa-chip, id: wrong-1}
  - expect: {result: {status: DECLINED}, within: 2s}
""",
    "reversal/after-approval.yaml": """\
name: network drops after host approval; reversal sent on next transaction
family: reversal
tags: [network, reversal]
steps:
  - fault: network.down
    when: {host_message: "0210"}
  - sale: {amount: "100.00", method: card, card: visa-chip, id: reversal-1}
  - expect: {result: {status: FAILED}, within: 40s}
  - expect: {event: REVERSAL_STORED}
  - clear: network.down
  - sale: {amount: "1.00", method: card, card: visa-chip, id: reversal-2}
  - expect: {host_message: {mti: "0400", field_90_refers_to: previous}}
  - expect: {event: REVERSAL_ACKED, before: result}
  - expect: {ledger: {net: "1.00", reversals: 1}}
""",
}


# Transaction ids are written out: which station runs which scenario is up to the run, and a
# terminal takes a repeated id for a duplicate (see test_scenarios_on_one_station_...).


@pytest.fixture
def scenario_dir(tmp_path) -> Path:
    root = tmp_path / "scenarios"
    for name, text in SCENARIOS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _until_seen(text: str) -> str:
    """A check's text without what was seen (ids, STANs and times differ between runs)."""
    return text.split("; saw", 1)[0]


def test_run_matches_the_cli_results_json(tmp_path, scenario_dir, bench_file, rig_command):
    cli_out = tmp_path / "cli"
    cli = subprocess.run([str(rig_command), "run", str(scenario_dir), "--bench", bench_file,
                          "--out", str(cli_out)], capture_output=True, text=True, timeout=300)
    assert cli.returncode in (0, 1), cli.stdout + cli.stderr
    cli_doc = json.loads((cli_out / "results.json").read_text())

    py_out = tmp_path / "py"
    result = posrig.run([scenario_dir], bench=bench_file, out=py_out)
    py_doc = result.to_json()

    # to_json() is exactly the results.json the run wrote.
    assert py_doc == json.loads((py_out / "results.json").read_text())
    assert (py_out / "junit.xml").read_text() == result.to_junit()
    # And it has the CLI's shape and content.
    assert py_doc.keys() == cli_doc.keys()
    assert result.exit_code() == cli.returncode
    for key in ("bench", "schema", "schema_version", "rig_version", "summary", "shard",
                "interrupted"):
        assert py_doc[key] == cli_doc[key], key

    def by_id(doc):
        return {s["id"]: s for s in doc["scenarios"]}

    cli_scenarios, py_scenarios = by_id(cli_doc), by_id(py_doc)
    assert sorted(py_scenarios) == sorted(cli_scenarios) == [
        "card/approved", "card/wrong-expectation", "reversal/after-approval"]
    for sid, cli_s in cli_scenarios.items():
        py_s = py_scenarios[sid]
        assert py_s.keys() == cli_s.keys(), sid
        for key in ("name", "family", "file", "tags", "status", "attempts"):
            assert py_s[key] == cli_s[key], (sid, key)
        assert _until_seen(py_s["message"]) == _until_seen(cli_s["message"]), sid
        assert [(s["where"], s["name"], s["ok"]) for s in py_s["steps"]] == [
            (s["where"], s["name"], s["ok"]) for s in cli_s["steps"]], sid
        assert len(py_s["checks"]) == len(cli_s["checks"]), sid
        for py_c, cli_c in zip(py_s["checks"], cli_s["checks"]):
            for key in ("where", "what", "expected", "passed"):
                assert py_c[key] == cli_c[key], (sid, key)
            assert _until_seen(py_c["actual"]) == _until_seen(cli_c["actual"]), sid

    # The objects say the same as the document.
    statuses = {s.id: s.status for s in result.scenarios}
    assert statuses == {"card/approved": "pass", "card/wrong-expectation": "fail",
                        "reversal/after-approval": "pass"}
    failed = next(s for s in result.scenarios if s.status == "fail")
    check = next(c for c in failed.checks if not c.passed)
    assert check.where.endswith("wrong-expectation.yaml:6:5")
    assert check.expected == "status=DECLINED"
    assert failed.message == check.actual
    assert result.counts() == {"pass": 2, "fail": 1, "error": 0, "skipped": 0, "flaky": 0,
                               "total": 3}
    assert all(isinstance(e, dict) for e in failed.timeline)
    assert posrig.RunResult.from_json(py_doc).to_json() == py_doc


def test_run_selects_like_the_cli(scenario_dir, bench_file):
    first = posrig.run(scenario_dir, bench=bench_file, k="approved and not wrong")
    assert [s.id for s in first.scenarios] == ["card/approved"]
    second = posrig.run([scenario_dir], bench=posrig.Bench.load(bench_file), tags=["reversal"])
    assert [s.id for s in second.scenarios] == ["reversal/after-approval"]
    assert second.exit_code() == 0
    # `rig merge` and `rig report` from Python.
    merged = posrig.merge([first, second])
    assert [s.id for s in merged.scenarios] == ["card/approved", "reversal/after-approval"]
    assert merged.counts()["pass"] == 2
    assert "card/approved" in merged.to_html() and "<testsuite" in merged.to_junit()
    with pytest.raises(posrig.Error, match="no scenario selected"):
        posrig.run([scenario_dir], bench=bench_file, tags=["nothing-has-this"])
    with pytest.raises(posrig.ConfigError, match="bad -k expression 'a b'"):
        posrig.run([scenario_dir], bench=bench_file, k="a b")


def test_scenarios_on_one_station_do_not_share_transaction_ids(tmp_path, bench_file):
    # Two scenarios run one after the other on one station (jobs=1). Each sale must be a new
    # transaction for the terminal: an id used again is answered with the earlier result.
    for amount in ("4.00", "5.00"):
        (tmp_path / f"sale-{amount}.yaml").write_text(
            f"name: sale of {amount}\nfamily: card\nsteps:\n"
            f"  - sale: {{amount: \"{amount}\", method: card, card: visa-chip}}\n"
            f"  - expect: {{result: {{status: APPROVED, amount: \"{amount}\"}}}}\n")
    result = posrig.run([tmp_path], bench=bench_file, jobs=1)
    assert [(s.id, s.status) for s in result.scenarios] == [
        ("card/sale-4.00", "pass"), ("card/sale-5.00", "pass")], [
        s.message for s in result.scenarios]


def test_bad_scenario_file_is_a_config_error_like_rig_validate(tmp_path, bench_file,
                                                               rig_command):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: n\nfamily: card\nsteps:\n  - sael: {amount: \"1.00\"}\n"
                   "  - expect: {result: {}}\n")
    with pytest.raises(posrig.ConfigError) as caught:
        posrig.run([bad], bench=bench_file)
    e = caught.value
    assert (e.file, e.line, e.column) == (str(bad), 4, 5)
    assert e.message.startswith("unknown step 'sael' (known: sale, refund")
    cli = subprocess.run([str(rig_command), "validate", str(bad)], capture_output=True,
                         text=True, timeout=60)
    assert cli.returncode == 2
    assert cli.stderr.strip() == str(e)
    with pytest.raises(posrig.ConfigError):
        posrig.load_scenarios([str(bad)])


def test_bench_vars_must_exist(bench_file):
    with pytest.raises(posrig.ConfigError, match="has no variable 'colour'"):
        posrig.Bench.load(bench_file, vars={"colour": "red"})


def test_run_skips_what_the_bench_cannot_serve_like_the_cli(tmp_path, scenario_dir, bench_file,
                                                            rig_command):
    # The virtual bench without a keypad: card sales need one for the cardholder's PIN.
    fixtures = Path(bench_file).resolve().parent.parent
    text = (Path(bench_file).read_text()
            .replace("cards: ../cards", f"cards: {fixtures / 'cards'}")
            .replace("profile: ../profiles/", f"profile: {fixtures / 'profiles'}/"))
    bench = tmp_path / "no-keypad.yaml"
    bench.write_text(text.replace("    keypad: {driver: vterm}\n", ""))
    result = posrig.run([scenario_dir / "card" / "approved.yaml"], bench=bench)
    (only,) = result.scenarios
    assert only.status == "skipped"
    assert only.message == ("bench lacks fixture family keypad (sale (the cardholder's PIN) at "
                            f"{scenario_dir / 'card' / 'approved.yaml'}:5:5)")
    assert result.exit_code() == 0
    cli = subprocess.run([str(rig_command), "run", str(scenario_dir / "card" / "approved.yaml"),
                          "--bench", str(bench), "--out", str(tmp_path / "cli")],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    cli_doc = json.loads((tmp_path / "cli" / "results.json").read_text())
    assert cli_doc["scenarios"][0]["message"] == only.message
    with pytest.raises(posrig.ConfigError, match="needs keypad.press: bench lacks fixture family "
                                                 "keypad; skipped on bench 'virtual'"):
        posrig.run([scenario_dir / "card" / "approved.yaml"], bench=bench, strict_bench=True)


def test_seed_and_shuffle_order_the_run_as_the_cli_does(tmp_path, bench_file, rig_command):
    folder = tmp_path / "card"
    folder.mkdir()
    for n in range(1, 7):
        (folder / f"sale-{n}.yaml").write_text(
            f"name: sale of {n}.00\nfamily: card\nsteps:\n"
            f"  - sale: {{amount: \"{n}.00\", method: card, card: visa-chip}}\n"
            f"  - expect: {{result: {{status: APPROVED, amount: \"{n}.00\"}}}}\n")
    plan = subprocess.run([str(rig_command), "run", str(folder), "--bench", bench_file,
                           "--seed", "7", "--shuffle", "--dry-run"],
                          capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    planned = [line.split()[0] for line in plan.stdout.splitlines()
               if line.startswith("  card/")]
    assert sorted(planned) == [f"card/sale-{n}" for n in range(1, 7)] != planned

    result = posrig.run([folder], bench=bench_file, jobs=1, seed=7, shuffle=True)
    assert [s.id for s in result.scenarios] == planned  # one station: the drawn order
    assert (result.seed, result.shuffle) == (7, True)
    assert (result.to_json()["seed"], result.to_json()["shuffle"]) == ("7", True)
    assert '<property name="seed" value="7"/>' in result.to_junit()
    assert result.counts()["pass"] == 6

    other = posrig.run([folder], bench=bench_file, jobs=1, seed=8, shuffle=True)
    assert [s.id for s in other.scenarios] != planned
    given = posrig.run([folder], bench=bench_file, jobs=1)
    assert [s.id for s in given.scenarios] == sorted(planned)
    assert 0 <= given.seed <= 0xFFFFFFFF and not given.shuffle  # drawn, and recorded
    for bad in (-1, 2**32, "7", 1.5, True):
        with pytest.raises(ValueError, match="seed must be a whole number"):
            posrig.run([folder], bench=bench_file, seed=bad)
