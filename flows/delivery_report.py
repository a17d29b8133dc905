"""Monthly delivery report: the C1 file (due by the 20th), delivery status, undelivered report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from flows.jobs import current_run_id, gated_run, job_folder
from flows.parameters import CaseId, PurchaserCode
from flows.scaleout import Runner, build_marts_on_dask, uses_dask
from fms import settings
from fms.delivery import default_delivery_report_as_of
from fms.locking import warehouse_lock
from fms.publication import DELIVERY_REPORT_MARTS
from fms.report import REPORT_NAME, ReportTables
from tasks.marts import build_marts
from tasks.publish import write_delivery_files
from tasks.quality import audit_staged_marts
from tasks.report import write_run_report


@flow(name="monthly-delivery-report", log_prints=True)
def delivery_report(
    as_of: date | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    purchaser: PurchaserCode | None = None,
    case_id: CaseId | None = None,
    runner: Runner | None = None,
    dask_address: str | None = None,
) -> dict:
    """Delivery reporting as of a date (SAMM C9.13, Tables C9.T17/T18, C9.15.2.3.1).

    Writes the C1 file, delivery status and undelivered report to
    <out>/delivery-report/<as_of>/ (ad hoc: <out>/delivery-report/adhoc/<as_of>-<selection>/).
    The published tables stay the nightly refresh's.

    Args:
        as_of: the date reported (default: the last day of the previous month, resolved at run
            time: the date this month's C1 file, due by the 20th, reports).
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
    as_of = as_of or default_delivery_report_as_of(settings.today())
    run_id = current_run_id()
    final = job_folder(out, "delivery-report", as_of.isoformat(), purchaser, case_id)
    with (
        warehouse_lock(warehouse, run_id, "monthly-delivery-report"),
        gated_run(final, run_id, warehouse) as run,
    ):
        if uses_dask(runner, dask_address):
            counts = build_marts_on_dask(
                warehouse, as_of, DELIVERY_REPORT_MARTS, purchaser, case_id, dask_address
            )
        else:
            counts = build_marts(warehouse, as_of, DELIVERY_REPORT_MARTS, purchaser, case_id)
        run.gate(
            audit_staged_marts(
                warehouse,
                run_id,
                run.docs_dir,
                list(DELIVERY_REPORT_MARTS),
                as_of,
                purchaser,
                case_id,
            )
        )
        files = write_delivery_files(warehouse, run.work, as_of)
        run.artifacts = write_run_report(
            "delivery-report",
            warehouse,
            {"as_of": as_of.isoformat(), "marts": counts, "files": files},
            run.work,
            run_id,
            final,
            run.reports,
            tables=ReportTables(delivery_status="staging.delivery_status"),
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
