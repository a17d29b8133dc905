"""Publish a delivery report run: the C1 file, the delivery status and the undelivered report.

Each file is written atomically by fms.outputs; for an all-or-nothing publication pass a folder
from `fms.outputs.staged_folder` as out_dir. The C1 file is checked first, so a C1 table that
cannot be sent stops the publication before any file is written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from fms.delivery.c1 import c1_file_name, write_c1_file
from fms.formatting import dollars
from fms.publication import check_as_of
from fms.sqlfiles import query
from fms.table_workbook import TableSheet, money_columns, write_table_csv, write_tables_xlsx


def publish_delivery_outputs(
    con: duckdb.DuckDBPyConnection,
    status_table: str,
    c1_table: str,
    undelivered_table: str,
    out_dir: Path,
    as_of: date,
) -> dict[str, Path]:
    """Write into out_dir, named after as_of (YYYYMMDD):
    `c1_<d>.txt`, `delivery_status_<d>.csv|.xlsx`, `undelivered_report_<d>.csv|.xlsx`.

    Returns {"c1": path, "delivery_status_csv": ..., "delivery_status_xlsx": ...,
    "undelivered_report_csv": ..., "undelivered_report_xlsx": ...}. Raises C1FileError when
    a C1 record cannot be sent and ValueError when a table is as of another date.
    """
    out_dir = Path(out_dir)
    check_as_of(con, status_table, as_of)
    check_as_of(con, c1_table, as_of, "reporting_date")
    check_as_of(con, undelivered_table, as_of)
    # First: write_c1_file refuses an unsendable table before anything is written. The other
    # tables are named by the caller and read through query_table($table): a bound name, never
    # text formatted into SQL.
    paths = {"c1": write_c1_file(con, c1_table, out_dir / c1_file_name(as_of))}
    ((cases, order, delivered, undelivered),) = query(
        con, "reports/delivery_undelivered_totals", {"table": undelivered_table}
    )
    reports = {
        "delivery_status": TableSheet(
            "Delivery status",
            status_table,
            ("case_id", "line_number"),
            money=money_columns(con, status_table),
            title_lines=(
                f"Delivery status of open case lines as of {as_of.isoformat()}",
                "Deliveries reported by the as-of date (SAMM C9.13); estimated = price code E",
            ),
        ),
        "undelivered_report": TableSheet(
            "Undelivered report",
            undelivered_table,
            ("case_id",),
            money=money_columns(con, undelivered_table),
            title_lines=(
                f"Undelivered report: open cases as of {as_of.isoformat()} (SAMM C9.15.2.3.1)",
                f"{cases} cases; total order value {dollars(order)}; "
                f"delivered {dollars(delivered)}; "
                f"undelivered {dollars(undelivered)}",
            ),
        ),
    }
    # Rendered by DuckDB (one row per line can be millions of cells).
    for name, sheet in reports.items():
        stem = f"{name}_{as_of:%Y%m%d}"
        csv_path = out_dir / f"{stem}.csv"
        paths[f"{name}_csv"] = write_table_csv(con, csv_path, sheet.table, sheet.order_by)
        paths[f"{name}_xlsx"] = write_tables_xlsx(con, out_dir / f"{stem}.xlsx", [sheet])
    return paths
