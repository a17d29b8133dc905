"""Every job that writes the warehouse refuses to start while another run holds it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from flows.closure import closure_readiness
from flows.delivery_report import delivery_report
from flows.nightly import nightly_refresh
from flows.quarterly_billing import quarterly_billing
from fms import locking
from fms.locking import WarehouseBusyError
from tests.publication_helpers import read_holder

pytestmark = pytest.mark.usefixtures("prefect_harness")

# A run in another process: it holds our lock and has the DuckDB file open for writing.
RUNNING_JOB = textwrap.dedent(
    """
    import sys, time, duckdb
    from fms.locking import warehouse_lock

    with warehouse_lock(sys.argv[1], "run-in-progress", "nightly-refresh", wait_seconds=0):
        con = duckdb.connect(sys.argv[1])
        print("running", flush=True)
        time.sleep(60)
    """
)

JOBS = {
    "nightly-refresh": lambda w, out: nightly_refresh(warehouse=w, out=out, landing=out),
    "quarterly-billing": lambda w, out: quarterly_billing(warehouse=w, out=out),
    "monthly-delivery-report": lambda w, out: delivery_report(warehouse=w, out=out),
    "weekly-closure-readiness": lambda w, out: closure_readiness(
        warehouse=w, out=out, purchaser="UK"
    ),
}


@pytest.fixture
def running_job(tmp_path: Path):
    warehouse = tmp_path / "fms.duckdb"
    job = subprocess.Popen(
        [sys.executable, "-c", RUNNING_JOB, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert job.stdout.readline().strip() == "running"
        yield warehouse, job.pid
    finally:
        job.kill()
        job.wait()


@pytest.mark.parametrize("job", JOBS)
def test_a_second_run_on_a_warehouse_in_use_stops_at_once_naming_the_run_using_it(
    job, running_job, tmp_path, monkeypatch
):
    warehouse, pid = running_job
    monkeypatch.setattr(locking, "DEFAULT_WAIT_SECONDS", 0.2)
    # DuckDB would refuse too ("Could not set lock on file ... PID n"), but only once a step
    # opened the file; the run stops before that, with the run it waits for.
    with pytest.raises(WarehouseBusyError) as busy:
        JOBS[job](warehouse, tmp_path / "out")
    assert str(busy.value).startswith(f"warehouse {warehouse} is in use by run run-in-progress")
    assert f"(nightly-refresh, pid {pid} on " in str(busy.value)
    assert not (tmp_path / "out").exists()  # nothing was started, not even a work folder
    assert read_holder(warehouse).run_id == "run-in-progress"


def test_the_warehouse_is_free_again_once_a_run_ends(tmp_path):
    warehouse = tmp_path / "fms.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(FileNotFoundError):
        nightly_refresh(warehouse=warehouse, out=tmp_path / "out", landing=tmp_path / "none")
    assert read_holder(warehouse) is None
