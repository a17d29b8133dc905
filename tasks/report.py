"""Run report step: the HTML report in the run folder and the run's Prefect artifacts."""

from __future__ import annotations

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
) -> str:
    """Write `run_report.html` into `out_dir` and post the run's artifacts.

    Call it last inside `gated_run`, after the marts are published (nightly) or staged (pass
    `tables` naming the staged ones): `out_dir` is the run's work folder, `final_dir` the folder
    it becomes once published, which the page's relative links and the artifacts' file:// links
    point into. Artifacts: `<job>-run-summary` (markdown: key figures, links to the report and
    every file), `<job>-top-closable-cases` and `<job>-purchaser-totals` (tables).
    Returns the report's path in the final folder.
    """
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

    create_markdown_artifact(
        key=artifact_key(job, "run-summary"),
        markdown=summary_markdown(figures, files, final_dir),
        description=f"{figures.title} {figures.period}: key figures and files",
    )
    if figures.closable_cases:
        create_table_artifact(
            key=artifact_key(job, "top-closable-cases"),
            table=top_closable_cases_table(figures),
            description="Cases ready to close, most funds released to the holding account first",
        )
    if figures.purchasers:
        create_table_artifact(
            key=artifact_key(job, "purchaser-totals"),
            table=purchaser_totals_table(figures),
            description="Totals by purchaser, most amount due first",
        )
    report = final_dir / REPORT_NAME
    get_run_logger().info("run report: %s", report)
    return str(report)
