"""The payment schedule review's files (SAMM C9.9.3; README.md, "Rules").

From a `payment_schedule_review` table (one row per case x payment date), in `out_dir`:
- `payment_schedule_review_<YYYYQn>.csv` and `.xlsx`: the cases needing a revision, one row
  each, the largest |variance| first, with its direction (SHORT, AHEAD) and payment date, the
  threshold, what was received and the revised schedule's next payment. Written even when no
  case needs a revision (the header alone says so). An ad-hoc selection's are named after it:
  `..._<YYYYQn>_<CC>`, `..._<YYYYQn>_<case id>`.
- `schedule_revision_<case id>_<YYYYQn>.xlsx` per case needing a revision: sheet "Revision
  (C9.T15)" in the layout of SAMM Table C9.T15 (the format of a revision by modification,
  C9.9.3.2: previous payments scheduled, current USG financial requirements, amount received,
  the revised payments quarterly and cumulative, dates as `DD MMM YYYY`), and sheet "Detail by
  payment date" (the previous schedule against the requirements at each date, the variance).
  A case needing no revision gets no workbook.
Ranking and totals live in SQL (`fms/sql/reports/schedule_review_*.sql`). The summary is rendered
by DuckDB (`fms.table_workbook`), the case workbooks by `fms.outputs.write_xlsx`, the house style
of the DD 645 workbook (labelled figures, currency cells exact to the cent, fitted widths, print
setup). For an all-or-nothing publication pass a folder from `fms.outputs.staged_folder`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import groupby
from pathlib import Path

import duckdb

from fms.billing.timeline import billing_timeline
from fms.formatting import count, dollars
from fms.outputs import Figure, Sheet, file_name_part, write_xlsx
from fms.publication import check_as_of
from fms.sqlfiles import read_sql, temporary_tables
from fms.table_workbook import TableSheet, money_columns, write_table_csv, write_tables_xlsx

# The ranked cases needing a revision: a temporary table while the files are written.
LISTING = "schedule_review_cases"
LISTING_ORDER = ("rank",)

# The SAMM's payment schedule tables (C9.T14, C9.T15) write dates DD MMM YYYY: month names in
# English capitals whatever the machine's locale.
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

T15_SHEET = "Revision (C9.T15)"
T15_COLUMNS = ("Payment Date", "Quarterly", "Cumulative")
DETAIL_SHEET = "Detail by payment date"
# (heading, payment_schedule_review column)
DETAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Payment number", "payment_number"),
    ("Payment Date", "payment_date"),
    ("Payment covers from", "covers_start"),
    ("Payment covers to", "covers_end"),
    ("Previously scheduled, quarterly", "scheduled_quarterly"),
    ("Previously scheduled, cumulative", "scheduled_cumulative"),
    ("USG financial requirements, cumulative", "requirement_cumulative"),
    ("Variance (scheduled - requirements)", "variance"),
    ("Direction", "direction"),
    ("Revised, quarterly", "revised_quarterly"),
    ("Revised, cumulative", "revised_cumulative"),
)
DETAIL_MONEY = frozenset(
    heading
    for heading, column in DETAIL_COLUMNS
    if column.startswith(("scheduled_", "requirement_", "variance", "revised_"))
)
DETAIL_DATES = frozenset({"payment_date", "covers_start", "covers_end"})
# Why a variance matters (SAMM C9.9.3), under the case's figures.
DIRECTION_NOTES = {
    "SHORT": "SHORT: the schedule asks less than the USG needs by then (the USG finances it).",
    "AHEAD": "AHEAD: the schedule asks more than the USG needs by then (the purchaser's cash "
    "sits in the case).",
}


def samm_date(day: date) -> str:
    """`15 DEC 2026`: a date as the SAMM's payment schedule tables write it."""
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def summary_stem(as_of: date, purchaser: str | None = None, case_id: str | None = None) -> str:
    """`payment_schedule_review_2026Q3`; an ad-hoc selection's `..._UK`, `..._UK-D-AAB`."""
    stem = f"payment_schedule_review_{billing_timeline(as_of).quarter}"
    selected = case_id or purchaser
    return f"{stem}_{file_name_part(selected)}" if selected else stem


def revision_name(case_id: str, as_of: date) -> str:
    """`schedule_revision_XX-D-W01_2026Q3.xlsx`."""
    return f"schedule_revision_{file_name_part(case_id)}_{billing_timeline(as_of).quarter}.xlsx"


