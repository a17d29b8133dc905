"""What a run needs of this machine, checked before it starts (before Prefect is imported).

The FMS_* settings, the warehouse (a DuckDB file, or a name for a new one, in a folder this user
can write, with a lock file of its own), the job's output folder and the nightly's landing. A
fault found here is one line for the user within a second, before a server starts or anything
is created. What cannot be known in advance (a disk that fills during the run, a folder made
read-only meanwhile) still fails the run's step, with the step named.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fms import settings
from fms.locking import check_lock_file

# A DuckDB database file starts with an 8-byte checksum, then its magic bytes.
DUCKDB_MAGIC = b"DUCK"
DUCKDB_MAGIC_OFFSET = 8


class PreflightError(ValueError):
    """The run cannot start as asked: what is wrong, and what to do instead."""


def check_run(job: str, warehouse: Path, out: Path, landing: Path | None = None) -> None:
    """Everything the run of `job` needs before it starts, or PreflightError (SettingError,
    LockFileError) naming the first problem."""
    settings.check()
    check_warehouse(warehouse)
    check_writable_folder(out / job, "--out")
    if landing is not None:
        check_landing(landing)


def check_warehouse(warehouse: Path) -> None:
    """A DuckDB file this user can write (or no file yet) in a folder this user can write."""
    try:
        found = warehouse.stat()  # a link to the warehouse file is followed, as DuckDB does
    except FileNotFoundError:
        found = None
    except NotADirectoryError:
        found = None  # a file where a folder should be: named by the folder check below
    except OSError as exc:
        raise PreflightError(f"--warehouse {warehouse} cannot be examined: {exc.strerror}") from exc
    if found is None:
        problem = None
    elif stat.S_ISDIR(found.st_mode):
        problem = f"is a folder: give the DuckDB file's path, like {warehouse / 'fms.duckdb'}"
    elif not stat.S_ISREG(found.st_mode):
        problem = "is not a regular file"
    elif not _is_duckdb_file(warehouse):
        problem = (
            "is not a DuckDB database file: give the warehouse's path (a new name starts a new "
            "warehouse)"
        )
    elif not os.access(warehouse, os.R_OK | os.W_OK):
        problem = (
            f"{_why_not_writable(warehouse)}; a run writes its warehouse: give one this user can "
            "write"
        )
    else:
        problem = None
    if problem:
        raise PreflightError(f"--warehouse {warehouse} {problem}")
    check_writable_folder(warehouse.parent, "--warehouse")
    check_lock_file(warehouse)


def _is_duckdb_file(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise PreflightError(f"--warehouse {path} cannot be read: {exc.strerror}") from exc
    try:
        head = os.pread(fd, DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC), 0)
    finally:
        os.close(fd)
    return head[DUCKDB_MAGIC_OFFSET:] == DUCKDB_MAGIC


def check_writable_folder(folder: Path, option: str) -> None:
    """`folder` is a folder this user can write, or can be created in one: every part of it
    that exists is a folder, and the deepest that exists can be written."""
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "a link to nowhere" if existing.is_symlink() and not existing.exists() else "a file"
        raise PreflightError(
            f"{option}: cannot write in {folder}: {existing} is {what}, not a folder; choose "
            "another folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PreflightError(
            f"{option}: cannot write in {folder}: {existing} {_why_not_writable(existing)}; "
            "choose a folder this user can write"
        )


def _why_not_writable(path: Path) -> str:
    try:
        read_only = os.statvfs(path).f_flag & os.ST_RDONLY
    except OSError:
        read_only = False
    return "is on a read-only file system" if read_only else "cannot be written by this user"


def check_landing(landing: Path) -> None:
    """The nightly's landing is a folder this user can read."""
    if not landing.exists():
        raise PreflightError(f"--landing {landing}: no such folder")
    if not landing.is_dir():
        raise PreflightError(f"--landing {landing} is a file, not a folder of batch folders")
    if not os.access(landing, os.R_OK | os.X_OK):
        raise PreflightError(f"--landing {landing} cannot be read by this user")
