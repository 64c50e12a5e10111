#!/usr/bin/python3
"""The contract table's judgement (contract.py) on hand-built runs: which command case, reversal
answer and fault parameter a scenario's results show, and the gap named when a row has none. No
rig, no terminals. ctest: matrix.analysis."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contract  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Timeline:
    """Builds a scenario's results.json entry the way rig writes it."""

    def __init__(self, sid="ecr/x", file="scenarios/ecr/x.yaml"):
        self.t = 0.0
        self.entries = []
        self.sid, self.file = sid, file

    def add(self, entry_kind, **fields):
        self.t += 1
        self.entries.append({"t_ms": self.t, "kind": entry_kind, "fields": fields})
        return self

    def send(self, payload, attempt=1):
        return self.add("ecr_out", kind="frame", direction="out", attempt=attempt,
                        name=payload.split("|")[0], payload=payload)

    def scenario(self, status="pass", settle=()):
        """`settle`: payloads sent after the last step (the station's settle step)."""
        end = self.t
        for p in settle:
            self.send(p)
        return {"id": self.sid, "file": self.file, "status": status, "timeline": self.entries,
                "steps": [{"start_ms": 0, "end_ms": end}]}


def cancel_at_card():
    return (Timeline()
            .send("SALE|id=S1|amount=1.00|currency=156|method=card|seq=1")
            .add("prompt", kind="PRESENT_CARD", id="S1")
            .send("CANCEL|id=S1|seq=2")
            .add("result", id="S1", status="CANCELLED", rc="CX"))


class Classify(unittest.TestCase):
    def test_cancel_is_classified_by_the_prompt_it_interrupted(self):
        self.assertEqual(contract.classify(cancel_at_card().scenario()),
                         {("SALE", "card"), ("CANCEL", "at-card")})

    def test_cancel_answered_by_the_transaction_is_online_or_finished(self):
        t = (Timeline()
             .send("SALE|id=S1|amount=1.00|currency=156|method=card|seq=1")
             .add("host_message", mti="0200", direction="to_host")
             .send("CANCEL|id=S1|seq=2")
             .add("result", id="S1", status="APPROVED", rc="00")
             .send("CANCEL|id=S1|seq=3")
             .add("result", id="S1", status="APPROVED", rc="00")
             .send("CANCEL|id=nobody|seq=4")
             .add("result", id="nobody", status="FAILED", rc="NF"))
        self.assertEqual(contract.classify(t.scenario()),
                         {("SALE", "card"), ("CANCEL", "online"), ("CANCEL", "finished"),
                          ("CANCEL", "unknown")})

    def test_refusals_interim_answers_and_known_ids(self):
        t = (Timeline()
             .send("SALE|id=S1|amount=5.00|currency=156|method=card|seq=1")
             .send("QUERY|id=S1|seq=2")
             .add("result", id="S1", status="UNKNOWN", rc="IP")
             .send("REFUND|id=R1|amount=1.00|currency=156|method=card|orig_id=S1|seq=3")
             .add("result", id="R1", status="FAILED", rc="BZ")
             .add("result", id="S1", status="APPROVED", rc="00")
             .send("REFUND|id=R2|amount=9.00|currency=156|method=card|orig_id=S1|seq=4")
             .add("result", id="R2", status="FAILED", rc="IV")
             .send("SALE|id=S1|amount=5.00|currency=156|method=card|seq=5")
             .add("result", id="S1", status="APPROVED", rc="00"))
        self.assertEqual(contract.classify(t.scenario()),
                         {("SALE", "card"), ("QUERY", "running"), ("REFUND", "busy"),
                          ("REFUND", "above-original"), ("SALE", "known-id")})

    def test_status_reset_login_and_unlock_by_their_answers(self):
        t = (Timeline()
             .send("LOGIN|id=L1|seq=1")
             .add("prompt", kind="OPERATOR_PASSWORD", id="L1")
             .add("prompt", kind="OPERATOR_PASSWORD", id="L1", tries_left=2)
             .add("result", id="L1", status="DECLINED", rc="LK")
             .send("STATUS|id=Q1|seq=2")
             .add("status", id="Q1", state="locked")
             .send("RESET|id=Q2|seq=3")
             .add("status", id="Q2", state="locked")
             .send("UNLOCK|id=U1|seq=4")
             .add("result", id="U1", status="DECLINED", rc="OP"))
        self.assertEqual(contract.classify(t.scenario()),
                         {("LOGIN", "wrong"), ("LOGIN", "locks"), ("STATUS", "locked"),
                          ("RESET", "locked"), ("UNLOCK", "wrong")})

    def test_the_settle_step_and_resends_do_not_count(self):
        t = cancel_at_card().send("CANCEL|id=S1|seq=2", attempt=2)
        s = t.scenario(settle=["RESET|id=Z|seq=9"])
        s["timeline"].append({"t_ms": t.t + 1, "kind": "status",
                              "fields": {"id": "Z", "state": "idle"}})
        self.assertNotIn(("RESET", "idle"), contract.classify(s))
        self.assertEqual(contract.classify(s), {("SALE", "card"), ("CANCEL", "at-card")})

    def test_reversal_answers_and_unanswered_reversals(self):
        t = (Timeline()
             .add("host_message", mti="0400", direction="to_host", fields={"39": "98"})
             .add("host_message", mti="0410", direction="to_terminal", fields={"39": "64"})
             .add("host_message", mti="0401", direction="to_host", fields={})
             .add("host_message", mti="0401", direction="to_host", fields={})
             .add("host_message", mti="0410", direction="to_terminal", fields={"39": "00"})
             .add("host_message", mti="0410", direction="to_terminal", fields={"39": "25"},
                  earlier_scenario=True))
        self.assertEqual(contract.reversal_answers(t.scenario()), {"64", "00", "none"})


