"""Every mart, check and listing computes with the largest valid amounts without an overflow
(issue 16): sums and products in DECIMAL(38,x), rounded to the cent once. A figure that cannot be
published in DECIMAL(18,2) fails its suite's critical expectation naming the row; a file figure
that may legitimately pass 10^16 (a purchaser's total) is written exactly. Hand-built warehouses,
real DuckDB and GX, no Prefect."""

from __future__ import annotations

import csv
import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

import duckdb
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fms.billing import (
    build_billing_statements,
    build_delivery_listing,
    build_purchaser_statements,
)
from fms.billing.initial_deposit import build_initial_deposit_shortfalls
from fms.closure import BLOCKER_CODES, publish_closure_outputs
from fms.marts import build_staged_marts
from fms.quality.gate import Validator, validate
from fms.quality.suites import load_suites
from fms.report.figures import ReportTables, read_run_figures
from fms.warehouse import create_published_tables, create_schema, refresh_rules
from tests.closure.builders import clean_case, load
from tests.handbuilt import d, insert, open_warehouse

LARGEST = Decimal("9999999999999999.99")
AS_OF = date(2026, 11, 1)
QUARTER_END = date(2026, 9, 30)
RULE = "every amount fits the published DECIMAL(18,2)"
MONEY_SUITES = {
    "mart_billing_statements",
    "mart_purchaser_statements",
    "mart_closure_readiness",
    "mart_delivery_status",
    "mart_undelivered_report",
    "mart_payment_schedule_review",
}


def _largest_amounts_everywhere(con) -> None:
    """Case UK-D-BIG: every amount the largest valid one, several of each (SCML era, with an
    SCML, a services line and a liquidation); case UK-D-SML: small amounts that fit."""
    insert(con, "countries", {"country_code": "UK"})
    dates = {"acceptance_date": d("2010-06-01"), "implementation_date": d("2010-07-01")}
    insert(con, "cases", {"case_id": "UK-D-BIG"} | dates, {"case_id": "UK-D-SML"} | dates)
    lines = [
        {"line_number": 1, "ordered_quantity": 9},
        {"line_number": 2, "line_kind": "SERVICES", "generic_code": "R5A", "unit_of_issue": "MO"},
        {"line_number": 3, "line_kind": "SCML", "generic_code": "R6C", "unit_of_issue": "LO"},
    ]
    insert(
        con,
        "case_lines",
        *({"case_id": "UK-D-BIG", "ordered_quantity": 1, "line_value": LARGEST} | x for x in lines),
        {"case_id": "UK-D-SML", "line_number": 1, "ordered_quantity": 1, "line_value": 100},
    )
    day = {"shipment_date": d("2026-01-10"), "reported_date": d("2026-01-20"), "quantity": 1}
    insert(
        con,
        "deliveries",
        *(
            {"delivery_id": f"D{i}", "case_id": "UK-D-BIG", "delivered_value": LARGEST}
            | day
            | {"price_code": "AE"[i % 2]}
            for i in range(4)
        ),
        {"delivery_id": "S1", "case_id": "UK-D-SML", "delivered_value": Decimal(100)} | day,
    )
    insert(
        con,
        "expenditures",
        *(
            {
                "expenditure_id": f"E{i}",
                "case_id": "UK-D-BIG",
                "line_number": 2,
                "expenditure_date": d("2026-02-01"),
                "amount": amount,
            }
            for i, amount in enumerate((LARGEST, LARGEST, -LARGEST))
        ),
    )
    insert(
        con,
        "collections",
        *(
            {
                "collection_id": f"K{i}",
                "country_code": "UK",
                "case_id": case_id,
                "received_date": d("2026-03-01"),
                "amount": LARGEST,
            }
            for i, case_id in enumerate(("UK-D-BIG", "UK-D-BIG", None, None))
        ),
    )
    insert(
        con,
        "payment_schedules",
        *(
            {
                "case_id": "UK-D-BIG",
                "due_date": d(due),
                "amount": LARGEST,
                "is_initial_deposit": i == 0,
            }
            for i, due in enumerate(("2010-07-01", "2026-06-15", "2026-09-15", "2026-12-15"))
        ),
    )
    insert(
        con,
        "requirements_forecasts",
        *(
            {
                "case_id": "UK-D-BIG",
                "quarter_start": d(q),
                "forecast_amount": LARGEST,
                "termination_liability": LARGEST,
            }
            for q in ("2010-07-01", "2026-07-01", "2026-10-01", "2027-01-01")
        ),
    )
    insert(
        con,
        "buy_backs",
        {"buy_back_id": "BB1", "case_id": "UK-D-BIG", "line_number": 1, "quantity": 1},
    )


