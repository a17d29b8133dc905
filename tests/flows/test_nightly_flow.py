"""The nightly flow end to end: real Prefect runs on a real DuckDB file."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.nightly import nightly_refresh
from fms.ingest.batch_files import BatchFileError
from tests.landing import COUNTRY, DELIVERY, LINE, case, fingerprint, write_batch

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE],
            "deliveries": [DELIVERY, DELIVERY | {"delivery_id": "D2", "quantity": "x"}],
        },
    )
    write_batch(
        landing,
        "20261101-01-daily",
        {"deliveries": [DELIVERY | {"delivery_id": "D3", "delivered_value": "500.00"}]},
    )
    return landing


def test_nightly_loads_new_batches_and_writes_the_worklist(tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "out"
    summary = nightly_refresh(
        landing=_landing(tmp_path), warehouse=warehouse, out=out, as_of=date(2026, 11, 1)
    )
    assert summary["batches_loaded"] == ["20261031-00-history", "20261101-01-daily"]
    assert (summary["rows_loaded"], summary["rows_quarantined"]) == (5, 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT sum(delivered_value) FROM deliveries").fetchone()[0] == 1000500
    worklist = Path(summary["out_dir"]) / "quarantine_worklist.csv"
    assert Path(summary["out_dir"]) == out / "nightly" / "2026-11-01"
    rows = list(csv.DictReader(worklist.open()))
    assert [(r["entity"], r["row_number"], r["reason_code"]) for r in rows] == [
        ("deliveries", "2", "BAD_NUMBER")
    ]


def test_nightly_rerun_changes_nothing(tmp_path):
    warehouse, landing = tmp_path / "w.duckdb", _landing(tmp_path)
    nightly_refresh(landing=landing, warehouse=warehouse, out=tmp_path / "out")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = fingerprint(con)
    summary = nightly_refresh(landing=landing, warehouse=warehouse, out=tmp_path / "out")
    assert summary["batches_loaded"] == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert fingerprint(con) == before


def test_nightly_with_a_broken_batch_fails_naming_the_file_and_keeps_the_warehouse(tmp_path):
    warehouse, landing = tmp_path / "w.duckdb", _landing(tmp_path)
    nightly_refresh(landing=landing, warehouse=warehouse, out=tmp_path / "out")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = fingerprint(con)
    broken = write_batch(landing, "20261102-02-daily", {"deliveries": [DELIVERY]})
    (broken / "deliveries.csv").write_text("delivery_id,case_id\nD9,UK-D-AAA\n")
    with pytest.raises(
        BatchFileError, match=r"20261102-02-daily.*deliveries\.csv.*missing columns"
    ):
        nightly_refresh(landing=landing, warehouse=warehouse, out=tmp_path / "out")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert fingerprint(con) == before
