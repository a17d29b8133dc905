"""The buy_back_register: the IA's central record of buy backs (E-Change 773 C6.4.9.2.2)."""

from __future__ import annotations

from datetime import date

import duckdb

from fms.closure.macros import create_closure_macros
from fms.delivery.macros import scope_params
from fms.sqlfiles import materialize


def build_buy_back_register(
    con: duckdb.DuckDBPyConnection,
    table: str = "main.buy_back_register",
    as_of: date | None = None,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> int:
    """Build `table` with one row per buy back; return the row count.

    Columns: buy_back_id, case_id, original_purchaser (the case's country), articles (generic
    code, description and line number of the line bought back), quantity, recipient,
    legal_authority, contract_executed_date, reconciled; then open (contract not executed or
    not reconciled: the rule BUY_BACK_OPEN reads), open_reason, line_number, generic_code,
    description, case_status, case_ssc_date, as_of. With `as_of`, a contract executed after it
    counts as not executed (as in closure readiness for that date); without it, as held now.
    """
    create_closure_macros(con)
    return materialize(
        con, table, "marts/build_buy_back_register", scope_params(as_of, purchaser, case_id)
    )
