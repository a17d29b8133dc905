"""Hostile and broken files: each kind refuses its whole batch with an error naming the batch,
the file and the problem; nothing of the batch loads and every table is still there.

Each breaker gets the landing and the clean base batch folder (countries, cases, case_lines
of b1) and returns the file the error must name (None: the batch folder itself) and the words
of the problem.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fms.ingest.success_marker import MARKER
from fms.warehouse import connect
from tests.hostile.batches import (
    assert_nothing_loaded,
    assert_refused,
    base_batch,
    delivery,
    header,
    load_landing,
    record,
)

GOOD = record("deliveries", delivery("D1"))
Breaker = Callable[[Path, Path], tuple[str | None, str]]


def _deliveries(folder: Path, data: bytes, name: str = "deliveries.csv") -> None:
    (folder / name).write_bytes(data)


def _csv(head: str, *rows: str) -> bytes:
    return ("\n".join((head, *rows)) + "\n").encode()


def _parquet_table(**changes) -> pa.Table:
    columns = {c: [v] for c, v in delivery("D1").items()} | changes
    return pa.table(columns)


# --- wrong, missing, extra and repeated columns --------------------------------------------


def missing_column(landing: Path, folder: Path):
    head = header("deliveries").replace(",quantity", "")
    _deliveries(folder, _csv(head, GOOD.replace(",1,1000000.00", ",1000000.00")))
    return "deliveries.csv", "missing columns: quantity"


def extra_column(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries") + ",colour", GOOD + ",red"))
    return "deliveries.csv", "unexpected columns: 'colour'"


def misspelled_column(landing: Path, folder: Path):
    head = header("deliveries").replace("delivery_id", "delivery_Id")
    _deliveries(folder, _csv(head, GOOD))
    return "deliveries.csv", "missing columns: delivery_id; unexpected columns: 'delivery_Id'"


def header_in_upper_case(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries").upper(), GOOD))
    return "deliveries.csv", "unexpected columns: 'DELIVERY_ID'"


def repeated_header_name(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries") + ",case_id", GOOD + ",UK-D-AAA"))
    return "deliveries.csv", "repeated columns: 'case_id'"


def header_of_100000_columns(landing: Path, folder: Path):
    head = header("deliveries") + "".join(f",c{i}" for i in range(100_000))
    _deliveries(folder, _csv(head, GOOD))
    # Not a list of 100,000 names, nor names cut at a buffer's end.
    return "deliveries.csv", "the header row is longer than 64 KiB"


def row_of_100000_fields(landing: Path, folder: Path):
    # DuckDB would spend about a minute on this one line (and hours on a 1 MB one).
    _deliveries(folder, _csv(header("deliveries"), GOOD, GOOD + ",x" * 100_000))
    return "deliveries.csv", "line 3 holds more than 2,500 commas"


def many_unexpected_columns(landing: Path, folder: Path):
    head = header("deliveries") + "".join(f",c{i}" for i in range(500))
    _deliveries(folder, _csv(head, GOOD))
    return "deliveries.csv", "'c9' and 490 more"


def header_with_rich_markup(landing: Path, folder: Path):
    # The message quotes the name as given: a console must not read it as markup.
    _deliveries(folder, _csv(header("deliveries") + ",[/x]", GOOD + ",1"))
    return "deliveries.csv", "unexpected columns: '[/x]'"


def header_with_terminal_escape(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries") + ",\x1b[2J", GOOD + ",1"))
    return "deliveries.csv", r"unexpected columns: '\x1b[2J'"  # shown escaped, never raw


# --- empty, encodings, delimiters, line ends --------------------------------------------------


def empty_file(landing: Path, folder: Path):
    _deliveries(folder, b"")
    return "deliveries.csv", "empty file: no header row"


def only_a_bom(landing: Path, folder: Path):
    _deliveries(folder, b"\xef\xbb\xbf")
    return "deliveries.csv", "empty file: no header row"


def only_a_line_end(landing: Path, folder: Path):
    _deliveries(folder, b"\n")
    return "deliveries.csv", "missing columns: delivery_id, case_id"


def header_not_utf8(landing: Path, folder: Path):
    _deliveries(folder, header("deliveries").replace("price", "pr\xefce").encode("latin-1"))
    return "deliveries.csv", "the header row is not UTF-8 text"


def utf16_file(landing: Path, folder: Path):
    _deliveries(folder, (header("deliveries") + "\n" + GOOD + "\n").encode("utf-16"))
    return "deliveries.csv", "the header row is not UTF-8 text"


def semicolon_delimited(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries", ";"), GOOD.replace(",", ";")))
    return "deliveries.csv", "unexpected columns: 'delivery_id;case_id;line_number;shipment'"


def tab_delimited(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries", "\t"), GOOD.replace(",", "\t")))
    return "deliveries.csv", r"unexpected columns: 'delivery_id\tcase_id"


def old_mac_cr_line_ends(landing: Path, folder: Path):
    _deliveries(folder, (header("deliveries") + "\r" + GOOD + "\r").encode())
    # CR alone ends no line: all of it is the header (LF, CRLF and both load: test_record_edges).
    return "deliveries.csv", "the header row holds a carriage return (CR) that does not end it"


# --- Parquet ----------------------------------------------------------------------------------


def parquet_of_0_bytes(landing: Path, folder: Path):
    _deliveries(folder, b"", "deliveries.parquet")
    return "deliveries.parquet", "not a readable Parquet file"


def parquet_missing_column(landing: Path, folder: Path):
    pq.write_table(_parquet_table().drop_columns(["price_code"]), folder / "deliveries.parquet")
    return "deliveries.parquet", "missing columns: price_code"


def parquet_repeated_column(landing: Path, folder: Path):
    table = _parquet_table()
    table = table.append_column("case_id", pa.array(["UK-D-AAA"]))
    pq.write_table(table, folder / "deliveries.parquet")
    return "deliveries.parquet", "repeated columns: 'case_id'"


def csv_text_named_parquet(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries"), GOOD), "deliveries.parquet")
    return "deliveries.parquet", "not a readable Parquet file"


def parquet_bytes_named_csv(landing: Path, folder: Path):
    pq.write_table(_parquet_table(), folder / "x.parquet")
    (folder / "x.parquet").rename(folder / "deliveries.csv")
    # Its first "line" happens to decode: judged as a header of binary names, shown escaped.
    return "deliveries.csv", "no header row"


def csv_and_parquet_for_one_entity(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries"), GOOD))
    pq.write_table(_parquet_table(), folder / "deliveries.parquet")
    return "deliveries.csv and deliveries.parquet", "both a CSV and a Parquet file"


# --- path tricks --------------------------------------------------------------------------


def _outside(landing: Path) -> Path:
    outside = landing.parent / "outside"
    outside.mkdir(exist_ok=True)
    return outside


def link_to_a_file_outside_the_landing(landing: Path, folder: Path):
    secret = _outside(landing) / "deliveries.csv"
    secret.write_bytes(_csv(header("deliveries"), GOOD))
    (folder / "deliveries.csv").symlink_to(secret)
    return "deliveries.csv", "not a regular file (folders and links are refused)"


def batch_folder_linked_outside_the_landing(landing: Path, folder: Path):
    target = _outside(landing) / "b1"
    folder.rename(target)
    (landing / "b1").symlink_to(target, target_is_directory=True)
    return None, "the batch folder is a link"


def subfolder_named_like_a_file(landing: Path, folder: Path):
    (folder / "deliveries.csv").mkdir()
    return "deliveries.csv", "not a regular file"


def file_name_with_a_trailing_dot(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries"), GOOD), "deliveries.csv.")
    return "deliveries.csv.", "unknown file"


def file_name_in_upper_case(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries"), GOOD), "Deliveries.CSV")
    return "Deliveries.CSV", "unknown file"


def hidden_file(landing: Path, folder: Path):
    _deliveries(folder, b"x", ".deliveries.csv")
    return ".deliveries.csv", "unknown file"


def file_name_with_a_line_break(landing: Path, folder: Path):
    _deliveries(folder, _csv(header("deliveries"), GOOD), "deliveries\n.csv")
    return "deliveries\n.csv", "unknown file"


def _rename_batch(folder: Path, name: str | bytes) -> None:
    os.rename(folder, os.path.join(os.fsencode(folder.parent), os.fsencode(name)))


def batch_folder_name_with_spaces(landing: Path, folder: Path):
    _rename_batch(folder, "batch 1")
    return None, "batch folder name must be letters, digits, . _ -"


def batch_folder_name_carrying_sql(landing: Path, folder: Path):
    _rename_batch(folder, "b1';DROP TABLE batches;--")
    return None, "batch folder name must be letters, digits, . _ -"


def batch_folder_name_not_utf8(landing: Path, folder: Path):
    _rename_batch(folder, b"b\xff1")
    return None, "batch folder name must be letters, digits, . _ -"


# --- the `_SUCCESS` marker and its listing ---------------------------------------------------
# The base batch holds one record in each of countries.csv, cases.csv and case_lines.csv.


def _listing(folder: Path, **rows: int) -> str:
    """A listing of the folder's data files as written (`rows`: other counts by file stem)."""
    lines = [
        f"{p.name},{hashlib.sha256(p.read_bytes()).hexdigest()},{rows.get(p.stem, 1)}"
        for p in sorted(folder.iterdir())
        if p.name != MARKER
    ]
    return "\n".join(lines) + "\n"


