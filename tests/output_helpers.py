"""Helpers of the output writers' tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fms.table_workbook import TableSheet, write_tables_xlsx


def write_table_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: TableSheet,
    max_rows: int | None = None,
) -> Path:
    """A workbook of one TableSheet (one worksheet, or as many as its rows need)."""
    return write_tables_xlsx(con, path, [sheet], max_rows)
