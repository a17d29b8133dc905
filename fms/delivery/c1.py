"""The C1 constructive delivery report (SAMM C9.13.1.2, Tables C9.T17 and C9.T18).

`build_c1_transactions` builds the records in SQL (fms/sql/marts/build_c1_transactions.sql);
`write_c1_file` writes them as the fixed-width file DFAS receives: one 80-character ASCII
record per line, `\\n` line ends, sorted by case and line, so the same inputs give the same bytes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from fms.delivery.macros import create_delivery_macros, scope_params
from fms.outputs import atomic_path
from fms.sqlfiles import materialize

C1_RECORD_LENGTH = 80
C1_MAX_QUANTITY = 999_999  # columns 16-21: six digits


class C1FileError(ValueError):
    """The C1 table holds a record that cannot be sent (overflowed, missing or misshapen)."""


def build_c1_transactions(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    table: str = "main.c1_transactions",
    purchaser: str | None = None,
    case_id: str | None = None,
) -> int:
    """Build `table` with one C1 record per reportable line whose cumulative delivered
    quantity as of `as_of` is above zero; reporting_date = as_of.

    A quantity above 999,999 gets record NULL and quantity_overflow true (never a truncated
    field): gate it as a critical failure; `write_c1_file` refuses it. Returns the row count.
    """
    create_delivery_macros(con)
    return materialize(
        con, table, "marts/build_c1_transactions", scope_params(as_of, purchaser, case_id)
    )


def c1_file_name(as_of: date) -> str:
    """`c1_<YYYYMMDD>.txt` for the reporting date."""
    return f"c1_{as_of:%Y%m%d}.txt"


def c1_record_problem(record: str | None, quantity_overflow: bool | None) -> str | None:
    """Why a record cannot be written to the C1 file, or None when it can."""
    if quantity_overflow:
        return f"cumulative quantity above {C1_MAX_QUANTITY:,} does not fit columns 16-21"
    if record is None:
        return "no record"
    if len(record) != C1_RECORD_LENGTH:
        return f"record is {len(record)} characters, not {C1_RECORD_LENGTH}"
    if not record.isascii() or not record.isprintable():
        return "record has a character that is not printable ASCII"
    return None


def write_c1_file(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> Path:
    """Write the C1 file from a c1_transactions table: ASCII, one record per line, each line
    ended by `\\n`, sorted by (case_id, line_number); atomically (whole or not at all).

    Refuses (C1FileError naming every record that cannot be sent, nothing written) when any
    record is not exactly 80 printable ASCII characters or its quantity overflowed. An empty
    table gives an empty file.
    """
    rows = con.execute(
        "SELECT case_id, line_number, record, quantity_overflow FROM query_table($table) "
        "ORDER BY case_id, line_number",
        {"table": table},
    ).fetchall()
    problems = [
        f"{case} line {line:03d}: {problem}"
        for case, line, record, overflow in rows
        if (problem := c1_record_problem(record, overflow))
    ]
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise C1FileError(
            f"C1 file not written: {len(problems)} record(s) of {table} cannot be sent: "
            f"{shown}{more}"
        )
    content = "".join(f"{record}\n" for _, _, record, _ in rows).encode("ascii")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(content)
    return path
