"""Hostile batches: a clean base batch, ways to break it, and the books every load must keep.

Every hostile test loads through the real `load_new_batches` on a real DuckDB file and then
checks, whatever happened (rows quarantined or the batch refused), that the books still balance,
that no amount was rounded on the way in, and that every table is still there.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from fms.contract import ENTITIES, ENTITY_BY_NAME, Kind
from fms.ingest.batch_files import BatchFileError
from fms.ingest.load_batch import BatchResult, load_new_batches
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch

LOAD_DATE = date(2026, 11, 22)
BUY_BACK = {
    "buy_back_id": "BB1",
    "case_id": "UK-D-AAA",
    "line_number": "1",
    "quantity": "1",
    "recipient": "DOD",
    "legal_authority": "10 U.S.C. 2341",
    "contract_executed_date": "",
    "reconciled": "false",
}
# Text a spreadsheet would run as a formula (OWASP "CSV injection" triggers: = + - @).
FORMULAS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A formula after a carriage return inside a text: a spreadsheet reading an unquoted CR starts a
# new row there, and the formula with it.
FORMULA_AFTER_CR = '10 U.S.C. 2341\r=HYPERLINK("http://x","y")'


def base_batch(landing: Path, name: str = "b1", **entities: list[dict]) -> Path:
    """Batch `name` holding country UK, case UK-D-AAA and its line 1, plus `entities`."""
    rows = {"countries": [COUNTRY], "cases": [case()], "case_lines": [LINE]} | entities
    return write_batch(landing, name, rows)


def header(entity: str, sep: str = ",") -> str:
    return sep.join(ENTITY_BY_NAME[entity].column_names)


def record(entity: str, row: dict) -> str:
    """One CSV record (no line end) of `row`, in contract column order, quoted as needed."""
    out = io.StringIO()
    # The line end is what makes the csv module quote a value holding CR or LF.
    csv.writer(out, lineterminator="\r\n").writerow(
        [row.get(c, "") for c in ENTITY_BY_NAME[entity].column_names]
    )
    return out.getvalue().removesuffix("\r\n")


def delivery(delivery_id: str, **changes: str) -> dict:
    return DELIVERY | {"delivery_id": delivery_id} | changes


@dataclass
class Outcome:
    """What a load did: the batches' results, or the error that refused a batch."""

    results: list[BatchResult] | None
    error: BatchFileError | None

    def entity(self, name: str):
        (found,) = [e for r in self.results or [] for e in r.entities if e.entity == name]
        return found


def load_landing(con: duckdb.DuckDBPyConnection, landing: Path) -> Outcome:
    """Load `landing`; a refused batch is an outcome, any other exception fails the test."""
    try:
        outcome = Outcome(load_new_batches(con, landing, LOAD_DATE), None)
    except BatchFileError as exc:
        outcome = Outcome(None, exc)
    assert_every_table_exists(con)
    assert_books_balance(con)
    assert_no_amount_rounded(con, landing)
    return outcome


def assert_refused(outcome: Outcome, file: str | None, problem: str, batch: str = "b1") -> None:
    """The batch was refused with an error naming it, the file and the problem."""
    error = outcome.error
    assert error is not None, "the batch loaded, it should have been refused"
    assert (error.batch, error.file) == (batch, file)
    assert problem in error.problem, error.problem
    assert f"Nothing of batch {batch!r} was loaded" in str(error)


def assert_nothing_loaded(con: duckdb.DuckDBPyConnection) -> None:
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ["batches", "load_log", "quarantine"] + [e.name for e in ENTITIES]
    }
    assert counts == dict.fromkeys(counts, 0)


def assert_every_table_exists(con: duckdb.DuckDBPyConnection) -> None:
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    expected = {"batches", "load_log", "quarantine"}
    expected |= {e.name for e in ENTITIES} | {f"{e.name}_history" for e in ENTITIES}
    assert expected <= tables, f"tables gone: {sorted(expected - tables)}"


