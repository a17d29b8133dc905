"""The DuckDB warehouse: connection and the schema of the ingest layer.

Tables per input entity (contract "Published tables"):
- `<entity>_history`: every version ever loaded, typed, traced to its batch, file and row.
- `<entity>`: the current version of each key.
Both carry the contract columns followed by the trace columns below.
Plus `batches` (what was loaded, with file checksums), `batch_file_signatures`, `load_log` and
`quarantine`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from fms import settings
from fms.contract import ENTITIES
from fms.reference import load_reference_tables
from fms.sqlfiles import read_sql

# Trace columns appended to every history and current row.
TRACE_COLUMNS = (
    ("batch", "VARCHAR NOT NULL"),  # the batch folder whose file carried the row
    ("batch_seq", "INTEGER NOT NULL"),  # load order of that batch (1, 2, ...)
    ("source_file", "VARCHAR NOT NULL"),  # file name inside the batch folder
    ("source_row", "BIGINT NOT NULL"),  # 1-based data record in that file
    ("loaded_in_batch", "VARCHAR NOT NULL"),  # differs from batch when retried from quarantine
)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every ingest-layer table that does not exist yet (idempotent)."""
    con.execute(read_sql("ingest/create_bookkeeping_tables"))
    trace = [f'"{name}" {ddl}' for name, ddl in TRACE_COLUMNS]
    for entity in ENTITIES:
        cols = ",\n    ".join([f'"{c.name}" {c.sql_type}' for c in entity.columns] + trace)
        con.execute(f"CREATE TABLE IF NOT EXISTS {entity.name}_history (\n    {cols}\n)")
        # No PRIMARY KEY on the current tables: one row per key holds by construction (the
        # load deletes a key's row before inserting its newest version) and is checked by the
        # input gate (key_count); the index cost a third of a large load and of its COMMIT.
        con.execute(f"CREATE TABLE IF NOT EXISTS {entity.name} (\n    {cols}\n)")


def create_published_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Published statement records (every revision) exist from the start."""
    con.execute(read_sql("publish/billing_create_published_tables"))


def refresh_rules(con: duckdb.DuckDBPyConnection, reference_folder: Path | None = None) -> None:
    """Reload the reference tables and (re)create the shared rule macros over them."""
    load_reference_tables(con, reference_folder)
    con.execute(read_sql("marts/create_rule_macros"))


@contextmanager
def connect(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file, creating its folder (private to the user) and schema."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    old_umask = os.umask(0o027)  # the warehouse holds financial records: not world-readable
    try:
        config = {
            "memory_limit": settings.duckdb_memory_limit(),
            # DuckDB's default, pinned: a loaded file's record numbers are its rows' order
            # in the table they are read into (fms/ingest/load_batch.py).
            "preserve_insertion_order": True,
        }
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    finally:
        os.umask(old_umask)
    try:
        if not read_only:
            create_schema(con)
            create_published_tables(con)
        yield con
    finally:
        con.close()
