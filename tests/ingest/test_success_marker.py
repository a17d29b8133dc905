"""The `_SUCCESS` protocol: a batch loads only once its folder holds `_SUCCESS`; until then it
waits (not an error) and every new batch after it waits behind it; a listing in the marker is
what loads. (Markers and listings that refuse their batch: tests/hostile/test_hostile_files.py.)
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from prefect.logging import disable_run_logger

from fms.ingest.batch_files import read_new_batch
from fms.ingest.success_marker import MARKER
from fms.warehouse import connect
from tasks.ingest import FoundBatches, find_new_batches, load_one_batch
from tests.hostile.batches import LOAD_DATE, base_batch, delivery, header, load_landing, record
from tests.landing import write_batch

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
# The story: requirements_forecasts.csv read while its sender was still writing it,
# cut inside the termination liability of its one record.
HEADER = header("requirements_forecasts")
CUT = "UK-D-AAA,2027-01-01,5000.00,123"
WHOLE = "UK-D-AAA,2027-01-01,5000.00,12345.67\n"


def _half_written(landing: Path) -> Path:
    folder = landing / "b2"
    folder.mkdir(parents=True)
    (folder / "requirements_forecasts.csv").write_text(f"{HEADER}\n{CUT}")
    return folder


def _complete(folder: Path, marker: str | None = None) -> None:
    """The sender finishes the file, then writes `_SUCCESS` listing it."""
    path = folder / "requirements_forecasts.csv"
    path.write_text(f"{HEADER}\n{WHOLE}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / MARKER).write_text(marker or f"file,sha256,rows\n{path.name},{digest},1\n")


def _statuses(outcome) -> list[tuple[str, str]]:
    return [(r.batch, r.status) for r in outcome.results]


def _forecasts(con) -> list[tuple]:
    return con.execute(
        "SELECT batch, forecast_amount, termination_liability FROM requirements_forecasts_history"
    ).fetchall()


def test_a_half_written_file_waits_for_success_then_loads_whole(tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing)
    folder = _half_written(landing)
    with connect(tmp_path / "w.duckdb") as con:
        for first in ("loaded", "skipped"):  # night after night, until the sender is done
            outcome = load_landing(con, landing)
            assert _statuses(outcome) == [("b1", first), ("b2", "waiting")]
            assert _forecasts(con) == []
            assert con.execute("SELECT count(*) FROM load_log WHERE batch = 'b2'").fetchone() == (
                0,
            )
            assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
        _complete(folder)
        assert _statuses(load_landing(con, landing)) == [("b1", "skipped"), ("b2", "loaded")]
        assert _forecasts(con) == [("b2", Decimal("5000.00"), Decimal("12345.67"))]


def test_the_nightly_find_step_names_a_half_written_batch_waiting_then_loads_it_whole(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    base_batch(landing)
    folder = _half_written(landing)
    with disable_run_logger():
        assert find_new_batches.fn(warehouse, landing) == FoundBatches(["b1"], ["b2"])
        load_one_batch.fn(warehouse, landing, "b1", LOAD_DATE)
        assert find_new_batches.fn(warehouse, landing) == FoundBatches([], ["b2"])
        _complete(folder)
        assert find_new_batches.fn(warehouse, landing) == FoundBatches(["b2"], [])
        result = load_one_batch.fn(warehouse, landing, "b2", LOAD_DATE)
    assert [(e["entity"], e["rows_loaded"]) for e in result["entities"]] == [
        ("requirements_forecasts", 1)
    ]
    with connect(warehouse) as con:
        assert _forecasts(con) == [("b2", Decimal("5000.00"), Decimal("12345.67"))]


def test_new_batches_after_a_waiting_one_wait_behind_it(tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing)
    write_batch(landing, "b2", {"deliveries": [delivery("D2")]}, complete=False)
    write_batch(landing, "b3", {"deliveries": [delivery("D3")]})  # complete
    with connect(tmp_path / "w.duckdb") as con:
        outcome = load_landing(con, landing)
        assert _statuses(outcome) == [("b1", "loaded"), ("b2", "waiting"), ("b3", "waiting")]
        assert con.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
        (landing / "b2" / MARKER).touch()
        outcome = load_landing(con, landing)
        assert _statuses(outcome) == [("b1", "skipped"), ("b2", "loaded"), ("b3", "loaded")]
        order = con.execute("SELECT batch FROM batches ORDER BY batch_seq").fetchall()
        assert order == [("b1",), ("b2",), ("b3",)]


def test_a_hidden_folder_is_no_batch_and_holds_none_back(tmp_path):
    """A batch written in a hidden folder and renamed when done, or a file system's
    `.snapshot`, sorts before every batch name: it must not make them all wait."""
    landing = tmp_path / "landing"
    base_batch(landing)
    write_batch(landing, ".b2.writing", {"deliveries": [delivery("D2")]}, complete=False)
    write_batch(landing, "..b3", {"deliveries": [delivery("D3")]})  # complete, still hidden
    (landing / ".snapshot").mkdir()
    (landing / "...").mkdir()
    with connect(tmp_path / "w.duckdb") as con:
        assert _statuses(load_landing(con, landing)) == [("b1", "loaded")]


def test_a_folder_no_batch_may_be_named_so_is_refused_even_without_success(tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing)
    write_batch(landing, "b 2", {"deliveries": [delivery("D2")]}, complete=False)
    with connect(tmp_path / "w.duckdb") as con:
        outcome = load_landing(con, landing)
    assert "batch folder name must be letters, digits" in str(outcome.error)


def test_success_is_not_a_file_of_a_loaded_batch(tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    with connect(tmp_path / "w.duckdb") as con:
        load_landing(con, landing)
        (files,) = con.execute("SELECT files FROM batches").fetchone()
        assert sorted(json.loads(files)) == ["case_lines.csv", "cases.csv", "countries.csv"]
        (folder / MARKER).write_text("rewritten after the load\n")
        assert _statuses(load_landing(con, landing)) == [("b1", "skipped")]
        (folder / MARKER).unlink()
        assert _statuses(load_landing(con, landing)) == [("b1", "skipped")]


def _listed(path: Path, rows: int = 1) -> tuple[str, str, str]:
    return path.name, hashlib.sha256(path.read_bytes()).hexdigest(), str(rows)


LISTINGS = {
    "with_a_header": lambda lines: "file,sha256,rows\n" + "".join(f"{x}\n" for x in lines),
    "without_a_header": lambda lines: "".join(f"{x}\n" for x in lines),
    "crlf_line_ends_and_blank_lines": lambda lines: "\r\n\r\n".join(lines) + "\r\n\r\n",
    "no_line_end_at_the_end": lambda lines: "\n".join(lines),
    "spaces_around_fields": lambda lines: "\n".join(" , ".join(x.split(",")) for x in lines),
    "upper_case_checksums_and_header": lambda lines: (
        "FILE,SHA256,ROWS\n"
        + "\n".join(x.replace(x.split(",")[1], x.split(",")[1].upper()) for x in lines)
    ),
    "bom": lambda lines: "\ufefffile,sha256,rows\n" + "\n".join(lines),
}


@pytest.mark.parametrize("form", LISTINGS)
def test_a_listing_in_any_of_its_forms_lets_its_batch_load(tmp_path, form):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    lines = [",".join(_listed(p)) for p in sorted(folder.glob("*.csv"))]
    (folder / MARKER).write_text(LISTINGS[form](lines), newline="")
    with connect(tmp_path / "w.duckdb") as con:
        outcome = load_landing(con, landing)
        assert outcome.error is None, outcome.error
        assert _statuses(outcome) == [("b1", "loaded")]


def test_listed_rows_count_data_records_not_lines(tmp_path):
    # A blank line is no record; a quoted line break does not end one: 2 records on 6 lines.
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    path = folder / "deliveries.csv"
    broken_id = record("deliveries", delivery("D2\nx"))  # quoted, and quarantined BAD_ID
    path.write_text(
        f"{header('deliveries')}\n\n{record('deliveries', delivery('D1'))}\n{broken_id}\n\n"
    )
    listing = [",".join(_listed(p)) for p in sorted(folder.glob("*.csv")) if p != path]
    (folder / MARKER).write_text("\n".join([*listing, ",".join(_listed(path, rows=2))]))
    with connect(tmp_path / "w.duckdb") as con:
        outcome = load_landing(con, landing)
        assert outcome.error is None, outcome.error
        loads = outcome.entity("deliveries")
        assert (loads.rows_read, loads.rows_loaded, loads.rows_quarantined) == (2, 1, 1)


def test_the_bundled_sample_batches_are_complete_and_listed_as_the_manifest_says():
    manifest = json.loads((SAMPLE / "manifest.json").read_text())
    for spec in manifest["batches"]:
        folder = SAMPLE / "landing" / spec["name"]
        batch = read_new_batch(folder, scan_lines=False)  # names and checksums as listed
        assert dict(batch.listed_rows) == {n: f["rows"] for n, f in spec["files"].items()}