def assert_books_balance(con: duckdb.DuckDBPyConnection) -> None:
    """For every load_log row: read = loaded + quarantined, in rows and in dollars; the
    quarantine holds exactly the rows counted quarantined and history the rows counted loaded."""
    log = con.execute(
        """
        SELECT l.batch, l.entity, l.rows_read, l.rows_loaded, l.rows_quarantined,
            coalesce(l.amount_read, 0), coalesce(l.amount_loaded, 0),
            coalesce(l.amount_quarantined, 0),
            (SELECT count(*) FROM quarantine AS q
             WHERE q.batch = l.batch AND q.entity = l.entity) AS in_quarantine
        FROM load_log AS l
        """
    ).fetchall()
    for batch, entity, read, loaded, quarantined, a_read, a_loaded, a_quar, in_q in log:
        where = f"{batch}/{entity}"
        assert read == loaded + quarantined, where
        assert a_read == a_loaded + a_quar, where
        assert in_q == quarantined, where
        in_history = con.execute(
            f"SELECT count(*) FROM {ENTITY_BY_NAME[entity].name}_history "
            "WHERE batch = $b AND loaded_in_batch = $b",
            {"b": batch},
        ).fetchone()[0]
        assert in_history == loaded, where


# Numbers checked digit for digit against the files: amounts, and rates and quantities too.
EXACT_KINDS = (Kind.MONEY, Kind.RATE, Kind.INTEGER)
CSV_TOKENS = re.compile(rb'[",\n]')


def assert_no_amount_rounded(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """Every version in history holds, as an exact decimal, the number its file gives: the
    text of its CSV record (trimmed), the exact value in its Parquet file."""
    for entity in ENTITIES:
        names = [c.name for c in entity.columns if c.kind in EXACT_KINDS]
        columns = ", ".join(f'"{n}"' for n in names)
        stored = con.execute(
            f"SELECT batch, source_file, source_row, {columns} FROM {entity.name}_history"
        ).fetchall()
        files: dict[tuple[str, str], _GivenFile] = {}
        for batch, file, row, *values in stored:
            given = files.setdefault((batch, file), _GivenFile(landing / batch / file))
            for name, value, text in zip(names, values, given.row(row, names), strict=True):
                where = f"{batch}/{file} row {row} {name}"
                assert value == _exact(text), f"{where}: stored {value!r}, given {text!r}"


class _GivenFile:
    """A landed file's values by data record number, as given (CSV text, Parquet values)."""

    def __init__(self, path: Path) -> None:
        self.parquet = pq.read_table(path) if path.suffix == ".parquet" else None
        if self.parquet is None:
            self.data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
            self.records = csv_records(self.data)
            self.header = [n.strip() for n in self._fields(0)]

    def row(self, number: int, names: list[str]) -> list:
        if self.parquet is not None:
            return [self.parquet.column(n)[number - 1].as_py() for n in names]
        fields = self._fields(number)
        return [fields[self.header.index(n)] for n in names]

    def _fields(self, number: int) -> list[str]:
        start, end = self.records[number]
        text = self.data[start:end].decode("utf-8", errors="surrogateescape")
        return next(csv.reader([text]))


def csv_records(data: bytes) -> list[tuple[int, int]]:
    """Where each record of a CSV file lies, the header first, as the contract counts records
    (RFC 4180): one ends at a line feed outside a quoted field (its CR is no part of it); a
    quote opens a quoted field only at the field's start, `""` inside one is a quote; a blank
    line is no record."""
    records, start, field_start, quoted, escaped = [], 0, 0, False, -1
    for found in CSV_TOKENS.finditer(data):
        at = found.start()
        if at == escaped:
            continue
        token = found.group()
        if quoted:
            if token == b'"':
                if data[at + 1 : at + 2] == b'"':
                    escaped = at + 1
                else:
                    quoted = False
        elif token == b'"':
            quoted = at == field_start
        elif token == b",":
            field_start = at + 1
        else:
            records.append((start, at - (data[at - 1 : at] == b"\r")))
            start = field_start = at + 1
    records.append((start, len(data) - data.endswith(b"\r")))
    return [(a, b) for a, b in records if b > a]


def _exact(given: object) -> Decimal | None:
    """The exact number a given value stands for (None: no value)."""
    if isinstance(given, str):
        given = given.strip() or None
    if given is None or isinstance(given, Decimal):
        return given
    if isinstance(given, bytes):
        return Decimal(given.decode().strip())
    return Decimal(given)  # str, int, or a float's exact binary value


def quarantined(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT entity, row_number, reason_code FROM quarantine ORDER BY entity, row_number"
    ).fetchall()


def reasons(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0] for r in con.execute("SELECT reason FROM quarantine ORDER BY row_number").fetchall()
    ]
