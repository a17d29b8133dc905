"""The quarterly undelivered report (SAMM C9.15.2.3.1): every open case with its
implementation date, total order value, delivered value and undelivered value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fms.delivery import build_delivery_status, build_undelivered_report
from tests.delivery.builders import CASE, delivery, fetch_dicts, line
from tests.handbuilt import d, insert

AS_OF = d("2026-06-30")


def report(con, as_of=AS_OF, **filters) -> dict[str, dict]:
    build_undelivered_report(con, as_of, **filters)
    return {r["case_id"]: r for r in fetch_dicts(con, "SELECT * FROM undelivered_report")}


@pytest.fixture
def three_cases(con):
    """UK-D-AAA (implemented), UK-D-SSC (supply/services complete), AU-P-ZZ1 (implemented,
    no lines), plus a closed and an offered case that the report leaves out."""
    insert(con, "countries", {"country_code": "AU"})
    insert(
        con,
        "cases",
        {"case_id": "UK-D-SSC", "status": "SUPPLY_SERVICE_COMPLETE",
         "implementation_date": d("2023-05-02"), "supply_services_complete_date": d("2026-01-31")},
        {"case_id": "AU-P-ZZ1", "implementation_date": d("2026-06-30")},
        {"case_id": "UK-D-CLO", "status": "CLOSED", "implementation_date": d("2020-01-01")},
        {"case_id": "UK-D-OFF", "status": "OFFERED"},
    )  # fmt: skip
    insert(
        con,
        "case_lines",
        # UK-D-AAA
        line(1, ordered_quantity=4, line_value=Decimal("2000000.00")),
        line(2, line_kind="SERVICES", ordered_quantity=1, line_value=Decimal("150000.50")),
        line(3, line_kind="SCML", generic_code="R6C", ordered_quantity=1,
             line_value=Decimal("14500.00")),
        # UK-D-SSC: complete by quantity at a lower actual price
        line(1, case_id="UK-D-SSC", ordered_quantity=2, line_value=Decimal("80000.00")),
        line(1, case_id="UK-D-CLO"),
        line(1, case_id="UK-D-OFF"),
    )  # fmt: skip
    insert(
        con,
        "deliveries",
        delivery("A1", 1, quantity=1, delivered_value=Decimal("495000.25"), price_code="E"),
        delivery("A2", 1, quantity=1, delivered_value=Decimal("505000.00")),
        delivery("A3", 2, quantity=0, delivered_value=Decimal("60000.10")),
        # reported after the as-of date: not delivered yet for this report
        delivery("A4", 1, quantity=1, delivered_value=Decimal("500000.00"),
                 shipment_date=d("2026-06-25"), reported_date=d("2026-07-02")),
        delivery("S1", 1, case_id="UK-D-SSC", quantity=2, delivered_value=Decimal("79000.00")),
        delivery("C1", 1, case_id="UK-D-CLO", quantity=10, delivered_value=Decimal("1000.00")),
    )  # fmt: skip
    return con


def test_undelivered_report_lists_every_open_case(three_cases):
    assert sorted(report(three_cases)) == ["AU-P-ZZ1", "UK-D-AAA", "UK-D-SSC"]


def test_undelivered_report_figures_of_an_implemented_case(three_cases):
    row = report(three_cases)[CASE]
    assert row["as_of"] == AS_OF
    assert row["country_code"] == "UK"
    assert row["implementation_date"] == d("2025-01-15")
    # order value: the non-SCML lines, 2,000,000.00 + 150,000.50
    assert row["total_order_value"] == Decimal("2150000.50")
    # delivered by 30 Jun: 495,000.25 + 505,000.00 + 60,000.10 (A4 reported 2 Jul)
    assert row["delivered_value"] == Decimal("1060000.35")
    # line 1: 2 of 4 delivered, 2,000,000.00 - 1,000,000.25 = 999,999.75
    # line 2: 150,000.50 - 60,000.10 = 90,000.40; SCML line 3: 0
    assert row["undelivered_value"] == Decimal("1089999.75") + Decimal("0.40")  # 1,090,000.15
    assert row["estimated_value_outstanding"] == Decimal("495000.25")
    assert row["lines"] == 3
    assert row["lines_with_undelivered_value"] == 2


def test_undelivered_report_keeps_a_supply_services_complete_case(three_cases):
    row = report(three_cases)["UK-D-SSC"]
    assert row["case_status"] == "SUPPLY_SERVICE_COMPLETE"
    assert row["implementation_date"] == d("2023-05-02")
    assert row["total_order_value"] == Decimal("80000.00")
    assert row["delivered_value"] == Decimal("79000.00")
    # both items delivered: the 1,000.00 below the line value is not undelivered
    assert row["undelivered_value"] == Decimal("0.00")


def test_undelivered_report_lists_an_open_case_without_lines_at_zero(three_cases):
    row = report(three_cases)["AU-P-ZZ1"]
    assert row["implementation_date"] == d("2026-06-30")
    assert (row["total_order_value"], row["delivered_value"], row["undelivered_value"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert row["lines"] == 0


def test_undelivered_report_leaves_out_cases_implemented_after_the_as_of_date(three_cases):
    assert "AU-P-ZZ1" not in report(three_cases, as_of=d("2026-06-29"))


def test_undelivered_report_reconciles_with_delivery_status(three_cases):
    build_delivery_status(three_cases, AS_OF)
    build_undelivered_report(three_cases, AS_OF)
    [status] = three_cases.execute(
        "SELECT sum(line_value) FILTER (WHERE line_kind <> 'SCML'), sum(delivered_value), "
        "sum(undelivered_value) FROM delivery_status"
    ).fetchall()
    [by_case] = three_cases.execute(
        "SELECT sum(total_order_value), sum(delivered_value), sum(undelivered_value) "
        "FROM undelivered_report"
    ).fetchall()
    assert status == by_case
    # 2,150,000.50 + 80,000.00; 1,060,000.35 + 79,000.00; 1,090,000.15 + 0
    assert by_case == (
        Decimal("2230000.50"),
        Decimal("1139000.35"),
        Decimal("1090000.15"),
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"purchaser": "UK"}, ["UK-D-AAA", "UK-D-SSC"]),
        ({"purchaser": "AU"}, ["AU-P-ZZ1"]),
        ({"case_id": "UK-D-SSC"}, ["UK-D-SSC"]),
        ({"case_id": "UK-D-CLO"}, []),  # closed: not open, even when asked for
        ({"purchaser": "AU", "case_id": "UK-D-AAA"}, []),
    ],
)
def test_undelivered_report_ad_hoc_filters_return_only_that_purchaser_or_case(
    three_cases, filters, expected
):
    assert sorted(report(three_cases, **filters)) == expected
