"""Half-up rounding to the cent, in Python and in DuckDB (the SQL side of the same rule)."""

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fms.billing.money import round_half_up_cents


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.125", "0.13"),
        ("-0.125", "-0.13"),  # half away from zero
        ("0.105", "0.11"),  # half-even would give 0.10
        ("2.675", "2.68"),
        ("0.1249999", "0.12"),
        ("1643.835616", "1643.84"),
        ("7.00", "7.00"),
    ],
)
def test_round_half_up_cents(amount, rounded):
    assert round_half_up_cents(Decimal(amount)) == Decimal(rounded)


def test_round_half_up_cents_refuses_floats():
    with pytest.raises(TypeError):
        round_half_up_cents(0.125)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def duck():
    con = duckdb.connect()
    yield con
    con.close()


@pytest.mark.parametrize(
    ("amount", "sql_type", "rounded"),
    [
        ("0.125", "DECIMAL(18,3)", "0.13"),
        ("-0.125", "DECIMAL(18,3)", "-0.13"),
        ("0.105", "DECIMAL(18,3)", "0.11"),
        ("2.675", "DECIMAL(18,3)", "2.68"),
        ("198400.00500000", "DECIMAL(38,8)", "198400.01"),
        ("-198400.00500000", "DECIMAL(38,8)", "-198400.01"),
        ("0.00499999", "DECIMAL(38,8)", "0.00"),
    ],
)
def test_duckdb_round_on_decimal_is_half_up_away_from_zero(duck, amount, sql_type, rounded):
    (result, result_type) = duck.execute(
        f"SELECT round(CAST($a AS {sql_type}), 2), typeof(round(CAST($a AS {sql_type}), 2))",
        {"a": amount},
    ).fetchall()[0]
    assert result == Decimal(rounded)
    assert result_type.startswith("DECIMAL")  # never a DOUBLE


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False))
def test_duckdb_round_agrees_with_round_half_up_cents(duck, amount):
    (result,) = duck.execute(
        "SELECT round(CAST($a AS DECIMAL(38,6)), 2)", {"a": str(amount)}
    ).fetchall()[0]
    assert result == round_half_up_cents(amount)
