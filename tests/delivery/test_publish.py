"""publish_delivery_outputs: the C1 file, delivery status and undelivered report files."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from fms.delivery import (
    C1FileError,
    build_c1_transactions,
    build_delivery_status,
    build_undelivered_report,
    publish_delivery_outputs,
)
from fms.outputs import MONEY_FORMAT
from tests.delivery.builders import delivery, line
from tests.handbuilt import d, insert

AS_OF = d("2026-02-28")
TABLES = ("staging.delivery_status", "staging.c1_transactions", "staging.undelivered_report")


def build_all(con, as_of=AS_OF) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    build_delivery_status(con, as_of, table=TABLES[0])
    build_c1_transactions(con, as_of, table=TABLES[1])
    build_undelivered_report(con, as_of, table=TABLES[2])


@pytest.fixture
def built(con):
    insert(con, "case_lines", line(1), line(2, generic_code="S2A", line_kind="SERVICES"))
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=3, delivered_value=Decimal("1234.56"), price_code="E"),
        delivery("D2", 2, quantity=1, delivered_value=Decimal("0.01")),
    )
    build_all(con)
    return con


def test_publish_writes_the_c1_file_and_both_reports(built, tmp_path):
    out = tmp_path / "out"
    paths = publish_delivery_outputs(built, *TABLES, out, AS_OF)
    assert sorted(p.name for p in out.iterdir()) == [
        "c1_20260228.txt",
        "delivery_status_20260228.csv",
        "delivery_status_20260228.xlsx",
        "undelivered_report_20260228.csv",
        "undelivered_report_20260228.xlsx",
    ]
    assert paths["c1"].read_bytes() == (b"C1UKDAAA001    000003" + b" " * 51 + b"260228 A\n")


def test_published_csv_keeps_money_exact(built, tmp_path):
    paths = publish_delivery_outputs(built, *TABLES, tmp_path, AS_OF)
    text = paths["undelivered_report_csv"].read_text(encoding="utf-8")
    # order 1,000.00 + 1,000.00; delivered 1,234.56 + 0.01; undelivered
    # (1,000.00 - 1,234.56 floored to 0) + (1,000.00 - 0.01) = 999.99
    assert text.splitlines() == [
        "as_of,case_id,country_code,case_status,implementation_date,total_order_value,"
        "delivered_value,undelivered_value,estimated_value_outstanding,lines,"
        "lines_with_undelivered_value",
        "2026-02-28,UK-D-AAA,UK,IMPLEMENTED,2025-01-15,2000.00,1234.57,999.99,1234.56,2,1",
    ]
    status = paths["delivery_status_csv"].read_text(encoding="utf-8").splitlines()
    assert len(status) == 3
    assert status[1].startswith("2026-02-28,UK-D-AAA,1,10,3,1000.00,1234.56,0.00,1234.56,")


def test_published_workbooks_hold_money_as_currency_cells(built, tmp_path):
    paths = publish_delivery_outputs(built, *TABLES, tmp_path, AS_OF)
    sheet = openpyxl.load_workbook(paths["undelivered_report_xlsx"]).active
    rows = list(sheet.iter_rows(values_only=False))
    header_row = next(i for i, r in enumerate(rows) if r[0].value == "as_of")
    header = [c.value for c in rows[header_row]]
    cell = rows[header_row + 1][header.index("delivered_value")]
    assert cell.value == pytest.approx(1234.57)
    assert cell.number_format == MONEY_FORMAT
    assert "undelivered $999.99" in rows[1][0].value
    status = openpyxl.load_workbook(paths["delivery_status_xlsx"]).active
    assert status.max_row >= 4  # title lines, blank, header, 2 lines


def test_publish_refuses_an_overflowed_c1_table_and_writes_nothing(con, tmp_path):
    insert(con, "case_lines", line(1, ordered_quantity=5_000_000))
    insert(con, "deliveries", delivery("D1", quantity=1_000_000))
    build_all(con)
    out = tmp_path / "out"
    with pytest.raises(C1FileError, match="above 999,999"):
        publish_delivery_outputs(con, *TABLES, out, AS_OF)
    assert not out.exists() or list(out.iterdir()) == []


def test_publish_refuses_tables_built_for_another_date(built, tmp_path):
    with pytest.raises(ValueError, match="is not as of 2026-03-31"):
        publish_delivery_outputs(built, *TABLES, tmp_path, d("2026-03-31"))
