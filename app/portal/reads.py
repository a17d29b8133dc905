"""What the portal reads, and only through here: the readers' snapshot of a warehouse, never the
warehouse itself (data contract, "Readers never block the writer"), and every query scoped to
the reader.

Authorization lives in the queries (`fms/sql/portal/*.sql`): each takes `$country`, the reader's
purchaser code, or NULL for an analyst, and returns nothing outside it. A page for another
purchaser's case or statement therefore finds no row, and answers 404 like one that does not
exist.

The snapshot is opened read-only once and reopened when a publication has swapped in a new one
(its real path changes); a request reads through its own cursor, so requests served on several
threads never share one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from fms.sqlfiles import read_sql


class NoSnapshot(RuntimeError):
    """No publication has written a readers' snapshot yet."""


@dataclass(frozen=True)
class Reader:
    """Who reads: an analyst (every purchaser) or a purchaser (its own country only)."""

    name: str
    role: str
    country: str | None

    @property
    def scope(self) -> str | None:
        """The `$country` every portal query binds: None reads every purchaser."""
        return None if self.role == "analyst" else self.country

    @property
    def is_analyst(self) -> bool:
        return self.role == "analyst"


class Snapshot:
    """The current readers' snapshot at `path` (`fms.snapshots.snapshot_path(warehouse)`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._opened: tuple[str, duckdb.DuckDBPyConnection] | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        try:
            real = os.path.realpath(self.path, strict=True)
        except OSError as exc:
            raise NoSnapshot(
                f"no readers' snapshot at {self.path}: a job publishes one (fms run nightly)"
            ) from exc
        with self._lock:
            if self._opened is None or self._opened[0] != real:
                # The replaced connection is left to the garbage collector: a request still
                # reading through one of its cursors finishes on the snapshot it started on.
                con = duckdb.connect(real, read_only=True)
                self._opened = (real, con)
            return self._opened[1]

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self._connection().cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def records(self, name: str, reader: Reader, **params: object) -> list[dict]:
        """The rows of `fms/sql/portal/<name>.sql` for `reader`, as dicts."""
        with self.cursor() as cur:
            result = cur.execute(read_sql(f"portal/{name}"), {"country": reader.scope, **params})
            columns = [d[0] for d in result.description]
            return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]

    def record(self, name: str, reader: Reader, **params: object) -> dict | None:
        rows = self.records(name, reader, **params)
        return rows[0] if rows else None

    def publications(self) -> list[dict]:
        """Each job's latest publication: what every page says its figures are as of. Dates
        only, the same for every reader."""
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT job, max(as_of), max(published_at) FROM publications "
                "GROUP BY job ORDER BY job"
            ).fetchall()
        return [{"job": job, "as_of": as_of, "published_at": at} for job, as_of, at in rows]

    def published_out_dir(self, job: str, as_of: date) -> Path | None:
        """The output folder of the latest publication of `job` as of `as_of` (the quarter's
        statement folder for a billing)."""
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT out_dir FROM publications WHERE job = $job AND as_of = $as_of "
                "AND out_dir IS NOT NULL ORDER BY published_at DESC LIMIT 1",
                {"job": job, "as_of": as_of},
            ).fetchall()
        return Path(rows[0][0]) if rows else None
