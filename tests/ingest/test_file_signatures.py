"""A loaded batch is known unchanged by its files' signatures, without reading them; any sign
of a change falls back to the checksums, so changed content is still refused
(fms.ingest.file_signatures), on real files and a real DuckDB file."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

from fms.ingest import batch_files, file_signatures
from fms.ingest.batch_files import BatchFileError
from fms.ingest.file_signatures import checksum_with_signature
from fms.ingest.load_batch import is_new_batch, load_new_batches
from fms.regular_files import NotARegularFile
from fms.warehouse import connect
from tests.landing import COUNTRY, DELIVERY, LINE, case, fingerprint, write_batch

LOAD_DATE = date(2026, 11, 22)
FILES = ["countries.csv", "cases.csv", "case_lines.csv", "deliveries.csv"]
# Tests wait this long after writing files instead of the 2 s of RACY_SECONDS: Linux file
# times move in clock ticks (a few milliseconds), well inside it.
RACY_SECONDS = 0.05


@pytest.fixture
def settle(monkeypatch):
    monkeypatch.setattr(file_signatures, "RACY_SECONDS", RACY_SECONDS)
    return lambda: time.sleep(2 * RACY_SECONDS)


def write_b1(landing: Path) -> Path:
    return write_batch(
        landing,
        "b1",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE],
            "deliveries": [DELIVERY],
        },
    )


@pytest.fixture
def loaded(tmp_path, settle):
    """Batch b1, loaded once its files had settled: their signatures are recorded."""
    landing = tmp_path / "landing"
    folder = write_b1(landing)
    settle()
    with connect(tmp_path / "w.duckdb") as con:
        load_new_batches(con, landing, LOAD_DATE)
        yield con, landing, folder


@pytest.fixture
def checksummed(monkeypatch) -> list[str]:
    """The names of the files checksummed from now on (the real checksum still runs)."""
    names: list[str] = []
    real = batch_files.checksum_with_signature

    def counting(path: Path, checksum):
        names.append(path.name)
        return real(path, checksum)

    monkeypatch.setattr(batch_files, "checksum_with_signature", counting)
    return names


def test_the_signature_of_every_file_is_recorded_with_the_checksum_it_loaded_with(loaded):
    con, _, folder = loaded
    rows = con.execute(
        "SELECT s.file, s.size, s.sha256 = l.file_sha256 FROM batch_file_signatures AS s "
        "JOIN load_log AS l ON l.batch = s.batch AND l.file = s.file ORDER BY s.file"
    ).fetchall()
    assert rows == [(name, (folder / name).stat().st_size, True) for name in sorted(FILES)]


def test_an_unchanged_loaded_batch_is_not_new_and_none_of_its_files_is_read(loaded, checksummed):
    con, landing, folder = loaded
    before = fingerprint(con)
    assert is_new_batch(con, folder) is False
    assert [r.status for r in load_new_batches(con, landing, LOAD_DATE)] == ["skipped"]
    assert checksummed == []
    assert fingerprint(con) == before


def test_content_rewritten_to_the_same_size_under_the_old_mtime_is_still_refused(loaded):
    con, _, folder = loaded
    path = folder / "deliveries.csv"
    old = path.stat()
    path.write_text(path.read_text().replace("1000000.00", "1000000.01"))
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))  # the change time still moves
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    before = fingerprint(con)
    with pytest.raises(BatchFileError, match=r"deliveries\.csv \(content changed\)"):
        is_new_batch(con, folder)
    assert fingerprint(con) == before


def test_a_touched_file_is_checksummed_once_then_known_by_its_new_signature(
    loaded, checksummed, settle
):
    con, _, folder = loaded
    os.utime(folder / "cases.csv")
    settle()
    before = fingerprint(con)
    assert is_new_batch(con, folder) is False
    assert sorted(checksummed) == sorted(FILES)
    checksummed.clear()
    assert is_new_batch(con, folder) is False  # the signatures were recorded anew
    assert checksummed == []
    assert fingerprint(con) == before  # the data did not change


def test_a_file_replaced_by_a_link_to_the_same_content_is_refused(loaded, tmp_path):
    con, _, folder = loaded
    kept = tmp_path / "elsewhere.csv"
    shutil.copyfile(folder / "cases.csv", kept)
    (folder / "cases.csv").unlink()
    (folder / "cases.csv").symlink_to(kept)
    with pytest.raises(BatchFileError, match="not a regular file"):
        is_new_batch(con, folder)


def test_a_file_added_to_a_loaded_batch_is_refused(loaded):
    con, _, folder = loaded
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(BatchFileError, match="notes.txt"):
        is_new_batch(con, folder)


def test_a_copy_of_the_landing_has_other_inodes_so_its_checksums_are_compared(
    loaded, checksummed, tmp_path
):
    con, landing, _ = loaded
    copy = tmp_path / "copied"
    shutil.copytree(landing, copy, copy_function=shutil.copy2)  # contents and mtimes kept
    assert is_new_batch(con, copy / "b1") is False
    assert sorted(checksummed) == sorted(FILES)


def test_files_that_changed_just_before_they_loaded_get_no_signature(tmp_path, checksummed):
    landing = tmp_path / "landing"
    folder = write_b1(landing)  # loaded at once: inside the 2 s window
    with connect(tmp_path / "w.duckdb") as con:
        load_new_batches(con, landing, LOAD_DATE)
        assert con.execute("SELECT count(*) FROM batch_file_signatures").fetchone() == (0,)
        checksummed.clear()
        assert is_new_batch(con, folder) is False
    assert sorted(checksummed) == sorted(FILES)


def test_a_file_that_changes_while_it_is_checksummed_gets_no_signature(tmp_path, settle):
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n")
    settle()

    def checksum_while_appending(fh) -> str:
        digest = batch_files.sha256_of_file(fh)
        with path.open("a") as out:
            out.write("3,4\n")
        return digest

    assert checksum_with_signature(path, checksum_while_appending)[1] is None
    assert checksum_with_signature(path, batch_files.sha256_of_file)[1] is None  # just changed
    settle()
    digest, signature = checksum_with_signature(path, batch_files.sha256_of_file)
    assert signature is not None and digest == batch_files.sha256_of(path)


def test_a_file_replaced_by_a_link_after_the_folder_was_listed_is_not_read_through_it(
    tmp_path,
):
    target = tmp_path / "target.csv"
    target.write_text("a,b\n1,2\n")
    link = tmp_path / "deliveries.csv"
    link.symlink_to(target)
    with pytest.raises(NotARegularFile):
        checksum_with_signature(link, batch_files.sha256_of_file)
