"""Transient failures are retried, deterministic ones are not, and a failed run names its step."""

from __future__ import annotations

import errno
import importlib
import pkgutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest
from prefect import Task, flow, task

import tasks
from flows.nightly import nightly_refresh
from fms.failures import describe_failure, is_transient
from fms.ingest.batch_files import BatchFileError
from fms.quality.gate import DataQualityError, QualityReport
from tasks.failures import RETRIES, RETRY_TRANSIENT, name_failed_step, retry_if_transient
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch


def all_steps() -> list[Task]:
    steps = []
    for info in pkgutil.iter_modules(tasks.__path__):
        module = importlib.import_module(f"tasks.{info.name}")
        steps += [v for v in vars(module).values() if isinstance(v, Task)]
    return sorted({id(s): s for s in steps}.values(), key=lambda s: s.name)


@pytest.mark.parametrize("step", all_steps(), ids=lambda s: s.name)
def test_every_step_retries_transient_failures_and_names_itself_when_it_fails(step):
    assert step.retries == RETRIES == 2
    assert 0 < step.retry_delay_seconds <= 10  # short: a held file or an I/O hiccup
    assert step.retry_condition_fn is retry_if_transient
    assert name_failed_step in step.on_failure_hooks


def _batch_file_error_from_io() -> BatchFileError:
    try:
        try:
            raise duckdb.IOException("read error")
        except duckdb.IOException as io:
            raise BatchFileError("b1", "deliveries.csv", "could not be read") from io
    except BatchFileError as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (BatchFileError("b1", "cases.csv", "missing columns: status"), False),
        (_batch_file_error_from_io(), False),
        (DataQualityError(QualityReport("run", "mart", [], 0.0, {})), False),
        (duckdb.IOException('Could not set lock on file "w.duckdb"'), True),
        (duckdb.TransactionException("write-write conflict"), True),
        (duckdb.ConstraintException("duplicate key"), False),
        (duckdb.BinderException("column not found"), False),
        (duckdb.ConversionException("bad number"), False),
        (FileNotFoundError(errno.ENOENT, "no such file"), False),
        (PermissionError(errno.EACCES, "permission denied"), False),
        (OSError(errno.ENOSPC, "no space left on device"), False),
        (OSError(errno.EIO, "input/output error"), True),
        (OSError(errno.ESTALE, "stale file handle"), True),
        (TimeoutError(), True),
        (ValueError("2026-05-01 is not a quarter end"), False),
        (KeyError("x"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_only_transient_failures_are_retried(error, transient):
    assert is_transient(error) is transient


@pytest.mark.usefixtures("prefect_harness")
def test_a_transient_failure_is_retried_until_the_step_succeeds():
    tries = []

    @task(name="flaky step", **RETRY_TRANSIENT | {"retry_delay_seconds": 0})
    def flaky() -> int:
        tries.append(1)
        if len(tries) <= RETRIES:
            raise duckdb.IOException('Could not set lock on file "w.duckdb"')
        return len(tries)

    @flow
    def job() -> int:
        return flaky()

    assert job() == 3  # 1 try + 2 retries


@pytest.mark.usefixtures("prefect_harness")
def test_a_deterministic_failure_fails_at_once_naming_the_step():
    tries = []

    @task(name="load batch", task_run_name="load batch {name}", **RETRY_TRANSIENT)
    def load(name: str) -> None:
        tries.append(1)
        raise BatchFileError(name, "cases.csv", "missing columns: status")

    @flow
    def job() -> None:
        load("20261101-01-daily")

    with pytest.raises(BatchFileError) as failed:
        job()
    assert len(tries) == 1
    assert failed.value.failed_step == "load batch 20261101-01-daily"
    assert "failed step: load batch 20261101-01-daily" in failed.value.__notes__


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE],
            "deliveries": [DELIVERY],
        },
    )
    return landing


# Another process (an analyst's DuckDB session, a backup) holds the warehouse file for a moment.
HOLD_DUCKDB = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("open", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


@pytest.mark.usefixtures("prefect_harness")
def test_a_warehouse_file_held_briefly_by_another_process_is_retried_and_the_run_completes(
    tmp_path,
):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DUCKDB, str(warehouse), "1.5"], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"open"
        summary = nightly_refresh(
            landing=_landing(tmp_path),
            warehouse=warehouse,
            out=tmp_path / "out",
            as_of=date(2026, 11, 1),
        )
    finally:
        holder.kill()
        holder.wait()
    assert summary["batches_loaded"] == ["20261031-00-history"]


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_nightly_run_names_the_step_and_the_file(tmp_path):
    landing = _landing(tmp_path)
    (landing / "20261031-00-history" / "cases.csv").write_text("case_id\nUK-D-AAA\n")
    with pytest.raises(BatchFileError, match=r"cases\.csv.*missing columns") as failed:
        nightly_refresh(landing=landing, warehouse=tmp_path / "w.duckdb", out=tmp_path / "out")
    assert failed.value.failed_step == "find new batches"


def test_the_error_line_carries_what_the_run_noted_on_its_way_out_but_names_the_step_once():
    exc = OSError(errno.ENOSPC, "No space left on device", "/out/run_report.html")
    exc.failed_step = "write run report"
    exc.add_note("failed step: write run report")
    exc.add_note("published before the failure: /out/quarterly-billing/2026Q3")
    assert describe_failure(exc) == (
        "step 'write run report' failed: /out/run_report.html: no space left on device; "
        "published before the failure: /out/quarterly-billing/2026Q3"
    )
