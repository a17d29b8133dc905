"""A nightly as of a past date publishes (issue 16): the audits judge the marts as of the run's
date, as the marts are built. Generated data (small scale, a seed whose buy back BB-000005 was
executed and reconciled on 28 Oct 2026, after the quarter ended 30 Sep 2026: open as of that
date, closed today) goes through the nightly as of 30 Sep 2026, then through the nightly's mart
stages and gates, and the quarterly billing's, as of dates from before most events to today."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from flows.nightly import nightly_refresh
from fms import settings
from fms.billing import build_billing_statements, build_purchaser_statements
from fms.closure import BLOCKER_CODES
from fms.marts import NIGHTLY_MARTS, build_staged_marts
from fms.quality.gate import Validator, validate
from fms.quality.suites import load_suites
from fms.warehouse import connect, refresh_rules
from tools.generate import generate

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEED = 44
QUARTER_END = date(2026, 9, 30)
# Before most events (90% of the deliveries were reported later), past quarter ends, today.
AS_OF_DATES = [
    date(2010, 12, 31),
    date(2025, 12, 31),
    date(2026, 3, 31),
    date(2026, 6, 30),
    QUARTER_END,
    None,  # today, resolved when the test runs
]
NIGHTLY_SUITES = {f"{kind}_{mart}" for mart in NIGHTLY_MARTS for kind in ("mart", "reconcile")}
BILLING_SUITES = {"mart_billing_statements", "mart_purchaser_statements"}
FIRST_INTEREST_RATE = date(2019, 1, 1)  # data/reference/interest_rates.csv


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The generated landing loaded by a nightly as of 30 Sep 2026, which must publish."""
    root = tmp_path_factory.mktemp("past_as_of")
    generate(root, "small", SEED, 0.01)
    summary = nightly_refresh(
        landing=root / "landing",
        warehouse=root / "w.duckdb",
        out=root / "out",
        as_of=QUARTER_END,
    )
    assert summary["as_of"] == "2026-09-30" and summary["batches_loaded"]
    return root / "w.duckdb"


def test_a_nightly_as_of_a_past_quarter_end_publishes_a_buy_back_executed_after_it_as_open(
    warehouse,
):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # The situation of the issue exists in the data: executed and reconciled since.
        assert con.execute(
            "SELECT buy_back_id, contract_executed_date, reconciled FROM buy_backs "
            "WHERE contract_executed_date > $d AND reconciled",
            {"d": QUARTER_END},
        ).fetchall() == [("BB-000005", date(2026, 10, 24), True)]
        assert con.execute(
            "SELECT open, open_reason FROM buy_back_register WHERE buy_back_id = 'BB-000005'"
        ).fetchall() == [(True, "not executed")]
        assert con.execute("SELECT as_of FROM publications").fetchall() == [(QUARTER_END,)]


@pytest.fixture(scope="module")
def validator():
    return Validator(docs_dir=None)


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=lambda d: str(d or "today"))
def test_every_mart_gate_passes_as_of_any_date(warehouse, validator, as_of):
    as_of = as_of or settings.today()
    params = {
        "as_of": as_of,
        "blocker_codes": list(BLOCKER_CODES),
        "purchaser": None,
        "case_id": None,
    }
    suites = [s for s in load_suites("mart") if s.name in NIGHTLY_SUITES]
    with connect(warehouse) as con:
        refresh_rules(con)
        build_staged_marts(con, as_of)
        report = validate(con, suites, params, "past-as-of", "mart", validator)
        failures = [o.describe() for o in report.critical_failures]
        quarter_end = (as_of.month, as_of.day) in ((3, 31), (6, 30), (9, 30), (12, 31))
        if quarter_end and as_of >= FIRST_INTEREST_RATE:
            build_billing_statements(con, as_of)
            build_purchaser_statements(con, as_of)
            billing = [s for s in load_suites("mart") if s.name in BILLING_SUITES]
            report = validate(con, billing, params, "past-as-of", "mart", validator)
            failures += [o.describe() for o in report.critical_failures]
    assert failures == []
