"""Ingest steps: find the batches not loaded yet, load each one (all of it or none)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

from prefect import get_run_logger, task

from fms.ingest.batch_files import list_batch_folders, read_batch
from fms.ingest.load_batch import is_new_batch, load_batch
from fms.warehouse import connect
from tasks.failures import RETRY_TRANSIENT


@task(name="find new batches", **RETRY_TRANSIENT)
def find_new_batches(warehouse: Path, landing: Path) -> list[str]:
    """Batch folders under `landing` not loaded yet, in name order.

    A batch already loaded whose files changed stops the run here, before anything loads.
    """
    logger = get_run_logger()
    new = []
    with connect(warehouse) as con:
        for folder in list_batch_folders(landing):
            # A loaded batch whose files changed stops the run here. A new one has its files
            # and headers checked here, before anything loads; its lines and checksums when
            # it loads.
            if is_new_batch(con, folder):
                read_batch(folder, scan_lines=False, checksums=False)
                new.append(folder.name)
    logger.info("%d new batch(es) under %s: %s", len(new), landing, ", ".join(new) or "none")
    return new


@task(name="load batch", task_run_name="load batch {batch_name}", **RETRY_TRANSIENT)
def load_one_batch(warehouse: Path, landing: Path, batch_name: str, load_date: date) -> dict:
    """Load one batch in one transaction; return its per-entity counts."""
    logger = get_run_logger()
    batch = read_batch(landing / batch_name)
    with connect(warehouse) as con:
        result = load_batch(con, batch, load_date)
    for e in result.entities:
        logger.info(
            "%s %s: read %d, loaded %d, quarantined %d, resolved from quarantine %d",
            batch_name,
            e.entity,
            e.rows_read,
            e.rows_loaded,
            e.rows_quarantined,
            e.rows_resolved,
        )
    return asdict(result)
