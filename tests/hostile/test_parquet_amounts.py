"""Parquet amounts, quantities and rates load exactly or not at all: a binary float column is
never loaded (every row quarantined, the column's type named), nor an amount column of more
than 2 decimals; DECIMAL(18,2), integers and text load digit for digit.

One landing holds the clean base batch and one batch per kind, loaded once through the real
`load_new_batches` on a real DuckDB file; the load checks the books and that no number in
history differs from its file's (tests/hostile/batches.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fms.warehouse import connect
from tests.hostile.batches import base_batch, delivery, load_landing
from tests.landing import case, mark_complete

CENTS = Decimal("1234567.89")
FORECAST = {
    "case_id": "UK-D-AAA",
    "quarter_start": "2026-10-01",
    "forecast_amount": "5000.00",
    "termination_liability": "100.00",
}
TEMPLATES = {
    "deliveries": delivery("D1"),
    "requirements_forecasts": FORECAST,
    "cases": case(case_id="UK-D-AAB"),
}
# (kind, entity, columns replaced, what must happen: a Decimal loaded in the column, or the
# reason code and the words of the reason)
KINDS = [
    (
        "float32_amount",  # 1234567.89 held as 1234567.875, printed 1234567.9
        "deliveries",
        {"delivered_value": pa.array([1234567.89], pa.float32())},
        ("BAD_AMOUNT", "delivered_value is FLOAT in this Parquet file: a binary float column"),
    ),
    (
        "float64_amount",
        "deliveries",
        {"delivered_value": pa.array([1234567.89], pa.float64())},
        ("BAD_AMOUNT", "delivered_value is DOUBLE in this Parquet file: a binary float column"),
    ),
    (
        "float64_amount_of_a_whole_number",
        "deliveries",
        {"delivered_value": pa.array([5.0], pa.float64())},
        ("BAD_AMOUNT", "delivered_value is DOUBLE"),
    ),
    (
        "float64_amount_that_is_not_the_control_amount",
        "requirements_forecasts",
        {"termination_liability": pa.array([100.0], pa.float64())},
        ("BAD_AMOUNT", "termination_liability is DOUBLE"),
    ),
    (
        "decimal_18_2_amount",
        "deliveries",
        {"delivered_value": pa.array([CENTS], pa.decimal128(18, 2))},
        CENTS,
    ),
    (
        "decimal_38_2_amount_within_decimal_18_2",
        "deliveries",
        {"delivered_value": pa.array([Decimal("9999999999999999.99")], pa.decimal128(38, 2))},
        Decimal("9999999999999999.99"),
    ),
    (
        "decimal_38_2_amount_beyond_decimal_18_2",
        "deliveries",
        {"delivered_value": pa.array([Decimal("10000000000000000.00")], pa.decimal128(38, 2))},
        ("BAD_AMOUNT", "is not an amount with at most 2 decimals within DECIMAL(18,2)"),
    ),
    (
        "decimal_20_4_amount_of_whole_cents",  # 1.2300: exact, but typed with 4 decimals
        "deliveries",
        {"delivered_value": pa.array([Decimal("1.2300")], pa.decimal128(20, 4))},
        ("BAD_AMOUNT", "delivered_value is DECIMAL(20,4) in this Parquet file: a column of 4"),
    ),
    (
        "decimal_38_10_amount",
        "deliveries",
        {"delivered_value": pa.array([Decimal("1.23")], pa.decimal128(38, 10))},
        ("BAD_AMOUNT", "a column of 10 decimals, amounts have 2"),
    ),
    (
        "int64_amount",
        "deliveries",
        {"delivered_value": pa.array([1234567], pa.int64())},
        Decimal("1234567.00"),
    ),
    (
        "int64_amount_beyond_decimal_18_2",
        "deliveries",
        {"delivered_value": pa.array([10**17], pa.int64())},
        ("BAD_AMOUNT", "within DECIMAL(18,2)"),
    ),
    (
        "string_amount",
        "deliveries",
        {"delivered_value": pa.array(["1234567.89"], pa.string())},
        CENTS,
    ),
    (
        "string_amount_with_three_decimals",
        "deliveries",
        {"delivered_value": pa.array(["1234567.891"], pa.string())},
        ("BAD_AMOUNT", "at most 2 decimals"),
    ),
    (
        "float64_quantity_of_a_half",  # 1.5 must not become 2
        "deliveries",
        {"quantity": pa.array([1.5], pa.float64())},
        ("BAD_NUMBER", "quantity is DOUBLE in this Parquet file: a binary float column"),
    ),
    (
        "float64_quantity_of_a_whole_number",
        "deliveries",
        {"quantity": pa.array([2.0], pa.float64())},
        ("BAD_NUMBER", "quantity is DOUBLE"),
    ),
    (
        "int32_quantity",
        "deliveries",
        {"quantity": pa.array([2], pa.int32())},
        None,  # loads: 2
    ),
    (
        "float32_rate",  # 0.035 held as 0.03500000014901161
        "cases",
        {"admin_surcharge_rate": pa.array([0.035], pa.float32())},
        ("BAD_RATE", "admin_surcharge_rate is FLOAT"),
    ),
    (
        "decimal_rate",
        "cases",
        {"admin_surcharge_rate": pa.array([Decimal("0.035")], pa.decimal128(9, 6))},
        None,  # loads: 0.035000
    ),
    (
        "date32_dates_and_decimal_amount",
        "deliveries",
        {
            "shipment_date": pa.array([date(2026, 1, 2)]),
            "delivered_value": pa.array([Decimal("0.01")], pa.decimal128(18, 2)),
        },
        Decimal("0.01"),
    ),
]
AMOUNT = {"deliveries": "delivered_value", "requirements_forecasts": "termination_liability"}


def batch_of(kind: str) -> str:
    return f"p-{kind}"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    root = tmp_path_factory.mktemp("parquet_amounts")
    landing = root / "landing"
    base_batch(landing, "a-base")
    for kind, entity, columns, _ in KINDS:
        folder = landing / batch_of(kind)
        folder.mkdir()
        row = {c: pa.array([v]) for c, v in TEMPLATES[entity].items()} | columns
        pq.write_table(pa.table(row), folder / f"{entity}.parquet")
        mark_complete(folder)
    with connect(root / "w.duckdb") as c:
        outcome = load_landing(c, landing)  # the books, no number rounded, every table
        assert outcome.error is None, outcome.error
        yield c


@pytest.mark.parametrize(("kind", "entity", "expected"), [(k[0], k[1], k[3]) for k in KINDS])
def test_a_parquet_number_loads_exactly_or_its_row_is_quarantined(con, kind, entity, expected):
    batch = {"b": batch_of(kind)}
    quarantined = con.execute(
        "SELECT row_number, reason_code, reason FROM quarantine WHERE batch = $b", batch
    ).fetchall()
    logged = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM load_log WHERE batch = $b", batch
    ).fetchone()
    if isinstance(expected, tuple):
        code, words = expected
        assert [(n, c) for n, c, _ in quarantined] == [(1, code)]
        assert words in quarantined[0][2], quarantined[0][2]
        assert logged == (1, 0, 1)
        return
    assert quarantined == [] and logged == (1, 1, 0)
    if expected is not None:
        (loaded,) = con.execute(
            f"SELECT {AMOUNT[entity]} FROM {entity}_history WHERE batch = $b", batch
        ).fetchone()
        assert loaded == expected and str(loaded) == str(expected.quantize(Decimal("0.01")))


@pytest.mark.parametrize("kind", ["float32_amount", "float64_amount", "decimal_38_10_amount"])
def test_a_refused_amount_column_counts_as_unreadable_in_the_control_totals(con, kind):
    row = con.execute(
        "SELECT amount_read, amount_loaded, amount_quarantined, rows_amount_unreadable "
        "FROM load_log WHERE batch = $b",
        {"b": batch_of(kind)},
    ).fetchone()
    assert row == (None, None, None, 1)


def test_every_row_of_a_binary_float_amount_column_is_quarantined(tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing)
    folder = landing / "b2"
    folder.mkdir()
    rows = {c: pa.array([v, v, v]) for c, v in delivery("D1").items()}
    rows |= {
        "delivery_id": pa.array(["D1", "D2", "D3"]),
        "delivered_value": pa.array([12.5, None, 0.0], pa.float64()),  # exact, empty, zero
    }
    pq.write_table(pa.table(rows), folder / "deliveries.parquet")
    mark_complete(folder)
    with connect(tmp_path / "w.duckdb") as c:
        assert load_landing(c, landing).error is None
        got = c.execute(
            "SELECT row_number, reason_code FROM quarantine WHERE batch = 'b2' ORDER BY 1"
        ).fetchall()
        assert got == [(1, "BAD_AMOUNT"), (2, "BAD_AMOUNT"), (3, "BAD_AMOUNT")]
        assert c.execute("SELECT count(*) FROM deliveries_history").fetchone() == (0,)
