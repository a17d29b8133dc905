"""One scenario warehouse and its report per session: the report tests only read them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from fms.report import REPORT_NAME, RunFigures, read_run_figures
from tests.report.scenario import build_warehouse, run_summary
from tests.report_helpers import build_run_report
from tests.tiers import end_to_end_files

pytest_collection_modifyitems = end_to_end_files(__file__, "test_run_report_in_chromium.py")


@dataclass
class Rendered:
    warehouse: Path
    work: Path  # where the run built its files
    final: Path  # where the run folder is published
    page: Path
    html: str
    figures: RunFigures
    summary: dict


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Rendered:
    root = tmp_path_factory.mktemp("report")
    warehouse, quality = build_warehouse(root)
    final = root / "out" / "nightly" / "2026-11-01"
    work = root / "out" / "nightly" / ".2026-11-01.run-1.work"
    (work / "data_docs").mkdir(parents=True)
    files = [work / "c1_20261101.txt", work / "closure_worklist_20261101.csv"]
    for f in [*files, work / "quarantine_worklist.csv", work / "data_docs" / "index.html"]:
        f.write_text("x\n")
    summary = run_summary(warehouse, files)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        page = build_run_report(
            con,
            job="nightly",
            run_summary=summary,
            out_path=work / REPORT_NAME,
            quality=[quality],
            final_dir=final,
        )
        figures = read_run_figures(con, job="nightly", run_summary=summary, quality=[quality])
    return Rendered(
        warehouse, work, final, page, page.read_text(encoding="utf-8"), figures, summary
    )
