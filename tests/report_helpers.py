"""Report helpers only the tests use: the run report read and written in one call."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fms.report import ReportTables, read_run_figures, render_run_report, report_files


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
    """Write the run report (one self-contained HTML file, normally `run_report.html`) as the
    run report task does (tasks/report.py), and return its path.

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
