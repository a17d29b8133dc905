"""Amounts and counts in blocker details, written exactly (closure_rule_macros.sql)."""

from __future__ import annotations

import duckdb
import pytest

from fms.closure import create_closure_macros
from tests.handbuilt import open_warehouse


@pytest.fixture(scope="module")
def con(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    con = open_warehouse(tmp_path_factory.mktemp("text"))
    create_closure_macros(con)
    yield con
    con.close()


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0.00", "$0.00"),
        ("0.05", "$0.05"),
        ("999.9", "$999.90"),
        ("1234.50", "$1,234.50"),
        ("-1234.50", "-$1,234.50"),
        ("-0.01", "-$0.01"),
        ("9999999999999999.99", "$9,999,999,999,999,999.99"),  # DECIMAL(18,2) max: no float
    ],
)
def test_dollars_text_writes_amounts_exactly(con, amount, text):
    got = con.execute("SELECT dollars_text(CAST($a AS DECIMAL(18, 2)))", {"a": amount})
    assert got.fetchall() == [(text,)]


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 lines"), (1, "1 line"), (2, "2 lines"), (12345, "12,345 lines")],
)
def test_count_text_uses_singular_only_for_one(con, n, text):
    got = con.execute("SELECT count_text($n, 'line', 'lines')", {"n": n}).fetchall()
    assert got == [(text,)]