def write_schedule_review_files(
    con: duckdb.DuckDBPyConnection,
    table: str,
    out_dir: Path,
    as_of: date,
    *,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> list[Path]:
    """Write the review's summary (CSV and workbook) and a Table C9.T15 workbook per case
    needing a revision, from `table` (a payment_schedule_review table, read through a bound
    name), limited to `purchaser` / `case_id` when given. Return the paths: the summary's CSV
    and workbook, then the case workbooks in the summary's order. Raises ValueError, before
    any file is written, when `as_of` is not a quarter end or the table is of another date."""
    out_dir = Path(out_dir)
    billing_timeline(as_of)  # a quarter end, or the ValueError saying so
    check_as_of(con, table, as_of)
    selection = {"table": table, "purchaser": purchaser, "case_id": case_id}
    stem = summary_stem(as_of, purchaser, case_id)
    listing = {LISTING: ("reports/schedule_review_listing", selection | {"limit": None})}
    with temporary_tables(con, listing):
        params = selection | {"listing_table": LISTING}
        (totals,) = _records(con, "reports/schedule_review_totals", params)
        summary = TableSheet(
            "Cases to revise",
            LISTING,
            LISTING_ORDER,
            money=money_columns(con, LISTING),
            title_lines=summary_heading(as_of, totals, purchaser, case_id),
        )
        paths = [
            write_table_csv(con, out_dir / f"{stem}.csv", LISTING, LISTING_ORDER),
            write_tables_xlsx(con, out_dir / f"{stem}.xlsx", [summary]),
        ]
        rows = _records(
            con, "reports/schedule_review_revisions", {"table": table, "listing_table": LISTING}
        )
    for case, case_rows in groupby(rows, key=lambda r: r["case_id"]):
        sheets = revision_sheets(list(case_rows))
        paths.append(write_xlsx(out_dir / revision_name(case, as_of), sheets))
    return paths


def _records(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    result = con.execute(read_sql(name), params)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def summary_heading(
    as_of: date, totals: Mapping[str, object], purchaser: str | None, case_id: str | None
) -> list[str]:
    """The title lines of the summary workbook: what it lists, in figures."""
    lines = [
        f"Payment schedule review as of {as_of.isoformat()} (SAMM C9.9.3): cases whose "
        "payment schedule needs a revision",
        f"{count(totals['cases_to_revise'])} of {count(totals['cases_reviewed'])} cases "
        f"reviewed: {count(totals['short_cases'])} SHORT (largest variances "
        f"{dollars(totals['short_variance'])}), {count(totals['ahead_cases'])} AHEAD "
        f"({dollars(totals['ahead_variance'])}).",
        "A case needs a revision when the schedule differs from the USG's financial "
        "requirements through some payment date by more than its threshold; largest "
        "|variance| first. variance = scheduled - requirements (SHORT below 0, AHEAD above 0).",
        "Each case's revision in the layout of Table C9.T15: "
        f"schedule_revision_<case id>_{billing_timeline(as_of).quarter}.xlsx.",
    ]
    if case_id or purchaser:
        selected = f"case {case_id}" if case_id else f"purchaser {purchaser}"
        lines.insert(1, f"Ad-hoc run: {selected} only.")
    return lines


def revision_sheets(rows: Sequence[Mapping[str, object]]) -> list[Sheet]:
    """The two sheets of one case's workbook from its rows of schedule_review_revisions.sql
    (payment dates in order, the one bringing the schedule to the estimated total cost last)."""
    first = rows[0]
    as_of, direction = first["as_of"], first["largest_variance_direction"]
    name = f"{first['country_code']} {first['purchaser_name'] or ''}".rstrip()
    heading: list[str | Figure] = [
        "Payment Schedule Revision (SAMM C9.9.3.2, Table C9.T15)",
        f"Case {first['case_id']} · Purchaser {name}",
        f"Payment schedule review as of {samm_date(as_of)} (SAMM C9.9.3)",
        Figure(
            f"Largest variance, {samm_date(first['largest_variance_payment_date'])} ({direction})",
            first["largest_variance"],
            money=True,
        ),
        Figure("Revision threshold", first["threshold"], money=True),
        Figure("Estimated total cost", first["estimated_total_cost"], money=True),
        DIRECTION_NOTES.get(direction, direction),
    ]
    # Table C9.T15: previous payments scheduled (as of the review; N/A in the quarterly
    # column), current USG financial requirements (through the first payment date, R_1), the
    # amount received, then the revised payments, quarterly and cumulative.
    t15 = [
        [f"Previous Payments Scheduled ({samm_date(as_of)})", "N/A", first["scheduled_before"]],
        ["Current USG Financial Requirements", None, first["requirement_cumulative"]],
        ["Amount received from Purchaser", None, first["collections_received"]],
        ["Revised Payments Scheduled", None, None],
        *[
            [samm_date(r["payment_date"]), r["revised_quarterly"], r["revised_cumulative"]]
            for r in rows
        ],
    ]
    detail = [
        [samm_date(r[c]) if c in DETAIL_DATES else r[c] for _, c in DETAIL_COLUMNS] for r in rows
    ]
    return [
        Sheet(
            name=T15_SHEET,
            columns=T15_COLUMNS,
            rows=t15,
            money=frozenset(T15_COLUMNS[1:]),
            title_lines=heading,
        ),
        Sheet(
            name=DETAIL_SHEET,
            columns=[heading for heading, _ in DETAIL_COLUMNS],
            rows=detail,
            money=DETAIL_MONEY,
            title_lines=[
                f"Case {first['case_id']}: the previous payment schedule against the USG's "
                f"financial requirements through each payment date, as of {samm_date(as_of)}",
                "Variance = previously scheduled - requirements, cumulative (SHORT below 0, "
                "AHEAD above 0). The last date brings the schedule to the estimated total "
                "cost: no requirement is reviewed for it.",
            ],
        ),
    ]
