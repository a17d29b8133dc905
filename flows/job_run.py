"""How every job runs: it holds the warehouse, builds its files in a new version of its folder,
gates what it built, and publishes the folder only if every gate passed (fms/run_folder.py).

`build_gate_write` is the whole run of a job that builds marts, gates them and writes their
files (closure, delivery report, payment schedule review), and `marts_job_flow` makes it the
flow of such a job; the nightly and quarterly billing use the same pieces around their extra
steps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date
from functools import partial
from pathlib import Path

from prefect import Flow, flow, get_run_logger
from prefect.runtime import flow_run

from flows.jobs import CaseId, Job, PurchaserCode, Runner
from flows.scaleout import build_marts_on_dask, uses_dask
from fms import settings
from fms.failures import describe_failure
from fms.locking import warehouse_lock
from fms.outputs import file_name_part
from fms.publication import STAGING, published_in
from fms.quality.gate import (
    QualityReport,
    finish_background_import,
    preload_great_expectations,
    release_validator,
)
from fms.report import REPORT_NAME, ReportTables
from fms.run_folder import RunFolder, settle
from fms.selection import UnknownSelection, check_selection
from fms.warehouse import connect
from tasks.marts import build_marts, publication_state, publish_marts
from tasks.publish import (
    write_closure_files,
    write_delivery_files,
    write_readers_snapshot,
    write_schedule_review_files,
)
from tasks.quality import audit_staged_marts, raise_if_critical, report_data_quality
from tasks.report import RunArtifacts, post_run_artifacts, write_run_report


def current_run_id() -> str:
    return str(flow_run.id or uuid.uuid4())


def job_folder(
    out: Path | None,
    job: Job,
    period: str,
    purchaser: str | None = None,
    case: str | None = None,
    preliminary: bool = False,
) -> Path:
    """<out>/<command>/<period> for a full run; <out>/<command>/adhoc/<period>-<selection> for
    an ad-hoc one, and <out>/<command>/preliminary/<period>[-<selection>] for a draft: neither
    ever replaces the published folder."""
    root = Path(out or settings.default_out()) / job.command
    if purchaser is None and case is None:
        return root / "preliminary" / period if preliminary else root / period
    selection = f"{period}-{file_name_part(case or purchaser)}"
    return root / ("preliminary" if preliminary else "adhoc") / selection


@dataclass
class GatedRun:
    """A run whose files are built in `work` and published whole only if every gate passed."""

    run_id: str
    warehouse: Path
    folder: RunFolder
    reports: list[QualityReport] = field(default_factory=list)
    published: Path | None = None
    # Publications the run committed before its own folder (a quarter's statements): a
    # failure after them must not say that nothing was published.
    committed: list[Path] = field(default_factory=list)
    # Posted once the run has published (tasks.report.write_run_report gives them).
    artifacts: RunArtifacts | None = None
    # The run committed rows to main with its folder (`publish(commit)`): readers get a new
    # snapshot (fms/snapshots.py).
    published_rows: bool = False

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

    def audit_marts(
        self, marts: tuple[str, ...], as_of: date, purchaser: str | None, case: str | None
    ) -> None:
        self.gate(
            audit_staged_marts(
                self.warehouse, self.run_id, self.docs_dir, list(marts), as_of, purchaser, case
            )
        )

    def report(
        self,
        job: Job,
        summary: dict,
        tables: ReportTables | None,
        purchaser: str | None = None,
        case: str | None = None,
    ) -> None:
        """Write the run report into the folder (`tables`: the marts it reads, default those
        in main); its artifacts are posted once the run has published."""
        self.artifacts = write_run_report(
            job.command,
            self.warehouse,
            summary,
            self.work,
            self.run_id,
            self.folder.final,
            self.reports,
            tables,
            purchaser,
            case,
        )

    def publish(self, commit: Callable[[RunFolder], object] | None = None) -> Path:
        """The last step: write the data-quality report into the folder, then publish it, on
        its own or through `commit`, a step that swaps it in with the rows it commits."""
        report_data_quality(self.reports, self.work, self.folder.final)
        if commit is None:
            self.folder.publish()
        else:
            commit(self.folder)
            self.published_rows = True
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

    def warnings(self) -> list[str]:
        """Each data-quality warning of the run once, in the order the gates found them."""
        return list(dict.fromkeys(o.describe() for r in self.reports for o in r.warnings))

    def result(self, files: list[str], **summary: object) -> dict:
        """What the flow returns: `summary`, then where its files are once published."""
        return {
            **summary,
            "warnings": self.warnings(),
            "files": [str(self.published / Path(f).name) for f in files],
            "run_report": str(self.published / REPORT_NAME),
        }


@contextmanager
def gated_run(
    job: Job,
    final: Path,
    run_id: str,
    warehouse: Path,
    purchaser: str | None = None,
    case: str | None = None,
) -> Iterator[GatedRun]:
    """Hold the warehouse for the run. On success the run folder is published as `final` with
    its data-quality report (the flow's last step, `run.publish`, or here); on any failure it
    is kept beside it as `<final>.failed-<run>` and the published `final` stays as it was.
    An ad-hoc selection the warehouse does not hold is refused before any folder is made."""
    selection = purchaser is not None or case is not None
    if selection and not warehouse.exists():
        raise UnknownSelection(f"there is no warehouse at {warehouse} to select from")
    with warehouse_lock(warehouse, run_id, job.name):
        if selection:
            with connect(warehouse, read_only=True) as con:
                check_selection(con, purchaser, case)
        settle(final, partial(published_in, warehouse))
        run = GatedRun(run_id, warehouse, RunFolder(final, run_id[:8]))
        preload_great_expectations()  # in the background while the run loads and builds
        try:
            yield run
            if run.published is None:
                run.publish()
            if run.published_rows or run.committed:
                run.committed.append(run.published)
                write_readers_snapshot(warehouse, run_id)
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
            finish_background_import()


def stage_marts(
    warehouse: Path,
    as_of: date,
    marts: tuple[str, ...],
    purchaser: str | None,
    case: str | None,
    runner: Runner | None,
    dask_address: str | None,
) -> dict[str, int]:
    """Build `marts` into staging, in this process or on Dask; return their row counts."""
    if uses_dask(runner, dask_address):
        return build_marts_on_dask(warehouse, as_of, marts, purchaser, case, dask_address)
    return build_marts(warehouse, as_of, marts, purchaser, case)


def write_mart_files(
    warehouse: Path,
    work: Path,
    as_of: date,
    marts: tuple[str, ...],
    purchaser: str | None = None,
    case: str | None = None,
) -> list[str]:
    """The files people open, from the staged marts of the run."""
    files = []
    if "delivery_status" in marts:
        files += write_delivery_files(warehouse, work, as_of)
    if "closure_readiness" in marts:
        files += write_closure_files(warehouse, work, as_of)
    if "payment_schedule_review" in marts:
        files += write_schedule_review_files(warehouse, work, as_of, purchaser, case)
    return files


def staged_tables(marts: tuple[str, ...]) -> ReportTables:
    """The run report reads the marts the run staged (the others as published in main)."""
    readable = {f.name for f in fields(ReportTables)}
    return ReportTables(**{m: f"{STAGING}.{m}" for m in marts if m in readable})


def build_gate_write(
    job: Job,
    as_of: date | None,
    warehouse: Path | None,
    out: Path | None,
    purchaser: str | None,
    case: str | None,
    runner: Runner | None,
    dask_address: str | None,
) -> dict:
    """The run of a job that builds its marts as of a date into staging, gates them, and
    writes their files and its run report into its folder. Main's tables stay as they are,
    unless the job publishes its marts: then a full run swaps them into main with its folder,
    in one commit (an ad-hoc run never does)."""
    uses_dask(runner, dask_address)  # an address without the Dask runner: refused at once
    warehouse = Path(warehouse or settings.default_warehouse())
    today = settings.today()
    as_of = as_of or job.default_date(today)
    job.check_date(as_of, today, False)
    run_id = current_run_id()
    final = job_folder(out, job, as_of.isoformat(), purchaser, case)
    with gated_run(job, final, run_id, warehouse, purchaser, case) as run:
        counts = stage_marts(warehouse, as_of, job.marts, purchaser, case, runner, dask_address)
        run.audit_marts(job.marts, as_of, purchaser, case)
        files = write_mart_files(warehouse, run.work, as_of, job.marts, purchaser, case)
        summary = {"as_of": as_of.isoformat(), "marts": counts, "files": files}
        run.report(job, summary, staged_tables(job.marts), purchaser, case)
        if job.publishes_marts and purchaser is None and case is None:
            through_seq = publication_state(warehouse)[1]
            run.publish(
                lambda folder: publish_marts(
                    warehouse, job.marts, run_id, job.command, as_of, through_seq, folder
                )
            )
    return run.result(
        files,
        run_id=run_id,
        as_of=as_of.isoformat(),
        warehouse=str(warehouse),
        out_dir=str(run.published),
        marts=counts,
    )


# The parameters of a job `marts_job_flow` makes, as its flow's docstring gives them (Prefect
# shows them with the deployment's parameters).
_MARTS_JOB_ARGS = """
    Args:
        as_of: {as_of}
        warehouse: the DuckDB file (default: data/warehouse/fms.duckdb).
        out: output root (default: data/out).
        purchaser: ad hoc: one purchaser's country code.
        case: ad hoc: one case (CC-I-DDD).
        runner: where the marts are built: "local" (this process; the default) or "dask" (per
            purchaser on a Dask cluster; docs/scale-out.md).
        dask_address: with runner "dask", the scheduler of an existing cluster
            (tcp://host:8786); default: a 2-worker LocalCluster for this run.
"""


def marts_job_flow(job: Job, description: str, as_of: str) -> Flow:
    """The flow of a job whose whole run is `build_gate_write`, named as `job` says (its
    deployment's entrypoint finds it there). `description` says what the run writes and where,
    `as_of` what the job's date means and its default."""

    def run(
        as_of: date | None = None,
        warehouse: Path | None = None,
        out: Path | None = None,
        purchaser: PurchaserCode | None = None,
        case: CaseId | None = None,
        runner: Runner | None = None,
        dask_address: str | None = None,
    ) -> dict:
        return build_gate_write(job, as_of, warehouse, out, purchaser, case, runner, dask_address)

    run.__module__, run.__name__ = job.flow.split(":")
    run.__qualname__ = run.__name__
    run.__doc__ = description.rstrip() + "\n" + _MARTS_JOB_ARGS.format(as_of=as_of)
    return flow(name=job.name, log_prints=True)(run)
