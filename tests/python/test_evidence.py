"""Scripts get the evidence checks `rig run` gives every scenario (issue 9): leaving a
station's `with` block (or Station.close) puts the station back, then judges the whole session
against the host's evidence — money conserved, charged once, reversal fields, display agrees,
receipts for approvals — and raises posrig.CheckFailed for a defect the script did not check
for. Station.verify() does the same explicitly."""

import pytest

import posrig

EVIDENCE = {"evidence money_conserved", "evidence charged_once", "evidence reversal_fields",
            "evidence display_agrees", "evidence receipts_for_approvals"}


def _declined_sale(st):
    st.sale(amount="25.00", method="card", card="low-balance")
    st.expect(result={"status": "DECLINED", "rc": "51"}, within="40s")


def test_verify_judges_the_session_on_the_correct_terminal(rig_bench):
    with rig_bench.station() as st:
        _declined_sale(st)
        checks = st.verify()
        assert EVIDENCE <= {c.what for c in checks}  # and any evidence check added later
        assert all(c.passed for c in checks)
        assert [c.what for c in st.verify()] == [c.what for c in checks]  # once per session
        name = st.name
    # After the block the checks are still there to read.
    assert EVIDENCE <= {c.what for c in st.checks()}
    assert st.closed and name in rig_bench.stations()


def test_a_defect_the_script_does_not_check_for_fails_it_at_the_end(bench_file):
    # receipt-for-decline: the declined sale gets a sale receipt. The script checks only the
    # RESULT, which is right; the evidence check receipts_for_approvals catches the receipt.
    with posrig.Bench.load(bench_file, vars={"bugs": "receipt-for-decline"}) as bench:
        with pytest.raises(posrig.CheckFailed) as failed:
            with bench.station("lane1") as st:
                _declined_sale(st)
        e = failed.value
        assert e.what == "evidence receipts_for_approvals"
        assert "RECEIPT id=" in e.actual and "for a sale whose RESULT is" in e.actual, e.actual
        assert "test_evidence.py:" in e.where, e.where
        # The station was put back and released before the failure was raised.
        assert st.closed
        with bench.station("lane1") as again:
            assert again.status()["state"] == "idle"
            again.close(evidence=False)

        # Explicitly, keeping the station; and left out when asked.
        with bench.station("lane1", evidence=False) as st:
            _declined_sale(st)
            with pytest.raises(posrig.CheckFailed, match="receipts_for_approvals"):
                st.verify()
        with bench.station("lane1", evidence=False) as st:
            _declined_sale(st)
        assert st.closed
