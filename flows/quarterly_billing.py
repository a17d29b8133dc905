"""Quarterly billing: the DD Form 645 statements of every purchaser for a quarter ended."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from flows.job_run import current_run_id, gated_run, job_folder, staged_tables
from flows.jobs import BILLING_MARTS, QUARTERLY_BILLING, CaseId, PurchaserCode, Runner
from flows.scaleout import build_statements_on_dask, uses_dask
from fms import settings
from fms.billing import billing_timeline
from fms.billing.timeline import check_billable
from fms.report import REPORT_NAME
from tasks.billing import build_listing, build_statements, publish_quarter, write_adhoc


@flow(name=QUARTERLY_BILLING.name, log_prints=True)
def quarterly_billing(
    period_end: date | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    purchaser: PurchaserCode | None = None,
    case: CaseId | None = None,
    preliminary: bool = False,
    runner: Runner | None = None,
    dask_address: str | None = None,
) -> dict:
    """Bill every purchaser for the quarter ended `period_end` (SAMM C9.10, Table C9.T16).

    A full run publishes each purchaser's statement as a record in
    <out>/quarterly-billing/<2026Q3>/: revision 1 the first time, a numbered revision with a
    difference report when the figures changed, nothing when they did not. Each statement comes
    with its quarterly delivery listing, in every kind of run: the table delivery_listing (staged;
    published with the revision) and, when the purchaser has a line to list,
    delivery_listing_<CC>_<2026Q3>_r<rev>.csv and a sheet of the workbook. An ad-hoc run
    (purchaser or case) writes to <out>/quarterly-billing/adhoc/<quarter>-<selection>/ and
    publishes nothing. A preliminary run writes drafts marked PRELIMINARY, of any quarter end
    (even one not over), to <out>/quarterly-billing/preliminary/<quarter>[-<selection>]/ and
    publishes nothing either. Each run's data-quality report goes to
    <out>/quarterly-billing/runs/<quarter>-<run>/.

    Args:
        period_end: a quarter end (default: the last one before today, resolved at run time).
        warehouse: the DuckDB file (default: data/warehouse/fms.duckdb).
        out: output root (default: data/out).
        purchaser: ad hoc: one purchaser's country code.
        case: ad hoc: one case (CC-I-DDD).
        preliminary: write drafts marked PRELIMINARY (any quarter end), never a revision.
        runner: where the case statements are built: "local" (this process; the default) or
            "dask" (per purchaser on a Dask cluster; docs/scale-out.md).
        dask_address: with runner "dask", the scheduler of an existing cluster
            (tcp://host:8786); default: a 2-worker LocalCluster for this run.
    """
    uses_dask(runner, dask_address)  # an address without the Dask runner: refused at once
    warehouse = Path(warehouse or settings.default_warehouse())
    today = settings.today()
    period_end = period_end or QUARTERLY_BILLING.default_date(today)
    check_billable(period_end, today, preliminary)
    quarter = billing_timeline(period_end).quarter
    adhoc = purchaser is not None or case is not None
    record = not (adhoc or preliminary)  # only a full, final run publishes revisions
    statements_dir = job_folder(out, QUARTERLY_BILLING, quarter, purchaser, case, preliminary)
    run_id = current_run_id()
    reports = job_folder(out, QUARTERLY_BILLING, "runs") / f"{quarter}-{run_id[:8]}"
    with gated_run(QUARTERLY_BILLING, reports, run_id, warehouse, purchaser, case) as run:
        if uses_dask(runner, dask_address):
            counts = build_statements_on_dask(warehouse, period_end, purchaser, case, dask_address)
            counts["delivery_listing"] = build_listing(warehouse, period_end)
        else:
            counts = build_statements(warehouse, period_end, purchaser, case)
        run.audit_marts(BILLING_MARTS, period_end, purchaser, case)
        if record:
            result = publish_quarter(warehouse, period_end, statements_dir, run_id)
            if result["published"]:
                run.committed.append(statements_dir)
        else:
            files = write_adhoc(warehouse, period_end, statements_dir, preliminary)
            result = {"files": files}
        summary = {
            "period_end": period_end.isoformat(),
            "statements": counts,
            "preliminary": preliminary,
            **result,
        }
        # a full run reads the records it just published; an ad-hoc run or a draft its candidates
        tables = None if record else staged_tables(BILLING_MARTS)
        run.report(QUARTERLY_BILLING, summary, tables, purchaser, case)
    return {
        "run_id": run_id,
        "period_end": period_end.isoformat(),
        "quarter": quarter,
        "adhoc": adhoc,
        "preliminary": preliminary,
        "warehouse": str(warehouse),
        "out_dir": str(statements_dir),
        "run_reports": str(run.published),
        "run_report": str(run.published / REPORT_NAME),
        "statements": counts,
        "warnings": run.warnings(),
        **result,
    }
