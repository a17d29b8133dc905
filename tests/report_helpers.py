"""Report helpers only the tests use: the run report read and written in one call, and a
hand-filled payment_schedule_review table (its files and its report section)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from fms.report import ReportTables, read_run_figures, render_run_report, report_files


def build_run_report(
    con: duckdb.DuckDBPyConnection,
    *,
    job: str,
    run_summary: dict,
    out_path: Path,
    quality: list | None = None,
    tables: ReportTables | None = None,
    final_dir: Path | None = None,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> Path:
    """Write the run report (one self-contained HTML file, normally `run_report.html`) as the
    run report task does (tasks/report.py), and return its path.

    Args:
        con: the warehouse, after the run published (or staged) its marts.
        job: nightly, quarterly-billing, delivery-report or closure.
        run_summary: the flow's summary (run_id, as_of or period_end, warehouse, files...).
        out_path: where to write the page (in the run's work folder).
        quality: the run's QualityReport objects (adds rows validated per gate).
        tables: which marts to read (default: the published ones in main).
        final_dir: the folder the page will be read from (links are relative to it; default:
            the folder of out_path).
        purchaser, case_id: an ad-hoc run's selection.
    """
    out_path = Path(out_path)
    figures = read_run_figures(
        con,
        job=job,
        run_summary=run_summary,
        quality=quality,
        tables=tables,
        purchaser=purchaser,
        case_id=case_id,
    )
    files = report_files(figures, run_summary, out_path.parent, Path(final_dir or out_path.parent))
    return render_run_report(figures, out_path, files)


# A payment_schedule_review table as fms/sql/marts/build_payment_schedule_review.sql builds it
# (data contract), for the tests of its files and its report section, filled by hand.
SCHEDULE_REVIEW_COLUMNS = (
    ("as_of", "DATE"),
    ("case_id", "VARCHAR"),
    ("country_code", "VARCHAR"),
    ("payment_number", "INTEGER"),
    ("payment_date", "DATE"),
    ("covers_start", "DATE"),
    ("covers_end", "DATE"),
    ("scheduled_quarterly", "DECIMAL(18,2)"),
    ("scheduled_cumulative", "DECIMAL(18,2)"),
    ("requirement_cumulative", "DECIMAL(18,2)"),
    ("variance", "DECIMAL(18,2)"),
    ("collections_received", "DECIMAL(18,2)"),
    ("scheduled_before", "DECIMAL(18,2)"),
    ("threshold", "DECIMAL(18,2)"),
    ("estimated_total_cost", "DECIMAL(18,2)"),
    ("revision_needed", "BOOLEAN"),
    ("direction", "VARCHAR"),
    ("revised_quarterly", "DECIMAL(18,2)"),
    ("revised_cumulative", "DECIMAL(18,2)"),
)
REVIEW_AS_OF = date(2026, 9, 30)


# The SAMM payment dates after 30 Sep 2026 and the quarters they cover (Table C9.T16).
PAYMENT_DATES = (
    ("2026-12-15", "2027-01-01", "2027-03-31"),
    ("2027-03-15", "2027-04-01", "2027-06-30"),
    ("2027-06-15", "2027-07-01", "2027-09-30"),
)


def _review_case(
    case_id: str,
    received: str,
    scheduled_before: str,
    threshold: str,
    total_cost: str,
    payments: list[tuple[str, str, str | None, str, str | None, str | None]],
) -> list[dict]:
    """The rows of one case, one per payment date from 15 Dec 2026: (scheduled quarterly,
    scheduled cumulative, requirement, direction, revised quarterly, revised cumulative);
    variance = scheduled - requirement; revision needed when some direction is not NONE."""
    needed = any(p[3] != "NONE" for p in payments)
    rows = []
    for number, (sq, sc, req, direction, rq, rc) in enumerate(payments, 1):
        day, start, end = (date.fromisoformat(t) for t in PAYMENT_DATES[number - 1])
        rows.append(
            {
                "as_of": REVIEW_AS_OF,
                "case_id": case_id,
                "country_code": case_id[:2],
                "payment_number": number,
                "payment_date": day,
                "covers_start": start,
                "covers_end": end,
                "scheduled_quarterly": Decimal(sq),
                "scheduled_cumulative": Decimal(sc),
                "requirement_cumulative": Decimal(req) if req else None,
                "variance": Decimal(sc) - Decimal(req) if req else None,
                "collections_received": Decimal(received),
                "scheduled_before": Decimal(scheduled_before),
                "threshold": Decimal(threshold),
                "estimated_total_cost": Decimal(total_cost),
                "revision_needed": needed,
                "direction": direction,
                "revised_quarterly": Decimal(rq) if rq else None,
                "revised_cumulative": Decimal(rc) if rc else None,
            }
        )
    return rows


# As of 30 Sep 2026.
# XX-D-W01, the worked example of fms-domain.md: AHEAD by 601,600.00 > 500,000.00.
# UK-D-SHT: S 2,500,000 / 3,000,000 / 3,500,000 against R 2,700,000 (-200,000, within
#   250,000) and 3,900,000 (-900,000: SHORT); A = 2,000,000 -> revised cumulative 2,700,000,
#   3,900,000, then the total 5,000,000 + 3.2% = 5,160,000 (quarterly 700,000, 1,200,000,
#   1,260,000).
# UK-D-OKK: AHEAD by 50,000.00, within 100,000.00: no revision.
# Columns: received, scheduled before, threshold, estimated total cost; per payment date as
# _review_case takes them.
SCHEDULE_REVIEW_ROWS: list[dict] = [
    *_review_case("XX-D-W01", "5500000.00", "6500000.00", "500000.00", "10320000.00", [
        ("1000000.00", "7500000.00", "6898400.00", "AHEAD", "1398400.00", "6898400.00"),
        ("0.00", "7500000.00", None, "NONE", "3421600.00", "10320000.00"),
    ]),
    *_review_case("UK-D-SHT", "2000000.00", "2000000.00", "250000.00", "5160000.00", [
        ("500000.00", "2500000.00", "2700000.00", "NONE", "700000.00", "2700000.00"),
        ("500000.00", "3000000.00", "3900000.00", "SHORT", "1200000.00", "3900000.00"),
        ("500000.00", "3500000.00", None, "NONE", "1260000.00", "5160000.00"),
    ]),
    *_review_case("UK-D-OKK", "400000.00", "400000.00", "100000.00", "1032000.00", [
        ("200000.00", "600000.00", "550000.00", "NONE", None, None),
        ("0.00", "600000.00", None, "NONE", None, None),
    ]),
]  # fmt: skip


def create_schedule_review(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[dict] = SCHEDULE_REVIEW_ROWS
) -> None:
    """Create `table` (schema.name, from the test's code) holding `rows`."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
    columns = ", ".join(f"{name} {type_name}" for name, type_name in SCHEDULE_REVIEW_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
    names = [name for name, _ in SCHEDULE_REVIEW_COLUMNS]
    marks = ", ".join("?" for _ in names)
    con.executemany(
        f"INSERT INTO {table} VALUES ({marks})", [[row[n] for n in names] for row in rows]
    )
