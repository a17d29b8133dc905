"""Publish a closure run: the ranked worklist, funds locked per purchaser, the buy-back register.

Files in out_dir, named after as_of (YYYYMMDD), each written atomically:
- `closure_worklist_<d>.xlsx`: sheets "Worklist" (every case, ready first, then most funds
  released, longest since SSC) and "Funds locked by purchaser".
- `closure_worklist_<d>.csv`, `closure_funds_locked_by_purchaser_<d>.csv`: the same tables.
- `buy_back_register_<d>.xlsx` and `.csv`: the register, open buy backs first.
For an all-or-nothing publication pass a folder from `fms.outputs.staged_folder` as out_dir.
Ordering and aggregation live in SQL (`fms/sql/reports/closure_worklist.sql`,
`closure_funds_locked_by_purchaser.sql`, `closure_buy_back_listing.sql`); their results are kept
in temporary tables and rendered by DuckDB (`fms.table_workbook`: a large portfolio's worklist
is some 300,000 cells).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from fms.formatting import dollars
from fms.publication import check_as_of
from fms.sqlfiles import query, temporary_tables
from fms.table_workbook import TableSheet, money_columns, write_table_csv, write_tables_xlsx

# The publishing queries' results, one temporary table each while the files are written:
# (SQL file, order, the columns a listing carries only to be ordered by).
WORKLIST = "closure_worklist_listing"
FUNDS_LOCKED = "closure_funds_locked_listing"
BUY_BACKS = "closure_buy_back_listing"
POSITION = "listing_position"
LISTINGS = {
    WORKLIST: ("reports/closure_worklist", ("worklist_rank",), frozenset()),
    FUNDS_LOCKED: ("reports/closure_funds_locked_by_purchaser", (POSITION,), frozenset({POSITION})),
    BUY_BACKS: ("reports/closure_buy_back_listing", (POSITION,), frozenset({POSITION})),
}


def publish_closure_outputs(
    con: duckdb.DuckDBPyConnection,
    readiness_table: str,
    register_table: str,
    out_dir: Path,
    as_of: date,
) -> dict[str, Path]:
    """Write the closure worklist, the funds locked per purchaser and the buy-back register.

    Returns {"worklist_xlsx", "worklist_csv", "funds_locked_csv", "buy_back_register_xlsx",
    "buy_back_register_csv"} -> path. Raises ValueError when a table is as of another date.
    """
    out_dir = Path(out_dir)
    check_as_of(con, readiness_table, as_of)
    check_as_of(con, register_table, as_of)
    params = {
        WORKLIST: {"readiness_table": readiness_table},
        FUNDS_LOCKED: {"readiness_table": readiness_table},
        BUY_BACKS: {"register_table": register_table},
    }
    listings = {table: (sql_name, params[table]) for table, (sql_name, _, _) in LISTINGS.items()}
    with temporary_tables(con, listings):
        return _write_files(con, out_dir, as_of)


def _sheet(con: duckdb.DuckDBPyConnection, name: str, table: str, **kw) -> TableSheet:
    _, order_by, hidden = LISTINGS[table]
    money = money_columns(con, table)
    return TableSheet(name, table, order_by, money=money, hidden=hidden, **kw)


def _csv(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Path:
    _, order_by, hidden = LISTINGS[table]
    return write_table_csv(con, path, table, order_by, hidden)


def _write_files(con: duckdb.DuckDBPyConnection, out_dir: Path, as_of: date) -> dict[str, Path]:
    stamp = f"{as_of:%Y%m%d}"
    ((ready, cases, released, overdue_ready),) = query(
        con, "reports/closure_worklist_totals", {"table": WORKLIST}
    )
    heading = (
        f"Closure worklist as of {as_of.isoformat()}",
        f"{ready} of {cases} cases ready to close, {overdue_ready} of them more than "
        f"12 months after SSC; closing them releases {dollars(released)} to Holding Accounts.",
        "Order: ready cases first, then funds released (largest first), then days since SSC "
        "(longest first). funds_released_on_closure is 0 while a case is blocked; "
        "excess_if_ready is its provisional excess at today's figures.",
    )
    worklist = _sheet(
        con,
        "Worklist",
        WORKLIST,
        title_lines=heading,
        widths={"blockers": 90, "case_id": 12},
    )
    funds_locked = _sheet(
        con,
        "Funds locked by purchaser",
        FUNDS_LOCKED,
        title_lines=(
            f"Funds locked in cases ready to close, per purchaser, as of {as_of.isoformat()}",
            "funds_locked_in_ready_cases: excess the ready cases release when "
            "closed; excess_if_ready_in_blocked_cases: provisional, blocked cases.",
        ),
    )
    register = _sheet(
        con,
        "Buy-back register",
        BUY_BACKS,
        title_lines=(
            f"Buy-back register (SAMM E-Change 773 C6.4.9.2.2) as of {as_of.isoformat()}",
            "open: contract not executed or buy back not reconciled on the case "
            "(blocks closure: BUY_BACK_OPEN).",
        ),
        widths={"articles": 40, "legal_authority": 30},
    )
    return {
        "worklist_xlsx": write_tables_xlsx(
            con, out_dir / f"closure_worklist_{stamp}.xlsx", [worklist, funds_locked]
        ),
        "worklist_csv": _csv(con, out_dir / f"closure_worklist_{stamp}.csv", WORKLIST),
        "funds_locked_csv": _csv(
            con, out_dir / f"closure_funds_locked_by_purchaser_{stamp}.csv", FUNDS_LOCKED
        ),
        "buy_back_register_xlsx": write_tables_xlsx(
            con, out_dir / f"buy_back_register_{stamp}.xlsx", [register]
        ),
        "buy_back_register_csv": _csv(con, out_dir / f"buy_back_register_{stamp}.csv", BUY_BACKS),
    }
