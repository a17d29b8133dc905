"""The quarterly delivery listing through the billing flow: two quarters published in turn,
the listing's figures in each purchaser's file and table (fms-domain.md "Quarterly delivery
listing"; the rules themselves are tests/billing/test_delivery_listing.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tests.billing.builders import billing_case, money, purchaser
from tests.billing.test_delivery_listing import Q2, Q3, delivery
from tests.handbuilt import open_warehouse


@pytest.mark.usefixtures("prefect_harness")
def test_two_quarters_of_the_billing_flow_publish_the_listing_figures(tmp_path):
    from flows.quarterly_billing import quarterly_billing

    con = open_warehouse(tmp_path)
    purchaser(con, "UK", name="United Kingdom")
    purchaser(con, "AS", name="Australia")
    billing_case(con, "UK-D-AAA")
    billing_case(con, "AS-B-AAA")
    delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,000.00", price="E")
    delivery(con, "D3", "AS-B-AAA", "2026-05-15", "400.00")
    con.close()
    warehouse, out = tmp_path / "test.duckdb", tmp_path / "out"
    q2 = quarterly_billing(period_end=Q2, warehouse=warehouse, out=out)
    assert q2["published"] == {"AS": 1, "UK": 1}
    with duckdb.connect(str(warehouse)) as con:
        delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,200.25", price="A")  # actual price
        delivery(con, "D2", "UK-D-AAA", "2026-08-20", "250.50")
        delivery(con, "D3", "AS-B-AAA", "2026-05-15", "0.00", quantity=0)  # reversed
    q3 = quarterly_billing(period_end=Q3, warehouse=warehouse, out=out)
    assert q3["published"] == {"AS": 1, "UK": 1}
    assert q3["statements"]["delivery_listing"] == 3

    def figures(folder: Path, name: str) -> list[tuple]:
        rows = csv.DictReader((folder / name).open())
        return [(r["case_id"], r["kind"], r["delivery_id"], r["delivered_value"]) for r in rows]

    q2_folder = out / "quarterly-billing" / "2026Q2"
    assert figures(q2_folder, "delivery_listing_UK_2026Q2_r1.csv") == [
        ("UK-D-AAA", "REPORTED", "D1", "1000.00")
    ]
    q3_folder = out / "quarterly-billing" / "2026Q3"
    # UK: 1,450.75 - 1,000.00 = D2 250.50 + re-pricing of D1 to actual 200.25.
    assert figures(q3_folder, "delivery_listing_UK_2026Q3_r1.csv") == [
        ("UK-D-AAA", "REPORTED", "D2", "250.50"),
        ("UK-D-AAA", "REPRICING", "", "200.25"),
    ]
    # AS: 0.00 - 400.00 = the reversal.
    assert figures(q3_folder, "delivery_listing_AS_2026Q3_r1.csv") == [
        ("AS-B-AAA", "REPRICING", "", "-400.00")
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT period_end, country_code, revision, sum(delivered_value) "
            "FROM delivery_listing GROUP BY ALL ORDER BY ALL"
        ).fetchall() == [
            (Q2, "AS", 1, money("400.00")),
            (Q2, "UK", 1, money("1,000.00")),
            (Q3, "AS", 1, money("-400.00")),
            (Q3, "UK", 1, money("450.75")),
        ]
