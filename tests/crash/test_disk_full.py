"""A full output disk at any step of a nightly publishes nothing of that run: `main`'s marts,
the last `publications` row and the folder it names stay the previous run's, whole, and the
next run with space publishes.

The output folder is a small tmpfs (we run as root, and so does CI) with a ballast file that
leaves just the space for the run to fail at step k: while writing the k-th of its files (in
the order a run writes them) or the intent record of its commit. Where mounting is refused,
the tmpfs test skips saying why, and the same steps fail by an injected OSError(ENOSPC)
(fms.failpoints.fault) instead. The commit steps a full disk cannot fail (making the swap's
links, COMMIT failing after the folder was swapped) are injected always.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.nightly import nightly_refresh
from fms.failpoints import arrivals, fault
from fms.marts import NIGHTLY_MARTS
from tests.landing import COUNTRY, DELIVERY, LINE, case, fingerprint, write_batch

pytestmark = pytest.mark.usefixtures("prefect_harness")

AS_OF = date(2026, 11, 5)
PAGE = os.sysconf("SC_PAGE_SIZE")
DISK_SIZE = "64m"
NO_SPACE = "No space left on device"
INTENT_STEP = "intent record"
# Failpoints at the commit: its links made; the folder swapped (raising there = COMMIT failed).
COMMIT_STEPS = [("run_folder.prepared", 1), ("run_folder.swapped", 1)]
# Where a file or the Data Docs site is written (the N-th arrival: the N-th one).
WRITE_POINTS = ("atomic_path.written", "quality.docs_built")


def _landing(root: Path) -> Path:
    landing = root / "landing"
    write_batch(
        landing,
        "20261101-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE],
            "deliveries": [DELIVERY, DELIVERY | {"delivery_id": "D2", "quantity": "x"}],
        },
    )
    return landing


def _correct(landing: Path, n: int) -> None:
    """A batch that changes the marts but no file's size: D1's value, as many digits."""
    value = f"{1_000_000 + n + 1}.00"
    write_batch(
        landing, f"20261102-{n:02d}-daily", {"deliveries": [DELIVERY | {"delivered_value": value}]}
    )


def _night(landing: Path, warehouse: Path, out: Path) -> dict:
    return nightly_refresh(landing=landing, warehouse=warehouse, out=out, as_of=AS_OF)


def _published(warehouse: Path) -> dict:
    """What readers see: the marts, the last publication, every byte of the folder it names."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = {t: v for t, v in fingerprint(con).items() if t in NIGHTLY_MARTS}
        run_id, out_dir = con.execute(
            "SELECT run_id, out_dir FROM publications WHERE job = 'nightly' "
            "ORDER BY published_at DESC LIMIT 1"
        ).fetchone()
    folder = Path(out_dir)
    files = None
    if folder.is_dir():
        files = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*")
            if p.is_file()
        }
    return {"run": run_id, "marts": marts, "folder": folder, "files": files}


def _assert_whole(published: dict, out: Path) -> None:
    """The folder the publication names is the run's, whole: all its files, no part file."""
    assert published["folder"] == out / "nightly" / AS_OF.isoformat()
    files = published["files"]
    assert files is not None, f"{published['folder']} does not exist"
    assert {"dq_results.csv", "run_report.html", "data_docs/index.html"} <= files.keys()
    assert published["run"].encode() in files["dq_results.csv"]
    assert not [name for name in files if name.endswith(".part")]


def _text(exc: BaseException) -> str:
    parts = []
    while exc is not None:
        parts += [str(exc), *getattr(exc, "__notes__", [])]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def _next_run_publishes(landing: Path, warehouse: Path, out: Path, previous: dict) -> dict:
    _night(landing, warehouse, out)
    published = _published(warehouse)
    _assert_whole(published, out)
    assert published["run"] != previous["run"]
    assert published["marts"] != previous["marts"]  # the correction the failed run loaded
    return published