@pytest.fixture(scope="module")
def validator():
    return Validator(docs_dir=None)


def test_every_mart_builds_with_the_largest_amounts_and_the_gate_names_what_cannot_be_published(
    tmp_path, validator
):
    con = open_warehouse(tmp_path)
    _largest_amounts_everywhere(con)
    build_staged_marts(con, AS_OF)
    build_billing_statements(con, QUARTER_END)
    build_purchaser_statements(con, QUARTER_END)
    create_published_tables(con)
    build_delivery_listing(con, QUARTER_END)
    build_staged_marts(con, QUARTER_END, ("payment_schedule_review",))
    assert build_initial_deposit_shortfalls(con) == 1  # a check, not published: wide figures
    params = {
        "as_of": AS_OF,
        "blocker_codes": list(BLOCKER_CODES),
        "purchaser": None,
        "case_id": None,
    }
    for suite in load_suites("mart"):
        billing = suite.name.endswith(("statements", "delivery_listing", "schedule_review"))
        report = validate(
            con,
            [suite],
            params | {"as_of": QUARTER_END if billing else AS_OF},
            "r",
            "mart",
            validator,
        )
        assert not [o for o in report.outcomes if o.examples and "error" in o.examples[0]]
        fits = [o for o in report.outcomes if o.rule.startswith(RULE)]
        if suite.name not in MONEY_SUITES:
            assert fits == [], suite.name
            continue
        (outcome,) = fits
        named = {e.get("case_id") or e.get("country_code") for e in outcome.examples}
        assert not outcome.success and named == (
            {"UK"} if suite.name == "mart_purchaser_statements" else {"UK-D-BIG"}
        ), suite.name
    # The SML case's figures are published, exact.
    assert con.execute(
        "SELECT performance, surcharge, final_value FROM staging.closure_readiness "
        "WHERE case_id = 'UK-D-SML'"
    ).fetchall() == [(Decimal("100.00"), Decimal("3.80"), Decimal("103.80"))]
    # The run report's figures read the same tables without an overflow.
    staged = ReportTables(
        delivery_status="staging.delivery_status",
        closure_readiness="staging.closure_readiness",
        purchaser_statements="staging.purchaser_statements",
        billing_statements="staging.billing_statements",
    )
    figures = read_run_figures(
        con, job="nightly", run_summary={"as_of": AS_OF.isoformat()}, tables=staged
    )
    assert figures.delivery and figures.funnel


def test_a_purchasers_funds_locked_past_10_to_the_16_are_written_exactly(tmp_path):
    """Two ready cases each release a publishable excess; their purchaser's total does not fit
    DECIMAL(18,2) and needs not: it is a figure of the funds-locked file, written exactly."""
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "XX"})
    for case_id in ("XX-D-AAA", "XX-D-BBB"):
        rows = clean_case(case_id)
        rows["case_lines"][0]["line_value"] = Decimal("1000000000000000.00")
        rows["deliveries"][0]["delivered_value"] = Decimal("1000000000000000.00")
        rows["collections"][0]["amount"] = Decimal("7000000000000000.00")
        load(con, rows)
    as_of = d("2026-03-31")
    build_staged_marts(con, as_of, ("closure_readiness", "buy_back_register"))
    # performance 1,000,000,000,020,000.00 + surcharge 32,000,000,000,640.00 = final value
    # 1,032,000,000,020,640.00; excess 7,000,000,000,000,000.00 - final = 5,967,999,999,979,360.00
    paths = publish_closure_outputs(
        con, "staging.closure_readiness", "staging.buy_back_register", tmp_path / "out", as_of
    )
    worklist = list(csv.DictReader(paths["worklist_csv"].open()))
    assert [r["funds_released_on_closure"] for r in worklist] == ["5967999999979360.00"] * 2
    (funds,) = list(csv.DictReader(paths["funds_locked_csv"].open()))
    assert funds["funds_locked_in_ready_cases"] == "11935999999958720.00"
    book = openpyxl.load_workbook(paths["worklist_xlsx"])
    sheet = book["Worklist"]
    assert "closing them releases $11,935,999,999,958,720.00" in sheet["A2"].value
    locked = book["Funds locked by purchaser"]
    header = [c.value for c in locked[4]]
    column = header.index("funds_locked_in_ready_cases") + 1
    assert locked.cell(5, column).value == "11935999999958720.00"  # exact text past 10^13


