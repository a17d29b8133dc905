"""Write, audit, publish: marts are built in the `staging` schema, validated there, and only
then swapped into `main` together, in one transaction, with a record in `publications` and
the run's published folder (`commit_with_folder`).

Until the swap commits, readers of `main` see the previous publication, whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from fms.failpoints import failpoint
from fms.run_folder import RunFolder, settle
from fms.warehouse import connect

STAGING = "staging"


def check_as_of(
    con: duckdb.DuckDBPyConnection, table: str, as_of: date, column: str = "as_of"
) -> None:
    """Refuse to publish a table built for another date under this run's date (`column`, a
    name from our code; a row built without a date, NULL, fits any run)."""
    query = f"SELECT DISTINCT {column} FROM query_table($table)"  # the table: a bound name
    dates = {row[0] for row in con.execute(query, {"table": table}).fetchall()}
    if dates - {as_of, None}:
        found = ", ".join(sorted(str(d) for d in dates))
        raise ValueError(f"{table} is not as of {as_of}: its {column} holds {found}")


def last_published_batch_seq(con: duckdb.DuckDBPyConnection) -> int:
    """Every batch up to this one passed the input gate of a published nightly run."""
    query = "SELECT coalesce(max(through_batch_seq), 0) FROM publications WHERE job = $job"
    return con.execute(query, {"job": "nightly"}).fetchall()[0][0]


def latest_batch_seq(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(batch_seq), 0) FROM batches").fetchall()[0][0]


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
        for name in names:
            con.execute(f"DROP TABLE IF EXISTS {STAGING}.{name}")


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
    query = "SELECT count(*) FROM publications WHERE run_id = $r"
    return con.execute(query, {"r": run_id}).fetchall()[0][0] > 0


def settle_folder(con: duckdb.DuckDBPyConnection, final: Path) -> None:
    """Before a run publishes `final`: finish or undo a commit of it that a crash interrupted,
    as `publications` says (the run's row is there: it committed)."""
    settle(final, lambda run_id: is_published(con, run_id))


def published_in(warehouse: Path, run_id: str) -> bool:
    """Whether the run's publication committed in the warehouse file."""
    with connect(warehouse, read_only=True) as con:
        return is_published(con, run_id)
