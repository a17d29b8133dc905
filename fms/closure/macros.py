"""The closure rules as macros (fms/sql/marts/closure_rule_macros.sql), created before every
closure build."""

from __future__ import annotations

import duckdb

from fms.delivery.macros import create_delivery_macros
from fms.sqlfiles import read_sql


def create_closure_macros(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the SCML, buy-back and text macros, and the delivery macros they build on.

    Idempotent. Expects the shared rule macros (case_surcharge_rate, case_performance) that
    `fms.warehouse.refresh_rules` creates. `deliveries_reported_by(as_of)` comes from the
    delivery rules so "reported by D" and "a reversal is no delivery" exist once.
    """
    create_delivery_macros(con)
    con.execute(read_sql("marts/closure_rule_macros"))
