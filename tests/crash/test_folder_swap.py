"""A published folder is a name linked to a version, swapped in by one rename: readers see the
previous folder or the new one. Committed with warehouse rows, the swap and the rows happen
together or not at all; a crash between them is settled by the next run. (The killed-run tests
cover the same steps with real crashes, test_disk_full.py with a full disk.)
"""

from __future__ import annotations

import errno
import os
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from fms.failpoints import fault
from fms.publication import commit_with_folder, is_published, record_publication, settle_folder
from fms.run_folder import RunFolder, settle

AS_OF = "2026-11-05"


@pytest.fixture
def minutes_apart(monkeypatch):
    """Publications as a schedule makes them, not seconds apart: no version is kept for being
    recent (fms.run_folder.RECENT_SECONDS)."""
    monkeypatch.setattr("fms.run_folder.RECENT_SECONDS", 0)


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


def _write(run: RunFolder, files: dict[str, str]) -> None:
    for name, text in files.items():
        (run.work / name).write_text(text)


def _publish(final: Path, label: str, files: dict[str, str]) -> Path:
    run = RunFolder(final, label)
    _write(run, files)
    return run.publish()


def _beside(final: Path) -> list[str]:
    return sorted(p.name for p in final.parent.iterdir())


def test_a_new_run_folder_replaces_the_published_one_whole_and_no_older_version_stays(
    tmp_path, minutes_apart
):
    final = tmp_path / "nightly" / AS_OF
    _publish(final, "run1", {"c1.txt": "old", "only_old.csv": "x"})
    _publish(final, "run2", {"c1.txt": "new"})
    assert _files(final) == {"c1.txt": "new"}
    assert final.is_symlink() and os.readlink(final) == f".{AS_OF}.run2"  # relative: copyable
    # The version it replaced stays for readers mid-lookup until the next publication.
    assert _beside(final) == [f".{AS_OF}.run1", f".{AS_OF}.run2", AS_OF]
    _publish(final, "run3", {"c1.txt": "newer"})
    assert _beside(final) == [f".{AS_OF}.run2", f".{AS_OF}.run3", AS_OF]


def test_readers_opening_files_by_the_published_name_never_miss_one(tmp_path):
    final = tmp_path / "nightly" / AS_OF
    _publish(final, "run0", {"c1.txt": "0", "status.csv": "0"})
    seen, errors, done = set(), [], threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                for name in ("c1.txt", "status.csv"):
                    seen.add((final / name).read_text())
            except OSError as exc:
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(1, 150):
            _publish(final, f"run{n}", {"c1.txt": str(n), "status.csv": str(n)})
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert seen <= {str(n) for n in range(150)} and len(seen) > 1


def test_versions_written_in_the_last_minute_stay_and_older_ones_go(tmp_path):
    final = tmp_path / "nightly" / AS_OF
    for n in range(3):
        _publish(final, f"run{n}", {"c1.txt": str(n)})
    assert _beside(final) == [f".{AS_OF}.run{n}" for n in range(3)] + [AS_OF]
    hour_ago = final.parent / f".{AS_OF}.run0"
    os.utime(hour_ago, (hour_ago.stat().st_atime, hour_ago.stat().st_mtime - 3600))
    _publish(final, "run3", {"c1.txt": "3"})
    assert _beside(final) == [f".{AS_OF}.run{n}" for n in (1, 2, 3)] + [AS_OF]


def test_a_folder_published_before_versions_becomes_the_first_version(tmp_path):
    final = tmp_path / "nightly" / AS_OF
    final.mkdir(parents=True)
    (final / "c1.txt").write_text("from before")
    run = RunFolder(final, "run1")
    assert _files(final) == {"c1.txt": "from before"}  # untouched while the run works
    _write(run, {"c1.txt": "new"})
    run.publish()
    assert final.is_symlink() and _files(final) == {"c1.txt": "new"}
    assert _beside(final) == [f".{AS_OF}.legacy", f".{AS_OF}.run1", AS_OF]


