"""Hostile and broken rows: each kind is quarantined with its reason code, or loads exactly as
meant, while the rest of its file loads.

One landing holds a clean base batch (`a-base`: country UK, case UK-D-AAA and its line 1) and
one batch per hostile kind (`k-<kind>`), loaded once for the module through the real
`load_new_batches` on a real DuckDB file (one load is much faster than a hundred); each test
then reads what its own batch did. The load day is 22 Nov 2026. Right after the load the books
are checked (batches.py): read = loaded + quarantined for every load_log row, in rows and
dollars, and every table still exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fms.warehouse import connect
from tests.hostile.batches import (
    BUY_BACK,
    FORMULAS,
    assert_books_balance,
    base_batch,
    delivery,
    header,
    load_landing,
    record,
)
from tests.landing import LINE, case, mark_complete, write_batch

# kind -> writes the batch folder landing/k-<kind>
Writer = Callable[[Path], None]
BATCHES: dict[str, Writer] = {}


def batch_of(kind: str) -> str:
    return f"k-{kind}"


def _register(kind: str, write: Writer) -> None:
    assert kind not in BATCHES, kind
    BATCHES[kind] = write


def _rows(entity: str, *rows: dict) -> Writer:
    return lambda folder: write_batch(folder.parent, folder.name, {entity: list(rows)})


def _raw(name: str, data: bytes) -> Writer:
    def write(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        mark_complete(folder)

    return write


def _lines(*records: str, end: str = "\n") -> bytes:
    return (end.join(records) + end).encode()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_rows")
    landing = root / "landing"
    base_batch(landing, "a-base")
    for kind, write in BATCHES.items():
        write(landing / batch_of(kind))
    with connect(root / "w.duckdb") as c:
        outcome = load_landing(c, landing)  # checks the books and the tables
        assert outcome.error is None, outcome.error
        yield c


def quarantined_in(con, kind: str) -> list[tuple]:
    return con.execute(
        "SELECT entity, row_number, reason_code FROM quarantine WHERE batch = $b "
        "ORDER BY entity, row_number",
        {"b": batch_of(kind)},
    ).fetchall()


def reasons_in(con, kind: str) -> list[str]:
    result = con.execute(
        "SELECT reason FROM quarantine WHERE batch = $b ORDER BY row_number", {"b": batch_of(kind)}
    )
    return [r[0] for r in result.fetchall()]


def history_in(con, entity: str, kind: str, columns: str) -> list[tuple]:
    return con.execute(
        f"SELECT {columns} FROM {entity}_history WHERE batch = $b ORDER BY source_row",
        {"b": batch_of(kind)},
    ).fetchall()


def logged_in(con, entity: str, kind: str) -> tuple | None:
    return con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM load_log "
        "WHERE batch = $b AND entity = $e",
        {"b": batch_of(kind), "e": entity},
    ).fetchone()


def _deliveries_in(con, kind: str) -> list[tuple]:
    return history_in(con, "deliveries", kind, "delivery_id, source_row")


# --- one bad value ----------------------------------------------------------------------------
# (kind, entity, column, value as given, reason code; None = the row loads)
VALUES = [
    ("whitespace_only_required_value", "deliveries", "delivery_id", "   ", "MISSING_VALUE"),
    ("nul_byte_in_an_id", "deliveries", "delivery_id", "D\x002", "BAD_ID"),
    ("sql_in_a_row_id", "deliveries", "delivery_id", "D2'; DROP TABLE deliveries;--", "BAD_ID"),
    ("fullwidth_digits_in_a_quantity", "deliveries", "quantity", "１２", "BAD_NUMBER"),
    ("arabic_indic_digits_in_a_quantity", "deliveries", "quantity", "٣", "BAD_NUMBER"),
    ("quantity_with_plus_sign", "deliveries", "quantity", "+5", "BAD_NUMBER"),
    ("quantity_in_scientific_notation", "deliveries", "quantity", "1e3", "BAD_NUMBER"),
    ("quantity_beyond_bigint", "deliveries", "quantity", "9" * 19, "BAD_NUMBER"),
    ("amount_with_three_decimals", "deliveries", "delivered_value", "12.345", "BAD_AMOUNT"),
    (
        "amount_with_a_trailing_zero_decimal",
        "deliveries",
        "delivered_value",
        "12.340",
        "BAD_AMOUNT",
    ),
    (
        "amount_beyond_decimal_18_2",
        "deliveries",
        "delivered_value",
        "12345678901234567.00",
        "BAD_AMOUNT",
    ),
    ("amount_in_scientific_notation", "deliveries", "delivered_value", "1e3", "BAD_AMOUNT"),
    ("amount_with_plus_sign", "deliveries", "delivered_value", "+5.00", "BAD_AMOUNT"),
    ("amount_without_leading_digit", "deliveries", "delivered_value", ".50", "BAD_AMOUNT"),
    ("amount_with_trailing_point", "deliveries", "delivered_value", "5.", "BAD_AMOUNT"),
    ("amount_nan", "deliveries", "delivered_value", "NaN", "BAD_AMOUNT"),
    ("amount_infinity", "deliveries", "delivered_value", "Infinity", "BAD_AMOUNT"),
    ("amount_minus_infinity", "expenditures", "amount", "-Infinity", "BAD_AMOUNT"),
    ("amount_with_thousands_commas", "deliveries", "delivered_value", "1,000.00", "BAD_AMOUNT"),
    ("amount_with_dollar_sign", "deliveries", "delivered_value", "$5.00", "BAD_AMOUNT"),
    ("amount_in_parentheses", "expenditures", "amount", "(5.00)", "BAD_AMOUNT"),
    ("amount_in_hex", "deliveries", "delivered_value", "0x10", "BAD_AMOUNT"),
    ("amount_with_decimal_comma", "deliveries", "delivered_value", "5,50", "BAD_AMOUNT"),
    ("amount_fullwidth_digits", "deliveries", "delivered_value", "１２.００", "BAD_AMOUNT"),
    ("negative_delivered_value", "deliveries", "delivered_value", "-5.00", "NEGATIVE_AMOUNT"),
    ("negative_line_value", "case_lines", "line_value", "-0.01", "NEGATIVE_AMOUNT"),
    ("negative_scheduled_payment", "payment_schedules", "amount", "-100.00", "NEGATIVE_AMOUNT"),
    ("negative_quantity", "deliveries", "quantity", "-1", "NEGATIVE_AMOUNT"),
    ("negative_expenditure_is_a_liquidation", "expenditures", "amount", "-5.00", None),
    ("negative_collection_is_a_refund", "collections", "amount", "-5.00", None),
    ("minus_zero_amount", "deliveries", "delivered_value", "-0.00", None),
    ("largest_decimal_18_2_amount", "deliveries", "delivered_value", "9999999999999999.99", None),
    ("february_30", "deliveries", "shipment_date", "2026-02-30", "BAD_DATE"),
    ("february_29_of_a_common_year", "deliveries", "shipment_date", "2025-02-29", "BAD_DATE"),
    ("february_29_of_a_leap_year", "deliveries", "shipment_date", "2024-02-29", None),
    ("year_0001", "deliveries", "shipment_date", "0001-01-01", None),
    ("year_0000", "deliveries", "shipment_date", "0000-01-01", "BAD_DATE"),
    ("year_9999_event_date", "deliveries", "shipment_date", "9999-12-31", "FUTURE_DATE"),
    ("year_9999_due_date", "payment_schedules", "due_date", "9999-12-31", None),
    ("five_digit_year", "payment_schedules", "due_date", "10000-01-01", "BAD_DATE"),
    ("event_on_the_day_after_the_load", "deliveries", "reported_date", "2026-11-23", "FUTURE_DATE"),
    ("event_on_the_load_day", "deliveries", "reported_date", "2026-11-22", None),
    ("date_not_zero_padded", "deliveries", "shipment_date", "2026-1-5", "BAD_DATE"),
    ("date_in_us_order", "deliveries", "shipment_date", "01/10/2026", "BAD_DATE"),
    ("date_with_a_time", "deliveries", "shipment_date", "2026-01-10T00:00:00", "BAD_DATE"),
    ("date_with_surrounding_spaces", "deliveries", "shipment_date", " 2026-01-10 ", None),
    ("boolean_with_trailing_space", "payment_schedules", "is_initial_deposit", "TRUE ", None),
    ("boolean_t", "payment_schedules", "is_initial_deposit", "t", "BAD_BOOLEAN"),
    ("boolean_yes", "payment_schedules", "is_initial_deposit", "yes", None),
    ("code_in_lower_case", "deliveries", "price_code", "a", "BAD_CODE"),
    ("rate_in_percent", "cases", "admin_surcharge_rate", "3.2%", "BAD_RATE"),
    ("rate_in_scientific_notation", "cases", "admin_surcharge_rate", "3.2e-2", "BAD_RATE"),
    ("line_number_zero", "deliveries", "line_number", "0", "BAD_NUMBER"),
    ("text_over_1000_characters", "case_lines", "description", "x" * 1001, "TEXT_TOO_LONG"),
]

TEMPLATES = {
    "deliveries": delivery("D2"),
    "case_lines": LINE | {"line_number": "2"},
    "payment_schedules": {
        "case_id": "UK-D-AAA",
        "due_date": "2026-12-15",
        "amount": "100.00",
        "is_initial_deposit": "false",
    },
    "expenditures": {
        "expenditure_id": "X2",
        "case_id": "UK-D-AAA",
        "line_number": "1",
        "expenditure_date": "2026-01-10",
        "amount": "10.00",
        "category": "OTHER",
    },
    "collections": {
        "collection_id": "C2",
        "country_code": "UK",
        "case_id": "UK-D-AAA",
        "received_date": "2026-01-10",
        "amount": "10.00",
        "funding_source": "NATIONAL",
    },
    "cases": case(case_id="UK-D-AAB"),
}


for _kind, _entity, _column, _value, _ in VALUES:
    _register(_kind, _rows(_entity, TEMPLATES[_entity] | {_column: _value}))


@pytest.mark.parametrize(
    ("kind", "entity", "column", "value", "reason"), VALUES, ids=[v[0] for v in VALUES]
)
def test_a_hostile_value_is_quarantined_with_its_reason_or_loads_exactly(
    con, kind, entity, column, value, reason
):
    if reason is not None:
        assert quarantined_in(con, kind) == [(entity, 1, reason)]
        assert logged_in(con, entity, kind) == (1, 0, 1)
        return
    assert quarantined_in(con, kind) == []
    (stored,) = history_in(con, entity, kind, f'CAST("{column}" AS VARCHAR)')
    # Loaded as meant: trimmed, typed, never rounded.
    expected = {"TRUE ": "true", "yes": "true", "-0.00": "0.00"}.get(value, value.strip())
    assert stored == (expected,)


# --- records that are not well-formed CSV -----------------------------------------------------

GOOD = record("deliveries", delivery("D1"))
LAST = record("deliveries", delivery("D9"))
MALFORMED = [
    # (kind, the record between a good first and a good last one, DuckDB's error type)
    ("non_utf8_bytes", GOOD.replace("D1", "D2").encode() + b"\xff\xfe", "invalid encoding"),
    ("latin1_text", GOOD.replace("D1", "Dé2").encode("latin-1"), "invalid encoding"),
    ("extra_field", (GOOD.replace("D1", "D2") + ",x").encode(), "too many columns"),
    ("missing_fields", b"D2,UK-D-AAA", "missing columns"),
    # Up to 2,500 commas a line is read (a wider one refuses the file: test_hostile_files).
    ("row_of_2000_fields", (GOOD.replace("D1", "D2") + ",x" * 2_000).encode(), "too many"),
    ("five_megabyte_field", GOOD.replace("D1", "D" + "x" * 5_000_000).encode(), "line size"),
    ("whitespace_only_line", b"  ", "missing columns"),
]
for _kind, _middle, _ in MALFORMED:
    _register(
        _kind,
        _raw(
            "deliveries.csv",
            b"\n".join([header("deliveries").encode(), GOOD.encode(), _middle, LAST.encode()])
            + b"\n",
        ),
    )


@pytest.mark.parametrize(
    ("kind", "error_type"), [(m[0], m[2]) for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_malformed_record_is_quarantined_and_its_neighbours_load(con, kind, error_type):
    assert quarantined_in(con, kind) == [("deliveries", 2, "MALFORMED_ROW")]
    assert error_type in reasons_in(con, kind)[0]
    assert _deliveries_in(con, kind) == [("D1", 1), ("D9", 3)]
    assert logged_in(con, "deliveries", kind) == (3, 2, 1)


_register(
    "unbalanced_quote",
    _raw("deliveries.csv", _lines(header("deliveries"), GOOD, GOOD.replace("D1", '"D2'), LAST)),
)


def test_an_unbalanced_quote_quarantines_the_record_and_keeps_what_it_swallowed(con):
    # DuckDB reads from the open quote to the end of the file as one bad record: D9 is not
    # lost silently, it is inside the quarantined record, for the sender to send again.
    assert quarantined_in(con, "unbalanced_quote") == [("deliveries", 2, "MALFORMED_ROW")]
    (row,) = con.execute(
        'SELECT "row" FROM quarantine WHERE batch = $b', {"b": batch_of("unbalanced_quote")}
    ).fetchone()
    assert "D9" in json.loads(row)["csv_line"]
    assert _deliveries_in(con, "unbalanced_quote") == [("D1", 1)]


_register(
    "field_of_900_kilobytes",
    _rows("case_lines", LINE, LINE | {"line_number": "2", "description": "x" * 900_000}),
)


def test_a_field_of_900_kilobytes_is_text_too_long_not_a_crash(con):
    assert quarantined_in(con, "field_of_900_kilobytes") == [("case_lines", 2, "TEXT_TOO_LONG")]
    assert "description has 900000 characters" in reasons_in(con, "field_of_900_kilobytes")[0]


# --- encodings, line ends, quoting and blank lines that load ------------------------------------

VARIANTS = [
    ("bom", b"\xef\xbb\xbf" + _lines(header("deliveries"), GOOD)),
    ("crlf_line_ends", _lines(header("deliveries"), GOOD, end="\r\n")),
    ("bom_and_crlf", b"\xef\xbb\xbf" + _lines(header("deliveries"), GOOD, end="\r\n")),
    ("no_line_end_at_the_end", _lines(header("deliveries"), GOOD)[:-1]),
    ("header_names_with_spaces", _lines(header("deliveries").replace(",", " , "), GOOD)),
    ("quoted_header", _lines(",".join(f'"{c}"' for c in header("deliveries").split(",")), GOOD)),
    ("quoted_values", _lines(header("deliveries"), GOOD.replace(",A", ',"A"'))),
    ("blank_lines", _lines(header("deliveries"), "", GOOD, "", "")),
    # DuckDB ignores empty fields after the last column; no value is lost.
    ("trailing_empty_fields", _lines(header("deliveries"), GOOD + ",,")),
]
for _kind, _data in VARIANTS:
    _register(_kind, _raw("deliveries.csv", _data))


@pytest.mark.parametrize("kind", [v[0] for v in VARIANTS])
def test_a_well_formed_variant_of_csv_loads_the_same_row(con, kind):
    assert quarantined_in(con, kind) == []
    assert _deliveries_in(con, kind) == [("D1", 1)]
    assert logged_in(con, "deliveries", kind) == (1, 1, 0)


_register(
    "quoted_newline",
    _rows(
        "case_lines",
        LINE,
        LINE | {"line_number": "2", "description": 'F-16\nfighter,\r\n"block 70"'},
        LINE | {"line_number": "3"},
    ),
)


def test_a_quoted_newline_is_part_of_one_record(con):
    rows = history_in(con, "case_lines", "quoted_newline", "line_number, description, source_row")
    assert rows == [(1, "aircraft", 1), (2, 'F-16\nfighter,\r\n"block 70"', 2), (3, "aircraft", 3)]


HEADER_ONLY = [
    ("header_only", _lines(header("deliveries"))),
    ("header_only_with_bom", b"\xef\xbb\xbf" + _lines(header("deliveries"))),
    ("header_only_without_line_end", header("deliveries").encode()),
]
for _kind, _data in HEADER_ONLY:
    _register(_kind, _raw("deliveries.csv", _data))


@pytest.mark.parametrize("kind", [h[0] for h in HEADER_ONLY])
def test_a_header_only_file_loads_nothing_and_logs_zero_rows(con, kind):
    assert logged_in(con, "deliveries", kind) == (0, 0, 0)
    assert quarantined_in(con, kind) == []


# Blank lines are not records, a quoted line break (even a blank line inside quotes) does not
# end one: record numbers stay those of the records whatever DuckDB counts as lines.
BLANKS_AND_BAD_RECORDS = [
    header("deliveries"),
    GOOD,  # 1
    "",
    GOOD.replace("D1", "D2") + ",x",  # 2: malformed
    record("deliveries", delivery("D3\n\nquoted")),  # 3: one record, a BAD_ID
    "",
    "",
    LAST,  # 4
    "D5,UK-D-AAA",  # 5: malformed
    record("deliveries", delivery("D6")),  # 6
]
_register(
    "blank_lines_around_malformed_records",
    _raw("deliveries.csv", _lines(*BLANKS_AND_BAD_RECORDS, end="\r\n")),
)


def test_blank_lines_do_not_shift_the_record_numbers_of_malformed_rows(con):
    kind = "blank_lines_around_malformed_records"
    assert quarantined_in(con, kind) == [
        ("deliveries", 2, "MALFORMED_ROW"),
        ("deliveries", 3, "BAD_ID"),
        ("deliveries", 5, "MALFORMED_ROW"),
    ]
    assert _deliveries_in(con, kind) == [("D1", 1), ("D9", 4), ("D6", 6)]
    assert logged_in(con, "deliveries", kind) == (6, 3, 3)


# --- keys and references ------------------------------------------------------------------------

_register("same_key_twice", _rows("deliveries", delivery("D1"), delivery("D1", quantity="2")))
_register("same_key_padded", _rows("deliveries", delivery("D1"), delivery(" D1  ", quantity="2")))


@pytest.mark.parametrize("kind", ["same_key_twice", "same_key_padded"])
def test_a_key_given_twice_in_a_file_loads_once(con, kind):
    assert quarantined_in(con, kind) == [("deliveries", 2, "DUPLICATE_KEY")]
    assert history_in(con, "deliveries", kind, "delivery_id, quantity") == [("D1", 1)]


ORPHANS = [
    ("orphan_case", "cases", case(case_id="ZZ-D-AAA"), "UNKNOWN_COUNTRY"),
    ("orphan_line", "case_lines", LINE | {"case_id": "UK-D-ZZZ"}, "UNKNOWN_CASE"),
    ("orphan_delivery", "deliveries", delivery("D2", line_number="7"), "UNKNOWN_LINE"),
    (
        "orphan_holding_account_collection",
        "collections",
        TEMPLATES["collections"] | {"country_code": "ZZ", "case_id": ""},
        "UNKNOWN_COUNTRY",
    ),
]
for _kind, _entity, _row, _ in ORPHANS:
    _register(_kind, _rows(_entity, _row))


@pytest.mark.parametrize(
    ("kind", "entity", "reason"), [(o[0], o[1], o[3]) for o in ORPHANS], ids=[o[0] for o in ORPHANS]
)
def test_an_orphan_reference_waits_in_quarantine(con, kind, entity, reason):
    assert quarantined_in(con, kind) == [(entity, 1, reason)]
    (retryable,) = con.execute(
        "SELECT retryable FROM quarantine WHERE batch = $b", {"b": batch_of(kind)}
    ).fetchone()
    assert retryable


# --- SQL and formulas in values -----------------------------------------------------------------

SQL_CASE_ID = "UK-D-A'; DROP TABLE cases;--"
_register(
    "case_id_carrying_sql",
    lambda folder: write_batch(
        folder.parent,
        folder.name,
        {
            "cases": [case(case_id="UK-D-SQL"), case() | {"case_id": SQL_CASE_ID}],
            "case_lines": [LINE | {"case_id": SQL_CASE_ID}],
            "deliveries": [delivery("DSQL", case_id=SQL_CASE_ID)],
        },
    ),
)


def test_a_case_id_carrying_sql_is_bad_id_and_every_table_survives(con):
    kind = "case_id_carrying_sql"
    assert quarantined_in(con, kind) == [
        ("case_lines", 1, "BAD_ID"),
        ("cases", 2, "BAD_ID"),
        ("deliveries", 1, "BAD_ID"),
    ]
    assert history_in(con, "cases", kind, "case_id") == [("UK-D-SQL",)]
    (row,) = con.execute(
        "SELECT \"row\" FROM quarantine WHERE batch = $b AND entity = 'cases'",
        {"b": batch_of(kind)},
    ).fetchone()
    assert json.loads(row)["case_id"] == SQL_CASE_ID  # kept as given, for the sender
    assert_books_balance(con)  # and the module fixture checked every table is still there


SQL_TEXT = "x'); DELETE FROM case_lines; --"
_register("sql_in_free_text", _rows("case_lines", LINE | {"description": SQL_TEXT}))


def test_sql_in_free_text_is_stored_as_text(con):
    assert history_in(con, "case_lines", "sql_in_free_text", "description") == [(SQL_TEXT,)]


_register(
    "spreadsheet_formulas_in_text",
    lambda folder: write_batch(
        folder.parent,
        folder.name,
        {
            "case_lines": [
                LINE | {"line_number": str(i), "description": f}
                for i, f in enumerate(FORMULAS, start=1)
            ],
            "buy_backs": [
                BUY_BACK | {"buy_back_id": f"BBF{i}", "legal_authority": f}
                for i, f in enumerate(FORMULAS, start=1)
            ],
        },
    ),
)


def test_spreadsheet_formulas_in_text_load_verbatim(con):
    # Defused only where a spreadsheet could run them, in the files (test_outputs_are_defused).
    kind = "spreadsheet_formulas_in_text"
    assert quarantined_in(con, kind) == []
    assert history_in(con, "case_lines", kind, "description") == [(f,) for f in FORMULAS]
    assert history_in(con, "buy_backs", kind, "legal_authority") == [(f,) for f in FORMULAS]


# --- Parquet with the right names and the wrong types -------------------------------------------


def _parquet(**columns: pa.Array) -> Writer:
    def write(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        base = {c: pa.array([v]) for c, v in delivery("D1").items()}
        pq.write_table(pa.table(base | columns), folder / "deliveries.parquet")
        mark_complete(folder)

    return write


PARQUETS = [
    ("parquet_inexact_double_amount", {"delivered_value": pa.array([0.1 + 0.2])}, "BAD_AMOUNT"),
    ("parquet_nan_amount", {"delivered_value": pa.array([float("nan")])}, "BAD_AMOUNT"),
    ("parquet_huge_double_amount", {"delivered_value": pa.array([1e20])}, "BAD_AMOUNT"),
    (
        "parquet_amount_with_four_decimals",
        {"delivered_value": pa.array([Decimal("12.3456")], pa.decimal128(18, 4))},
        "BAD_AMOUNT",
    ),
    (
        "parquet_timestamp_for_a_date",
        {"shipment_date": pa.array([datetime(2026, 1, 10)])},
        "BAD_DATE",
    ),
    ("parquet_list_quantity", {"quantity": pa.array([[1, 2]])}, "BAD_NUMBER"),
    ("parquet_boolean_quantity", {"quantity": pa.array([True])}, "BAD_NUMBER"),
    ("parquet_line_number_out_of_range", {"line_number": pa.array([2**40])}, "BAD_NUMBER"),
    (
        "parquet_binary_id_not_utf8",
        {"delivery_id": pa.array([b"\xff\xfe"], pa.binary())},
        "BAD_ID",
    ),
    (
        "parquet_null_typed_column",
        {"delivery_id": pa.array([None], pa.null())},
        "MISSING_VALUE",
    ),
]
for _kind, _columns, _ in PARQUETS:
    _register(_kind, _parquet(**_columns))


@pytest.mark.parametrize(
    ("kind", "reason"), [(p[0], p[2]) for p in PARQUETS], ids=[p[0] for p in PARQUETS]
)
def test_a_parquet_value_of_the_wrong_type_is_quarantined(con, kind, reason):
    assert quarantined_in(con, kind) == [("deliveries", 1, reason)]


_register(
    "parquet_double_of_exact_cents",
    _parquet(delivered_value=pa.array([12.5]), shipment_date=pa.array([date(2026, 1, 2)])),
)


def test_a_parquet_double_amount_is_never_loaded_even_when_it_is_exact_cents(con):
    # The column's type is the problem, not the value (tests/hostile/test_parquet_amounts.py).
    assert quarantined_in(con, "parquet_double_of_exact_cents") == [("deliveries", 1, "BAD_AMOUNT")]
    assert "delivered_value is DOUBLE" in reasons_in(con, "parquet_double_of_exact_cents")[0]


def test_every_kind_was_loaded_as_its_own_batch(con):
    loaded = {r[0] for r in con.execute("SELECT batch FROM batches").fetchall()}
    assert loaded == {"a-base"} | {batch_of(k) for k in BATCHES}
