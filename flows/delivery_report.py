"""Monthly delivery report: the C1 file (due by the 20th), delivery status, undelivered report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from flows.job_run import build_gate_write
from flows.jobs import DELIVERY_REPORT, CaseId, PurchaserCode, Runner


@flow(name=DELIVERY_REPORT.name, log_prints=True)
def delivery_report(
    as_of: date | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    purchaser: PurchaserCode | None = None,
    case: CaseId | None = None,
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
        case: ad hoc: one case (CC-I-DDD).
        runner: where the marts are built: "local" (this process; the default) or "dask" (per
            purchaser on a Dask cluster; docs/scale-out.md).
        dask_address: with runner "dask", the scheduler of an existing cluster
            (tcp://host:8786); default: a 2-worker LocalCluster for this run.
    """
    return build_gate_write(
        DELIVERY_REPORT, as_of, warehouse, out, purchaser, case, runner, dask_address
    )
