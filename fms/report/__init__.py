"""The run report: what a person reads after a run instead of its logs.

- `build_run_report(con, job=, run_summary=, out_path=, ...)`: one self-contained HTML page
  (`run_report.html`, rendered from the Jinja2 templates in `templates/`: CSS inlined,
  matplotlib charts embedded as PNG data URIs, no script, no network) with the key figures,
  totals by purchaser, billing trend by quarter, delivery progress, the closure funnel and funds
  locked in closable cases, and the data-quality summary.
- `read_run_figures` + `render_run_report`: the same in two steps, so the Prefect task can post
  the figures it rendered as artifacts (`fms.report.artifacts`).
Sections read the warehouse with set-based SQL (`fms/sql/reports/report_*.sql`), tables bound as
parameters (`ReportTables`); money is printed exactly from Decimal (`fms.formatting`).
"""

from fms.formatting import dollars
from fms.report.artifacts import (
    artifact_key,
    key_figures,
    purchaser_totals_table,
    summary_markdown,
    top_closable_cases_table,
)
from fms.report.figures import ReportTables, RunFigures, read_run_figures
from fms.report.files import REPORT_NAME, RunFile, run_files
from fms.report.run_report import build_run_report, render_run_report, report_files

__all__ = [
    "REPORT_NAME",
    "ReportTables",
    "RunFigures",
    "RunFile",
    "artifact_key",
    "build_run_report",
    "dollars",
    "key_figures",
    "purchaser_totals_table",
    "read_run_figures",
    "render_run_report",
    "report_files",
    "run_files",
    "summary_markdown",
    "top_closable_cases_table",
]
