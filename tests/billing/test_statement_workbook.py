"""The DD 645 workbook opens ready and prints (issue 18): columns wide enough for what they
show, the heading's figures as labelled number cells, the totals outside the autofilter, the
case detail headed in words with the form's column numbers, the print setup of a mailed
document; an ad-hoc run of one case named after the case."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, range_boundaries

from fms.billing.documents import (
    CASE_DETAIL_FIELDS,
    DD645_COLUMNS,
    MONEY_FIELDS,
    statement_stem,
    write_statement_files,
)
from fms.billing.publication import publish_statements, write_adhoc_statements
from fms.billing.statements import build_billing_statements, build_purchaser_statements
from fms.formatting import dollars
from fms.outputs import MONEY_FORMAT, Sheet, shown_text, write_xlsx
from tests.billing.builders import E, money
from tests.billing.worked_example import CASE, insert_worked_example
from tests.handbuilt import open_warehouse

WIDE = Decimal("1152543907.11")  # showed as ##### in a column 22 wide with the heading bold


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    insert_worked_example(con, CASE, "Exampleland")
    yield con
    con.close()


def records(con, sql):
    result = con.execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@pytest.fixture
def statement(con, tmp_path):
    """The worked example's published revision 1 (fms-domain.md, "Quarterly billing")."""
    build_billing_statements(con, E)
    publish_statements(con, E, "staging.billing_statements", tmp_path / "2026Q3")
    return openpyxl.load_workbook(tmp_path / "2026Q3" / "statement_XX_2026Q3_r1.xlsx")


def width(sheet, column: int) -> float:
    """The width openpyxl reads for a column (xlsxwriter writes neighbours of one width as one
    <col min max> element, which openpyxl keys by its first letter)."""
    for key, dim in sheet.column_dimensions.items():
        first = column_index_from_string(key)
        if (dim.min or first) <= column <= (dim.max or first):
            return dim.width
    raise AssertionError(f"no width for column {column} of {sheet.title}")


def header_row(sheet) -> int:
    return next(r for r in range(1, 40) if sheet.cell(r, 1).value == DD645_COLUMNS[0][0])


def figures(sheet) -> dict[str, object]:
    """The heading's labelled figures: label in column A, the cell in column B."""
    return {
        sheet.cell(r, 1).value: sheet.cell(r, 2)
        for r in range(1, header_row(sheet))
        if sheet.cell(r, 2).value is not None
    }


def test_the_heading_figures_are_number_cells_exact_to_the_cent(statement):
    cells = figures(statement["Statement"])
    # Worked example: amount due 7,500,000 - 5,500,000 = 2,000,000.00; arrearage 1,000,000.00;
    # interest 1,000,000 x 0.04 x 15 / 365 = 1,643.84; no collection without a case.
    expected = {
        "Amount due and payable": money("2,000,000.00"),
        "Arrearage": money("1,000,000.00"),
        "Interest": money("1,643.84"),
        "Holding account balance": money("0.00"),
    }
    for label, amount in expected.items():
        cell = cells[label]
        assert cell.data_type == "n" and cell.number_format == MONEY_FORMAT, label
        assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == amount, label
    assert cells["Statement date"].value == datetime(2026, 10, 15)
    assert cells["Statement date"].data_type == "d"
    assert cells["Payment due date"].value == datetime(2026, 12, 15)
    assert cells["Revision"].value == 1


def test_the_totals_sit_outside_the_autofilter(statement):
    sheet = statement["Statement"]
    top = header_row(sheet)
    _, first, columns, last = range_boundaries(sheet.auto_filter.ref)
    assert (first, columns) == (top, len(DD645_COLUMNS))
    labels = [sheet.cell(r, 1).value for r in range(top + 1, sheet.max_row + 1)]
    assert labels == [CASE, None, "Total"]
    assert last == top + 1  # the case row only: sorting or filtering never moves the total
    total = sheet.cell(top + 3, 14)
    assert total.font.b and Decimal(str(total.value)) == money("2,000,000.00")


