"""How a step fails: retried when the failure is transient, named when it is final.

Every step touches the warehouse file or the output folders, so each one takes
`**RETRY_TRANSIENT`: two more tries, a few seconds apart, but only for failures that can pass on
their own (the DuckDB file briefly held by another process, an I/O hiccup, a write-write
conflict). A bad batch, a failed data-quality gate or a rule's error is deterministic: the same
input fails the same way, so it fails at once. Every step is safe to run again: a batch loads in
one transaction, marts are rebuilt with CREATE OR REPLACE, publication is one transaction and
statement publication rewrites only what is missing.

When a step fails for good, `name_failed_step` adds the step's name to the exception (as a note
and as `failed_step`), so the flow's log and the command line say which step failed and why.
"""

from __future__ import annotations

import errno
import os

import duckdb
from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from fms.ingest.batch_files import BatchFileError
from fms.quality.gate import DataQualityError

RETRIES = 2
RETRY_DELAY_SECONDS = 3

# Failures that say something about the input or the code: never retried, even when they wrap
# a transient-looking cause (a batch file that cannot be read is reported, not re-read).
DETERMINISTIC = (BatchFileError, DataQualityError)

# DuckDB: the file held by another process ("Could not set lock on file"), I/O errors, and
# optimistic write-write conflicts between two connections.
TRANSIENT_DUCKDB = (duckdb.IOException, duckdb.TransactionException)

# DuckDB names a full disk only in its message ("Could not write file ...: No space left on
# device"), as an I/O or transaction error like those that pass.
DUCKDB_DISK_FULL = os.strerror(errno.ENOSPC)

# Python: interrupted or would-block calls, timeouts, and I/O errors that can clear up.
TRANSIENT_OS = (TimeoutError, InterruptedError, BlockingIOError, ConnectionError)
TRANSIENT_ERRNOS = frozenset(
    {errno.EAGAIN, errno.EBUSY, errno.EIO, errno.EINTR, errno.ESTALE, errno.EMFILE, errno.ENFILE}
)


def underlying_failure(exc: BaseException) -> BaseException:
    """The failure to report and judge: a ROLLBACK that DuckDB refuses because the transaction
    already ended (a COMMIT or a write that hit a full disk ends it) raises in place of the
    failure it was cleaning up after, which is then only its context."""
    while (
        isinstance(exc, duckdb.TransactionException)
        and exc.__cause__ is None
        and exc.__context__ is not None
    ):
        exc = exc.__context__
    return exc


def is_transient(exc: BaseException) -> bool:
    """True if running the step again could succeed without anyone changing anything."""
    exc = underlying_failure(exc)
    if isinstance(exc, DETERMINISTIC):
        return False
    if isinstance(exc, TRANSIENT_DUCKDB):
        return DUCKDB_DISK_FULL not in str(exc)
    if isinstance(exc, TRANSIENT_OS):
        return True
    # A missing file, a permission, a full disk: someone has to act first.
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def retry_if_transient(task: Task, task_run: TaskRun, state: State) -> bool:
    """Prefect `retry_condition_fn`: retry the failed step only if its failure is transient."""
    try:
        state.result()
    except Exception as exc:  # the step's own exception, raised again by Prefect
        return is_transient(exc)
    return False


def name_failed_step(task: Task, task_run: TaskRun, state: State) -> None:
    """Prefect `on_failure` hook (runs once retries are spent): name the step on the error."""
    exc = state.result(raise_on_failure=False)
    if not isinstance(exc, BaseException) or getattr(exc, "failed_step", None):
        return
    # A task run named from its parameters ("load batch 20261101-01-daily") says more than
    # the task's name; otherwise the task's name, without Prefect's random suffix.
    step = task_run.name if task.task_run_name else task.name
    exc.failed_step = step
    exc.add_note(f"failed step: {step}")


def failed_step(exc: BaseException) -> str | None:
    """The step a run failed in, if a step failed (not the flow body itself)."""
    return getattr(exc, "failed_step", None)


def describe_failure(exc: BaseException) -> str:
    """One line for a person: which step failed, why, and what the run noted on the way out
    (what it had published before, what it could not keep)."""
    step = failed_step(exc)
    reason = _reason(underlying_failure(exc))
    line = f"step {step!r} failed: {reason}" if step else reason
    notes = [n for n in getattr(exc, "__notes__", ()) if not n.startswith("failed step: ")]
    return "; ".join([line, *notes])


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        # "[Errno 30] Read-only file system: '/x'" -> "/x: read-only file system"
        names = " -> ".join(str(n) for n in (exc.filename, exc.filename2) if n is not None)
        return f"{names}: {exc.strerror[:1].lower()}{exc.strerror[1:]}" if names else exc.strerror
    return str(exc)


RETRY_TRANSIENT = {
    "retries": RETRIES,
    "retry_delay_seconds": RETRY_DELAY_SECONDS,
    "retry_condition_fn": retry_if_transient,
    "on_failure": [name_failed_step],
}
