"""The quarantine worklist: what the data senders must fix and resubmit, and the load totals."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fms.outputs import Sheet, write_csv, write_xlsx
from fms.sqlfiles import read_sql


def write_quarantine_worklist(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """quarantine_worklist.csv / .xlsx (open rows) and load_summary.csv, in `out_dir`."""
    worklist = con.execute(read_sql("select_quarantine_worklist"))
    columns = [d[0] for d in worklist.description]
    rows = worklist.fetchall()
    summary = con.execute(read_sql("select_load_summary"))
    summary_columns = [d[0] for d in summary.description]
    summary_rows = summary.fetchall()
    money = frozenset({"amount_read", "amount_loaded", "amount_quarantined"})
    return [
        write_csv(out_dir / "quarantine_worklist.csv", columns, rows),
        write_csv(out_dir / "load_summary.csv", summary_columns, summary_rows),
        write_xlsx(
            out_dir / "quarantine_worklist.xlsx",
            [
                Sheet(
                    "Rows to fix",
                    columns,
                    rows,
                    title_lines=[
                        "Quarantined input rows: fix each and resubmit it in a new batch.",
                        "Rows waiting for a reference load by themselves once it arrives.",
                    ],
                    widths={"reason": 70, "row_as_given": 90},
                ),
                Sheet("Load totals", summary_columns, summary_rows, money=money),
            ],
        ),
    ]
