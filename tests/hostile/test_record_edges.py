"""CSV records at the edges: fields of any size up to the file's end, LF and CRLF line ends
mixed in one file, a carriage return that ends no line. Every record is loaded or quarantined
and keeps its own number; the records around it load.

The small kinds share one landing (a batch each, `k-<kind>`, beside a clean base batch), loaded
once for the module through the real `load_new_batches` on a real DuckDB file; the large fields
each load their own. `load_landing` checks the books after every load: read = loaded +
quarantined for every file, in rows and dollars, and no amount rounded.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fms.warehouse import connect
from tests.hostile.batches import (
    assert_refused,
    base_batch,
    delivery,
    header,
    load_landing,
    record,
)
from tests.landing import LINE, mark_complete

HEADER = header("deliveries").encode()


def good(n: int) -> bytes:
    return record("deliveries", delivery(f"D{n}")).encode()


def lines(*records: bytes, ends: tuple[bytes, ...] = (b"\n",)) -> bytes:
    """The header and `records`, the k-th line ending in ends[k % len(ends)]."""
    every = (HEADER, *records)
    return b"".join(r + ends[k % len(ends)] for k, r in enumerate(every))


KINDS: dict[str, tuple[str, bytes]] = {}  # kind -> (file name, content)


def batch_of(kind: str) -> str:
    return f"k-{kind}"


def _register(kind: str, content: bytes, file: str = "deliveries.csv") -> None:
    assert kind not in KINDS, kind
    KINDS[kind] = (file, content)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    root = tmp_path_factory.mktemp("record_edges")
    landing = root / "landing"
    base_batch(landing, "a-base")
    for kind, (file, content) in KINDS.items():
        folder = landing / batch_of(kind)
        folder.mkdir(parents=True)
        (folder / file).write_bytes(content)
        mark_complete(folder)
    with connect(root / "w.duckdb") as c:
        outcome = load_landing(c, landing)  # checks the books and the tables
        assert outcome.error is None, outcome.error
        yield c


def quarantined_in(con, kind: str) -> list[tuple]:
    return con.execute(
        'SELECT row_number, reason_code, reason, "row" FROM quarantine WHERE batch = $b '
        "ORDER BY row_number",
        {"b": batch_of(kind)},
    ).fetchall()


def loaded_in(con, kind: str, entity: str = "deliveries", key: str = "delivery_id") -> list:
    return con.execute(
        f"SELECT {key}, source_row FROM {entity}_history WHERE batch = $b ORDER BY source_row",
        {"b": batch_of(kind)},
    ).fetchall()


def logged_in(con, kind: str) -> tuple:
    return con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM load_log WHERE batch = $b",
        {"b": batch_of(kind)},
    ).fetchone()


# --- line ends: LF, CRLF, both ----------------------------------------------------------------

LINE_ENDS = {
    "lf_line_ends": lines(good(1), good(2), good(3)),
    "crlf_line_ends": lines(good(1), good(2), good(3), ends=(b"\r\n",)),
    "crlf_header_then_lf": lines(good(1), good(2), good(3), ends=(b"\r\n", b"\n", b"\n", b"\n")),
    "lf_then_crlf_last_line": lines(good(1), good(2), good(3), ends=(b"\n", b"\n", b"\n", b"\r\n")),
    "lf_and_crlf_alternating": lines(good(1), good(2), good(3), ends=(b"\n", b"\r\n")),
    "crlf_and_no_line_end_at_the_end": lines(good(1), good(2), good(3), ends=(b"\r\n",))[:-2],
}
for _kind, _content in LINE_ENDS.items():
    _register(_kind, _content)


@pytest.mark.parametrize("kind", LINE_ENDS)
def test_records_ending_in_lf_or_crlf_mixed_in_a_file_all_load(con, kind):
    assert quarantined_in(con, kind) == []
    assert loaded_in(con, kind) == [("D1", 1), ("D2", 2), ("D3", 3)]
    assert logged_in(con, kind) == (3, 3, 0)


# Blank lines (LF or CRLF) are no records; malformed records keep their numbers among them.
_register(
    "blank_lines_and_malformed_records_in_mixed_line_ends",
    lines(
        good(1),
        b"",
        good(2) + b",x",
        b"",
        good(3),
        b"",
        b"",
        b"D4,UK-D-AAA",
        good(5),
        ends=(b"\r\n", b"\n", b"\n", b"\r\n"),
    ),
)


def test_blank_lines_in_mixed_line_ends_do_not_shift_record_numbers(con):
    kind = "blank_lines_and_malformed_records_in_mixed_line_ends"
    assert [q[:2] for q in quarantined_in(con, kind)] == [
        (2, "MALFORMED_ROW"),
        (4, "MALFORMED_ROW"),
    ]
    assert loaded_in(con, kind) == [("D1", 1), ("D3", 3), ("D5", 5)]
    assert logged_in(con, kind) == (5, 3, 2)


# --- a carriage return that ends no line --------------------------------------------------------

STRAY = good(2).replace(b"UK-D-AAA", b"UK-D\rAAA")
STRAY_CR = {
    "stray_cr_in_an_lf_file": lines(good(1), STRAY, good(3)),
    "stray_cr_in_a_crlf_file": lines(good(1), STRAY, good(3), ends=(b"\r\n",)),
    "stray_cr_before_a_crlf": lines(good(1), good(2) + b"\r", good(3), ends=(b"\r\n",)),
}
for _kind, _content in STRAY_CR.items():
    _register(_kind, _content)


@pytest.mark.parametrize("kind", STRAY_CR)
def test_a_stray_cr_quarantines_its_record_only_named_by_file_and_number(con, kind):
    ((number, code, reason, row),) = quarantined_in(con, kind)
    assert (number, code) == (2, "MALFORMED_ROW")
    assert "stray carriage return" in reason
    assert "\r" in json.loads(row)["csv_line"]  # the record as given, for the sender
    assert loaded_in(con, kind) == [("D1", 1), ("D3", 3)]
    assert logged_in(con, kind) == (3, 2, 1)


# A CR alone ends no record (the contract: LF or CRLF): what follows it is the same record.
CR_ONLY = {
    "cr_only_line_end_in_the_middle": (
        HEADER + b"\n" + good(1) + b"\r" + good(2) + b"\n" + good(3) + b"\n",
        [(1, "MALFORMED_ROW")],
        [("D3", 2)],
    ),
    "cr_only_line_end_at_the_end": (
        lines(good(1), good(2))[:-1] + b"\r",
        [(2, "MALFORMED_ROW")],
        [("D1", 1)],
    ),
}
for _kind, (_content, _, _) in CR_ONLY.items():
    _register(_kind, _content)


@pytest.mark.parametrize("kind", CR_ONLY)
def test_a_cr_only_line_end_is_a_stray_cr_in_one_record(con, kind):
    _, bad, loaded = CR_ONLY[kind]
    assert [q[:2] for q in quarantined_in(con, kind)] == bad
    assert all("stray carriage return" in q[2] for q in quarantined_in(con, kind))
    assert loaded_in(con, kind) == loaded


QUOTED_CR = 'F-16\rfighter, "block 70"\r\nblock 72'
_QUOTED = record("case_lines", LINE | {"line_number": "2", "description": QUOTED_CR}).encode()
_LINE3 = record("case_lines", LINE | {"line_number": "3"}).encode()
_LINES_HEADER = header("case_lines").encode()
CR_IN_QUOTES = {
    "cr_in_quotes_in_an_lf_file": _LINES_HEADER + b"\n" + _QUOTED + b"\n" + _LINE3 + b"\n",
    "cr_in_quotes_in_a_crlf_file": _LINES_HEADER + b"\r\n" + _QUOTED + b"\r\n" + _LINE3 + b"\r\n",
    "cr_in_quotes_in_a_mixed_file": _LINES_HEADER + b"\r\n" + _QUOTED + b"\n" + _LINE3 + b"\r\n",
}
for _kind, _content in CR_IN_QUOTES.items():
    _register(_kind, _content, "case_lines.csv")


@pytest.mark.parametrize("kind", CR_IN_QUOTES)
def test_a_cr_inside_a_quoted_field_is_data(con, kind):
    assert quarantined_in(con, kind) == []
    got = con.execute(
        "SELECT line_number, description, source_row FROM case_lines_history WHERE batch = $b "
        "ORDER BY source_row",
        {"b": batch_of(kind)},
    ).fetchall()
    assert got == [(2, QUOTED_CR, 1), (3, "aircraft", 2)]


# --- quotes as DuckDB reads them ----------------------------------------------------------------

_register(
    "quote_inside_an_unquoted_field",
    lines(
        good(1).replace(b"D1", b'D1-5"'),  # a quote inside an unquoted field is text
        b"",
        good(2) + b",x",
        b"",
        good(3),
    ),
)


def test_a_quote_inside_an_unquoted_field_is_text_and_numbers_stay_true(con):
    kind = "quote_inside_an_unquoted_field"
    assert [q[:2] for q in quarantined_in(con, kind)] == [(1, "BAD_ID"), (2, "MALFORMED_ROW")]
    assert loaded_in(con, kind) == [("D3", 3)]


def test_a_quote_the_two_readers_take_differently_refuses_the_file(tmp_path):
    """DuckDB reads `"a" "b` as one field going on past the line end (a quoted field, a space
    and a quote); the contract's CSV does not know it. Rather than number records wrong, the
    file is refused, named."""
    landing = tmp_path / "landing"
    folder = base_batch(landing, "b1")
    (folder / "deliveries.csv").write_bytes(lines(good(1), b'"D2" "x', good(3) + b'"', good(4)))
    with connect(tmp_path / "w.duckdb") as c:
        outcome = load_landing(c, landing)
    assert_refused(outcome, "deliveries.csv", "quote each field whole")


_register("long_record_duckdb_rejects", lines(good(1), good(2) + b"," + b"y" * 500_000, good(3)))


def test_a_long_malformed_record_keeps_only_its_start_in_the_quarantine(con):
    ((number, code, reason, row),) = quarantined_in(con, "long_record_duckdb_rejects")
    assert (number, code, reason) == (2, "MALFORMED_ROW", "MALFORMED_ROW: too many columns")
    given = json.loads(row)
    assert given["csv_line"] == (good(2) + b"," + b"y" * 500_000).decode()[:10_000]
    assert (
        given["csv_line_cut"]
        == "the record is 10,000 or more bytes: only its first 10,000 are kept"
    )


# --- fields of any size, up to the file's end ----------------------------------------------------

MB = 1 << 20
REST = good(9)[2:]  # the record's fields after its id


def _write_record_with_a_field_of(path: Path, size: int, quoted: bool, last: bool) -> None:
    """deliveries.csv: D1, a record whose id is `size` bytes, then D3 (or nothing, the big
    record last without a line end). Written in pieces: the test holds no field in memory."""
    piece = b"x" * MB
    with path.open("wb") as fh:
        fh.write(HEADER + b"\n" + good(1) + b"\n" + (b'"D2' if quoted else b"D2"))
        left, middle = size - 2, quoted
        while left > 0:
            fh.write(piece[: min(left, MB)])
            left -= MB
            if middle and left <= size // 2:  # a quoted field may hold a comma and a line end
                fh.write(b",\n")
                middle = False
        fh.write((b'"' if quoted else b"") + REST)
        if not last:
            fh.write(b"\n" + good(3) + b"\n")


FIELD_SIZES = [
    (size, quoted, last)
    for size in (16, 33, 200)
    for quoted in (False, True)
    for last in (False, True)
]


@pytest.mark.parametrize(("size_mb", "quoted", "last"), FIELD_SIZES)
def test_a_field_of_any_size_is_quarantined_and_never_shifts_a_record(
    tmp_path, size_mb, quoted, last
):
    landing = tmp_path / "landing"
    folder = base_batch(landing, "b1")
    big = folder / "deliveries.csv"
    _write_record_with_a_field_of(big, size_mb * MB, quoted, last)
    try:
        started = time.perf_counter()
        with connect(tmp_path / "w.duckdb") as c:
            outcome = load_landing(c, landing)  # the books balance
            assert outcome.error is None, outcome.error
            took = time.perf_counter() - started
            ((number, code, reason, row),) = c.execute(
                'SELECT row_number, reason_code, reason, "row" FROM quarantine'
            ).fetchall()
            loaded = c.execute(
                "SELECT delivery_id, source_row FROM deliveries ORDER BY source_row"
            ).fetchall()
            logged = c.execute(
                "SELECT rows_read, rows_loaded, rows_quarantined FROM load_log "
                "WHERE entity = 'deliveries'"
            ).fetchone()
    finally:
        big.unlink()
    assert (number, code) == (2, "MALFORMED_ROW")
    assert "line size over maximum" in reason
    assert loaded == ([("D1", 1)] if last else [("D1", 1), ("D3", 3)])
    assert logged == ((2, 1, 1) if last else (3, 2, 1))
    # The quarantine names the record; it holds the start of it, and says it was cut.
    given = json.loads(row)
    assert len(row) < 11_000
    assert given["csv_line"].startswith('"D2xxx' if quoted else "D2xxx")
    assert given["csv_line_cut"] == (
        f"the record is {size_mb * MB + len(REST) + quoted * 4:,} bytes: "
        "only its first 10,000 are kept"
    )
    print(f"{size_mb} MB field, quoted={quoted}, last={last}: loaded in {took:.1f} s")


def test_an_unclosed_quote_running_past_the_line_limit_is_one_malformed_record(tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing, "b1")
    rest = b"".join(good(n) + b"\n" for n in range(3, 30_000))  # over a megabyte
    (folder / "deliveries.csv").write_bytes(lines(good(1), b'"D2' + REST) + rest)
    with connect(tmp_path / "w.duckdb") as c:
        load_landing(c, landing)
        got = c.execute("SELECT row_number, reason FROM quarantine").fetchall()
        loaded = c.execute("SELECT delivery_id FROM deliveries").fetchall()
    ((number, reason),) = got
    assert number == 2 and "unclosed quote" in reason and "line size over maximum" in reason
    assert loaded == [("D1",)]
