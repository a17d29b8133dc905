"""What the job flows share: the run id, where a run's files go, and the gated publication."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from prefect import get_run_logger
from prefect.runtime import flow_run

from fms import settings
from fms.publication import published_in
from fms.quality.gate import QualityReport, preload_great_expectations, release_validator
from fms.run_folder import RunFolder, settle
from tasks.failures import describe_failure
from tasks.quality import raise_if_critical, report_data_quality
from tasks.report import RunArtifacts, post_run_artifacts

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
    # Publications the run committed before its own folder (a quarter's statements): a
    # failure after them must not say that nothing was published.
    committed: list[Path] = field(default_factory=list)
    # Posted once the run has published (tasks.report.write_run_report gives them).
    artifacts: RunArtifacts | None = None

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

    def publish(self, commit: Callable[[RunFolder], object] | None = None) -> Path:
        """The last step: write the data-quality report into the folder, then publish it, on
        its own or through `commit`, a step that swaps it in with the rows it commits."""
        report_data_quality(self.reports, self.work, self.folder.final)
        if commit is None:
            self.folder.publish()
        else:
            commit(self.folder)
        self.published = self.folder.final
        return self.published

    def keep_failed(self, exc: BaseException) -> Path:
        """Keep the failed run's folder beside the published one, with its data-quality report;
        the reports then name the Data Docs where they are kept."""
        # A full disk, say, can fail these too: the run's own failure is what to report.
        if self.reports:
            try:
                report_data_quality(self.reports, self.work, self.folder.failed)
            except Exception as err:
                exc.add_note(f"its data-quality results could not be written: {err}")
        try:
            kept = self.folder.fail()
        except OSError as err:
            exc.add_note(f"its folder could not be kept as {self.folder.failed}: {err}")
            return self.work
        for report in self.reports:
            if report.docs_index is not None and report.docs_index.is_relative_to(self.work):
                report.docs_index = kept / report.docs_index.relative_to(self.work)
        return kept


@contextmanager
def gated_run(final: Path, run_id: str, warehouse: Path) -> Iterator[GatedRun]:
    """On success the run folder is published as `final` with its data-quality report (the
    flow's last step, `run.publish`, or here); on any failure it is kept beside it as
    `<final>.failed-<run>` and the published `final` stays as it was."""
    settle(final, partial(published_in, warehouse))
    run = GatedRun(run_id, RunFolder(final, run_id[:8]))
    preload_great_expectations()  # in the background while the run loads and builds
    try:
        yield run
        if run.published is None:
            run.publish()
        if run.artifacts is not None:
            post_run_artifacts(run.artifacts)
    except BaseException as exc:
        kept = run.keep_failed(exc)
        if run.committed:
            exc.add_note("published before the failure: " + ", ".join(map(str, run.committed)))
        get_run_logger().error(
            "run failed: %s\n%s; its reports are in %s",
            describe_failure(exc),
            "see above for what was published" if run.committed else "Nothing was published",
            kept,
        )
        raise
    finally:
        release_validator(run_id)
