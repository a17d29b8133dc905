"""Nightly refresh: load every new batch, then refresh the marts as of a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger

from fms import settings
from tasks.ingest import find_new_batches, load_one_batch
from tasks.publish import publish_quarantine_worklist


@flow(name="nightly-refresh", log_prints=True)
def nightly_refresh(
    landing: Path | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    as_of: date | None = None,
) -> dict:
    """Load every batch folder under `landing` not loaded yet (in name order), then refresh
    the marts as of `as_of`, and publish the quarantine worklist.

    Args:
        landing: folder of batch folders (default: the bundled sample).
        warehouse: the DuckDB file (default: data/warehouse/fms.duckdb).
        out: output root; this run writes under <out>/nightly/<as_of>/ (default: data/out).
        as_of: the date the marts are computed as of (default: today, resolved at run time).
    """
    landing = Path(landing or settings.default_landing())
    warehouse = Path(warehouse or settings.default_warehouse())
    today = settings.today()
    as_of = as_of or today
    out_dir = Path(out or settings.default_out()) / "nightly" / as_of.isoformat()

    new_batches = find_new_batches(warehouse, landing)
    loaded = [load_one_batch(warehouse, landing, name, today) for name in new_batches]
    files = publish_quarantine_worklist(warehouse, out_dir)

    summary = {
        "as_of": as_of.isoformat(),
        "warehouse": str(warehouse),
        "out_dir": str(out_dir),
        "batches_loaded": [b["batch"] for b in loaded],
        "rows_loaded": sum(e["rows_loaded"] for b in loaded for e in b["entities"]),
        "rows_quarantined": sum(e["rows_quarantined"] for b in loaded for e in b["entities"]),
        "rows_resolved": sum(e["rows_resolved"] for b in loaded for e in b["entities"]),
        "files": files,
    }
    get_run_logger().info(
        "nightly refresh as of %s: %d batch(es) loaded, %d rows loaded, %d quarantined",
        as_of,
        len(loaded),
        summary["rows_loaded"],
        summary["rows_quarantined"],
    )
    return summary
