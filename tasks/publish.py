"""Publishing steps: files people open, written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task

from fms.ingest.worklist import write_quarantine_worklist
from fms.warehouse import connect


@task(name="write quarantine worklist")
def publish_quarantine_worklist(warehouse: Path, out_dir: Path) -> list[str]:
    with connect(warehouse, read_only=True) as con:
        paths = write_quarantine_worklist(con, out_dir)
    get_run_logger().info("quarantine worklist written to %s", out_dir)
    return [str(p) for p in paths]