def test_the_case_detail_is_headed_in_words_with_the_dd645_column_numbers(statement, tmp_path):
    sheet = statement["Case detail"]
    headings = [c.value for c in sheet[1]]
    assert len(headings) == len(CASE_DETAIL_FIELDS)
    assert not [h for h in headings if "_" in h or h != h.strip()]
    numbers = [int(m[1]) for h in headings if (m := re.match(r"\((\d+)\) ", h))]
    assert sorted(numbers) == list(range(1, 15))  # every DD 645 column, each once
    by_field = dict(zip(CASE_DETAIL_FIELDS, headings, strict=True))
    for heading, field in DD645_COLUMNS:
        assert by_field[field] == heading  # the same words as on the statement sheet
    assert by_field["collections_cumulative"] == "(10) Cumulative Payments Received"
    due = sheet.cell(2, CASE_DETAIL_FIELDS.index("amount_due") + 1)
    assert due.number_format == MONEY_FORMAT and Decimal(str(due.value)) == money("2,000,000.00")
    money_columns = {
        f
        for f, h in by_field.items()
        if sheet.cell(2, headings.index(h) + 1).number_format == MONEY_FORMAT
    }
    assert money_columns == MONEY_FIELDS
    # The CSV is for programs: billing_statements' column names (data contract).
    with (tmp_path / "2026Q3" / "statement_XX_2026Q3_r1.csv").open() as fh:
        assert next(csv.reader(fh)) == list(CASE_DETAIL_FIELDS)


def test_every_sheet_prints_landscape_one_page_wide_with_its_heading_and_page_numbers(statement):
    for sheet in statement:
        top = header_row(sheet) if sheet.title == "Statement" else 1
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.page_setup.fitToWidth in (None, 1)  # absent: 1, the spec's default
        assert sheet.page_setup.fitToHeight == 0  # as many pages tall as it takes
        assert sheet.print_title_rows == f"$1:${top}"
        assert sheet.oddFooter.center.text == "Page &P of &N"
    assert header_row(statement["Statement"]) > 10  # the title and figures repeat too


def test_columns_are_as_wide_as_the_widest_amount_they_show(con, tmp_path):
    build_billing_statements(con, E)
    build_purchaser_statements(con, E)
    (purchaser,) = records(con, "SELECT * FROM staging.purchaser_statements")
    (case,) = records(con, "SELECT * FROM staging.billing_statements")
    wide = case | {f: WIDE for f in MONEY_FIELDS}
    other = case | {"case_id": "XX-D-W02", "amount_due": -WIDE}
    purchaser |= {"amount_due": 2 * WIDE, "holding_account_balance": -WIDE}
    (book, _) = write_statement_files(tmp_path, purchaser, [wide, other], 1)
    sheet = openpyxl.load_workbook(book)["Statement"]
    top = header_row(sheet)
    for column in range(2, len(DD645_COLUMNS) + 1):
        shown = [
            dollars(Decimal(str(sheet.cell(r, column).value)).quantize(Decimal("0.01")))
            for r in range(top + 1, sheet.max_row + 1)
            if sheet.cell(r, column).value is not None
        ]
        longest = max(shown, key=len)
        assert width(sheet, column) >= len(longest) + 1, (column, longest)
    assert max(len(t) for t in shown) == len("-$1,152,543,907.11")
    # The figures' labels fit column A, their values column B.
    assert width(sheet, 1) >= len("Holding account balance") + 1
    assert width(sheet, 2) >= len(dollars(2 * WIDE)) + 1
    # A long heading wraps in a taller header row instead of widening its column.
    assert width(sheet, 2) < len(DD645_COLUMNS[1][0])
    assert sheet.cell(top, 2).alignment.wrap_text
    assert sheet.row_dimensions[top].height >= 45
    detail = openpyxl.load_workbook(book)["Case detail"]
    column = CASE_DETAIL_FIELDS.index("amount_due") + 1
    assert width(detail, column) >= len(dollars(-WIDE)) + 1


