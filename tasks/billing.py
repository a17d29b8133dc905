"""Quarterly billing steps: build candidate statements, publish them as records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task

from fms.billing import (
    build_billing_statements,
    build_delivery_listing,
    build_purchaser_statements,
    publish_statements,
    write_adhoc_statements,
)
from fms.warehouse import connect, refresh_rules
from tasks.failures import RETRY_TRANSIENT


@task(name="build candidate statements", **RETRY_TRANSIENT)
def build_statements(
    warehouse: Path, period_end: date, purchaser: str | None, case_id: str | None
) -> dict[str, int]:
    with connect(warehouse) as con:
        refresh_rules(con)
        cases = build_billing_statements(con, period_end, purchaser=purchaser, case_id=case_id)
        purchasers = build_purchaser_statements(con, period_end)
        listing = build_delivery_listing(con, period_end)
    get_run_logger().info(
        "candidate statements for the quarter ended %s: %d cases, %d purchasers, "
        "%d delivery listing lines",
        period_end,
        cases,
        purchasers,
        listing,
    )
    return {
        "billing_statements": cases,
        "purchaser_statements": purchasers,
        "delivery_listing": listing,
    }


@task(name="build candidate delivery listing", **RETRY_TRANSIENT)
def build_listing(warehouse: Path, period_end: date) -> int:
    """The delivery listing from the candidate statements already staged (a run that built
    them elsewhere, on Dask): it reads the published statements, which only the warehouse
    holds."""
    with connect(warehouse) as con:
        refresh_rules(con)
        return build_delivery_listing(con, period_end)


@task(name="publish statements", **RETRY_TRANSIENT)
def publish_quarter(warehouse: Path, period_end: date, out_dir: Path, run_id: str) -> dict:
    """New revisions for purchasers whose statements changed, committed with the quarter's
    folder; nothing for the others."""
    logger = get_run_logger()
    with connect(warehouse) as con:
        result = publish_statements(con, period_end, out_dir=out_dir, run_id=run_id)
    for cc, rev in sorted(result.published.items()):
        logger.info("published %s revision %d", cc, rev)
    if result.unchanged:
        logger.info("unchanged: %s", ", ".join(sorted(result.unchanged)))
    return {
        "published": result.published,
        "unchanged": result.unchanged,
        "withdrawn": list(result.withdrawn),
        "files": [str(p) for p in result.files],
    }


@task(name="write ad-hoc statements", **RETRY_TRANSIENT)
def write_adhoc(
    warehouse: Path, period_end: date, out_dir: Path, preliminary: bool = False
) -> list[str]:
    """Statement files of an ad-hoc run or a preliminary draft: its own folder, no revision, no
    published table."""
    with connect(warehouse) as con:
        files = write_adhoc_statements(
            con, period_end, "staging.billing_statements", out_dir, preliminary=preliminary
        )
    return [str(p) for p in files]
