"""What a run needs of this machine, checked before it starts (before Prefect is imported).

The FMS_* settings, the warehouse (a DuckDB file, or for the nightly a name for a new one, in a
folder this user can write, with a lock file of its own), the job's output folder, the
nightly's landing and a quarter end where the job needs one. A
fault found here is one line for the user within a second, before a server starts or anything
is created. What cannot be known in advance (a disk that fills during the run, a folder made
read-only meanwhile) still fails the run's step, with the step named.
"""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import duckdb

from flows.jobs import Job
from fms import settings
from fms.locking import check_lock_file
from fms.selection import UnknownSelection, check_selection

# A DuckDB database file starts with an 8-byte checksum, then its magic bytes.
DUCKDB_MAGIC = b"DUCK"
DUCKDB_MAGIC_OFFSET = 8


class PreflightError(ValueError):
    """The run cannot start as asked: what is wrong, and what to do instead."""


def check_run(
    job: Job,
    warehouse: Path,
    out: Path,
    landing: Path | None = None,
    day: date | None = None,
    purchaser: str | None = None,
    case: str | None = None,
    preliminary: bool = False,
) -> None:
    """Everything the run of `job` needs before it starts, or PreflightError (SettingError,
    LockFileError) naming the first problem. Only the nightly starts a new warehouse: for any
    other job a warehouse that is not there is a typo, never an empty warehouse."""
    settings.check()
    check_warehouse(warehouse)
    check_writable_folder(out / job.command, "--out")
    if landing is not None:
        check_landing(landing)
    if not job.landing and not warehouse.exists():
        raise PreflightError(
            f"--warehouse {warehouse}: no such warehouse; give the path of an existing one "
            "(`fms run nightly` creates it)"
        )
    if day is not None:
        try:
            job.check_date(day, settings.today(), preliminary)
        except ValueError as exc:
            option = "--" + job.date_option.replace("_", "-")
            raise PreflightError(f"{option} {exc}") from exc
    if not job.landing:
        check_contents(warehouse, purchaser, case)


def check_contents(warehouse: Path, purchaser: str | None, case: str | None) -> None:
    """The warehouse holds loaded data, and the ad-hoc purchaser or case asked for. A warehouse
    another run is writing cannot be read now: that run's lock decides, and the flow checks
    the selection itself once it holds the warehouse (flows/job_run.py)."""
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException:
        return  # held by a run that writes it
    except duckdb.Error as exc:
        raise PreflightError(f"--warehouse {warehouse} cannot be opened: {exc}") from exc
    with con:
        has_cases = con.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE schema_name = 'main' AND table_name = 'cases'"
        ).fetchone()[0]
        loaded = has_cases and con.execute("SELECT EXISTS (SELECT 1 FROM cases)").fetchone()[0]
        if not loaded:
            raise PreflightError(
                f"--warehouse {warehouse} holds no FMS data yet: `fms run nightly --warehouse "
                f"{warehouse}` loads it"
            )
        try:
            check_selection(con, purchaser, case)
        except UnknownSelection as exc:
            raise PreflightError(str(exc)) from exc


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