def _marker(folder: Path, data: bytes | str) -> None:
    (folder / MARKER).write_bytes(data.encode() if isinstance(data, str) else data)


def success_marker_is_a_folder(landing: Path, folder: Path):
    (folder / MARKER).unlink()
    (folder / MARKER).mkdir()
    return MARKER, "not a regular file (folders and links are refused)"


def success_marker_is_a_link(landing: Path, folder: Path):
    listing = _outside(landing) / "listing"
    listing.write_text(_listing(folder))
    (folder / MARKER).unlink()
    (folder / MARKER).symlink_to(listing)
    return MARKER, "not a regular file (folders and links are refused)"


def success_marker_is_a_fifo(landing: Path, folder: Path):
    (folder / MARKER).unlink()
    os.mkfifo(folder / MARKER)  # opening it to read must not hang the run
    return MARKER, "not a regular file"


def success_marker_of_a_megabyte(landing: Path, folder: Path):
    _marker(folder, _listing(folder) + "\n" * (1 << 20))
    return MARKER, "larger than 64 KiB"


def success_marker_not_utf8(landing: Path, folder: Path):
    _marker(folder, b"countries.csv,\xff\xfe,1\n")
    return MARKER, "not UTF-8 text"


def success_marker_line_not_a_listing(landing: Path, folder: Path):
    _marker(folder, _listing(folder) + "deliveries.csv,not-a-checksum,1\n")
    return MARKER, "line 4 is not `file,sha256,rows`"


