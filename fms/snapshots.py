"""Readers never block the writer (data contract): after each publication the run copies the
published tables into a snapshot DuckDB file for people and services that read (the portal, an
analyst's notebook), who open it read-only and never the warehouse itself.

    <warehouse dir>/<stem>-snapshots/current/<stem>.duckdb

`current` is a published folder name (fms/run_folder.py): each snapshot is written whole in a
new version beside it and swapped in by one rename, so a reader opens the previous snapshot or
the new one, never a part; older versions are pruned as run folders are (the one replaced and
any written in the last minute stay a while for a reader that resolved the name just before).
A reader that has a snapshot open keeps reading it after a swap or a prune (an unlinked file
stays readable while open).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from fms.run_folder import RunFolder
from fms.sqlfiles import checked_table_name

SNAPSHOT_ALIAS = "readers_snapshot"
READ_ONLY_FILE = 0o440


def snapshot_path(warehouse: Path) -> Path:
    """Where readers open the current snapshot of `warehouse`."""
    warehouse = Path(warehouse)
    return warehouse.parent / f"{warehouse.stem}-snapshots" / "current" / warehouse.name


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table of the warehouse's `main` schema (inputs, history, marts, records, logs)."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary "
        "ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def write_snapshot(con: duckdb.DuckDBPyConnection, warehouse: Path, label: str) -> Path:
    """Copy every published table (as committed on `con`, the writer's connection) into a new
    snapshot file, make it read-only and swap it in as the current one; return its path."""
    final = snapshot_path(warehouse)
    folder = RunFolder(final.parent, label)
    target = folder.work / final.name
    try:
        con.execute(f"ATTACH $path AS {SNAPSHOT_ALIAS}", {"path": str(target)})
        try:
            for table in published_tables(con):
                name = checked_table_name(table)
                con.execute(f"CREATE TABLE {SNAPSHOT_ALIAS}.main.{name} AS FROM main.{name}")
            con.execute(f"CHECKPOINT {SNAPSHOT_ALIAS}")
        finally:
            con.execute(f"DETACH {SNAPSHOT_ALIAS}")
        os.chmod(target, READ_ONLY_FILE)
    except BaseException:
        folder.discard()
        raise
    folder.publish()
    return final
