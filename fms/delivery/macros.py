"""The delivery reporting rules shared by the marts, as table macros
(fms/sql/marts/delivery_macros.sql)."""

from __future__ import annotations

from datetime import date

import duckdb

from fms.sqlfiles import read_sql


def create_delivery_macros(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create deliveries_reported_by, delivery_open_cases and delivery_line_status.

    Idempotent; every build calls it first so a build never runs against stale rule text.
    """
    con.execute(read_sql("marts/delivery_macros"))


def scope_params(as_of: date | None, purchaser: str | None, case_id: str | None) -> dict:
    """The bound parameters of every delivery and closure build (as-of date, ad-hoc filters)."""
    return {"as_of": as_of, "purchaser": purchaser, "case_id": case_id}