def test_interest_shares_stay_exact_when_their_products_pass_hugeint(tmp_path):
    """95 cases, each owing the largest valid amount (a payment due 15 Mar 2026, unpaid) all of
    Q3 2026: every case figure fits DECIMAL(18,2), and so does the purchaser's interest, but a
    share's interest x weight (about 1.8 x 10^38) passes HUGEINT. Each share is still exact:
    equal weights, so round half up of a 95th, the rest to the first case."""
    cases = 95
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK"})
    ids = [f"UK-D-A{n:02d}" for n in range(cases)]
    dates = {"acceptance_date": d("2020-02-01"), "implementation_date": d("2020-03-01")}
    insert(con, "cases", *({"case_id": case_id} | dates for case_id in ids))
    insert(
        con,
        "payment_schedules",
        *({"case_id": case_id, "due_date": d("2026-03-15"), "amount": LARGEST} for case_id in ids),
    )
    build_billing_statements(con, QUARTER_END)
    rows = con.execute(
        "SELECT arrearage, interest, purchaser_interest FROM staging.billing_statements "
        "ORDER BY case_id"
    ).fetchall()
    # Arrears of each case on each of the 92 days, in cents, at 4% a year (actual/365).
    arrears = int(LARGEST * 100)
    purchaser = math.floor(Fraction(arrears * 92 * cases * 4, 100 * 365) + Fraction(1, 2))
    share = math.floor(Fraction(purchaser, cases) + Fraction(1, 2))
    expected = [purchaser - (cases - 1) * share] + [share] * (cases - 1)
    assert [interest for _, interest, _ in rows] == [Decimal(c).scaleb(-2) for c in expected]
    assert {(arrearage, total) for arrearage, _, total in rows} == {
        (LARGEST, Decimal(purchaser).scaleb(-2))
    }


@st.composite
def share_divisions(draw):
    """(a, b, d, c) as the interest shares use them: b (a weight) <= c (the total), d < c, and
    a x b / 10^10 and c x 10^10 within the bounds build_billing_statements checks."""
    c = draw(st.integers(1, 2 * 10**27 - 1))
    return (
        draw(st.integers(0, min(2 * 10**27, 10**37 // (c // 10**10 + 1)))),
        draw(st.integers(0, c)),
        draw(st.integers(0, c - 1)),
        c,
    )


@pytest.fixture(scope="module")
def macros():
    with duckdb.connect() as con:
        create_schema(con)
        refresh_rules(con)
        yield con


@settings(max_examples=300, deadline=None)
@given(st.lists(share_divisions(), min_size=1, max_size=20))
def test_mul_add_div_is_exact_integer_division(macros, divisions):
    (got,) = macros.execute(
        "SELECT list_transform($v, lambda x: CAST(mul_add_div(CAST(x[1] AS HUGEINT), "
        "CAST(x[2] AS HUGEINT), CAST(x[3] AS HUGEINT), CAST(x[4] AS HUGEINT)) AS VARCHAR))",
        {"v": [[str(n) for n in x] for x in divisions]},
    ).fetchall()[0]
    assert [int(g) for g in got] == [(a * b + d) // c for a, b, d, c in divisions]