def success_marker_listing_a_file_twice(landing: Path, folder: Path):
    listing = _listing(folder)
    _marker(folder, listing + listing.splitlines()[0])
    return MARKER, "line 4 lists 'case_lines.csv' a second time"


def success_marker_listing_a_path(landing: Path, folder: Path):
    _marker(folder, "../b2/countries.csv," + "0" * 64 + ",1\n")
    return MARKER, "line 1 does not name a file of the batch"


def success_listing_a_file_not_sent(landing: Path, folder: Path):
    _marker(folder, _listing(folder) + "deliveries.csv," + "0" * 64 + ",1\n")
    return "deliveries.csv", f"listed in {MARKER} but not in the batch folder"


def success_listing_that_leaves_a_file_out(landing: Path, folder: Path):
    _marker(folder, "".join(_listing(folder).splitlines(keepends=True)[1:]))
    return "case_lines.csv", f"in the batch folder but not listed in {MARKER}"


def file_changed_after_its_listing(landing: Path, folder: Path):
    _marker(folder, _listing(folder))
    with (folder / "cases.csv").open("a") as fh:
        fh.write("UK-D-AAB,UK,D,AAB,IMPLEMENTED,,,,CASH_PRIOR_TO_DELIVERY,,false,false,\n")
    return "cases.csv", f"its SHA-256 is not the one {MARKER} lists"


def file_holding_other_records_than_listed(landing: Path, folder: Path):
    # Found when the file has loaded: countries.csv has loaded before it, and is rolled back.
    _marker(folder, _listing(folder, cases=2))
    return "cases.csv", f"it holds 1 data record(s) where {MARKER} lists 2"


BREAKERS: list[Breaker] = [
    missing_column,
    extra_column,
    misspelled_column,
    header_in_upper_case,
    repeated_header_name,
    header_of_100000_columns,
    row_of_100000_fields,
    many_unexpected_columns,
    header_with_rich_markup,
    header_with_terminal_escape,
    empty_file,
    only_a_bom,
    only_a_line_end,
    header_not_utf8,
    utf16_file,
    semicolon_delimited,
    tab_delimited,
    old_mac_cr_line_ends,
    parquet_of_0_bytes,
    parquet_missing_column,
    parquet_repeated_column,
    csv_text_named_parquet,
    parquet_bytes_named_csv,
    csv_and_parquet_for_one_entity,
    link_to_a_file_outside_the_landing,
    batch_folder_linked_outside_the_landing,
    subfolder_named_like_a_file,
    file_name_with_a_trailing_dot,
    file_name_in_upper_case,
    hidden_file,
    file_name_with_a_line_break,
    batch_folder_name_with_spaces,
    batch_folder_name_carrying_sql,
    batch_folder_name_not_utf8,
    success_marker_is_a_folder,
    success_marker_is_a_link,
    success_marker_is_a_fifo,
    success_marker_of_a_megabyte,
    success_marker_not_utf8,
    success_marker_line_not_a_listing,
    success_marker_listing_a_file_twice,
    success_marker_listing_a_path,
    success_listing_a_file_not_sent,
    success_listing_that_leaves_a_file_out,
    file_changed_after_its_listing,
    file_holding_other_records_than_listed,
]


@pytest.mark.parametrize("breaker", BREAKERS, ids=[b.__name__ for b in BREAKERS])
def test_a_broken_file_refuses_its_batch_naming_the_file_and_the_problem(tmp_path, breaker):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    file, problem = breaker(landing, folder)
    with connect(tmp_path / "w.duckdb") as con:
        outcome = load_landing(con, landing)
        batch_name = os.listdir(landing)[0]
        assert_refused(outcome, file, problem, batch=batch_name)
        assert_nothing_loaded(con)
    # The message is one printable line: names from the input are quoted and escaped.
    message = str(outcome.error)
    assert message.isprintable(), message
    assert len(message) < 1_000


def test_a_refused_batch_loads_once_its_file_is_fixed(tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    semicolon_delimited(landing, folder)
    with connect(tmp_path / "w.duckdb") as con:
        assert load_landing(con, landing).error is not None
        (folder / "deliveries.csv").write_bytes(_csv(header("deliveries"), GOOD))
        outcome = load_landing(con, landing)
        assert outcome.error is None and outcome.entity("deliveries").rows_loaded == 1
