"""The coordinator's side of the input: one consistent Parquet copy of what the marts read.

DuckDB has one writer: the coordinator alone opens the warehouse. Workers read only this
export, written into a folder every worker can reach (a shared mount: NFS, SMB, a cloud
file system mounted at the same path everywhere), then removed when the run ends.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from fms.scaleout.inputs import MART_INPUTS

EXPORT_SQL = "COPY (SELECT * FROM query_table($table)) TO $path (FORMAT parquet, COMPRESSION zstd)"
TYPES_SQL = "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM query_table($table))"
PARQUET_TYPES_SQL = (
    "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($path))"
)


class ExportTypeError(ValueError):
    """A column's type does not come back the same from Parquet (a worker would compute on
    another type than the warehouse holds)."""


def export_root(warehouse: Path) -> Path:
    """Where exports go: FMS_SCALEOUT_DIR (a folder on shared storage, the same path on the
    coordinator and every worker), else `scaleout/` beside the warehouse (enough for a
    LocalCluster, whose workers share this machine's disk)."""
    configured = os.environ.get("FMS_SCALEOUT_DIR")
    return Path(configured) if configured else Path(warehouse).parent / "scaleout"


def export_inputs(con: duckdb.DuckDBPyConnection, folder: Path) -> Path:
    """Copy every table of MART_INPUTS to `<folder>/<table>.parquet`; return the folder.

    All copies read one snapshot (one transaction), so the files agree with each other even
    if another connection wrote between two of them. Money stays DECIMAL in Parquet; every
    column's type is checked to come back the same (ExportTypeError otherwise).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    cur = con.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        for table in MART_INPUTS:
            cur.execute(EXPORT_SQL, {"table": table, "path": str(folder / f"{table}.parquet")})
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    for table in MART_INPUTS:
        check_types_round_trip(con, table, folder / f"{table}.parquet")
    return folder


def check_types_round_trip(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """Parquet has no HUGEINT, UUID or ENUM: such a column would come back as another type."""
    want = con.execute(TYPES_SQL, {"table": table}).fetchall()
    got = con.execute(PARQUET_TYPES_SQL, {"path": str(path)}).fetchall()
    if want != got:
        changed = [f"{w[0]} {w[1]} -> {g[1]}" for w, g in zip(want, got, strict=False) if w != g]
        raise ExportTypeError(
            f"{table} does not keep its column types in Parquet: {', '.join(changed) or got}"
        )
