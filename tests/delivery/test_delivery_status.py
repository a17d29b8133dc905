"""delivery_status: one row per line of every open case as of a date (SAMM C9.13)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from fms.delivery import build_delivery_status
from tests.delivery.builders import CASE, delivery, fetch_dicts, line
from tests.handbuilt import d, insert

AS_OF = d("2026-03-31")
ZERO = {"quantity": 0, "delivered_value": Decimal("0.00")}


def status_rows(con, as_of=AS_OF, **filters) -> list[dict]:
    build_delivery_status(con, as_of, **filters)
    return fetch_dicts(con, "SELECT * FROM delivery_status ORDER BY case_id, line_number")


def status_of_line(con, line_number: int = 1, as_of=AS_OF) -> dict:
    [row] = [r for r in status_rows(con, as_of) if r["line_number"] == line_number]
    return row


def test_delivery_status_has_the_contract_columns_first(con):
    insert(con, "case_lines", line(1))
    build_delivery_status(con, AS_OF)
    described = con.execute("DESCRIBE delivery_status").fetchall()
    columns = [r[0] for r in described]
    assert columns[:10] == [
        "as_of", "case_id", "line_number", "ordered_quantity", "delivered_quantity",
        "line_value", "delivered_value", "undelivered_value", "estimated_value_outstanding",
        "oldest_estimated_days",
    ]  # fmt: skip
    types = {r[0]: r[1] for r in described}
    for money in (
        "line_value",
        "delivered_value",
        "undelivered_value",
        "estimated_value_outstanding",
    ):
        assert types[money] == "DECIMAL(18,2)"
    assert types["delivered_quantity"] == "BIGINT"


def test_delivery_status_sums_deliveries_of_the_line(con):
    insert(con, "case_lines", line(1), line(2))
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=2, delivered_value=Decimal("200.10")),
        delivery("D2", quantity=3, delivered_value=Decimal("300.25"), price_code="E"),
        delivery("D3", 2, quantity=1, delivered_value=Decimal("99.99")),
    )
    row = status_of_line(con, 1)
    assert row["as_of"] == AS_OF
    assert row["country_code"] == "UK"
    assert row["ordered_quantity"] == 10
    assert row["delivered_quantity"] == 5  # 2 + 3
    assert row["delivered_value"] == Decimal("500.35")  # 200.10 + 300.25
    assert row["undelivered_value"] == Decimal("499.65")  # 1,000.00 - 500.35
    assert row["estimated_value_outstanding"] == Decimal("300.25")  # D2 only
    assert row["estimated_deliveries"] == 1


def test_line_without_deliveries_is_wholly_undelivered(con):
    insert(con, "case_lines", line(1))
    row = status_of_line(con)
    assert (row["delivered_quantity"], row["delivered_value"]) == (0, Decimal("0.00"))
    assert row["undelivered_value"] == Decimal("1000.00")
    assert row["oldest_estimated_days"] is None
    assert row["estimated_over_30_days"] is False and row["estimated_over_90_days"] is False
    assert row["late_reported_deliveries"] == 0


@pytest.mark.parametrize(
    ("days", "over_30", "over_90"),
    [
        (0, False, False),
        (29, False, False),
        (30, False, False),  # day 30 is still within 30 days of shipment (C9.13.2)
        (31, True, False),  # first day past 30
        (89, True, False),
        (90, True, False),  # day 90 is still within 90 days
        (91, True, True),  # first day past 90
        (400, True, True),
    ],
)
def test_estimated_price_flags_turn_on_the_day_after_30_and_90_days(con, days, over_30, over_90):
    shipped = d("2025-11-10")
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        delivery("D1", shipment_date=shipped, reported_date=shipped, price_code="E"),
    )
    row = status_of_line(con, as_of=shipped + timedelta(days=days))
    assert row["oldest_estimated_days"] == days
    assert row["estimated_over_30_days"] is over_30
    assert row["estimated_over_90_days"] is over_90


def test_oldest_estimated_days_counts_from_the_oldest_delivery_still_estimated(con):
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        # the oldest shipment is at an actual price: it does not count
        delivery("D1", shipment_date=d("2025-10-01"), reported_date=d("2025-10-05")),
        delivery(
            "D2", shipment_date=d("2026-01-15"), reported_date=d("2026-01-20"), price_code="E"
        ),
        delivery(
            "D3", shipment_date=d("2026-02-20"), reported_date=d("2026-02-25"), price_code="E"
        ),
    )
    row = status_of_line(con)
    assert row["oldest_estimated_shipment_date"] == d("2026-01-15")
    assert row["oldest_estimated_days"] == 75  # 16 (rest of Jan) + 28 (Feb) + 31 (Mar)
    assert row["estimated_over_30_days"] is True
    assert row["estimated_over_90_days"] is False


def test_estimated_delivery_repriced_to_actual_is_counted_once(con):
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=4, delivered_value=Decimal("400.00"), price_code="E",
                 shipment_date=d("2025-12-01"), reported_date=d("2025-12-10")),
        delivery("D2", quantity=1, delivered_value=Decimal("101.00")),
    )  # fmt: skip
    before = status_of_line(con)
    assert before["estimated_value_outstanding"] == Decimal("400.00")
    assert before["oldest_estimated_days"] == 120  # 2025-12-01 .. 2026-03-31: 30 + 31 + 28 + 31
    # a later batch re-prices D1 at its actual price: the same delivery, a new version
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=4, delivered_value=Decimal("437.50"), price_code="A",
                 shipment_date=d("2025-12-01"), reported_date=d("2026-02-15")),
    )  # fmt: skip
    after = status_of_line(con)
    assert after["delivered_quantity"] == 5  # 4 + 1, D1 once
    assert after["delivered_value"] == Decimal("538.50")  # 437.50 + 101.00, not + 400.00
    assert after["estimated_value_outstanding"] == Decimal("0.00")
    assert after["oldest_estimated_days"] is None
    assert after["estimated_over_90_days"] is False
    # first reported 9 days after shipment: the re-pricing 76 days after is not a late report
    assert after["late_reported_deliveries"] == 0


def test_repriced_delivery_uses_its_current_version_reported_date(con):
    # fms-domain "As of a date D": the latest version of every row, reported_date <= D
    insert(con, "case_lines", line(1))
    insert(con, "deliveries", delivery("D1", price_code="E", reported_date=d("2026-01-20")))
    insert(con, "deliveries", delivery("D1", price_code="A", reported_date=d("2026-04-10")))
    assert status_of_line(con, as_of=d("2026-03-31"))["delivered_quantity"] == 0
    assert status_of_line(con, as_of=d("2026-04-10"))["delivered_quantity"] == 1


def test_reversed_estimated_delivery_is_no_longer_outstanding(con):
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=2, delivered_value=Decimal("250.00"), price_code="E"),
        delivery("D2", quantity=3, delivered_value=Decimal("300.00")),
    )
    insert(con, "deliveries", delivery("D1", price_code="E", **ZERO))
    row = status_of_line(con)
    assert row["delivered_quantity"] == 3
    assert row["delivered_value"] == Decimal("300.00")
    assert row["undelivered_value"] == Decimal("700.00")  # 1,000.00 - 300.00
    assert row["estimated_value_outstanding"] == Decimal("0.00")
    assert row["estimated_deliveries"] == 0
    assert row["oldest_estimated_days"] is None


@pytest.mark.parametrize(
    ("reported_date", "included"),
    [("2026-03-30", True), ("2026-03-31", True), ("2026-04-01", False)],
)
def test_delivery_counts_when_reported_by_the_as_of_date(con, reported_date, included):
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        delivery("D1", shipment_date=d("2026-03-01"), reported_date=d(reported_date), quantity=2),
    )
    row = status_of_line(con)
    assert row["delivered_quantity"] == (2 if included else 0)
    assert row["delivered_value"] == (Decimal("100.00") if included else Decimal("0.00"))


@pytest.mark.parametrize(
    ("reported_after_shipment", "late"),
    [(0, 0), (30, 0), (31, 1), (45, 1)],
)
def test_delivery_reported_more_than_30_days_after_shipment_is_late(
    con, reported_after_shipment, late
):
    # C9.13.1.1: physical deliveries are reported within 30 days of shipment
    shipped = d("2026-01-10")
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        delivery(
            "D1",
            shipment_date=shipped,
            reported_date=shipped + timedelta(days=reported_after_shipment),
        ),
    )
    assert status_of_line(con)["late_reported_deliveries"] == late


@pytest.mark.parametrize(
    ("kind", "ordered", "delivered_quantity", "delivered_value", "undelivered", "over"),
    [
        # materiel short of its quantity: the value not yet delivered
        ("MATERIEL", 10, 3, "300.00", "700.00", "0.00"),  # 1,000.00 - 300.00
        # materiel complete by quantity below its value: nothing left to deliver
        ("MATERIEL", 10, 10, "950.00", "0.00", "0.00"),
        # materiel short of its quantity with its value used up: floored at 0
        ("MATERIEL", 10, 9, "1050.00", "0.00", "50.00"),  # 1,050.00 - 1,000.00 over
        # over-delivered materiel
        ("MATERIEL", 10, 12, "1200.00", "0.00", "200.00"),
        # services and training are value based, whatever their quantity
        ("SERVICES", 1, 1, "200.00", "800.00", "0.00"),  # 1,000.00 - 200.00
        ("TRAINING", 5, 0, "999.99", "0.01", "0.00"),  # 1,000.00 - 999.99
        ("SERVICES", 1, 1, "1000.00", "0.00", "0.00"),
        # the SCML is an administrative charge: nothing to deliver
        ("SCML", 1, 0, "0.00", "0.00", "0.00"),
    ],
)
def test_undelivered_value_by_line_kind(
    con, kind, ordered, delivered_quantity, delivered_value, undelivered, over
):
    insert(con, "case_lines", line(1, line_kind=kind, ordered_quantity=ordered))
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=delivered_quantity, delivered_value=Decimal(delivered_value)),
    )
    row = status_of_line(con)
    assert row["undelivered_value"] == Decimal(undelivered)
    assert row["value_delivered_over_line_value"] == Decimal(over)


@pytest.mark.parametrize(
    ("status", "implementation_date", "listed"),
    [
        ("IMPLEMENTED", "2025-01-15", True),
        ("SUPPLY_SERVICE_COMPLETE", "2025-01-15", True),
        ("IMPLEMENTED", "2026-03-31", True),  # implemented on the as-of day
        ("IMPLEMENTED", None, True),  # missing date: still an implemented case
        ("IMPLEMENTED", "2026-04-01", False),  # implemented after the as-of date
        ("CLOSED", "2025-01-15", False),
        ("CANCELLED", "2025-01-15", False),
        ("OFFERED", None, False),
        ("DEVELOPMENT", None, False),
    ],
)
def test_delivery_status_covers_lines_of_open_cases(con, status, implementation_date, listed):
    date_given = d(implementation_date) if implementation_date else None
    insert(con, "cases", {"case_id": CASE, "status": status, "implementation_date": date_given})
    insert(con, "case_lines", line(1), line(2, line_kind="SERVICES"))
    assert len(status_rows(con)) == (2 if listed else 0)


def test_delivered_value_agrees_with_case_performance(con):
    # one as-of rule: the delivered value of billing's case_performance macro
    insert(con, "case_lines", line(1), line(2))
    insert(
        con,
        "deliveries",
        delivery("D1", delivered_value=Decimal("123.45")),
        delivery("D2", 2, delivered_value=Decimal("0.55"), price_code="E"),
        delivery("D3", 2, delivered_value=Decimal("77.00"), reported_date=d("2026-04-01")),
    )
    build_delivery_status(con, AS_OF)
    [(ours, theirs)] = con.execute(
        "SELECT (SELECT sum(delivered_value) FROM delivery_status), "
        "(SELECT delivered_value FROM case_performance(DATE '2026-03-31'))"
    ).fetchall()
    assert ours == theirs == Decimal("124.00")  # 123.45 + 0.55


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [("AU-P-ZZ1", 1), ("UK-D-AAA", 1), ("UK-D-AAA", 2), ("UK-D-BBB", 1)]),
        ({"purchaser": "UK"}, [("UK-D-AAA", 1), ("UK-D-AAA", 2), ("UK-D-BBB", 1)]),
        ({"purchaser": "AU"}, [("AU-P-ZZ1", 1)]),
        ({"case_id": "UK-D-BBB"}, [("UK-D-BBB", 1)]),
        ({"purchaser": "AU", "case_id": "UK-D-BBB"}, []),
    ],
)
def test_delivery_status_ad_hoc_filters_return_only_that_purchaser_or_case(con, filters, expected):
    insert(con, "countries", {"country_code": "AU"})
    insert(con, "cases", {"case_id": "UK-D-BBB"}, {"case_id": "AU-P-ZZ1"})
    insert(
        con,
        "case_lines",
        line(1),
        line(2),
        line(1, case_id="UK-D-BBB"),
        line(1, case_id="AU-P-ZZ1"),
    )
    rows = status_rows(con, **filters)
    assert [(r["case_id"], r["line_number"]) for r in rows] == expected
