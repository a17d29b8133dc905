"""Readers never block the writer (data contract): each publication leaves a read-only snapshot
of the published tables, swapped in whole, the older ones pruned; a reader keeps what it has
open. Real DuckDB files, no Prefect."""

from __future__ import annotations

import os
from decimal import Decimal

import duckdb
import pytest

from fms.snapshots import snapshot_path, write_snapshot
from tests.handbuilt import insert, open_warehouse


@pytest.fixture
def minutes_apart(monkeypatch):
    """Publications a schedule apart: no version is kept for being recent."""
    monkeypatch.setattr("fms.run_folder.RECENT_SECONDS", 0)


def versions(tmp_path) -> list[str]:
    folder = snapshot_path(tmp_path / "test.duckdb").parent.parent
    return sorted(p.name for p in folder.iterdir() if not p.is_symlink())


def test_a_snapshot_holds_every_published_table_read_only_and_not_staging(tmp_path):
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK", "name": "United Kingdom"})
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute("CREATE TABLE staging.candidate AS SELECT 1 AS x")
    path = write_snapshot(con, tmp_path / "test.duckdb", "run00001")
    assert path == tmp_path / "test-snapshots" / "current" / "test.duckdb"
    assert os.stat(path).st_mode & 0o777 == 0o440
    with duckdb.connect(str(path), read_only=True) as reader:
        tables = {r[0] for r in reader.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert tables == {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        }
        assert "candidate" not in tables
        assert reader.execute("SELECT country_code, name FROM countries").fetchall() == [
            ("UK", "United Kingdom")
        ]
    con.close()


def test_a_reader_keeps_its_snapshot_while_the_next_one_is_swapped_in(tmp_path, minutes_apart):
    con = open_warehouse(tmp_path)
    insert(
        con,
        "collections",
        {"collection_id": "C1", "case_id": "UK-D-AAA", "amount": Decimal("10.00")},
    )
    path = write_snapshot(con, tmp_path / "test.duckdb", "run00001")
    reader = duckdb.connect(str(path), read_only=True)  # opened before the next publication
    insert(
        con,
        "collections",
        {"collection_id": "C2", "case_id": "UK-D-AAA", "amount": Decimal("5.00")},
    )
    write_snapshot(con, tmp_path / "test.duckdb", "run00002")
    write_snapshot(con, tmp_path / "test.duckdb", "run00003")
    assert reader.execute("SELECT sum(amount) FROM collections").fetchone() == (Decimal("10.00"),)
    reader.close()
    with duckdb.connect(str(path), read_only=True) as fresh:
        assert fresh.execute("SELECT sum(amount) FROM collections").fetchone() == (
            Decimal("15.00"),
        )
    # The current snapshot and the one it replaced; the first is pruned.
    assert versions(tmp_path) == [".current.run00002", ".current.run00003"]
    con.close()


def test_a_failed_snapshot_leaves_the_current_one(tmp_path, monkeypatch):
    con = open_warehouse(tmp_path)
    path = write_snapshot(con, tmp_path / "test.duckdb", "run00001")
    before = os.readlink(path.parent)
    monkeypatch.setattr("fms.snapshots.published_tables", lambda con: ["Not A Table"])
    with pytest.raises(ValueError, match="not a table name"):
        write_snapshot(con, tmp_path / "test.duckdb", "run00002")
    assert os.readlink(path.parent) == before
    assert versions(tmp_path) == [".current.run00001"]
    con.close()
