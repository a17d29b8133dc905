"""How a failure is judged and told: transient (worth a retry) or final, and in one line.

A bad batch, a failed data-quality gate or a rule's error is deterministic: the same input
fails the same way. The DuckDB file briefly held by another process, an I/O hiccup or a
write-write conflict can pass on their own. The Prefect hooks that use this are in
tasks/failures.py; the command line prints `describe_failure`.
"""

from __future__ import annotations

import errno
import os

import duckdb

from fms.ingest.batch_files import BatchFileError
from fms.quality.gate import DataQualityError

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


def describe_failure(exc: BaseException) -> str:
    """One line for a person: which step failed, why, and what the run noted on the way out
    (what it had published before, what it could not keep)."""
    step = getattr(exc, "failed_step", None)  # set by tasks/failures.py; None: the flow body
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