def _summary_posted_last() -> str:
    """The run whose figures the latest `nightly-run-summary` artifact shows."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-run-summary"]))
        )
    latest = max(artifacts, key=lambda a: a.created)
    return latest.data.split("Run `", 1)[1].split("`", 1)[0]


# --- the real disk ------------------------------------------------------------------------


def _mount_tmpfs(where: Path, size: str) -> str | None:
    """Mount a tmpfs at `where`; the reason if that is refused."""
    where.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0750", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError as exc:
        return f"mount cannot run: {exc}"
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], check=True, timeout=30)


@pytest.fixture(scope="module")
def tmpfs_refused(tmp_path_factory) -> str | None:
    probe = tmp_path_factory.mktemp("probe")
    refused = _mount_tmpfs(probe, "1m")
    if refused is None:
        _umount(probe)
    return refused


@pytest.fixture
def out_disk(tmp_path, tmpfs_refused) -> Iterator[Path]:
    if tmpfs_refused:
        pytest.skip(
            f"mounting a tmpfs is refused here ({tmpfs_refused}): "
            "test_a_fault_at_any_step injects the full disk instead"
        )
    disk = tmp_path / "out"
    assert _mount_tmpfs(disk, DISK_SIZE) is None
    try:
        yield disk
    finally:
        _umount(disk)


@dataclass(frozen=True)
class Step:
    name: str  # a file of the run folder, the Data Docs site, or the commit's intent record
    files: tuple[str, ...]
    pages: int


def _write_order(folder: Path) -> list[Step]:
    """The steps of a run, in the order it wrote them (the files' times), with the pages each
    took on the disk; the Data Docs site's files are one step."""
    files = sorted(
        (p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime_ns
    )
    steps: list[Step] = []
    for path in files:
        rel = path.relative_to(folder).as_posix()
        pages = -(-path.stat().st_blocks * 512 // PAGE)
        name = "data_docs" if rel.startswith("data_docs/") else rel
        if steps and steps[-1].name == name:
            last = steps.pop()
            steps.append(Step(name, (*last.files, rel), last.pages + pages))
        else:
            steps.append(Step(name, (rel,), pages))
    return [*steps, Step(INTENT_STEP, (), 1)]


def _space_for(steps: list[Step], k: int) -> int:
    """Free space that lets a run write steps 0..k-1 and fail inside step k."""
    return (sum(s.pages for s in steps[:k]) + steps[k].pages // 2) * PAGE


@contextmanager
def _ballast(disk: Path, leave: int) -> Iterator[None]:
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    assert free > leave, f"the test disk is too small: {free} bytes free, {leave} needed"
    path = disk / "ballast"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.posix_fallocate(fd, 0, free - leave)
    finally:
        os.close(fd)
    try:
        yield
    finally:
        path.unlink()


def _failed_at(out: Path, steps: list[Step]) -> str:
    """The step the failed run did not finish, from what its kept folder holds (removed then,
    as a person who read it would: failed folders are not pruned, and this disk is small)."""
    kept = _kept(out)
    try:
        return next((s.name for s in steps if not _done(kept, s)), INTENT_STEP)
    finally:
        shutil.rmtree(kept)


def _kept(out: Path) -> Path:
    (kept,) = (out / "nightly").glob(f"{AS_OF.isoformat()}.failed-*")
    return kept


def _done(kept: Path, step: Step) -> bool:
    if step.name == "data_docs":  # its pages are named by the time each suite ran
        built = [p for p in (kept / "data_docs").rglob("*") if p.is_file()]
        return (kept / "data_docs" / "index.html").is_file() and len(built) == len(step.files)
    return all((kept / f).is_file() for f in step.files)


def test_a_full_output_disk_at_any_step_publishes_nothing_and_the_next_run_publishes(
    tmp_path, out_disk
):
    landing, warehouse = _landing(tmp_path), tmp_path / "w.duckdb"
    _night(landing, warehouse, out_disk)
    previous = _published(warehouse)
    # One correction, loaded by the first run below: every later run has the same inputs and
    # writes the same files. The first fails at its commit, which gives their order and sizes;
    # it is also the injected test's first step (COMMIT_STEPS[0]), asserted here, not rerun there.
    _correct(landing, 0)
    point, nth = COMMIT_STEPS[0]
    with fault(point, OSError(errno.ENOSPC, NO_SPACE), nth), pytest.raises(OSError, match=NO_SPACE):
        _night(landing, warehouse, out_disk)
    assert _published(warehouse) == previous, f"a full disk at {point}:{nth}"
    assert not (out_disk / "nightly" / f".{AS_OF.isoformat()}.publishing").exists()
    assert _summary_posted_last() == previous["run"], "a failed run posted its figures"
    kept = _kept(out_disk)
    steps = _write_order(kept)
    shutil.rmtree(kept)
    failed_at = []
    for k in range(len(steps)):
        with _ballast(out_disk, _space_for(steps, k)), pytest.raises(Exception) as failure:
            _night(landing, warehouse, out_disk)
        assert NO_SPACE in _text(failure.value), _text(failure.value)
        assert _published(warehouse) == previous, f"disk full at step {k}, {steps[k].name}"
        assert not (out_disk / "nightly" / f".{AS_OF.isoformat()}.publishing").exists()
        assert _summary_posted_last() == previous["run"], "a failed run posted its figures"
        failed_at.append(_failed_at(out_disk, steps))
    assert failed_at == [s.name for s in steps]
    published = _next_run_publishes(landing, warehouse, out_disk, previous)
    assert _summary_posted_last() == published["run"]


# --- an injected full disk ----------------------------------------------------------------


def test_a_fault_at_any_step_of_publishing_publishes_nothing_and_the_next_run_publishes(
    tmp_path, tmpfs_refused
):
    landing, warehouse, out = _landing(tmp_path), tmp_path / "w.duckdb", tmp_path / "out"
    with arrivals() as seen:
        _night(landing, warehouse, out)
    previous = _published(warehouse)
    # Where the tmpfs test runs, its first failed run is the fault at COMMIT_STEPS[0].
    steps = list(COMMIT_STEPS if tmpfs_refused else COMMIT_STEPS[1:])
    if tmpfs_refused:  # the writes the tmpfs test fills the disk at
        counted: dict[str, int] = {}
        for name in seen:
            if name in WRITE_POINTS:
                counted[name] = counted.get(name, 0) + 1
                steps.append((name, counted[name]))
    for k, (point, nth) in enumerate(steps):
        _correct(landing, k)
        full = OSError(errno.ENOSPC, NO_SPACE)
        with fault(point, full, nth), pytest.raises(OSError, match=NO_SPACE):
            _night(landing, warehouse, out)
        assert _published(warehouse) == previous, f"a full disk at {point}:{nth}"
        assert not (out / "nightly" / f".{AS_OF.isoformat()}.publishing").exists()
        assert _summary_posted_last() == previous["run"], "a failed run posted its figures"
        previous = _next_run_publishes(landing, warehouse, out, previous)
        assert _summary_posted_last() == previous["run"]
