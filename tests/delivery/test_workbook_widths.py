"""Every workbook's columns fit what they show (issue 18: amounts showed as #####): the
DuckDB-rendered workbook fits them as fms.outputs.write_xlsx does, headings wrap."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import openpyxl
import pytest

from fms.formatting import dollars
from fms.outputs import MAX_COLUMN_WIDTH, Sheet, write_xlsx
from fms.table_workbook import TableSheet
from tests.delivery.test_table_workbook import COLUMNS, ROWS
from tests.output_helpers import write_table_xlsx


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (id INTEGER, amount DECIMAL(18,2), rate DECIMAL(9,6), quantity BIGINT, "
        "day DATE, flag BOOLEAN, note VARCHAR)"
    )
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
    yield con
    con.close()


def widths(path) -> list[float]:
    sheet = openpyxl.load_workbook(path).active
    found = {}
    for dim in sheet.column_dimensions.values():
        for column in range(dim.min, dim.max + 1):
            found[column] = dim.width
    return [found[c] for c in range(1, len(COLUMNS) + 1)]


def test_the_duckdb_workbook_fits_its_columns_as_write_xlsx_does(con, tmp_path):
    money = frozenset({"amount"})
    write_table_xlsx(con, tmp_path / "fast.xlsx", TableSheet("t", "t", ("id",), money=money))
    write_xlsx(tmp_path / "slow.xlsx", [Sheet("t", COLUMNS, ROWS, money=money)])
    fast, slow = widths(tmp_path / "fast.xlsx"), widths(tmp_path / "slow.xlsx")
    # The same widths in characters (xlsxwriter stores the padding to 1/256 of a character).
    assert [round(w, 2) for w in fast] == [round(w, 2) for w in slow]
    by_name = dict(zip(COLUMNS, fast, strict=True))
    assert by_name["amount"] >= len(dollars(Decimal("-9999999999999.99"))) + 1
    assert by_name["quantity"] >= len(str(10**15)) + 1
    assert MAX_COLUMN_WIDTH <= by_name["note"] < MAX_COLUMN_WIDTH + 1  # 32,767 x: capped


def test_a_wide_amount_is_never_hashes_in_a_listing(con, tmp_path):
    con.execute("DELETE FROM t")
    con.execute("INSERT INTO t (id, amount) VALUES (1, 1152543907.11)")
    sheet = TableSheet("t", "t", ("id",), money=frozenset({"amount"}), widths={"note": 30})
    write_table_xlsx(con, tmp_path / "t.xlsx", sheet)
    got = dict(zip(COLUMNS, widths(tmp_path / "t.xlsx"), strict=True))
    assert got["amount"] >= len("$1,152,543,907.11") + 1
    assert 30 <= got["note"] < 31  # as given
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.active["B1"].alignment.wrap_text  # a long heading wraps, not widens
