"""The run report: what a person reads after a run instead of its logs.

`read_run_figures` then `render_run_report` write one self-contained HTML page
(`run_report.html`, rendered from the Jinja2 templates in `templates/`: CSS inlined, charts as
inline SVG, no script, no network) with the key figures, totals by
purchaser, billing trend by quarter, delivery progress, the closure funnel and funds locked in
closable cases, and the data-quality summary; the payment schedule review's run adds its
section (cases reviewed, schedules to revise SHORT and AHEAD, the top 10 by |variance|). Every
card says the date its figures are as of and, when another run's marts stand behind it (a
billing run reads the nightly's delivery status), which run; a chart with nothing to draw is a
sentence. `fms.report.artifacts` turns the same figures into the run's Prefect artifacts.
Sections read the warehouse with set-based SQL (`fms/sql/reports/report_*.sql`,
`schedule_review_*.sql`), tables bound as parameters (`ReportTables`); money is printed exactly
from Decimal (`fms.formatting`).
"""

from fms.report.artifacts import (
    artifact_key,
    purchaser_totals_table,
    summary_markdown,
    top_closable_cases_table,
    top_schedule_revisions_table,
)
from fms.report.figures import ReportTables, RunFigures, read_run_figures
from fms.report.files import REPORT_NAME, RunFile
from fms.report.run_report import render_run_report, report_files

__all__ = [
    "REPORT_NAME",
    "ReportTables",
    "RunFigures",
    "RunFile",
    "artifact_key",
    "purchaser_totals_table",
    "read_run_figures",
    "render_run_report",
    "report_files",
    "summary_markdown",
    "top_closable_cases_table",
    "top_schedule_revisions_table",
]
