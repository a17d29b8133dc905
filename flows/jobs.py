"""What the job flows share: the run id, where a run's files go, and the gated publication."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from prefect import get_run_logger
from prefect.runtime import flow_run

from fms import settings
from fms.outputs import RunFolder
from fms.quality.gate import QualityReport, preload_great_expectations, release_validator
from tasks.failures import describe_failure
from tasks.quality import raise_if_critical, report_data_quality

_SAFE = re.compile(r"[^A-Za-z0-9-]")


def current_run_id() -> str:
    return str(flow_run.id or uuid.uuid4())


def job_folder(
    out: Path | None, job: str, period: str, purchaser: str | None, case_id: str | None
) -> Path:
    """<out>/<job>/<period> for a full run; <out>/<job>/adhoc/<period>-<selection> for an
    ad-hoc one, which never replaces the published folder."""
    root = Path(out or settings.default_out()) / job
    if purchaser is None and case_id is None:
        return root / period
    selection = case_id if case_id is not None else purchaser
    return root / "adhoc" / f"{period}-{_SAFE.sub('_', selection)}"


@dataclass
class GatedRun:
    """A run whose files are built in `work` and published whole only if every gate passed."""

    run_id: str
    folder: RunFolder
    reports: list[QualityReport] = field(default_factory=list)
    published: Path | None = None

    @property
    def work(self) -> Path:
        return self.folder.work

    @property
    def docs_dir(self) -> Path:
        return self.folder.work / "data_docs"

    def gate(self, report: QualityReport) -> None:
        """Keep the report; stop the run (nothing published) on a critical failure."""
        self.reports.append(report)
        raise_if_critical(report)


@contextmanager
def gated_run(final: Path, run_id: str) -> Iterator[GatedRun]:
    """On success the run folder becomes `final` with its data-quality report; on any failure
    it is kept beside it as `<final>.failed-<run>` and the published `final` stays as it was."""
    run = GatedRun(run_id, RunFolder(final, run_id[:8]))
    preload_great_expectations()  # in the background while the run loads and builds
    try:
        yield run
        report_data_quality(run.reports, run.folder.work, run.folder.final)
        run.published = run.folder.publish()
    except BaseException as exc:
        if run.reports:
            report_data_quality(run.reports, run.folder.work, run.folder.failed)
        kept = run.folder.fail()
        get_run_logger().error(
            "run failed: %s. Nothing was published; its reports are in %s",
            describe_failure(exc),
            kept,
        )
        raise
    finally:
        release_validator(run_id)
