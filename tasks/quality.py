"""Data-quality gate steps: audit new inputs, audit staged marts, report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from fms.closure import BLOCKER_CODES
from fms.failpoints import failpoint
from fms.outputs import write_csv
from fms.quality.gate import (
    DataQualityError,
    QualityReport,
    quality_summary_markdown,
    validate,
    validator_for_run,
)
from fms.quality.suites import load_suites
from fms.warehouse import connect
from tasks.failures import RETRY_TRANSIENT


def _gate(
    warehouse: Path, scope: str, names: list[str] | None, params: dict, run_id: str, docs_dir: Path
) -> QualityReport:
    logger = get_run_logger()
    validator = validator_for_run(run_id, docs_dir)
    suites = [s for s in load_suites(scope) if names is None or s.name in names]
    with connect(warehouse) as con:
        report = validate(con, suites, params, run_id, scope, validator)
    # One Data Docs build a run, by the gate that ends its gating (the mart gate, or a gate that
    # stops the run): each build renders every result of the run again.
    if scope == "mart" or report.critical_failures:
        report.docs_index = validator.build_docs()
        failpoint("quality.docs_built")
    logger.info(
        "%s gate: %d suites, %d rows, %d critical failure(s), %d warning(s) in %.2f s",
        scope,
        len(report.rows_validated),
        sum(report.rows_validated.values()),
        len(report.critical_failures),
        len(report.warnings),
        report.seconds,
    )
    for o in report.warnings:
        logger.warning("data-quality warning: %s", o.describe())
    return report


@task(name="audit new input rows", **RETRY_TRANSIENT)
def audit_new_inputs(warehouse: Path, since_seq: int, run_id: str, docs_dir: Path) -> QualityReport:
    """Validate the rows new batches changed (and whole-table rules touching them)."""
    return _gate(warehouse, "input", None, {"since_seq": since_seq}, run_id, docs_dir)


@task(name="audit staged marts", **RETRY_TRANSIENT)
def audit_staged_marts(
    warehouse: Path,
    run_id: str,
    docs_dir: Path,
    marts: list[str],
    as_of: date,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> QualityReport:
    """Validate the marts built in the staging schema before anything is published: suite
    `mart_<name>` of each, and `reconcile_<name>` where the mart's money must equal, to the
    cent, what was loaded for the run's date and selection (fails closed if not)."""
    names = [f"{kind}_{m}" for m in marts for kind in ("mart", "reconcile")]
    params = {
        "blocker_codes": list(BLOCKER_CODES),
        "as_of": as_of,
        "purchaser": purchaser,
        "case_id": case_id,
    }
    return _gate(warehouse, "mart", names, params, run_id, docs_dir)


@task(name="report data quality", **RETRY_TRANSIENT)
def report_data_quality(reports: list[QualityReport], out_dir: Path, final_dir: Path) -> Path:
    """dq_results.csv in the run folder and a Prefect artifact linking the Data Docs."""
    rows = [(r.run_id, r.stage, *o.facts(), o.examples_text()) for r in reports for o in r.outcomes]
    columns = (
        "run_id stage suite expectation expectation_type column severity success "
        "unexpected_count element_count examples"
    )
    path = write_csv(out_dir / "dq_results.csv", columns.split(), rows)
    # Link where the docs will be once the run folder is swapped into its final place.
    docs = final_dir / "data_docs" / "index.html"
    create_markdown_artifact(
        key="data-quality",
        markdown=quality_summary_markdown(reports, docs),
        description="Data-quality gate results of this run",
    )
    return path


def raise_if_critical(report: QualityReport) -> None:
    if report.critical_failures:
        raise DataQualityError(report)
