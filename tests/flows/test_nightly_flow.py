"""The nightly flow end to end: real Prefect runs on a real DuckDB file."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.nightly import nightly_refresh
from fms.ingest.batch_files import BatchFileError
from tests.hostile.batches import base_batch, delivery
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


FIRST_AS_OF = date(2026, 11, 1)


@dataclass(frozen=True)
class FirstRun:
    """A warehouse and output folder after one nightly over `_landing`, as of FIRST_AS_OF."""

    landing: Path
    warehouse: Path
    out: Path
    summary: dict


@pytest.fixture(scope="module")
def _first_run_made(tmp_path_factory) -> tuple[Path, Path, dict]:
    """The first nightly, run once for the module; kept whole in `pristine`."""
    root = tmp_path_factory.mktemp("first-run")
    work, pristine = root / "work", root / "pristine"
    summary = nightly_refresh(
        landing=_landing(work), warehouse=work / "w.duckdb", out=work / "out", as_of=FIRST_AS_OF
    )
    shutil.copytree(work, pristine, symlinks=True)
    return work, pristine, summary


@pytest.fixture
def first_run(_first_run_made) -> FirstRun:
    """That first run's landing, warehouse and outputs, restored at the same paths for each
    test (a module's tests run one after another): the paths its records name stay true."""
    work, pristine, summary = _first_run_made
    shutil.rmtree(work)
    shutil.copytree(pristine, work, symlinks=True)
    return FirstRun(work / "landing", work / "w.duckdb", work / "out", summary)


def test_nightly_loads_new_batches_and_writes_the_worklist(first_run):
    summary, warehouse, out = first_run.summary, first_run.warehouse, first_run.out
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
    assert summary["data_quality_warnings"] == 0


RUN_LOGS = {"dq_results", "publications"}  # every run appends its own record


def test_nightly_rerun_changes_no_data(first_run):
    warehouse, landing, out = first_run.warehouse, first_run.landing, first_run.out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = {t: v for t, v in fingerprint(con).items() if t not in RUN_LOGS}
    summary = nightly_refresh(landing=landing, warehouse=warehouse, out=out, as_of=FIRST_AS_OF)
    assert summary["batches_loaded"] == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert {t: v for t, v in fingerprint(con).items() if t not in RUN_LOGS} == before


def test_nightly_with_a_broken_batch_fails_naming_the_file_and_keeps_the_warehouse(first_run):
    warehouse, landing, out = first_run.warehouse, first_run.landing, first_run.out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = {t: v for t, v in fingerprint(con).items() if t not in RUN_LOGS}
    broken = write_batch(landing, "20261102-02-daily", {"deliveries": [DELIVERY]})
    (broken / "deliveries.csv").write_text("delivery_id,case_id\nD9,UK-D-AAA\n")
    with pytest.raises(
        BatchFileError, match=r"20261102-02-daily.*deliveries\.csv.*missing columns"
    ):
        nightly_refresh(landing=landing, warehouse=warehouse, out=out)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert {t: v for t, v in fingerprint(con).items() if t not in RUN_LOGS} == before


def _published(out: Path, as_of: str) -> dict[str, bytes]:
    folder = out / "nightly" / as_of
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


MARTS = ["delivery_status", "c1_transactions", "undelivered_report", "closure_readiness"]


def _marts(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: v for t, v in fingerprint(con).items() if t in MARTS + ["publications"]}


def test_a_critical_failure_publishes_nothing_and_keeps_the_previous_marts_and_files(first_run):
    warehouse, landing, out = first_run.warehouse, first_run.landing, first_run.out
    before_tables, before_files = _marts(warehouse), _published(out, "2026-11-01")
    assert "c1_20261101.txt" in before_files
    # One valid delivery row whose cumulative quantity cannot be written on the C1 file.
    write_batch(
        landing,
        "20261102-02-daily",
        {"deliveries": [DELIVERY | {"delivery_id": "BIG", "quantity": "1000000"}]},
    )
    with pytest.raises(Exception, match=r"mart_c1_transactions.*at most 999,999"):
        nightly_refresh(landing=landing, warehouse=warehouse, out=out, as_of=FIRST_AS_OF)
    assert _marts(warehouse) == before_tables
    assert _published(out, "2026-11-01") == before_files
    failed = [p for p in (out / "nightly").iterdir() if p.name.startswith("2026-11-01.failed-")]
    assert len(failed) == 1 and (failed[0] / "dq_results.csv").exists()
    assert "mart_c1_transactions" in (failed[0] / "data_docs" / "index.html").read_text()


def test_the_data_docs_site_lists_every_suite_after_a_run(first_run):
    index = Path(first_run.summary["data_docs"]).read_text()
    for suite in (
        "input_deliveries",
        "input_cases",
        "mart_c1_transactions",
        "mart_closure_readiness",
    ):
        assert suite in index


def test_the_bundled_sample_passes_every_critical_expectation(tmp_path):
    import json

    from fms import settings

    sample = settings.sample_landing()
    manifest = json.loads((sample.parent / "manifest.json").read_text())
    warehouse = tmp_path / "w.duckdb"
    summary = nightly_refresh(
        landing=sample, warehouse=warehouse, out=tmp_path / "out", as_of=date(2026, 11, 3)
    )
    assert summary["batches_loaded"] == [b["name"] for b in manifest["batches"]]
    assert summary["rows_quarantined"] == len(manifest["injected"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        suites = con.execute(
            "SELECT suite, bool_and(success) FILTER (severity = 'critical') FROM dq_results "
            "GROUP BY suite ORDER BY suite"
        ).fetchall()
        warned = con.execute(
            "SELECT DISTINCT expectation FROM dq_results WHERE NOT success"
        ).fetchall()
    # 9 input entities, load_log, quarantine, 5 marts, 2 reconciliations
    assert len(suites) == 18 and all(ok for _, ok in suites)
    # the injected over-delivered line is reported, not blocking
    assert (
        "delivered quantity not above ordered quantity (closure blocker OVER_DELIVERED)",
    ) in warned
    c1 = Path(summary["out_dir"], "c1_20261103.txt").read_text().splitlines()
    assert c1 and all(len(r) == 80 for r in c1)


@pytest.mark.usefixtures("prefect_harness")
def test_the_nightly_summary_names_the_waiting_batches(tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing, "20261031-00-history")
    write_batch(landing, "20261101-01-daily", {"deliveries": [delivery("D1")]}, complete=False)
    summary = nightly_refresh(
        landing=landing,
        warehouse=tmp_path / "w.duckdb",
        out=tmp_path / "out",
        as_of=date(2026, 11, 1),
    )
    assert summary["batches_loaded"] == ["20261031-00-history"]
    assert summary["batches_waiting"] == ["20261101-01-daily"]


def test_a_nightly_without_a_landing_reads_it_from_configuration_never_the_sample(
    tmp_path, monkeypatch
):
    from prefect.variables import Variable

    monkeypatch.delenv("FMS_LANDING", raising=False)
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "out"
    with pytest.raises(ValueError, match="no landing folder is configured"):
        nightly_refresh(warehouse=warehouse, out=out, as_of=date(2026, 11, 1))
    assert not warehouse.exists() and not out.exists()

    Variable.set("fms_landing", str(_landing(tmp_path)), overwrite=True)
    try:
        summary = nightly_refresh(warehouse=warehouse, out=out, as_of=date(2026, 11, 1))
    finally:
        Variable.unset("fms_landing")
    assert summary["batches_loaded"] == ["20261031-00-history", "20261101-01-daily"]
