"""Publishing steps: files people open, written from staged marts that passed the gate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task

from fms.billing.schedule_review_files import write_schedule_review_files as write_review
from fms.closure import publish_closure_outputs
from fms.delivery import publish_delivery_outputs
from fms.ingest.worklist import write_quarantine_worklist
from fms.publication import STAGING
from fms.snapshots import write_snapshot
from fms.warehouse import connect
from tasks.failures import RETRY_TRANSIENT


@task(name="write quarantine worklist", **RETRY_TRANSIENT)
def publish_quarantine_worklist(warehouse: Path, out_dir: Path) -> list[str]:
    with connect(warehouse, read_only=True) as con:
        paths = write_quarantine_worklist(con, out_dir)
    get_run_logger().info("quarantine worklist written to %s", out_dir)
    return [str(p) for p in paths]


@task(name="write delivery files", **RETRY_TRANSIENT)
def write_delivery_files(warehouse: Path, out_dir: Path, as_of: date) -> list[str]:
    """The C1 file, the delivery status and the undelivered report (Excel and CSV)."""
    with connect(warehouse, read_only=True) as con:
        paths = publish_delivery_outputs(
            con,
            f"{STAGING}.delivery_status",
            f"{STAGING}.c1_transactions",
            f"{STAGING}.undelivered_report",
            out_dir,
            as_of,
        )
    get_run_logger().info("delivery files written to %s", out_dir)
    return [str(p) for p in paths.values()]


@task(name="write closure files", **RETRY_TRANSIENT)
def write_closure_files(warehouse: Path, out_dir: Path, as_of: date) -> list[str]:
    """The ranked closure worklist, funds locked by purchaser and the buy-back register."""
    with connect(warehouse, read_only=True) as con:
        paths = publish_closure_outputs(
            con, f"{STAGING}.closure_readiness", f"{STAGING}.buy_back_register", out_dir, as_of
        )
    get_run_logger().info("closure files written to %s", out_dir)
    return [str(p) for p in paths.values()]


@task(name="write payment schedule review files", **RETRY_TRANSIENT)
def write_schedule_review_files(
    warehouse: Path, out_dir: Path, as_of: date, purchaser: str | None, case_id: str | None
) -> list[str]:
    """The cases needing a revision, ranked, and each one's revised schedule (Table C9.T15)."""
    with connect(warehouse, read_only=True) as con:
        paths = write_review(
            con,
            f"{STAGING}.payment_schedule_review",
            out_dir,
            as_of,
            purchaser=purchaser,
            case_id=case_id,
        )
    get_run_logger().info("payment schedule review files written to %s", out_dir)
    return [str(p) for p in paths]


@task(name="write readers' snapshot", **RETRY_TRANSIENT)
def write_readers_snapshot(warehouse: Path, run_id: str) -> str:
    """The published tables, copied for readers (fms/snapshots.py): written after each
    publication, while the run still holds the warehouse."""
    with connect(warehouse) as con:
        path = write_snapshot(con, warehouse, run_id[:8])
    get_run_logger().info("readers' snapshot: %s", path)
    return str(path)