def test_the_shown_text_of_a_cell_is_what_its_format_shows():
    assert shown_text(WIDE, money=True) == "$1,152,543,907.11" == dollars(WIDE)
    assert shown_text(-WIDE, money=True) == "-$1,152,543,907.11"
    assert shown_text(Decimal("0.032")) == "0.032" and shown_text(Decimal("2")) == "2.00"
    assert shown_text(Decimal("1.1234567")) == "1.123457"
    assert shown_text(Decimal("10000000000000.00"), money=True) == "10000000000000.00"  # text


def test_a_long_text_is_capped_and_a_width_given_is_kept(tmp_path):
    rows = [["x" * 500, "short", Decimal("5.00")]]
    sheets = [Sheet("s", ["note", "code", "amount"], rows, widths={"code": 30})]
    write_xlsx(tmp_path / "t.xlsx", sheets)
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert 60 <= width(sheet, 1) < 61  # capped, not 500 wide
    assert 30 <= width(sheet, 2) < 31
    assert 8 <= width(sheet, 3) < 9  # "5.00" and "amount": the minimum


def test_statement_file_names():
    assert statement_stem("UK", E, 2) == "statement_UK_2026Q3_r2"
    assert statement_stem("UK", E, None) == "statement_UK_2026Q3_adhoc"
    assert statement_stem("UK", E, None, "UK-D-AAB") == "statement_UK_2026Q3_adhoc_UK-D-AAB"
    assert statement_stem("UK", E, None, "UK/D AAB") == "statement_UK_2026Q3_adhoc_UK_D_AAB"
    with pytest.raises(ValueError, match="published revision"):
        statement_stem("UK", E, 1, "UK-D-AAB")


def test_an_adhoc_run_of_one_case_names_its_files_after_the_case(con, tmp_path):
    insert_worked_example(con, "XX-D-W02", "Exampleland")
    build_billing_statements(con, E, case_id="XX-D-W02")
    files = write_adhoc_statements(con, E, "staging.billing_statements", tmp_path / "case")
    assert sorted(p.name for p in files) == [
        "statement_XX_2026Q3_adhoc_XX-D-W02.csv",
        "statement_XX_2026Q3_adhoc_XX-D-W02.xlsx",
    ]
    build_billing_statements(con, E, purchaser="XX")
    files = write_adhoc_statements(con, E, "staging.billing_statements", tmp_path / "purchaser")
    assert sorted(p.name for p in files) == [
        "statement_XX_2026Q3_adhoc.csv",
        "statement_XX_2026Q3_adhoc.xlsx",
    ]
    sheet = openpyxl.load_workbook(files[0] if files[0].suffix == ".xlsx" else files[1])
    assert [c.value for c in sheet["Statement"]["A"]][:3] == [
        "FMS Billing Statement (DD Form 645)",
        "Purchaser: XX Exampleland",
        "Statement date",
    ]


def test_a_special_billing_arrangements_bill_sits_with_the_total_outside_the_filter(con, tmp_path):
    build_billing_statements(con, E)
    build_purchaser_statements(con, E)
    (purchaser,) = records(con, "SELECT * FROM staging.purchaser_statements")
    cases = records(con, "SELECT * FROM staging.billing_statements")
    purchaser |= {"special_billing_arrangement": True, "amount_due": money("1,234.56")}
    (book, _) = write_statement_files(tmp_path, purchaser, cases, 1)
    sheet = openpyxl.load_workbook(book)["Statement"]
    top = header_row(sheet)
    labels = [sheet.cell(r, 1).value for r in range(top + 1, sheet.max_row + 1)]
    assert labels == [CASE, None, "Total", "Special Billing Arrangement"]
    assert range_boundaries(sheet.auto_filter.ref)[3] == top + 1
    bill = sheet.cell(sheet.max_row, len(DD645_COLUMNS))
    assert Decimal(str(bill.value)) == money("1,234.56") and bill.number_format == MONEY_FORMAT
    assert sheet.cell(top - 2, 1).value.startswith("Special Billing Arrangement (SAMM C9.10.2)")