class FaultParameters(unittest.TestCase):
    def test_the_catalogue_table_of_the_docs(self):
        with open(os.path.join(ROOT, "docs", "scenarios.md")) as f:
            catalogue = dict(contract.fault_catalogue(f.read()))
        self.assertEqual(catalogue["network.latency"],
                         ["ms", "jitter_ms", "direction", "probability", "seed"])
        self.assertEqual(catalogue["network.down"], ["probability", "seed"])
        self.assertEqual(catalogue["host.refuse_reversal"], ["count", "answer"])
        self.assertEqual(catalogue["power.cut"], [])
        self.assertEqual(len(catalogue), 24)

    def test_parameters_written_beside_a_fault(self):
        text = ("steps:\n"
                "  - fault: network.down   # armed now\n"
                "    when:\n"
                "      host_message: \"0210\"\n"
                "    probability: 0.5\n"
                "    for: 2s\n"
                "  - sale: {amount: \"1.00\", method: card}\n"
                "  - fault: host.decline\n"
                "    rc: \"05\"\n"
                "    when: {prompt: PIN}\n"
                "  - fault: power.cut\n")
        self.assertEqual(contract.fault_steps(text),
                         [("network.down", ["probability"]), ("host.decline", ["rc"]),
                          ("power.cut", [])])


class Gaps(unittest.TestCase):
    def judge(self, scenarios, exceptions):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "docs"))
            os.makedirs(os.path.join(root, "scenarios", "ecr"))
            with open(os.path.join(root, "docs", "scenarios.md"), "w") as f:
                f.write("## Fault catalogue\n\n| fault | family | parameters | what |\n"
                        "|---|---|---|---|\n| `power.cut` | power | — | cut |\n"
                        "| `host.decline` | acquirer | `rc`, `count` | decline |\n\n## Next\n")
            with open(os.path.join(root, "scenarios", "ecr", "x.yaml"), "w") as f:
                f.write("steps:\n  - fault: host.decline\n    rc: \"05\"\n")
            exercised, table = contract.model({"scenarios": scenarios}, root)
            return exercised, table, contract.problems(exercised, table, exceptions)

    def test_a_row_without_a_scenario_is_named(self):
        exercised, table, problems = self.judge([cancel_at_card().scenario()], {})
        self.assertEqual(exercised[("command", "CANCEL", "at-card")], ["ecr/x"])
        self.assertEqual(exercised[("fault", "host.decline", "rc")], ["ecr/x"])
        self.assertIn("contract: CANCEL at-pin: no scenario exercises it", problems)
        self.assertIn("contract: reversal answer 64: no scenario exercises it", problems)
        self.assertIn("contract: fault parameter host.decline count: no scenario exercises it",
                      problems)
        self.assertIn("contract: fault parameter power.cut: no scenario exercises it", problems)
        self.assertNotIn("contract: CANCEL at-card: no scenario exercises it", problems)

    def test_a_failing_scenario_exercises_nothing(self):
        exercised, _, problems = self.judge([cancel_at_card().scenario(status="fail")], {})
        self.assertEqual(exercised[("command", "CANCEL", "at-card")], [])
        self.assertIn("contract: CANCEL at-card: no scenario exercises it", problems)

    def test_exceptions_are_kept_honest(self):
        _, _, problems = self.judge([cancel_at_card().scenario()], {
            ("command", "CANCEL", "at-pin"): "why",
            ("command", "CANCEL", "at-card"): "why",
            ("command", "CANCEL", "idle"): "why"})
        self.assertNotIn("contract: CANCEL at-pin: no scenario exercises it", problems)
        self.assertIn("contract: CANCEL at-card is exercised by ecr/x but listed in "
                      "contract.EXCEPTIONS: remove it there", problems)
        self.assertIn("contract: EXCEPTIONS names ('command', 'CANCEL', 'idle'), which is not a "
                      "row of the contract", problems)

    def test_the_table_shows_exceptions_and_gaps(self):
        exercised, table, _ = self.judge([cancel_at_card().scenario()], {
            ("command", "CANCEL", "at-pin"): "needs a PIN pad"})
        text = "\n".join(contract.render(exercised, table, {
            ("command", "CANCEL", "at-pin"): "needs a PIN pad"}))
        self.assertIn("| CANCEL at-card | a transaction waiting for a card: `CANCELLED CX` | "
                      "`ecr/x` |", text)
        self.assertIn("| CANCEL at-pin | a transaction waiting for the PIN: `CANCELLED CX` | "
                      "exception: needs a PIN pad |", text)
        self.assertIn("| CANCEL online | a transaction already online: too late, its own RESULT "
                      "answers | **none** |", text)


if __name__ == "__main__":
    unittest.main()
