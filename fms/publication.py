"""Write, audit, publish: marts are built in the `staging` schema, validated there, and only
then swapped into `main` together, in one transaction, with a record in `publications` and
the run's published folder (`commit_with_folder`).

Until the swap commits, readers of `main` see the previous publication, whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from fms.closure import build_buy_back_register, build_closure_readiness
from fms.delivery import build_c1_transactions, build_delivery_status, build_undelivered_report
from fms.failpoints import failpoint
from fms.run_folder import RunFolder, settle
from fms.warehouse import connect

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
    folder: RunFolder | None = None,
) -> None:
    """Swap the staged marts into `main`, record the publication and swap `folder` in (when
    given), all in one commit."""
    with commit_with_folder(con, folder, run_id):
        for name in names:
            con.execute(f"CREATE OR REPLACE TABLE main.{name} AS SELECT * FROM {STAGING}.{name}")
            failpoint("publish_staged_marts.mart_replaced")
        record_publication(con, run_id, job, as_of, through_batch_seq, out_dir)
        drop_staged_marts(con, names)


def record_publication(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    job: str,
    as_of: date,
    through_batch_seq: int,
    out_dir: Path | None,
) -> None:
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


def drop_staged_marts(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {STAGING}.{name}")


@contextmanager
def commit_with_folder(
    con: duckdb.DuckDBPyConnection, folder: RunFolder | None, run_id: str
) -> Iterator[None]:
    """The rows the block writes and the folder's swap, committed together or not at all:
    the swap's links and intent are made first (what can fail for space), then BEGIN; the
    block; the swap; COMMIT. A failure before COMMIT rolls back and puts the previous folder
    back; a crash between the swap and COMMIT, or a COMMIT that raised (it may have committed),
    is settled by the next run as `publications` says (`settle_folder`, fms.run_folder)."""
    swap = folder.prepare(run_id) if folder is not None else None
    committing = False
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield
            if swap is not None:
                swap.apply()
            committing = True
            failpoint("publication.committing")
            con.execute("COMMIT")
            failpoint("publication.commit_returned")
        except BaseException as exc:
            if not committing:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error as err:
                    exc.add_note(f"rolling back failed too: {err}")
            raise
    except BaseException as exc:
        if swap is not None and committing:
            # DuckDB can raise from a COMMIT that is durable ("COMMIT succeeded and is durable,
            # but the autocheckpoint failed"): only the file knows. The link and the intent
            # stay for the next run's `settle`, which follows `publications`.
            exc.add_note(
                "the publication may have committed: the next run of this job settles its "
                "folder as the warehouse says"
            )
        elif swap is not None:
            swap.abort()
        raise
    failpoint("publication.committed")
    if swap is not None:
        swap.finish()


def is_published(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM publications WHERE run_id = $r", {"r": run_id}
    ).fetchall()
    return rows[0][0] > 0


def settle_folder(con: duckdb.DuckDBPyConnection, final: Path) -> None:
    """Before a run publishes `final`: finish or undo a commit of it that a crash interrupted,
    as `publications` says (the run's row is there: it committed)."""
    settle(final, lambda run_id: is_published(con, run_id))


def published_in(warehouse: Path, run_id: str) -> bool:
    """Whether the run's publication committed in the warehouse file."""
    with connect(warehouse, read_only=True) as con:
        return is_published(con, run_id)
