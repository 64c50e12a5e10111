#!/usr/bin/python3
"""The detection matrix's judgement per protocol (matrix.py, checks Z1-Z3), on hand-built runs:
no rig, no terminals. ctest: matrix.analysis."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402

SCENARIOS = {
    "decline/insufficient-funds": {"rules": {11}},
    "amount/minor-units": {"rules": {11}},
    "pin/pin-blocked": {"rules": {10}},
    "card/pan-masked": {"rules": {22}},
}
BUGS = [
    {"name": "ignores-decline-code", "rule": 11, "what": ""},
    {"name": "amount-via-float", "rule": 11, "what": ""},
    {"name": "ignores-pin-limit", "rule": 10, "what": ""},
    {"name": "full-pan-in-result", "rule": 22, "what": ""},
]
SKIPS = {
    "amount/minor-units": "needs payment method qr; driver zvt cannot take it (sale at "
                          "scenarios/amount/minor-units.yaml:15:5)",
    "pin/pin-blocked": "needs terminal events; driver zvt cannot observe them (expect event at "
                       "scenarios/pin/pin-blocked.yaml:19:5); also lacks prompt SWIPE",
}


def run(protocol, bug, statuses):
    r = matrix.Run(bug, "/nonexistent", protocol, "bench.yaml")
    r.exit_code = 1 if "fail" in statuses.values() else 0
    r.results = {"scenarios": [
        {"id": i, "status": st, "message": SKIPS.get(i, "") if st == "skipped" else "",
         "file": "scenarios/%s.yaml" % i} for i, st in statuses.items()]}
    return r


def rig_ecr(bug, failing):
    return run("RIG-ECR", bug, {i: "fail" if i in failing else "pass" for i in SCENARIOS})


def zvt(bug, failing, skipped=tuple(SKIPS)):
    return run("ZVT", bug, {i: "skipped" if i in skipped else "fail" if i in failing else "pass"
                            for i in SCENARIOS})


# What each bug breaks over RIG-ECR (its rule's scenarios) and over ZVT.
RIG_FAILS = {"ignores-decline-code": ["decline/insufficient-funds"],
             "amount-via-float": ["amount/minor-units"],
             "ignores-pin-limit": ["pin/pin-blocked"],
             "full-pan-in-result": ["card/pan-masked", "decline/insufficient-funds"]}


def judge(zvt_fails, zbase_statuses=None, partial=False):
    base = rig_ecr(None, [])
    runs = {n: rig_ecr(n, f) for n, f in RIG_FAILS.items()}
    problems, model = matrix.analyse(BUGS, base, runs, SCENARIOS, partial)
    # (Only the rules of these bugs have scenarios here.)
    assert all(p.startswith("rule ") for p in problems), problems
    zbase = zvt(None, []) if zbase_statuses is None else run("ZVT", None, zbase_statuses)
    zruns = {n: zvt(n, f) for n, f in zvt_fails.items()}
    return matrix.analyse_zvt(BUGS, zbase, zruns, SCENARIOS, model, partial)


class ZvtJudgement(unittest.TestCase):
    def test_caught_or_not_observable_with_the_skip_reasons(self):
        problems, z = judge({"ignores-decline-code": ["decline/insufficient-funds"],
                             "amount-via-float": [], "ignores-pin-limit": [],
                             "full-pan-in-result": ["card/pan-masked"]})
        self.assertEqual(problems, [])
        self.assertEqual(z["ran"], ["card/pan-masked", "decline/insufficient-funds"])
        self.assertEqual(z["own"]["ignores-decline-code"], ["decline/insufficient-funds"])
        # amount/limits-like scenarios of rule 11 ran, but what catches amount-via-float over
        # RIG-ECR (amount/minor-units) was skipped: not observable, for that skip's reason.
        self.assertEqual(z["unobservable"], {
            "amount-via-float": {"amount/minor-units":
                                 "needs payment method qr; driver zvt cannot take it"},
            "ignores-pin-limit": {"pin/pin-blocked":
                                  "needs terminal events; driver zvt cannot observe them"}})
        self.assertEqual(matrix.zvt_bug_cell(BUGS[1], z),
                         "not observable: `amount/minor-units` skipped (needs payment method qr; "
                         "driver zvt cannot take it)")

    def test_a_bug_whose_catching_scenario_ran_over_zvt_must_be_caught_there(self):
        problems, z = judge({"ignores-decline-code": [], "amount-via-float": [],
                             "ignores-pin-limit": [], "full-pan-in-result": ["card/pan-masked"]})
        self.assertEqual(problems, [
            "ignores-decline-code (rule 11): not caught over ZVT although "
            "decline/insufficient-funds ran there",
            "decline/insufficient-funds: passes over ZVT under every bug (it catches nothing there)"])
        self.assertEqual(matrix.zvt_bug_cell(BUGS[0], z), "NO")

    def test_the_correct_terminal_passes_what_zvt_does_not_skip(self):
        statuses = {i: "pass" for i in SCENARIOS}
        statuses.update({"amount/minor-units": "skipped", "pin/pin-blocked": "skipped",
                         "card/pan-masked": "fail"})
        problems, _ = judge({"ignores-decline-code": ["decline/insufficient-funds"],
                             "full-pan-in-result": ["card/pan-masked"]}, statuses)
        self.assertEqual(problems, ["correct terminal over ZVT: card/pan-masked is fail: "])

    def test_a_skip_without_a_reason_is_a_problem(self):
        statuses = {i: "pass" for i in SCENARIOS}
        statuses.update({"amount/minor-units": "skipped", "pin/pin-blocked": "skipped"})
        zbase = run("ZVT", None, statuses)
        zbase.results["scenarios"][1]["message"] = ""
        base = rig_ecr(None, [])
        runs = {n: rig_ecr(n, f) for n, f in RIG_FAILS.items()}
        _, model = matrix.analyse(BUGS, base, runs, SCENARIOS, False)
        zruns = {"ignores-decline-code": zvt("ignores-decline-code", ["decline/insufficient-funds"]),
                 "full-pan-in-result": zvt("full-pan-in-result", ["card/pan-masked"])}
        problems, _ = matrix.analyse_zvt(BUGS, zbase, zruns, SCENARIOS, model, False)
        self.assertIn("correct terminal over ZVT: amount/minor-units is skipped without a reason",
                      problems)

    def test_every_scenario_run_over_zvt_catches_something_there(self):
        problems, _ = judge({"ignores-decline-code": ["decline/insufficient-funds"],
                             "full-pan-in-result": ["decline/insufficient-funds"]})
        self.assertEqual(problems, [
            "full-pan-in-result (rule 22): not caught over ZVT although card/pan-masked ran there",
            "card/pan-masked: passes over ZVT under every bug (it catches nothing there)"])
        # With a subset of the bugs (--bugs) that check is left out.
        problems, _ = judge({"ignores-decline-code": ["decline/insufficient-funds"],
                             "full-pan-in-result": ["card/pan-masked"]}, partial=True)
        self.assertEqual(problems, [])


class SkipReasons(unittest.TestCase):
    def test_positions_and_also_lacks_are_left_out(self):
        self.assertEqual(matrix.short_reason(SKIPS["pin/pin-blocked"]),
                         "needs terminal events; driver zvt cannot observe them")
        self.assertEqual(
            matrix.short_reason(
                "station lane1: needs fault ecr.noise; driver zvt cannot make it (fault at "
                "scenarios/ecr/bad-lrc.yaml:10:5); also lacks a payment again under the same id, "
                "fault ecr.bad_lrc; station lane2: sends a payment again under the same id; driver "
                "zvt carries no transaction ids (sale at scenarios/ecr/bad-lrc.yaml:19:5)"),
            "station lane1: needs fault ecr.noise; driver zvt cannot make it; station lane2: sends "
            "a payment again under the same id; driver zvt carries no transaction ids")


if __name__ == "__main__":
    unittest.main()