def test_a_run_killed_while_moving_a_folder_from_before_aside_gets_it_back(tmp_path):
    final = tmp_path / "nightly" / AS_OF
    legacy = final.parent / f".{AS_OF}.legacy"
    legacy.mkdir(parents=True)  # what a kill between its two steps leaves: no name
    (legacy / "c1.txt").write_text("from before")
    RunFolder(final, "run2")
    assert _files(final) == {"c1.txt": "from before"}


def test_a_failed_run_is_kept_beside_the_published_folder_which_stays(tmp_path):
    final = tmp_path / "nightly" / AS_OF
    _publish(final, "run1", {"c1.txt": "published"})
    run = RunFolder(final, "run2")
    _write(run, {"dq_results.csv": "why"})
    kept = run.fail()
    assert kept == final.parent / f"{AS_OF}.failed-run2"
    assert _files(kept) == {"dq_results.csv": "why"}
    assert _files(final) == {"c1.txt": "published"}


def test_a_rerun_under_the_published_label_never_touches_the_published_version(tmp_path):
    final = tmp_path / "nightly" / AS_OF
    _publish(final, "run1", {"c1.txt": "published"})
    again = RunFolder(final, "run1")
    assert again.work != final.resolve()
    assert _files(final) == {"c1.txt": "published"}


@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "CREATE TABLE publications (run_id VARCHAR PRIMARY KEY, job VARCHAR NOT NULL, "
        "as_of DATE NOT NULL, through_batch_seq INTEGER NOT NULL, "
        "published_at TIMESTAMP NOT NULL, out_dir VARCHAR)"
    )
    con.execute("CREATE TABLE marts (run VARCHAR)")
    yield con
    con.close()


FULL = OSError(errno.ENOSPC, "No space left on device")


def _commit(con, final: Path, label: str, fail_at: str | None = None) -> None:
    """Publish a run's folder with its rows; `fail_at` a step that then fails: "prepared"
    (making the links), "block" (writing the rows), "swapped" (the folder swapped, as if
    COMMIT failed)."""
    run = RunFolder(final, label)
    _write(run, {"c1.txt": label})
    try:
        with fault(f"run_folder.{fail_at}", FULL), commit_with_folder(con, run, label):
            con.execute("DELETE FROM marts")
            con.execute("INSERT INTO marts VALUES ($r)", {"r": label})
            record_publication(con, label, "nightly", date(2026, 11, 5), 1, final)
            if fail_at == "block":
                raise FULL
    except OSError:
        run.fail()
        raise


def _state(con, final: Path) -> tuple:
    marts = con.execute("SELECT run FROM marts").fetchall()
    return marts, _files(final) if os.path.lexists(final) else None


@pytest.mark.parametrize("step", ["prepared", "block", "swapped"])
def test_rows_and_folder_commit_together_or_neither_when_a_step_fails(warehouse, tmp_path, step):
    final = tmp_path / "nightly" / AS_OF
    _commit(warehouse, final, "run1")
    before = _state(warehouse, final)
    assert before == ([("run1",)], {"c1.txt": "run1"})
    with pytest.raises(OSError, match="No space left"):
        _commit(warehouse, final, "run2", fail_at=step)
    assert _state(warehouse, final) == before
    assert not is_published(warehouse, "run2")
    assert not (final.parent / f".{AS_OF}.publishing").exists()
    assert (final.parent / f"{AS_OF}.failed-run2" / "c1.txt").read_text() == "run2"
    _commit(warehouse, final, "run3")
    assert _state(warehouse, final) == ([("run3",)], {"c1.txt": "run3"})
    assert is_published(warehouse, "run3")


