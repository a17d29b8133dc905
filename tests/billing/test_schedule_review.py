"""The payment schedule review (fms-domain "Payment schedule review", SAMM C9.9.3, Table C9.T15)
on hand-built cases, to the cent: the domain page's worked example, SHORT and AHEAD schedules,
forecasts ending before the first payment date, an SBLC, a waived surcharge, a case within the
threshold, and the revised schedule's shape on random cases (hypothesis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fms.billing import build_billing_statements
from fms.billing.schedule_review import build_payment_schedule_review, check_review_date
from tests.billing.builders import (
    E,
    billing_case,
    money,
    one_transaction,
    purchaser,
    statement_rows,
)
from tests.billing.worked_example import CASE, insert_worked_example
from tests.handbuilt import d, insert, open_warehouse


def review_rows(con, case_id: str) -> list[dict]:
    result = con.execute(
        "SELECT * FROM staging.payment_schedule_review WHERE case_id = ? ORDER BY payment_number",
        [case_id],
    )
    names = [c[0] for c in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def set_case_value(con, case_id: str, value: str) -> None:
    con.execute("UPDATE case_lines SET line_value = ? WHERE case_id = ?", [money(value), case_id])


def worked_example(con, value: str = "10,000,000.00", **case_fields) -> None:
    """The domain page's example: XX-D-W01 with one MATERIEL line worth 10,000,000."""
    insert_worked_example(con)
    set_case_value(con, CASE, value)
    for name, setting in case_fields.items():
        con.execute(f"UPDATE cases SET {name} = ? WHERE case_id = ?", [setting, CASE])


def test_the_worked_example_of_the_domain_page_to_the_cent(con):
    worked_example(con)
    assert build_payment_schedule_review(con, E) == 2
    first, last = review_rows(con, CASE)
    # d1 = 15 Dec 2026 alone: the last forecast quarter, Q1 2027, is the one it covers.
    assert (first["payment_date"], first["covers_start"], first["covers_end"]) == (
        d("2026-12-15"),
        d("2027-01-01"),
        d("2027-03-31"),
    )
    assert first["requirement_cumulative"] == money("6,898,400.00")
    assert first["scheduled_cumulative"] == money("7,500,000.00")
    assert first["variance"] == money("601,600.00")
    assert first["direction"] == "AHEAD"
    assert first["threshold"] == money("500,000.00")
    assert first["collections_received"] == money("5,500,000.00")
    assert first["scheduled_before"] == money("6,500,000.00")
    assert first["scheduled_quarterly"] == money("1,000,000.00")
    assert first["revision_needed"] and last["revision_needed"]
    assert (first["revised_quarterly"], first["revised_cumulative"]) == (
        money("1,398,400.00"),
        money("6,898,400.00"),
    )
    # d(K+1) = 15 Mar 2027 brings it to the total: 10,000,000 + 3.2% surcharge.
    assert last["payment_date"] == d("2027-03-15")
    assert last["requirement_cumulative"] is None and last["variance"] is None
    assert last["direction"] == "NONE"
    assert last["scheduled_cumulative"] == money("7,500,000.00")
    assert last["scheduled_quarterly"] == money("0.00")
    assert last["estimated_total_cost"] == money("10,320,000.00")
    assert (last["revised_quarterly"], last["revised_cumulative"]) == (
        money("3,421,600.00"),
        money("10,320,000.00"),
    )


def test_the_first_requirement_is_the_billings_forecast(con):
    worked_example(con)
    build_payment_schedule_review(con, E)
    build_billing_statements(con, E)
    billed = statement_rows(con)[CASE]["forecast_cumulative"]
    assert review_rows(con, CASE)[0]["requirement_cumulative"] == billed == money("6,898,400.00")


SHORT = "SS-D-S01"


def short_case(con) -> None:
    """A schedule that asks for the deposit only, while costs and forecasts run to 2.9M."""
    purchaser(con, "SS")
    billing_case(
        con,
        SHORT,
        schedule=(("2025-01-15", "100,000"),),
        expenditures=(("2026-06-30", "1,000,000"),),
        forecasts=(
            ("2026-10-01", "500,000", "0"),
            ("2027-01-01", "500,000", "100,000"),
            ("2027-04-01", "800,000", "50,000"),
        ),
        collections=(("2025-01-20", "100,000"),),
    )
    set_case_value(con, SHORT, "5,000,000.00")


