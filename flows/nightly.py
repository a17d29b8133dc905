"""Nightly refresh: load every new batch, audit it, rebuild the marts as of a date in staging,
audit them, write every file of the run, and only then publish the marts, their `publications`
record and the run's folder in one commit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger

from flows.job_run import (
    current_run_id,
    gated_run,
    job_folder,
    stage_marts,
    staged_tables,
    write_mart_files,
)
from flows.jobs import NIGHTLY, Runner
from flows.scaleout import uses_dask
from fms import settings
from fms.failpoints import failpoint
from tasks.ingest import find_new_batches, load_one_batch
from tasks.marts import publication_state, publish_marts
from tasks.publish import publish_quarantine_worklist
from tasks.quality import audit_new_inputs


def _configured_landing() -> Path:
    from prefect.variables import Variable

    landing = settings.configured_landing() or Variable.get(settings.LANDING_VARIABLE)
    if not landing:
        raise ValueError(settings.NO_LANDING)
    return Path(landing)


@flow(name=NIGHTLY.name, log_prints=True)
def nightly_refresh(
    landing: Path | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    as_of: date | None = None,
    runner: Runner | None = None,
    dask_address: str | None = None,
) -> dict:
    """Load every batch folder under `landing` not loaded yet (in name order), then refresh
    delivery_status, c1_transactions, undelivered_report, closure_readiness and
    buy_back_register as of `as_of`, behind the data-quality gates.

    Args:
        landing: folder of batch folders (default: FMS_LANDING, else the Prefect variable
            fms_landing; with neither the run fails saying how to set one).
        warehouse: the DuckDB file (default: data/warehouse/fms.duckdb).
        out: output root; this run publishes <out>/nightly/<as_of>/ (default: data/out).
        as_of: the date the marts are computed as of (default: today, resolved at run time).
        runner: where the marts are built: "local" (this process; the default) or "dask" (per
            purchaser on a Dask cluster; docs/scale-out.md).
        dask_address: with runner "dask", the scheduler of an existing cluster
            (tcp://host:8786); default: a 2-worker LocalCluster for this run.
    """
    uses_dask(runner, dask_address)  # an address without the Dask runner: refused at once
    landing = Path(landing or _configured_landing())
    warehouse = Path(warehouse or settings.default_warehouse())
    today = settings.today()
    as_of = as_of or today
    run_id = current_run_id()
    final = job_folder(out, NIGHTLY, as_of.isoformat())
    with gated_run(NIGHTLY, final, run_id, warehouse) as run:
        new_batches, waiting = find_new_batches(warehouse, landing)
        loaded = [load_one_batch(warehouse, landing, name, today) for name in new_batches]
        since_seq, through_seq = publication_state(warehouse)
        run.gate(audit_new_inputs(warehouse, since_seq, run_id, run.docs_dir))
        staged = stage_marts(warehouse, as_of, NIGHTLY.marts, None, None, runner, dask_address)
        failpoint("nightly.marts_staged")
        run.audit_marts(NIGHTLY.marts, as_of, None, None)
        files = write_mart_files(warehouse, run.work, as_of, NIGHTLY.marts)
        files += publish_quarantine_worklist(warehouse, run.work)
        summary = {
            "as_of": as_of.isoformat(),
            "batches_loaded": [b["batch"] for b in loaded],
            "batches_waiting": waiting,
            "marts": staged,
            "files": files,
        }
        run.report(NIGHTLY, summary, staged_tables(NIGHTLY.marts))
        run.publish(
            lambda folder: publish_marts(
                warehouse, NIGHTLY.marts, run_id, NIGHTLY.command, as_of, through_seq, folder
            )
        )
    published = run.published

    summary = run.result(
        files,
        run_id=run_id,
        as_of=as_of.isoformat(),
        warehouse=str(warehouse),
        out_dir=str(published),
        batches_loaded=[b["batch"] for b in loaded],
        batches_waiting=waiting,
        rows_loaded=sum(e["rows_loaded"] for b in loaded for e in b["entities"]),
        rows_quarantined=sum(e["rows_quarantined"] for b in loaded for e in b["entities"]),
        rows_resolved=sum(e["rows_resolved"] for b in loaded for e in b["entities"]),
        marts=staged,
        data_quality_warnings=len(run.warnings()),
        data_docs=str(published / "data_docs" / "index.html"),
    )
    get_run_logger().info(
        "nightly refresh as of %s: %d batch(es) loaded, %d rows loaded, %d quarantined; "
        "published to %s",
        as_of,
        len(loaded),
        summary["rows_loaded"],
        summary["rows_quarantined"],
        published,
    )
    return summary