@pytest.mark.parametrize(("committed", "expected"), [(False, "run1"), (True, "run2")])
def test_a_crash_between_the_folder_swap_and_commit_is_settled_as_the_rows_say(
    tmp_path, committed, expected, minutes_apart
):
    final = tmp_path / "nightly" / AS_OF
    _publish(final, "run1", {"c1.txt": "run1"})
    run = RunFolder(final, "run2")
    _write(run, {"c1.txt": "run2"})
    swap = run.prepare("run-2")
    swap.apply()  # and the process dies here: no COMMIT, no undo
    assert _files(final) == {"c1.txt": "run2"}
    asked = []
    settle(final, lambda run_id: asked.append(run_id) or committed)
    assert asked == ["run-2"]
    assert _files(final) == {"c1.txt": expected}
    assert not (final.parent / f".{AS_OF}.publishing").exists()
    _publish(final, "run3", {"c1.txt": "run3"})  # and publishing goes on
    assert _beside(final) == [f".{AS_OF}.{expected}", f".{AS_OF}.run3", AS_OF]


@pytest.mark.parametrize(
    ("point", "committed"),
    [("publication.committing", False), ("publication.commit_returned", True)],
)
def test_a_commit_that_raises_leaves_the_folder_for_the_next_run_to_settle_as_the_rows_say(
    warehouse, tmp_path, point, committed
):
    """DuckDB can raise from a COMMIT that failed, and from one that is durable (a failed
    checkpoint after it): the run cannot tell, so it neither undoes the swap nor says that
    nothing was published; the next run's settle follows `publications`."""
    final = tmp_path / "nightly" / AS_OF
    _commit(warehouse, final, "run1")
    run = RunFolder(final, "run2")
    _write(run, {"c1.txt": "run2"})
    with pytest.raises(OSError) as failure:
        with fault(point, FULL), commit_with_folder(warehouse, run, "run2"):
            warehouse.execute("DELETE FROM marts")
            warehouse.execute("INSERT INTO marts VALUES ('run2')")
            record_publication(warehouse, "run2", "nightly", date(2026, 11, 5), 1, final)
    assert "may have committed" in " ".join(failure.value.__notes__)
    assert run.fail() == final  # what readers may see is never moved aside
    assert (final.parent / f".{AS_OF}.publishing").exists()
    if not committed:  # a COMMIT that failed: DuckDB has ended the transaction
        warehouse.execute("ROLLBACK")
    settle_folder(warehouse, final)
    expected = "run2" if committed else "run1"
    assert _state(warehouse, final) == ([(expected,)], {"c1.txt": expected})
    assert is_published(warehouse, "run2") is committed
    assert not (final.parent / f".{AS_OF}.publishing").exists()


def test_a_run_for_another_date_settles_a_folder_a_crash_left_ahead_of_its_rows(tmp_path):
    yesterday, today = tmp_path / "nightly" / "2026-11-04", tmp_path / "nightly" / AS_OF
    _publish(yesterday, "run1", {"c1.txt": "run1"})
    crashed = RunFolder(yesterday, "run2")
    _write(crashed, {"c1.txt": "run2"})
    crashed.prepare("run-2").apply()  # and the process dies: run-2 never committed
    settle(today, lambda run_id: False)  # the next night's run, as of its own date
    assert _files(yesterday) == {"c1.txt": "run1"}
    assert not (yesterday.parent / ".2026-11-04.publishing").exists()


def test_the_first_publication_undone_after_a_crash_leaves_no_folder(warehouse, tmp_path):
    final = tmp_path / "nightly" / AS_OF
    run = RunFolder(final, "run1")
    _write(run, {"c1.txt": "run1"})
    run.prepare("run1").apply()
    settle_folder(warehouse, final)  # run1 has no `publications` row: it never committed
    assert not os.path.lexists(final)


def test_an_unsettled_publication_blocks_the_next_one_rather_than_being_guessed(tmp_path):
    final = tmp_path / "nightly" / AS_OF
    _publish(final, "run1", {"c1.txt": "run1"})
    crashed = RunFolder(final, "run2")
    crashed.prepare("run2").apply()
    with pytest.raises(RuntimeError, match="not settled"):
        _publish(final, "run3", {"c1.txt": "run3"})
