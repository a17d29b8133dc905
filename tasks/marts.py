"""Mart steps: build into staging, then publish (swap into main) after the gate passed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task

from fms.marts import build_staged_marts
from fms.publication import last_published_batch_seq, latest_batch_seq, publish_staged_marts
from fms.run_folder import RunFolder
from fms.warehouse import connect, refresh_rules
from tasks.failures import RETRY_TRANSIENT


@task(name="read publication state", **RETRY_TRANSIENT)
def publication_state(warehouse: Path) -> tuple[int, int]:
    """(last batch covered by a published nightly run, latest batch loaded)."""
    with connect(warehouse) as con:
        return last_published_batch_seq(con), latest_batch_seq(con)


@task(name="build marts in staging", **RETRY_TRANSIENT)
def build_marts(
    warehouse: Path,
    as_of: date,
    marts: tuple[str, ...],
    purchaser: str | None = None,
    case_id: str | None = None,
) -> dict[str, int]:
    with connect(warehouse) as con:
        refresh_rules(con)
        counts = build_staged_marts(con, as_of, marts, purchaser, case_id)
    get_run_logger().info(
        "staged marts as of %s: %s", as_of, ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    return counts


@task(name="publish marts", **RETRY_TRANSIENT)
def publish_marts(
    warehouse: Path,
    marts: tuple[str, ...],
    run_id: str,
    job: str,
    as_of: date,
    through_batch_seq: int,
    folder: RunFolder,
) -> list[str]:
    """Swap every staged mart into main, record the publication and swap the run's folder in,
    in one commit (fms.publication.commit_with_folder)."""
    with connect(warehouse) as con:
        publish_staged_marts(
            con,
            list(marts),
            run_id=run_id,
            job=job,
            as_of=as_of,
            through_batch_seq=through_batch_seq,
            out_dir=folder.final,
            folder=folder,
        )
    get_run_logger().info("published %s", ", ".join(marts))
    return list(marts)
