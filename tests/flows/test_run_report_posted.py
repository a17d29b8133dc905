"""The task that writes the run report and posts its artifacts, in a real flow run under the
session's Prefect test server: the summary, the top-items tables, links into the final folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import flow

from fms.report import REPORT_NAME
from tasks.report import post_run_artifacts, write_run_report
from tests.report.scenario import build_warehouse, run_summary


@pytest.mark.usefixtures("prefect_harness")
def test_the_run_report_is_written_and_its_artifacts_posted(tmp_path):
    warehouse, _ = build_warehouse(tmp_path)
    summary = run_summary(warehouse, [])
    work, final = tmp_path / ".run.work", tmp_path / "nightly" / "2026-11-01"
    work.mkdir()
    (work / "c1_20261101.txt").write_text("C1\n")

    @flow(name="report-probe")
    def probe() -> Path:
        artifacts = write_run_report("nightly", warehouse, summary, work, "run-1", final)
        post_run_artifacts(artifacts)
        return artifacts.report

    assert probe() == final / REPORT_NAME
    assert "$40,000.00" in (work / REPORT_NAME).read_text(encoding="utf-8")

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    keys = ["nightly-run-summary", "nightly-top-closable-cases", "nightly-purchaser-totals"]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
        )
    latest = {}
    for a in sorted(artifacts, key=lambda a: a.created):
        latest[a.key] = a
    assert set(latest) == set(keys)
    assert latest["nightly-run-summary"].type == "markdown"
    assert "| Funds locked in ready cases | $40,000.00 |" in latest["nightly-run-summary"].data
    assert (final / "c1_20261101.txt").as_uri() in latest["nightly-run-summary"].data
    assert latest["nightly-top-closable-cases"].type == "table"
    assert "$36,000.00" in str(latest["nightly-top-closable-cases"].data)
