"""Write a run's HTML report: read the figures, draw the charts, render one self-contained page."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fms.outputs import atomic_path
from fms.report import charts
from fms.report.figures import ReportTables, RunFigures, read_run_figures
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


def render_run_report(
    figures: RunFigures,
    out_path: Path,
    files: list[RunFile],
) -> Path:
    """Write the page for figures already read; return its path."""
    html = render_page(figures, draw_charts(figures), files)
    with atomic_path(Path(out_path)) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(out_path)


def build_run_report(
    con: duckdb.DuckDBPyConnection,
    *,
    job: str,
    run_summary: dict,
    out_path: Path,
    quality: list | None = None,
    tables: ReportTables | None = None,
    final_dir: Path | None = None,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> Path:
    """Write the run report (one self-contained HTML file, normally `run_report.html`).

    Args:
        con: the warehouse, after the run published (or staged) its marts.
        job: nightly, quarterly-billing, delivery-report or closure.
        run_summary: the flow's summary (run_id, as_of or period_end, warehouse, files...).
        out_path: where to write the page (in the run's work folder).
        quality: the run's QualityReport objects (adds rows validated per gate).
        tables: which marts to read (default: the published ones in main).
        final_dir: the folder the page will be read from (links are relative to it; default:
            the folder of out_path).
        purchaser, case_id: an ad-hoc run's selection.
    """
    out_path = Path(out_path)
    figures = read_run_figures(
        con,
        job=job,
        run_summary=run_summary,
        quality=quality,
        tables=tables,
        purchaser=purchaser,
        case_id=case_id,
    )
    files = report_files(figures, run_summary, out_path.parent, Path(final_dir or out_path.parent))
    return render_run_report(figures, out_path, files)