def test_a_short_schedule_over_several_payment_dates(con):
    short_case(con)
    build_payment_schedule_review(con, E)
    rows = review_rows(con, SHORT)
    assert [r["payment_date"] for r in rows] == [d("2026-12-15"), d("2027-03-15"), d("2027-06-15")]
    # R_1 = 1,000,000 + (500,000 + 500,000) + TL 100,000 + 3.2% x 2,000,000
    # R_2 = 1,000,000 + (500,000 + 500,000 + 800,000) + TL 50,000 + 3.2% x 2,800,000
    assert [r["requirement_cumulative"] for r in rows] == [
        money("2,164,000.00"),
        money("2,939,600.00"),
        None,
    ]
    assert [r["variance"] for r in rows] == [money("-2,064,000.00"), money("-2,839,600.00"), None]
    assert [r["direction"] for r in rows] == ["SHORT", "SHORT", "NONE"]
    assert rows[0]["threshold"] == money("250,000.00")
    # From the 100,000 received: up to each requirement, then to 5,000,000 + 160,000.
    assert [r["revised_quarterly"] for r in rows] == [
        money("2,064,000.00"),
        money("775,600.00"),
        money("2,220,400.00"),
    ]
    assert rows[-1]["revised_cumulative"] == money("5,160,000.00")


def test_forecasts_ending_before_the_first_payment_date_still_review_it(con):
    purchaser(con, "EE")
    billing_case(
        con,
        "EE-D-F01",
        schedule=(("2025-01-15", "100,000"), ("2026-12-15", "900,000")),
        expenditures=(("2026-06-30", "400,000"),),
        # Only the quarter before N: nothing is forecast from Q4 2026 on.
        forecasts=(("2026-07-01", "300,000", "200,000"),),
        collections=(("2025-01-20", "100,000"),),
    )
    set_case_value(con, "EE-D-F01", "1,000,000.00")
    build_payment_schedule_review(con, E)
    first, last = review_rows(con, "EE-D-F01")
    assert first["payment_date"] == d("2026-12-15")
    # Performance 400,000 + surcharge 12,800; no forecast, no TL after Q3 2026.
    assert first["requirement_cumulative"] == money("412,800.00")
    assert first["variance"] == money("587,200.00")
    assert first["direction"] == "AHEAD"
    assert last["payment_date"] == d("2027-03-15")
    assert last["revised_cumulative"] == money("1,032,000.00")


def test_an_sblc_replaces_the_termination_liability(con):
    worked_example(con, sblc_in_place=True)
    build_payment_schedule_review(con, E)
    first = review_rows(con, CASE)[0]
    assert first["requirement_cumulative"] == money("6,398,400.00")
    assert first["variance"] == money("1,101,600.00")


def test_a_waived_surcharge_is_neither_required_nor_in_the_total(con):
    worked_example(con, admin_surcharge_waived=True)
    build_payment_schedule_review(con, E)
    first, last = review_rows(con, CASE)
    assert first["requirement_cumulative"] == money("6,700,000.00")
    assert last["estimated_total_cost"] == money("10,000,000.00")
    assert last["revised_cumulative"] == money("10,000,000.00")


def test_the_scml_line_is_in_the_total_but_bears_no_surcharge(con):
    worked_example(con)
    insert(
        con,
        "case_lines",
        {"case_id": CASE, "line_number": 2, "line_kind": "SCML", "line_value": money("14,500")},
    )
    build_payment_schedule_review(con, E)
    assert review_rows(con, CASE)[-1]["estimated_total_cost"] == money("10,334,500.00")


def test_a_variance_within_the_threshold_needs_no_revision(con):
    worked_example(con, value="15,000,000.00")  # T = 750,000 > the variance of 601,600
    build_payment_schedule_review(con, E)
    rows = review_rows(con, CASE)
    assert rows[0]["threshold"] == money("750,000.00")
    assert rows[0]["variance"] == money("601,600.00")
    assert [r["direction"] for r in rows] == ["NONE", "NONE"]
    assert not any(r["revision_needed"] for r in rows)
    assert all(r["revised_quarterly"] is None and r["revised_cumulative"] is None for r in rows)


def test_the_threshold_floor_applies_to_small_cases(con):
    short_case(con)
    set_case_value(con, SHORT, "10.00")
    build_payment_schedule_review(con, E)
    assert review_rows(con, SHORT)[0]["threshold"] == money("100,000.00")


