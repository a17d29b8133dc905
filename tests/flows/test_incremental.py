"""The incremental nightly gives exactly the results of a full rebuild: a warehouse fed one
daily batch per night equals one loaded with every batch at once."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.nightly import nightly_refresh
from tools.generate import generate

pytestmark = pytest.mark.usefixtures("prefect_harness")
AS_OF = date(2026, 11, 3)
# Tables whose rows must be equal; load times and run ids differ by design.
COMPARED = {
    "delivery_status": "*",
    "c1_transactions": "*",
    "undelivered_report": "*",
    "closure_readiness": "*",
    "buy_back_register": "*",
    "deliveries": "*",
    "expenditures": "*",
    "collections": "*",
    "cases": "*",
    "case_lines": "*",
    "quarantine": "*",
    "load_log": "* EXCLUDE (loaded_at)",
}


def contents(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: sorted(con.execute(f"SELECT {cols} FROM {table}").fetchall(), key=repr)
            for table, cols in COMPARED.items()
        }


def test_nightly_increments_equal_a_full_rebuild(tmp_path):
    generate(tmp_path / "data", "small", seed=5, dirty_rate=0.02)
    batches = sorted(p for p in (tmp_path / "data" / "landing").iterdir())
    assert len(batches) >= 3

    full = tmp_path / "full.duckdb"
    nightly_refresh(
        landing=tmp_path / "data" / "landing",
        warehouse=full,
        out=tmp_path / "out-full",
        as_of=AS_OF,
    )

    landing = tmp_path / "landing"
    landing.mkdir()
    incremental = tmp_path / "incremental.duckdb"
    # night 1: the history and the first daily; night 2: the rest (each night's new batches)
    for night in (batches[:2], batches[2:]):
        for batch in night:
            shutil.copytree(batch, landing / batch.name)
        summary = nightly_refresh(
            landing=landing, warehouse=incremental, out=tmp_path / "out-inc", as_of=AS_OF
        )
        assert summary["batches_loaded"] == [b.name for b in night]

    expected, got = contents(full), contents(incremental)
    for table in COMPARED:
        assert got[table] == expected[table], table
    assert expected["delivery_status"] and expected["closure_readiness"]


def test_one_batch_at_a_time_equals_all_at_once_without_prefect(tmp_path):
    """The same equality for every single batch, at the library level (no Prefect, no GX)."""
    from fms.ingest.load_batch import load_new_batches
    from fms.marts import NIGHTLY_MARTS, build_staged_marts
    from fms.publication import publish_staged_marts
    from fms.warehouse import connect, refresh_rules

    generate(tmp_path / "data", "small", seed=9, dirty_rate=0.05)
    batches = sorted(p for p in (tmp_path / "data" / "landing").iterdir())

    def night(con, landing, run_id):
        load_new_batches(con, landing, date(2026, 11, 22))
        refresh_rules(con)
        build_staged_marts(con, AS_OF)
        publish_staged_marts(
            con,
            list(NIGHTLY_MARTS),
            run_id=run_id,
            job="test",
            as_of=AS_OF,
            through_batch_seq=0,
            out_dir=None,
        )

    with connect(tmp_path / "full.duckdb") as con:
        night(con, tmp_path / "data" / "landing", "full")
    landing = tmp_path / "landing"
    landing.mkdir()
    with connect(tmp_path / "inc.duckdb") as con:
        for i, batch in enumerate(batches):
            shutil.copytree(batch, landing / batch.name)
            night(con, landing, f"night-{i}")
    expected, got = contents(tmp_path / "full.duckdb"), contents(tmp_path / "inc.duckdb")
    for table in COMPARED:
        assert got[table] == expected[table], table
