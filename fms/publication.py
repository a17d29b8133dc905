"""Write, audit, publish: marts are built in the `staging` schema, validated there, and only
then swapped into `main` together, in one transaction, with a record in `publications`.

Until the swap commits, readers of `main` see the previous publication, whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from fms.closure import build_buy_back_register, build_closure_readiness
from fms.delivery import build_c1_transactions, build_delivery_status, build_undelivered_report
from fms.failpoints import failpoint

STAGING = "staging"

Builder = Callable[..., int]

# Every mart a job can rebuild as of a date, with the optional ad-hoc filters.
MART_BUILDERS: dict[str, Builder] = {
    "delivery_status": build_delivery_status,
    "c1_transactions": build_c1_transactions,
    "undelivered_report": build_undelivered_report,
    "closure_readiness": build_closure_readiness,
    "buy_back_register": lambda con, as_of, table, purchaser, case_id: build_buy_back_register(
        con, table=table, as_of=as_of, purchaser=purchaser, case_id=case_id
    ),
}
# The nightly refresh rebuilds and publishes these (contract "Command line", plus the
# undelivered report and the buy-back register).
NIGHTLY_MARTS = (
    "delivery_status",
    "c1_transactions",
    "undelivered_report",
    "closure_readiness",
    "buy_back_register",
)
DELIVERY_REPORT_MARTS = ("delivery_status", "c1_transactions", "undelivered_report")
CLOSURE_MARTS = ("closure_readiness", "buy_back_register")


def last_published_batch_seq(con: duckdb.DuckDBPyConnection, job: str = "nightly") -> int:
    """Every batch up to this one passed the input gate of a published run."""
    row = con.execute(
        "SELECT coalesce(max(through_batch_seq), 0) FROM publications WHERE job = $job",
        {"job": job},
    ).fetchall()
    return row[0][0]


def latest_batch_seq(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(batch_seq), 0) FROM batches").fetchall()[0][0]


def build_staged_marts(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    marts: tuple[str, ...] = NIGHTLY_MARTS,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> dict[str, int]:
    """Rebuild each mart into `staging.<mart>`; return the row count of each."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {STAGING}")
    return {
        name: MART_BUILDERS[name](con, as_of, f"{STAGING}.{name}", purchaser, case_id)
        for name in marts
    }


def publish_staged_marts(
    con: duckdb.DuckDBPyConnection,
    names: list[str],
    *,
    run_id: str,
    job: str,
    as_of: date,
    through_batch_seq: int,
    out_dir: Path | None,
) -> None:
    """Swap the staged marts into `main` and record the publication, all in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        for name in names:
            con.execute(f"CREATE OR REPLACE TABLE main.{name} AS SELECT * FROM {STAGING}.{name}")
            failpoint("publish_staged_marts.mart_replaced")
        con.execute(
            "INSERT INTO publications VALUES ($run_id, $job, $as_of, $seq, $at, $out)",
            {
                "run_id": run_id,
                "job": job,
                "as_of": as_of,
                "seq": through_batch_seq,
                "at": datetime.now(UTC).replace(tzinfo=None),
                "out": str(out_dir) if out_dir else None,
            },
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    drop_staged_marts(con, names)


def drop_staged_marts(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {STAGING}.{name}")
