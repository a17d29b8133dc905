"""One run at a time per warehouse: the OS file lock of fms.locking, across real processes; and
the lock file is only ever a regular file of ours, never followed through a link."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fms import locking
from fms.locking import (
    LockFileError,
    WarehouseBusyError,
    check_lock_file,
    lock_path,
    warehouse_lock,
)
from tests.publication_helpers import read_holder

# A child process that takes the lock, says so, and holds it until killed (or for `hold` s).
HOLDER = textwrap.dedent(
    """
    import sys, time
    from fms.locking import warehouse_lock

    warehouse, run_id, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with warehouse_lock(warehouse, run_id, "nightly-refresh", wait_seconds=0):
        print("held", flush=True)
        time.sleep(hold)
    """
)


def hold_in_child(warehouse: Path, run_id: str, hold: float = 60.0) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse), run_id, str(hold)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "held"
    return child


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "fms.duckdb"


def test_the_lock_is_a_file_beside_the_warehouse(warehouse):
    assert lock_path(warehouse) == warehouse.parent / "fms.duckdb.lock"
    with warehouse_lock(warehouse, "run-1", "nightly-refresh", wait_seconds=0) as holder:
        assert lock_path(warehouse).exists()
        assert read_holder(warehouse) == holder
        assert (holder.run_id, holder.job, holder.pid) == ("run-1", "nightly-refresh", os.getpid())


def test_a_second_holder_is_refused_with_the_warehouse_and_the_holders_run(warehouse):
    with warehouse_lock(warehouse, "run-1", "nightly-refresh", wait_seconds=0) as holder:
        with pytest.raises(WarehouseBusyError) as refused:
            with warehouse_lock(warehouse, "run-2", "quarterly-billing", wait_seconds=0):
                pytest.fail("two holders at once")
    message = str(refused.value)
    assert str(warehouse.resolve()) in message
    assert "run run-1 (nightly-refresh" in message
    assert f"pid {os.getpid()}" in message
    assert f"started {holder.started_at}" in message
    assert refused.value.holder == holder


def test_a_run_in_another_process_is_refused_naming_that_process(warehouse):
    child = hold_in_child(warehouse, "run-child")
    try:
        with pytest.raises(WarehouseBusyError, match=rf"run run-child .*pid {child.pid}\b"):
            with warehouse_lock(warehouse, "run-2", "weekly-closure-readiness", wait_seconds=0):
                pytest.fail("two holders at once")
    finally:
        child.kill()
        child.wait()


def test_a_lock_left_by_a_killed_run_does_not_block_the_next(warehouse):
    child = hold_in_child(warehouse, "run-killed")
    os.kill(child.pid, signal.SIGKILL)  # no clean-up runs: the OS drops the flock
    child.wait()
    assert read_holder(warehouse).run_id == "run-killed"  # its name is still in the file
    with warehouse_lock(warehouse, "run-next", "nightly-refresh", wait_seconds=0) as holder:
        assert read_holder(warehouse) == holder


def test_a_run_waits_a_short_while_for_a_holder_about_to_finish(warehouse):
    child = hold_in_child(warehouse, "run-finishing", hold=0.5)
    try:
        started = time.monotonic()
        with warehouse_lock(warehouse, "run-next", "nightly-refresh", wait_seconds=10):
            waited = time.monotonic() - started
    finally:
        child.wait()
    assert 0.2 < waited < 5


def test_the_wait_is_bounded(warehouse, monkeypatch):
    monkeypatch.setattr(locking, "DEFAULT_WAIT_SECONDS", 0.3)
    with warehouse_lock(warehouse, "run-1", "nightly-refresh"):
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError, match=r"waited 0\.3 s"):
            with warehouse_lock(warehouse, "run-2", "nightly-refresh"):
                pytest.fail("two holders at once")
        assert time.monotonic() - started < 2


@pytest.mark.parametrize("ending", ["normally", "with an error"])
def test_the_lock_is_released_when_the_run_ends(warehouse, ending):
    try:
        with warehouse_lock(warehouse, "run-1", "nightly-refresh", wait_seconds=0):
            if ending == "with an error":
                raise RuntimeError("the run failed")
    except RuntimeError:
        pass
    assert read_holder(warehouse) is None  # the file no longer names a holder
    with warehouse_lock(warehouse, "run-2", "nightly-refresh", wait_seconds=0):
        pass


PRECIOUS = b"a file the lock must never touch\n"


def planted_link_to_a_file(lock: Path) -> Path:
    target = lock.parent.parent / "precious.txt"
    target.write_bytes(PRECIOUS)
    lock.symlink_to(target)
    return target


def planted_link_to_nowhere(lock: Path) -> Path:
    target = lock.parent.parent / "not-there-yet"
    lock.symlink_to(target)
    return target


def planted_hard_link(lock: Path) -> Path:
    target = lock.parent.parent / "precious.txt"
    target.write_bytes(PRECIOUS)
    os.link(target, lock)
    return target


def planted_fifo(lock: Path) -> None:
    os.mkfifo(lock)


def planted_folder(lock: Path) -> None:
    lock.mkdir()
    (lock / "inside").write_bytes(PRECIOUS)


def planted_file_of_another_user(lock: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    lock.write_bytes(PRECIOUS)
    os.chown(lock, 4242, -1)


PLANTED = {
    "a link to a file": (planted_link_to_a_file, "is a link"),
    "a link to nowhere": (planted_link_to_nowhere, "is a link"),
    "a hard link": (planted_hard_link, "has 2 names"),
    "a FIFO": (planted_fifo, "is not a regular file"),
    "a folder": (planted_folder, "is a folder"),
    "a file of another user": (planted_file_of_another_user, "belongs to user id 4242"),
}


@pytest.mark.parametrize("planted", PLANTED, ids=list(PLANTED))
def test_a_lock_file_that_is_not_a_regular_file_of_ours_is_refused_and_left_alone(
    warehouse, planted
):
    plant, problem = PLANTED[planted]
    lock = lock_path(warehouse)
    lock.parent.mkdir(parents=True)
    target = plant(lock)
    before = os.lstat(lock)
    for check in (
        lambda: check_lock_file(warehouse),  # what the command line checks before a run
        lambda: warehouse_lock(warehouse, "run-1", "quarterly-billing", wait_seconds=0).__enter__(),
    ):
        with pytest.raises(LockFileError) as refused:
            check()
        message = str(refused.value)
        assert f"warehouse lock file {lock} {problem}" in message
        assert "remove it" in message
    after = os.lstat(lock)
    assert (after.st_ino, after.st_mode, after.st_size) == (
        before.st_ino,
        before.st_mode,
        before.st_size,
    )
    if target is not None and target.exists():
        assert target.read_bytes() == PRECIOUS
    elif target is not None:
        assert not os.path.lexists(target)  # a link to nowhere created nothing there
    if planted == "a folder":
        assert (lock / "inside").read_bytes() == PRECIOUS


def test_reading_who_holds_a_lock_file_that_is_a_fifo_does_not_wait(warehouse):
    lock_path(warehouse).parent.mkdir(parents=True)
    os.mkfifo(lock_path(warehouse))
    started = time.monotonic()
    assert read_holder(warehouse) is None
    assert time.monotonic() - started < 1
