"""The delivery listing's section of a billing run's report: per purchaser, the deliveries
reported in the quarter and the re-pricing of earlier ones, on the latest revision of its
listing, from a hand-filled delivery_listing table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb

from fms.report import REPORT_NAME, ReportTables
from tests.handbuilt import insert, open_warehouse
from tests.report.page_parts import rows
from tests.report_helpers import build_run_report

Q3 = date(2026, 9, 30)
HEADER = [
    "Purchaser",
    "Cases",
    "Deliveries reported",
    "Value reported",
    "Re-pricing lines",
    "Re-pricing",
    "Movement",
]


def listing_line(cc, revision, case_id, value, kind="REPORTED", delivery_id="D1"):
    return (
        cc,
        Q3,
        revision,
        case_id,
        delivery_id if kind == "REPORTED" else None,
        Decimal(value),
        kind,
    )


def report(tmp_path, lines, job="quarterly-billing", **selection) -> str:
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK"}, {"country_code": "AS"})
    con.execute(
        "CREATE TABLE main.delivery_listing (country_code VARCHAR, period_end DATE, "
        "revision INTEGER, case_id VARCHAR, delivery_id VARCHAR, delivered_value DECIMAL(18, 2), "
        "kind VARCHAR)"
    )
    con.executemany("INSERT INTO main.delivery_listing VALUES (?, ?, ?, ?, ?, ?, ?)", lines)
    con.close()
    with duckdb.connect(str(tmp_path / "test.duckdb"), read_only=True) as con:
        page = build_run_report(
            con,
            job=job,
            run_summary={"run_id": "bill-1", "period_end": Q3.isoformat(), "quarter": "2026Q3"},
            out_path=tmp_path / REPORT_NAME,
            tables=ReportTables(),
            **selection,
        )
    return page.read_text(encoding="utf-8")


LINES = [
    # UK revision 1, replaced by revision 2: only revision 2 counts.
    listing_line("UK", 1, "UK-D-AAA", "999.00"),
    listing_line("UK", 2, "UK-D-AAA", "250.50"),
    listing_line("UK", 2, "UK-D-AAA", "100.00", delivery_id="D2"),
    listing_line("UK", 2, "UK-D-AAB", "200.25", kind="REPRICING"),
    listing_line("AS", 1, "AS-D-AAA", "-400.00", kind="REPRICING"),
]


def test_a_billing_report_lists_each_purchasers_latest_delivery_listing(tmp_path):
    html = report(tmp_path, LINES)
    assert rows(html, "delivery-listing-table") == [
        HEADER,
        ["AS", "1", "0", "$0.00", "1", "-$400.00", "-$400.00"],
        ["UK", "2", "2", "$350.50", "1", "$200.25", "$550.75"],
    ]


def test_an_adhoc_report_lists_only_its_purchaser(tmp_path):
    html = report(tmp_path, LINES, purchaser="AS")
    assert rows(html, "delivery-listing-table")[1:] == [
        ["AS", "1", "0", "$0.00", "1", "-$400.00", "-$400.00"]
    ]


def test_other_jobs_reports_have_no_delivery_listing(tmp_path):
    html = report(tmp_path, LINES, job="closure")
    assert 'id="delivery-listing"' not in html
