"""Rows and queries for the delivery reporting tests."""

from __future__ import annotations

from decimal import Decimal

from tests.handbuilt import d

CASE = "UK-D-AAA"


def line(line_number: int = 1, **given) -> dict:
    """A case line of UK-D-AAA: 10 EA of A1A (aircraft) worth 1,000.00 unless given."""
    return {
        "case_id": CASE,
        "line_number": line_number,
        "ordered_quantity": 10,
        "line_value": Decimal("1000.00"),
    } | given


def delivery(delivery_id: str, line_number: int = 1, **given) -> dict:
    """A delivery on UK-D-AAA, shipped 2026-01-05 and reported 2026-01-20, 1 at 100.00 (A)."""
    return {
        "delivery_id": delivery_id,
        "case_id": CASE,
        "line_number": line_number,
        "shipment_date": d("2026-01-05"),
        "reported_date": d("2026-01-20"),
        "quantity": 1,
        "delivered_value": Decimal("100.00"),
        "price_code": "A",
    } | given


def fetch_dicts(con, sql: str, params: dict | None = None) -> list[dict]:
    """Rows of a query as dicts (execute + fetchall: safe after a pending result)."""
    result = con.execute(sql, params or {})
    names = [c[0] for c in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
