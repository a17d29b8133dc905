"""Run report steps: the HTML report in the run folder, and the run's Prefect artifacts once
it has published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from fms.report import (
    REPORT_NAME,
    ReportTables,
    artifact_key,
    purchaser_totals_table,
    read_run_figures,
    render_run_report,
    report_files,
    summary_markdown,
    top_closable_cases_table,
)
from fms.warehouse import connect
from tasks.failures import RETRY_TRANSIENT


@dataclass(frozen=True)
class RunArtifacts:
    """What a run posts to Prefect once it has published (never before: a run that then fails
    must not show figures it did not publish, nor link files that are not there)."""

    job: str
    report: Path  # the run report, in the published folder
    summary: str  # markdown
    period: str
    closable_cases: list[dict]
    purchaser_totals: list[dict]


@task(name="write run report", **RETRY_TRANSIENT)
def write_run_report(
    job: str,
    warehouse: Path,
    run_summary: dict,
    out_dir: Path,
    run_id: str,
    final_dir: Path | None = None,
    quality: list | None = None,
    tables: ReportTables | None = None,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> RunArtifacts:
    """Write `run_report.html` into `out_dir`; return the artifacts to post once the run has
    published (`post_run_artifacts`).

    Call it inside `gated_run`, before the run's folder is published: `tables` names the marts
    to read (the staged ones of the run; default the published ones in main, as a full billing
    run reads the revisions it committed). `out_dir` is the run's work folder, `final_dir` the
    folder it becomes once published, which the page's relative links and the artifacts'
    file:// links point into."""
    out_dir, final_dir = Path(out_dir), Path(final_dir or out_dir)
    summary = {**run_summary, "run_id": run_id}
    with connect(warehouse, read_only=True) as con:
        figures = read_run_figures(
            con,
            job=job,
            run_summary=summary,
            quality=quality,
            tables=tables,
            purchaser=purchaser,
            case_id=case_id,
        )
    files = report_files(figures, summary, out_dir, final_dir)
    render_run_report(figures, out_dir / REPORT_NAME, files)
    return RunArtifacts(
        job=job,
        report=final_dir / REPORT_NAME,
        summary=summary_markdown(figures, files, final_dir),
        period=f"{figures.title} {figures.period}",
        closable_cases=top_closable_cases_table(figures),
        purchaser_totals=purchaser_totals_table(figures),
    )


@task(name="post run artifacts", **RETRY_TRANSIENT)
def post_run_artifacts(artifacts: RunArtifacts) -> None:
    """`<job>-run-summary` (markdown: key figures, links to the report and every file),
    `<job>-top-closable-cases` and `<job>-purchaser-totals` (tables)."""
    job = artifacts.job
    create_markdown_artifact(
        key=artifact_key(job, "run-summary"),
        markdown=artifacts.summary,
        description=f"{artifacts.period}: key figures and files",
    )
    if artifacts.closable_cases:
        create_table_artifact(
            key=artifact_key(job, "top-closable-cases"),
            table=artifacts.closable_cases,
            description="Cases ready to close, most funds released to the holding account first",
        )
    if artifacts.purchaser_totals:
        create_table_artifact(
            key=artifact_key(job, "purchaser-totals"),
            table=artifacts.purchaser_totals,
            description="Totals by purchaser, most amount due first",
        )
    get_run_logger().info("run report: %s", artifacts.report)
