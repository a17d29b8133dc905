"""The quarterly undelivered report (SAMM C9.15.2.3.1): one row per open case."""

from __future__ import annotations

from datetime import date

import duckdb

from fms.delivery.macros import create_delivery_macros, scope_params
from fms.sqlfiles import materialize


def build_undelivered_report(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    table: str = "main.undelivered_report",
    purchaser: str | None = None,
    case_id: str | None = None,
) -> int:
    """Build `table`: every open case (IMPLEMENTED or SUPPLY_SERVICE_COMPLETE, not implemented
    after as_of) with implementation date, total order value, delivered and undelivered value.

    Figures are sums of the case's delivery_status lines
    (fms/sql/marts/build_undelivered_report.sql). Returns the number of rows.
    """
    create_delivery_macros(con)
    return materialize(
        con, table, "marts/build_undelivered_report", scope_params(as_of, purchaser, case_id)
    )
