"""The delivery_status mart: one row per line of every open case, as of a date."""

from __future__ import annotations

from datetime import date

import duckdb

from fms.delivery.macros import create_delivery_macros, scope_params
from fms.sqlfiles import materialize


def build_delivery_status(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    table: str = "main.delivery_status",
    purchaser: str | None = None,
    case_id: str | None = None,
) -> int:
    """Build `table` with the delivery status of every line of every open case as of `as_of`.

    Scope: cases IMPLEMENTED or SUPPLY_SERVICE_COMPLETE, not implemented after as_of (the open
    cases of the undelivered report). Deliveries count when reported by as_of (current version).
    Rules: fms/sql/marts/delivery_macros.sql. Returns the number of rows.
    """
    create_delivery_macros(con)
    return materialize(
        con, table, "marts/build_delivery_status", scope_params(as_of, purchaser, case_id)
    )
