"""The quarantine worklist: what the data senders must fix and resubmit, and the load totals.

Both queries' results are kept in temporary tables and rendered by DuckDB (`fms.table_workbook`):
a landing with many bad rows makes a worklist of hundreds of thousands of cells.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from fms.sqlfiles import temporary_tables
from fms.table_workbook import TableSheet, write_table_csv, write_tables_xlsx

WORKLIST = "quarantine_worklist_listing"
SUMMARY = "load_summary_listing"
# Each listing's order: its query's ORDER BY, on keys unique in its rows.
ORDER_BY = {WORKLIST: ("batch", "entity", "row_number"), SUMMARY: ("batch", "entity")}
MONEY = frozenset({"amount_read", "amount_loaded", "amount_quarantined"})


def write_quarantine_worklist(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """quarantine_worklist.csv / .xlsx (open rows) and load_summary.csv, in `out_dir`."""
    listings = {
        WORKLIST: ("reports/select_quarantine_worklist", None),
        SUMMARY: ("reports/select_load_summary", None),
    }
    with temporary_tables(con, listings):
        return [
            write_table_csv(con, out_dir / "quarantine_worklist.csv", WORKLIST, ORDER_BY[WORKLIST]),
            write_table_csv(con, out_dir / "load_summary.csv", SUMMARY, ORDER_BY[SUMMARY]),
            write_tables_xlsx(
                con,
                out_dir / "quarantine_worklist.xlsx",
                [
                    TableSheet(
                        "Rows to fix",
                        WORKLIST,
                        ORDER_BY[WORKLIST],
                        title_lines=(
                            "Quarantined input rows: fix each and resubmit it in a new batch.",
                            "Rows waiting for a reference load by themselves once it arrives.",
                        ),
                        widths={"reason": 70, "row_as_given": 90},
                    ),
                    TableSheet("Load totals", SUMMARY, ORDER_BY[SUMMARY], money=MONEY),
                ],
            ),
        ]
