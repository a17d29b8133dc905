"""Ingest steps: find the batches not loaded yet, load each one (all of it or none)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import NamedTuple

from prefect import get_run_logger, task

from fms.ingest.batch_files import read_new_batch
from fms.ingest.load_batch import batch_states, load_batch
from fms.ingest.success_marker import MARKER
from fms.warehouse import connect
from tasks.failures import RETRY_TRANSIENT


class FoundBatches(NamedTuple):
    new: list[str]  # complete and not loaded yet, in name (load) order
    waiting: list[str]  # the first without `_SUCCESS` and every new batch after it


@task(name="find new batches", **RETRY_TRANSIENT)
def find_new_batches(warehouse: Path, landing: Path) -> FoundBatches:
    """Batch folders under `landing` not loaded yet, in name order: those to load now and
    those waiting for their `_SUCCESS` (or behind one that is).

    A batch already loaded whose files changed stops the run here, before anything loads.
    """
    logger = get_run_logger()
    found = FoundBatches([], [])
    with connect(warehouse) as con:
        for folder, state in batch_states(con, landing):
            # A new batch has its files, headers and its `_SUCCESS` listing's names checked
            # here, before anything loads; its lines and checksums when it loads.
            if state == "new":
                read_new_batch(folder, scan_lines=False, checksums=False)
                found.new.append(folder.name)
            elif state == "waiting":
                found.waiting.append(folder.name)
    logger.info(
        "%d new batch(es) under %s: %s", len(found.new), landing, ", ".join(found.new) or "none"
    )
    if found.waiting:
        first, *behind = found.waiting
        logger.warning(
            "waiting (not an error): batch %s has no %s yet%s",
            first,
            MARKER,
            f"; {', '.join(behind)} wait(s) behind it" if behind else "",
        )
    return found


@task(name="load batch", task_run_name="load batch {batch_name}", **RETRY_TRANSIENT)
def load_one_batch(warehouse: Path, landing: Path, batch_name: str, load_date: date) -> dict:
    """Load one batch in one transaction; return its per-entity counts."""
    logger = get_run_logger()
    batch = read_new_batch(landing / batch_name)
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
