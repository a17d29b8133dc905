"""Closure readiness: which cases can close, what blocks the rest, what money it frees."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from flows.job_run import build_gate_write
from flows.jobs import CLOSURE, CaseId, PurchaserCode, Runner


@flow(name=CLOSURE.name, log_prints=True)
def closure_readiness(
    as_of: date | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    purchaser: PurchaserCode | None = None,
    case: CaseId | None = None,
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
        case: ad hoc: one case (CC-I-DDD).
        runner: where the marts are built: "local" (this process; the default) or "dask" (per
            purchaser on a Dask cluster; docs/scale-out.md).
        dask_address: with runner "dask", the scheduler of an existing cluster
            (tcp://host:8786); default: a 2-worker LocalCluster for this run.
    """
    return build_gate_write(CLOSURE, as_of, warehouse, out, purchaser, case, runner, dask_address)
