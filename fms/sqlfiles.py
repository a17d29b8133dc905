"""SQL kept in `fms/sql/<stage>/*.sql` files, run with bound parameters.

Stages: `ingest/` (loading batches), `marts/` (the rules and the marts they build), `audits/`
(the datasets the data-quality suites judge), `reports/` (what the published files and the run
report list), `publish/` (the statement revisions written once the gates passed), `scaleout/`
(a partition's slices), `portal/` (what the portal reads of the readers' snapshot, each query
binding its reader's `$country`). A mart is a SELECT in a file named after what it builds
(`marts/build_delivery_status.sql`); values reach it only as named parameters (`$as_of`), never
formatted into the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent / "sql"
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def checked_table_name(table: str) -> str:
    """`table` if it is a plain `[schema.]name` identifier (identifiers cannot be bound)."""
    if not _TABLE_NAME.match(table):
        raise ValueError(f"not a table name: {table!r}")
    return table


@cache
def read_sql(name: str) -> str:
    """The text of `fms/sql/<name>.sql`, `name` being its stage path (`marts/delivery_macros`)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None):
    """Run the SELECT of a SQL file and return the relation's rows as a list of tuples."""
    return con.execute(read_sql(name), params or {}).fetchall()


def materialize(
    con: duckdb.DuckDBPyConnection,
    table: str,
    name: str,
    params: dict | None = None,
    temporary: bool = False,
) -> int:
    """Replace `table` with the result of the SELECT in `fms/sql/<name>.sql`; return its rows.

    `table` is an identifier chosen by the code (e.g. `staging.delivery_status`), checked here
    because identifiers cannot be bound as parameters. A temporary table (also on a read-only
    connection) lives until the connection closes or the caller drops it.
    """
    kind = "TEMP TABLE" if temporary else "TABLE"
    sql = f"CREATE OR REPLACE {kind} {checked_table_name(table)} AS {read_sql(name)}"
    con.execute(sql, params or {})
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


@contextmanager
def temporary_tables(
    con: duckdb.DuckDBPyConnection, tables: Mapping[str, tuple[str, dict | None]]
) -> Iterator[None]:
    """Materialize each `table: (sql file name, params)` as a temporary table for the block,
    and drop them all after it, whether it succeeds or not."""
    try:
        for table, (name, params) in tables.items():
            materialize(con, table, name, params, temporary=True)
        yield
    finally:
        for table in tables:
            if _TABLE_NAME.match(table):
                con.execute(f"DROP TABLE IF EXISTS temp.{table}")
