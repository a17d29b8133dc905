"""Write a run's HTML report: draw the charts of figures already read, render one page."""

from __future__ import annotations

from pathlib import Path

from fms.outputs import atomic_path
from fms.report import charts
from fms.report.figures import RunFigures
from fms.report.files import RunFile, run_files
from fms.report.page import render_page


def draw_charts(f: RunFigures) -> dict[str, charts.Chart | None]:
    """Every chart of the report by key; None where a section has nothing to draw."""
    return {
        "purchaser-totals": charts.purchaser_totals_chart(f.purchasers),
        "billing-trend": charts.billing_trend_chart(f.quarters),
        "delivery-progress": charts.delivery_progress_chart(f.delivery or []),
        "closure-funnel": charts.closure_funnel_chart(f.funnel),
        "closure-blockers": charts.blockers_chart(f.blockers),
        "funds-locked": charts.funds_locked_chart(f.closure_by_purchaser),
        "data-quality": charts.data_quality_chart(f.dq_stages),
    }


def report_files(
    f: RunFigures, run_summary: dict, work_dir: Path, final_dir: Path
) -> list[RunFile]:
    """The files the report links: the summary's, the work folder's, and the gate's CSV."""
    return run_files(
        work_dir,
        final_dir,
        [str(p) for p in run_summary.get("files") or []],
        publishes_quality_csv=bool(f.dq_stages),
    )


def render_run_report(figures: RunFigures, out_path: Path, files: list[RunFile]) -> Path:
    """Write the page for figures already read; return its path."""
    html = render_page(figures, draw_charts(figures), files)
    with atomic_path(Path(out_path)) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(out_path)
