"""A small hand-built warehouse whose run-report figures are computed by hand below.

As of 1 Nov 2026; every case accepted 1 Feb 2020 (outside the SCML era), surcharge rate 3.2%.

  UK-D-AAA IMPLEMENTED   line 1 MATERIEL 4 EA $4,000,000.00; 1 delivered at an ESTIMATED price
           $1,000,000.00 (reported 20 Jan 2026); no SSC; collections $1,500,000.00 (1 Feb 2026)
           blockers: NOT_SSC (1 line short), ESTIMATED_PRICES ($1,000,000.00)
  UK-D-BBB SSC 30 Jun 2025 (overdue: more than 12 months before 1 Nov 2026)
           line 1 MATERIEL 2 EA $2,000,000.00, both delivered at $2,000,000.00 (1 May 2025)
           final value = 2,000,000.00 + 0.032 x 2,000,000.00 = 2,064,000.00
           collections 2,100,000.00 (1 Jul 2025) -> ready, releases 36,000.00
  UK holding account: $250,000.00 received 1 Mar 2026 (no case)
  AS-P-CCC SSC 1 Sep 2026 (not overdue)
           line 1 MATERIEL 1 EA $500,000.00, delivered at $500,000.00 (1 Aug 2026)
           final value = 500,000.00 + 16,000.00 = 516,000.00
           collections 520,000.00 (15 Aug 2026) -> ready, releases 4,000.00
  AS-P-DDD IMPLEMENTED   line 1 MATERIEL 1 EA $300,000.00, nothing delivered, nothing collected
           blockers: NOT_SSC (no SSC date, 1 line short)
  UK-D-ZZZ DEVELOPMENT (out of every scope)

Totals by purchaser:
  UK: 2 cases, case value 4,000,000.00 + 2,000,000.00 = 6,000,000.00,
      collections 1,500,000.00 + 2,100,000.00 + 250,000.00 = 3,850,000.00
  AS: 2 cases, case value 500,000.00 + 300,000.00 = 800,000.00, collections 520,000.00
  all: 6,800,000.00 case value, 4,370,000.00 collections
Published statements (purchaser level):
  UK 2026-06-30 rev 1 due 100,000.00; UK 2026-09-30 rev 1 due 250,000.00, rev 2 due 240,000.00
  (arrearage 50,000.00, interest 123.45); AS 2026-09-30 rev 1 due 10,000.00
  latest amount due: UK 240,000.00, AS 10,000.00, all 250,000.00
  trend: 2026Q2 100,000.00 (1 statement); 2026Q3 240,000.00 + 10,000.00 = 250,000.00 (2)
Collections by quarter: 2025Q3 2,100,000.00; 2026Q1 1,500,000.00 + 250,000.00 = 1,750,000.00;
  2026Q3 520,000.00; 2026Q4 (to date) 0.00
Delivery progress: UK delivered 1,000,000.00 + 2,000,000.00 = 3,000,000.00, undelivered
  4,000,000.00 - 1,000,000.00 = 3,000,000.00 (50.0%), estimated 1,000,000.00;
  AS delivered 500,000.00, undelivered 300,000.00 (500,000 / 800,000 = 62.5%);
  all 3,500,000.00 delivered, 3,300,000.00 undelivered (3.5 / 6.8 = 51.5%)
Closure funnel: 4 in scope -> 2 SSC -> 2 ready -> 1 ready and overdue;
  funds locked 36,000.00 + 4,000.00 = 40,000.00, 36,000.00 of it overdue (UK)
Data quality of run "run-1": input gate, 2 expectations, 1 warning (3 of 10 rows, D9);
  run "run-0" (another run) had a critical failure that this report must not show.
Quarantine: batch b1 (this run) 1 deliveries row BAD_NUMBER; batch b0 (earlier) 1 row.
Batches loaded: b0 (31 Oct 2026 05:10 UTC), b1 (1 Nov 2026 05:12 UTC): 2, the latest b1.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from fms.closure import build_closure_readiness
from fms.delivery import build_delivery_status
from fms.quality.gate import ExpectationOutcome, QualityReport, record_results
from fms.warehouse import create_published_tables
from tests.handbuilt import d, insert, open_warehouse

AS_OF = d("2026-11-01")
RUN_ID = "run-1"
RATE = Decimal("0.032")


def _case(case_id: str, status: str, ssc: str | None = None) -> dict:
    return {
        "case_id": case_id,
        "status": status,
        "acceptance_date": d("2020-02-01"),
        "implementation_date": d("2020-03-15"),
        "admin_surcharge_rate": RATE,
        "supply_services_complete_date": d(ssc) if ssc else None,
    }


def _line(case_id: str, quantity: int, value: str) -> dict:
    return {
        "case_id": case_id,
        "line_number": 1,
        "description": "aircraft",
        "ordered_quantity": quantity,
        "line_value": Decimal(value),
    }


def _delivery(delivery_id: str, case_id: str, quantity: int, value: str, reported: str, **kw):
    return {
        "delivery_id": delivery_id,
        "case_id": case_id,
        "shipment_date": d(reported),
        "reported_date": d(reported),
        "quantity": quantity,
        "delivered_value": Decimal(value),
    } | kw


def insert_inputs(con: duckdb.DuckDBPyConnection) -> None:
    insert(
        con,
        "countries",
        {"country_code": "UK", "name": "United Kingdom"},
        {"country_code": "AS", "name": "Australia"},
    )
    insert(
        con,
        "cases",
        _case("UK-D-AAA", "IMPLEMENTED"),
        _case("UK-D-BBB", "SUPPLY_SERVICE_COMPLETE", "2025-06-30"),
        _case("AS-P-CCC", "SUPPLY_SERVICE_COMPLETE", "2026-09-01"),
        _case("AS-P-DDD", "IMPLEMENTED"),
        _case("UK-D-ZZZ", "DEVELOPMENT") | {"implementation_date": None},
    )
    insert(
        con,
        "case_lines",
        _line("UK-D-AAA", 4, "4000000.00"),
        _line("UK-D-BBB", 2, "2000000.00"),
        _line("AS-P-CCC", 1, "500000.00"),
        _line("AS-P-DDD", 1, "300000.00"),
        _line("UK-D-ZZZ", 1, "9000000.00"),
    )
    insert(
        con,
        "deliveries",
        _delivery("D1", "UK-D-AAA", 1, "1000000.00", "2026-01-20", price_code="E"),
        _delivery("D2", "UK-D-BBB", 2, "2000000.00", "2025-05-01"),
        _delivery("D3", "AS-P-CCC", 1, "500000.00", "2026-08-01"),
    )
    insert(
        con,
        "collections",
        {
            "collection_id": "C1",
            "case_id": "UK-D-AAA",
            "received_date": d("2026-02-01"),
            "amount": Decimal("1500000.00"),
        },
        {
            "collection_id": "C2",
            "case_id": "UK-D-BBB",
            "received_date": d("2025-07-01"),
            "amount": Decimal("2100000.00"),
        },
        {
            "collection_id": "C3",
            "country_code": "UK",
            "case_id": None,
            "received_date": d("2026-03-01"),
            "amount": Decimal("250000.00"),
        },
        {
            "collection_id": "C4",
            "case_id": "AS-P-CCC",
            "received_date": d("2026-08-15"),
            "amount": Decimal("520000.00"),
        },
        # Received after the as-of date: no figure of this report counts it.
        {
            "collection_id": "C5",
            "case_id": "AS-P-DDD",
            "received_date": d("2026-11-02"),
            "amount": Decimal("999.99"),
        },
    )


STATEMENTS = [
    # country, quarter ended, revision, amount due, arrearage, interest
    ("UK", "2026-06-30", 1, "100000.00", "0.00", "0.00"),
    ("UK", "2026-09-30", 1, "250000.00", "50000.00", "123.45"),
    ("UK", "2026-09-30", 2, "240000.00", "50000.00", "123.45"),
    ("AS", "2026-09-30", 1, "10000.00", "0.00", "0.00"),
]


def publish_statements(con: duckdb.DuckDBPyConnection) -> None:
    """Statement records as the quarterly billing job leaves them (only the columns read)."""
    create_published_tables(con)
    con.executemany(
        "INSERT INTO main.purchaser_statements (country_code, period_end, revision, amount_due, "
        "arrearage, interest, holding_account_balance, published_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
        [
            (cc, d(end), rev, Decimal(due), Decimal(arr), Decimal(interest), datetime(2026, 10, 15))
            for cc, end, rev, due, arr, interest in STATEMENTS
        ],
    )


def record_quality(con: duckdb.DuckDBPyConnection) -> QualityReport:
    def outcome(run_rule: str, severity: str, success: bool, unexpected: int, examples: list):
        return ExpectationOutcome(
            suite="input_deliveries",
            rule=run_rule,
            expectation_type="expect_column_values_to_be_in_set",
            column="reported_on_time",
            severity=severity,
            success=success,
            unexpected_count=unexpected,
            element_count=10,
            examples=examples,
        )

    earlier = QualityReport(
        "run-0", "input", [outcome("an earlier run's rule", "critical", False, 7, [])], 0.1, {}
    )
    this_run = QualityReport(
        RUN_ID,
        "input",
        [
            outcome("delivery ids are unique", "critical", True, 0, []),
            outcome(
                "deliveries reported within 30 days of shipment",
                "warning",
                False,
                3,
                [{"reported_on_time": False, "delivery_id": "D9"}],
            ),
        ],
        0.25,
        {"input_deliveries": 10},
    )
    record_results(con, earlier)
    record_results(con, this_run)
    con.executemany(
        "INSERT INTO quarantine VALUES (?, 'deliveries', 'deliveries.csv', ?, '{}', ?, ?, NULL, "
        "false)",
        [("b1", 2, "BAD_NUMBER", "quantity is not a number"), ("b0", 5, "BAD_DATE", "bad date")],
    )
    return this_run


BATCHES = [("b0", 1, datetime(2026, 10, 31, 5, 10)), ("b1", 2, datetime(2026, 11, 1, 5, 12))]


def record_batches(con: duckdb.DuckDBPyConnection) -> None:
    con.executemany(
        "INSERT INTO batches VALUES (?, ?, '{}', ?, ?)",
        [(batch, seq, at, at.date()) for batch, seq, at in BATCHES],
    )


def build_warehouse(
    folder: Path, *, statements: bool = True, marts: bool = True
) -> tuple[Path, QualityReport]:
    """The scenario's warehouse file, its marts built into main as the nightly publishes them."""
    path = folder / "report.duckdb"
    con = open_warehouse(folder, path.name)
    try:
        insert_inputs(con)
        if statements:
            publish_statements(con)
        if marts:
            build_delivery_status(con, AS_OF, table="main.delivery_status")
            build_closure_readiness(con, AS_OF, table="main.closure_readiness")
        quality = record_quality(con)
        record_batches(con)
    finally:
        con.close()
    return path, quality


def run_summary(warehouse: Path, files: list[Path]) -> dict:
    """What the nightly flow would pass (files in the run's work folder)."""
    return {
        "run_id": RUN_ID,
        "as_of": AS_OF.isoformat(),
        "warehouse": str(warehouse),
        "batches_loaded": ["b1"],
        "rows_loaded": 12,
        "rows_quarantined": 1,
        "marts": {"delivery_status": 4, "closure_readiness": 4},
        "files": [str(f) for f in files],
    }
