"""Closure readiness: which cases can close, what blocks the rest, what money it frees."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from flows.jobs import current_run_id, gated_run, job_folder
from flows.parameters import CaseId, PurchaserCode
from flows.scaleout import Runner, build_marts_on_dask, uses_dask
from fms import settings
from fms.locking import warehouse_lock
from fms.publication import CLOSURE_MARTS
from fms.report import REPORT_NAME, ReportTables
from tasks.marts import build_marts
from tasks.publish import write_closure_files
from tasks.quality import audit_staged_marts
from tasks.report import write_run_report


@flow(name="weekly-closure-readiness", log_prints=True)
def closure_readiness(
    as_of: date | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    purchaser: PurchaserCode | None = None,
    case_id: CaseId | None = None,
    runner: Runner | None = None,
    dask_address: str | None = None,
) -> dict:
    """The closure worklist as of a date (C9.4.7.5, C9.11.5, E-Change 773).

    Writes the ranked worklist, funds locked by purchaser and the buy-back register to
    <out>/closure/<as_of>/ (ad hoc: <out>/closure/adhoc/<as_of>-<selection>/).

    Args:
        as_of: the date judged (default: today, resolved at run time).
        warehouse: the DuckDB file (default: data/warehouse/fms.duckdb).
        out: output root (default: data/out).
        purchaser: ad hoc: one purchaser's country code.
        case_id: ad hoc: one case (CC-I-DDD).
        runner: where the marts are built: "local" (this process; the default) or "dask" (per
            purchaser on a Dask cluster; docs/scale-out.md).
        dask_address: with runner "dask", the scheduler of an existing cluster
            (tcp://host:8786); default: a 2-worker LocalCluster for this run.
    """
    warehouse = Path(warehouse or settings.default_warehouse())
    as_of = as_of or settings.today()
    run_id = current_run_id()
    final = job_folder(out, "closure", as_of.isoformat(), purchaser, case_id)
    with (
        warehouse_lock(warehouse, run_id, "weekly-closure-readiness"),
        gated_run(final, run_id, warehouse) as run,
    ):
        if uses_dask(runner, dask_address):
            counts = build_marts_on_dask(
                warehouse, as_of, CLOSURE_MARTS, purchaser, case_id, dask_address
            )
        else:
            counts = build_marts(warehouse, as_of, CLOSURE_MARTS, purchaser, case_id)
        run.gate(
            audit_staged_marts(
                warehouse, run_id, run.docs_dir, list(CLOSURE_MARTS), as_of, purchaser, case_id
            )
        )
        files = write_closure_files(warehouse, run.work, as_of)
        run.artifacts = write_run_report(
            "closure",
            warehouse,
            {"as_of": as_of.isoformat(), "marts": counts, "files": files},
            run.work,
            run_id,
            final,
            run.reports,
            tables=ReportTables(closure_readiness="staging.closure_readiness"),
            purchaser=purchaser,
            case_id=case_id,
        )
    return {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "warehouse": str(warehouse),
        "out_dir": str(run.published),
        "marts": counts,
        "files": [str(run.published / Path(f).name) for f in files],
        "run_report": str(run.published / REPORT_NAME),
    }
