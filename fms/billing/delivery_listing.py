"""The quarterly delivery listing: the deliveries behind each case's delivered value on a
quarter's statement (README.md, "Rules": delivery listing; the published table
`delivery_listing`).

Built from the candidate case statements of the same run (so its cases are the statement's
cases) into a candidate table (default `staging.delivery_listing`), validated by the suite
`mart_delivery_listing`, and published to `main.delivery_listing` with the statement revisions
(`fms.billing.publication`), one set of rows per purchaser revision like `billing_statements`.
"""

from __future__ import annotations

from datetime import date

import duckdb

from fms.billing.tables import CANDIDATE_CASE_STATEMENTS, checked_candidate_table, ensure_schema
from fms.billing.timeline import billing_timeline
from fms.sqlfiles import materialize, read_sql

CANDIDATE_DELIVERY_LISTING = "staging.delivery_listing"
KINDS = ("REPORTED", "REPRICING")

# The listing's fields, in file order (the contract's columns, with the statement's revision).
LISTING_FIELDS: tuple[str, ...] = (
    "country_code",
    "period_end",
    "revision",
    "case_id",
    "line_number",
    "delivery_id",
    "shipment_date",
    "reported_date",
    "quantity",
    "delivered_value",
    "price_code",
    "kind",
)


def published_statements(con: duckdb.DuckDBPyConnection) -> str:
    """The published case statements, or an empty stand-in on a warehouse that never published
    any: reading them must not create the records' tables (an ad-hoc run publishes nothing)."""
    (exists,) = con.execute(
        "SELECT count(*) > 0 FROM duckdb_tables() "
        "WHERE schema_name = 'main' AND table_name = 'billing_statements' AND NOT temporary"
    ).fetchall()[0]
    if exists:
        return "main.billing_statements"
    con.execute(read_sql("marts/create_no_published_statements"))
    return "no_published_statements"


def build_delivery_listing(
    con: duckdb.DuckDBPyConnection,
    period_end: date,
    table: str = CANDIDATE_DELIVERY_LISTING,
    purchaser: str | None = None,
    case_id: str | None = None,
    *,
    statements_table: str = CANDIDATE_CASE_STATEMENTS,
) -> int:
    """Build the delivery listing of the quarter ended `period_end` into `table`; return rows.

    Per case of the candidate statements in `statements_table` (built first by
    `build_billing_statements` for the same quarter): a REPORTED line for every delivery
    reported in the quarter, and one REPRICING line for the rest of the movement of its
    delivered value since the previous quarter's latest published revision (none when that is
    0). `purchaser` / `case_id` narrow the listing to a part of the statements.
    """
    timeline = billing_timeline(period_end)
    table = checked_candidate_table(table)
    ensure_schema(con, table)
    params = {
        "period_end": timeline.period_end,
        "quarter_start": timeline.quarter_start,
        "previous_period_end": timeline.previous_period_end,
        "statements_table": checked_candidate_table(statements_table),
        "purchaser": purchaser,
        "case_id": case_id,
        "published_statements": published_statements(con),
    }
    return materialize(con, table, "marts/build_delivery_listing", params)
