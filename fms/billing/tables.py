"""Names of the billing tables, and the guard that keeps candidates off the published records."""

from __future__ import annotations

import duckdb

from fms.sqlfiles import checked_table_name

# The published records (every revision); only fms.billing.publication writes them.
PUBLISHED_TABLES = frozenset(
    {
        "main.billing_statements",
        "main.purchaser_statements",
        "main.billing_statement_differences",
        "main.delivery_listing",
    }
)

# Where a run's candidate statements go by default: validated there, then published.
CANDIDATE_CASE_STATEMENTS = "staging.billing_statements"
CANDIDATE_PURCHASER_STATEMENTS = "staging.purchaser_statements"


def checked_candidate_table(table: str) -> str:
    """A table a mart may replace: never one of the published records."""
    checked_table_name(table)
    if table in PUBLISHED_TABLES or f"main.{table}" in PUBLISHED_TABLES:
        raise ValueError(
            f"{table} holds published statements (every revision): build candidates elsewhere, "
            "e.g. staging.billing_statements, and publish them with publish_statements"
        )
    return table


def ensure_schema(con: duckdb.DuckDBPyConnection, table: str) -> None:
    if "." in table:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.', 1)[0]}")
