"""Payment schedule review: does each open case's schedule still meet its requirements?"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from flows.job_run import build_gate_write
from flows.jobs import PAYMENT_SCHEDULE_REVIEW, CaseId, PurchaserCode


@flow(name=PAYMENT_SCHEDULE_REVIEW.name, log_prints=True)
def payment_schedule_review(
    as_of: date | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    purchaser: PurchaserCode | None = None,
    case: CaseId | None = None,
) -> dict:
    """Review every IMPLEMENTED case's payment schedule as of a quarter end (SAMM C9.9.3).

    Compares the schedule with the forecast requirement at each coming payment date, flags the
    cases whose schedule runs SHORT of or AHEAD of it by more than the threshold
    (data/reference/schedule_review_threshold.csv), and lays out each one's revised schedule as
    Table C9.T15. A full run publishes table payment_schedule_review and writes the files to
    <out>/payment-schedule-review/<as_of>/ (ad hoc: .../adhoc/<as_of>-<selection>/, nothing
    published).

    Args:
        as_of: a quarter end that is over (default: the last one before today, resolved at run
            time).
        warehouse: the DuckDB file (default: data/warehouse/fms.duckdb).
        out: output root (default: data/out).
        purchaser: ad hoc: one purchaser's country code.
        case: ad hoc: one case (CC-I-DDD).
    """
    return build_gate_write(
        PAYMENT_SCHEDULE_REVIEW, as_of, warehouse, out, purchaser, case, None, None
    )