def test_only_implemented_cases_of_the_selection_are_reviewed(con):
    worked_example(con)
    short_case(con)
    purchaser(con, "ZZ")
    billing_case(con, "ZZ-D-C01", status="SUPPLY_SERVICE_COMPLETE")
    billing_case(con, "ZZ-D-C02", implementation_date=d("2026-10-01"))
    build_payment_schedule_review(con, E)
    cases = {
        r[0] for r in con.execute("SELECT case_id FROM staging.payment_schedule_review").fetchall()
    }
    assert cases == {CASE, SHORT}
    build_payment_schedule_review(con, E, purchaser="SS")
    cases = {
        r[0] for r in con.execute("SELECT case_id FROM staging.payment_schedule_review").fetchall()
    }
    assert cases == {SHORT}


def test_the_review_date_must_be_a_quarter_end_that_is_over():
    check_review_date(date(2026, 9, 30), today=date(2026, 10, 1))
    with pytest.raises(ValueError, match="not a quarter end.*did you mean 2026-09-30"):
        check_review_date(date(2026, 10, 15), today=date(2026, 12, 2))
    with pytest.raises(ValueError, match="not over on 2026-12-02.*2026-09-30"):
        check_review_date(date(2026, 12, 31), today=date(2026, 12, 2))


QUARTERS = [d(q) for q in ("2026-10-01", "2027-01-01", "2027-04-01", "2027-07-01", "2027-10-01")]
PAYMENT_DAYS = ["2026-03-15", "2026-09-15", "2026-12-15", "2027-03-15", "2027-06-15", "2027-12-15"]


def cents(high: int):
    return st.integers(0, high).map(lambda c: Decimal(c).scaleb(-2))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    forecasts=st.lists(st.tuples(cents(10**9), cents(10**8)), min_size=0, max_size=5),
    schedule=st.lists(
        st.tuples(st.sampled_from(PAYMENT_DAYS), cents(10**9)), max_size=6, unique_by=lambda x: x[0]
    ),
    received=cents(5 * 10**9),
    value=cents(10**10),
)
def test_the_revised_schedule_never_falls_below_what_was_received_or_decreases(
    tmp_path_factory, forecasts, schedule, received, value
):
    con = open_warehouse(tmp_path_factory.mktemp("review"))
    with one_transaction(con):
        insert(con, "countries", {"country_code": "PP", "name": "Propertyland"})
        insert(
            con,
            "cases",
            {
                "case_id": "PP-D-P01",
                "acceptance_date": d("2025-01-10"),
                "implementation_date": d("2025-01-15"),
            },
        )
        insert(
            con,
            "case_lines",
            {"case_id": "PP-D-P01", "line_number": 1, "ordered_quantity": 1, "line_value": value},
        )
        for quarter, (amount, tl) in zip(QUARTERS, forecasts, strict=False):
            insert(
                con,
                "requirements_forecasts",
                {
                    "case_id": "PP-D-P01",
                    "quarter_start": quarter,
                    "forecast_amount": amount,
                    "termination_liability": tl,
                },
            )
        for day, amount in schedule:
            insert(
                con,
                "payment_schedules",
                {"case_id": "PP-D-P01", "due_date": d(day), "amount": amount},
            )
        insert(
            con,
            "collections",
            {
                "collection_id": "C1",
                "case_id": "PP-D-P01",
                "received_date": d("2026-01-05"),
                "amount": received,
            },
        )
    con.execute("UPDATE ref_schedule_review_threshold SET minimum = 0, case_value_share = 0")
    build_payment_schedule_review(con, E)
    rows = review_rows(con, "PP-D-P01")
    con.close()
    assert len(rows) == max(1, len(forecasts) - 1) + 1
    needed = any(r["variance"] not in (None, 0) for r in rows)
    assert rows[0]["revision_needed"] == needed
    if not needed:
        return
    cumulative = [r["revised_cumulative"] for r in rows]
    assert cumulative[0] >= received
    assert all(a <= b for a, b in zip(cumulative, cumulative[1:], strict=False))
    assert all(r["revised_quarterly"] >= 0 for r in rows)
    assert sum(r["revised_quarterly"] for r in rows) == cumulative[-1] - received
    requirements = [r["requirement_cumulative"] for r in rows[:-1]]
    assert cumulative[-1] == max([received, rows[-1]["estimated_total_cost"], *requirements])
