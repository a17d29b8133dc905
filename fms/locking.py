"""One run at a time per warehouse: an OS file lock beside the DuckDB file.

Every job that writes the warehouse holds `<warehouse>.lock` for its whole run. The lock is an
`flock` on that file: the operating system releases it when the holder exits, even on a crash or
SIGKILL, so a dead run never blocks the next one. The file's content only says who holds the lock
(run id, job, pid, host, start time), for the message the second run gets; it is never what
decides. This holds whatever started the runs (CLI with a temporary Prefect server, `fms serve`,
a Prefect worker): DuckDB's own lock would also refuse a second writer, but only after the run
has started and with a message that names a process, not a run.

The lock file is opened without following a link and used only if it is a regular file of this
user with no other name: a link or a hard link planted in its place would otherwise have the
run truncate and write whatever file it names (a FIFO or a device would hang or worse).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from fms.regular_files import NotARegularFile, open_regular

# A scheduled run that starts just as another finishes gets a few seconds; anything longer is a
# real overlap, reported at once rather than leaving a run waiting unseen.
DEFAULT_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.1
_MAX_HOLDER_BYTES = 64 * 1024
_FOLDER = "the warehouse's folder must be a folder this user can write"


@dataclass(frozen=True)
class LockHolder:
    """Who holds a warehouse: written into the lock file while the lock is held."""

    run_id: str
    job: str
    pid: int
    host: str
    started_at: str  # ISO 8601, UTC

    def describe(self) -> str:
        return (
            f"run {self.run_id} ({self.job}, pid {self.pid} on {self.host}, "
            f"started {self.started_at})"
        )


class WarehouseBusyError(RuntimeError):
    """Another run holds the warehouse; nothing of this run was done."""

    def __init__(self, warehouse: Path, holder: LockHolder | None, waited: float) -> None:
        self.warehouse, self.holder, self.waited = warehouse, holder, waited
        who = holder.describe() if holder else "another run (its details could not be read)"
        super().__init__(
            f"warehouse {warehouse} is in use by {who}; waited {waited:g} s. Two runs never "
            f"write one warehouse at once: start this run again when that one has finished."
        )


class LockFileError(RuntimeError):
    """The lock file is not a regular file of ours, or cannot be created: nothing was done."""

    def __init__(self, path: Path, problem: str, remedy: str | None = None) -> None:
        self.path = path
        remedy = remedy or (
            "a run writes that file, so it uses only a regular file of its own: remove it "
            "(the next run creates a new one) and run again"
        )
        super().__init__(f"warehouse lock file {path} {problem}; {remedy}")


def lock_path(warehouse: Path) -> Path:
    """`<warehouse>.lock`, beside the DuckDB file (fms.duckdb -> fms.duckdb.lock)."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


def check_lock_file(warehouse: Path) -> None:
    """Refuse (LockFileError) a lock file that is there but not a regular file of ours."""
    path = lock_path(Path(warehouse).resolve())
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LockFileError(path, f"cannot be examined ({exc.strerror})", _FOLDER) from exc
    _refuse_unless_ours(path, found)


def _open_lock_file(warehouse: Path) -> int:
    """A descriptor on the lock file, created if missing, proven a regular file of ours."""
    check_lock_file(warehouse)  # lstat first: a device or FIFO is never opened
    path = lock_path(warehouse)
    try:
        fd = open_regular(path, os.O_RDWR | os.O_CREAT)
    except NotARegularFile as exc:  # put in place since the lstat
        raise LockFileError(path, exc.what) from exc
    except OSError as exc:
        raise LockFileError(path, f"cannot be created or opened ({exc.strerror})", _FOLDER) from exc
    try:
        _refuse_unless_ours(path, os.fstat(fd))  # what was opened, not what lstat saw
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refuse_unless_ours(path: Path, found: os.stat_result) -> None:
    if stat.S_ISLNK(found.st_mode):
        raise LockFileError(path, "is a link")
    if stat.S_ISDIR(found.st_mode):
        raise LockFileError(path, "is a folder")
    if not stat.S_ISREG(found.st_mode):
        raise LockFileError(path, "is not a regular file (a FIFO, socket or device)")
    if found.st_uid != os.geteuid():
        raise LockFileError(path, f"belongs to user id {found.st_uid}, not to this user")
    if found.st_nlink != 1:
        raise LockFileError(path, f"has {found.st_nlink} names (hard links)")


@contextmanager
def warehouse_lock(
    warehouse: Path, run_id: str, job: str, wait_seconds: float | None = None
) -> Iterator[LockHolder]:
    """Hold the warehouse for the duration of the block, or raise WarehouseBusyError.

    Waits at most `wait_seconds` (default DEFAULT_WAIT_SECONDS; 0: do not wait) for a holder to
    finish. The lock is per open file, not per process: a second `warehouse_lock` on the same
    warehouse in the same process is refused too.
    """
    if wait_seconds is None:
        wait_seconds = DEFAULT_WAIT_SECONDS
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd = _open_lock_file(warehouse)
    try:
        if not _acquire(fd, wait_seconds):
            raise WarehouseBusyError(warehouse, _holder_named_in(fd), wait_seconds)
        holder = LockHolder(
            run_id=run_id,
            job=job,
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(holder)).encode("utf-8"), 0)
        os.fsync(fd)
        try:
            yield holder
        finally:
            # Leave the file (removing it would race with a run opening it) but not our name.
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, wait_seconds: float) -> bool:
    """Whether the lock was taken within `wait_seconds` (False: it stayed held)."""
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() - started >= wait_seconds:
            return False
        time.sleep(_POLL_SECONDS)


def _holder_named_in(fd: int) -> LockHolder | None:
    # The holder writes its name just after taking the lock: give it a moment.
    for _ in range(10):
        try:
            return LockHolder(**json.loads(os.pread(fd, _MAX_HOLDER_BYTES, 0).decode("utf-8")))
        except (OSError, ValueError, TypeError):
            time.sleep(_POLL_SECONDS)
    return None
