"""Publish a closure run: the ranked worklist, funds locked per purchaser, the buy-back register.

Files in out_dir, named after as_of (YYYYMMDD), each written atomically by fms.outputs:
- `closure_worklist_<d>.xlsx`: sheets "Worklist" (every case, ready first, then most funds
  released, longest since SSC) and "Funds locked by purchaser".
- `closure_worklist_<d>.csv`, `closure_funds_locked_by_purchaser_<d>.csv`: the same tables.
- `buy_back_register_<d>.xlsx` and `.csv`: the register, open buy backs first.
For an all-or-nothing publication pass a folder from `fms.outputs.staged_folder` as out_dir.
Ordering and aggregation live in SQL (closure_worklist.sql, closure_funds_locked_by_purchaser.sql,
closure_buy_back_listing.sql); this module only writes what they return, money as Decimal.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from fms.outputs import Sheet, write_csv, write_xlsx
from fms.sqlfiles import read_sql

# Tables are named by the caller and read through query_table($table): a bound name, never
# text formatted into SQL.
AS_OF_IN = "SELECT DISTINCT as_of FROM query_table($table)"


def read_rows(con: duckdb.DuckDBPyConnection, name: str, params: dict):
    """(columns, rows, money columns) of a publishing query; money stays Decimal."""
    result = con.execute(read_sql(name), params)
    columns = [d[0] for d in result.description]
    money = frozenset(d[0] for d in result.description if "DECIMAL" in str(d[1]))
    return columns, result.fetchall(), money


def check_as_of(con: duckdb.DuckDBPyConnection, table: str, as_of: date) -> None:
    """Refuse to publish a table built for another date under this run's date.

    A register built without a date (as_of NULL) fits any run.
    """
    dates = {row[0] for row in con.execute(AS_OF_IN, {"table": table}).fetchall()}
    if dates - {as_of, None}:
        found = ", ".join(sorted(str(d) for d in dates))
        raise ValueError(f"{table} is not as of {as_of}: its as_of holds {found}")


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


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
    stamp = f"{as_of:%Y%m%d}"
    on_readiness = {"readiness_table": readiness_table}

    wl_cols, wl_rows, wl_money = read_rows(con, "closure_worklist", on_readiness)
    fl_cols, fl_rows, fl_money = read_rows(con, "closure_funds_locked_by_purchaser", on_readiness)
    bb_cols, bb_rows, bb_money = read_rows(
        con, "closure_buy_back_listing", {"register_table": register_table}
    )

    ready = [r for r in wl_rows if r[wl_cols.index("ready")]]
    released = sum((r[wl_cols.index("funds_released_on_closure")] for r in ready), Decimal("0.00"))
    overdue_ready = sum(1 for r in ready if r[wl_cols.index("overdue")])
    heading = [
        f"Closure worklist as of {as_of.isoformat()}",
        f"{len(ready)} of {len(wl_rows)} cases ready to close, {overdue_ready} of them more than "
        f"12 months after SSC; closing them releases {dollars(released)} to Holding Accounts.",
        "Order: ready cases first, then funds released (largest first), then days since SSC "
        "(longest first). funds_released_on_closure is 0 while a case is blocked; "
        "excess_if_ready is its provisional excess at today's figures.",
    ]
    paths = {
        "worklist_xlsx": write_xlsx(
            out_dir / f"closure_worklist_{stamp}.xlsx",
            [
                Sheet(
                    "Worklist",
                    wl_cols,
                    wl_rows,
                    money=wl_money,
                    title_lines=heading,
                    widths={"blockers": 90, "case_id": 12},
                ),
                Sheet(
                    "Funds locked by purchaser",
                    fl_cols,
                    fl_rows,
                    money=fl_money,
                    title_lines=[
                        f"Funds locked in cases ready to close, per purchaser, as of "
                        f"{as_of.isoformat()}",
                        "funds_locked_in_ready_cases: excess the ready cases release when "
                        "closed; excess_if_ready_in_blocked_cases: provisional, blocked cases.",
                    ],
                ),
            ],
        ),
        "worklist_csv": write_csv(out_dir / f"closure_worklist_{stamp}.csv", wl_cols, wl_rows),
        "funds_locked_csv": write_csv(
            out_dir / f"closure_funds_locked_by_purchaser_{stamp}.csv", fl_cols, fl_rows
        ),
        "buy_back_register_xlsx": write_xlsx(
            out_dir / f"buy_back_register_{stamp}.xlsx",
            [
                Sheet(
                    "Buy-back register",
                    bb_cols,
                    bb_rows,
                    money=bb_money,
                    title_lines=[
                        f"Buy-back register (SAMM E-Change 773 C6.4.9.2.2) as of "
                        f"{as_of.isoformat()}",
                        "open: contract not executed or buy back not reconciled on the case "
                        "(blocks closure: BUY_BACK_OPEN).",
                    ],
                    widths={"articles": 40, "legal_authority": 30},
                )
            ],
        ),
        "buy_back_register_csv": write_csv(
            out_dir / f"buy_back_register_{stamp}.csv", bb_cols, bb_rows
        ),
    }
    return paths
