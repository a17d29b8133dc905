"""The DuckDB-rendered workbook reads back, cell for cell, as what fms.outputs.write_xlsx writes
for the same rows: same values, same cell types, same number formats, same rules for amounts
beyond Excel's 15 digits and for text a spreadsheet could run."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

import duckdb
import openpyxl
import pytest

from fms.outputs import DATE_FORMAT, MONEY_FORMAT, Sheet, write_csv, write_xlsx
from fms.table_workbook import (
    EXCEL_MAX_ROWS,
    TableSheet,
    column_letter,
    write_table_csv,
    write_tables_xlsx,
)
from tests.output_helpers import write_table_xlsx

ROWS = [
    # id, amount (money), rate, count, day, flag, text
    (1, Decimal("1234.50"), Decimal("0.0400"), 7, date(2026, 11, 5), True, "plain"),
    (2, Decimal("-9999999999999.99"), Decimal("1.5"), 10**15 - 1, date(1900, 3, 1), False, "=1+1"),
    (3, Decimal("10000000000000.00"), None, 10**15, date(1899, 12, 31), None, 'a & b <c> "d"'),
    (4, Decimal("0.01"), Decimal("0"), -5, None, True, "tab\tcr\rlf\nend"),
    (5, None, Decimal("12.345678"), None, date(9999, 12, 31), False, "bell\x07 and \x1f"),
    (6, Decimal("-0.01"), Decimal("3"), 0, date(2000, 2, 29), True, "_x0041_ stays literal"),
    (7, Decimal("99.99"), Decimal("2"), 1, date(2026, 1, 1), True, "x" * 40_000),
    (8, Decimal("5.00"), Decimal("2"), 1, date(2026, 1, 1), True, None),
]
COLUMNS = ["id", "amount", "rate", "quantity", "day", "flag", "note"]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (id INTEGER, amount DECIMAL(18,2), rate DECIMAL(9,6), quantity BIGINT, "
        "day DATE, flag BOOLEAN, note VARCHAR)"
    )
    # Inserted out of order: the sheet's order comes from order_by.
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", list(reversed(ROWS)))
    yield con
    con.close()


def _cells(path):
    sheet = openpyxl.load_workbook(path).active
    return sheet, [[(c.value, c.number_format, c.data_type) for c in row] for row in sheet]


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_reads_back_as_write_xlsx_writes_the_same_rows(con, tmp_path):
    titles = ("Delivery status as of 2026-11-05 & more", "second line")
    write_table_xlsx(
        con,
        tmp_path / "fast.xlsx",
        TableSheet("Status", "t", ("id",), money=frozenset({"amount"}), title_lines=titles),
    )
    write_xlsx(
        tmp_path / "slow.xlsx",
        [Sheet("Status", COLUMNS, ROWS, money=frozenset({"amount"}), title_lines=titles)],
    )
    fast_sheet, fast = _cells(tmp_path / "fast.xlsx")
    slow_sheet, slow = _cells(tmp_path / "slow.xlsx")
    # Two deliberate differences. xlsxwriter writes 1899-12-31 as a time of day: here it is
    # text. xlsxwriter leaves a literal "_x0041_" for Excel to show as "A": here it is escaped.
    day, note = COLUMNS.index("day"), COLUMNS.index("note")
    assert fast[6][day] == ("1899-12-31", "General", "s")
    assert fast[9][note][0] == "_x005F" + slow[9][note][0]
    fast[6][day], fast[9][note] = slow[6][day], slow[9][note]
    assert fast == slow
    assert fast_sheet.freeze_panes == slow_sheet.freeze_panes == "A5"
    assert fast_sheet.auto_filter.ref == slow_sheet.auto_filter.ref == "A4:G12"
    assert fast_sheet.title == "Status"


def test_cells_hold_the_exact_figures(con, tmp_path):
    write_table_xlsx(
        con, tmp_path / "t.xlsx", TableSheet("t", "t", ("id",), money=frozenset({"amount"}))
    )
    _, rows = _cells(tmp_path / "t.xlsx")
    header, data = rows[0], rows[1:]
    assert [v for v, _, _ in header] == COLUMNS
    by_id = {r[0][0]: r for r in data}
    assert [r[0][0] for r in data] == [1, 2, 3, 4, 5, 6, 7, 8]
    amount, rate, quantity, day, flag, note = (by_id[1][i] for i in range(1, 7))
    assert amount == (1234.5, MONEY_FORMAT, "n")
    assert rate[0] == 0.04 and rate[1] == "0.00####"
    assert quantity == (7, "General", "n")
    assert day == (datetime(2026, 11, 5), DATE_FORMAT, "d")
    assert flag[0] is True and note[0] == "plain"
    # Below 10^13 a number to the cent; from 10^13 on (10^15 for integers) exact text.
    assert Decimal(str(by_id[2][1][0])) == Decimal("-9999999999999.99")
    assert by_id[3][1][:1] == ("10000000000000.00",)
    assert by_id[2][3][0] == 10**15 - 1 and by_id[3][3][0] == str(10**15)
    # Excel's serial days start 1900-03-01; earlier dates are text.
    assert by_id[2][4][0] == datetime(1900, 3, 1) and by_id[3][4][0] == "1899-12-31"
    assert by_id[5][4][0] == datetime(9999, 12, 31)
    # Text stays text, formula-looking text included. Control characters and a literal _xHHHH_
    # are written in Excel's escapes (as xlsxwriter does; openpyxl shows them unescaped).
    assert by_id[2][6][:1] == ("=1+1",) and by_id[2][6][2] == "s"
    assert by_id[3][6][0] == 'a & b <c> "d"'
    assert by_id[4][6][0] == "tab\tcr_x000D_lf\nend"  # Excel reads _x000D_ as the CR
    assert by_id[5][6][0] == "bell_x0007_ and _x001F_"
    assert by_id[6][6][0] == "_x005F_x0041_ stays literal"  # Excel shows _x0041_
    assert by_id[7][6][0] == "x" * 32767  # Excel's longest cell text
    # NULLs are blank cells.
    assert by_id[5][1][0] is None and by_id[3][5][0] is None and by_id[8][6][0] is None


def test_same_table_same_bytes(con, tmp_path):
    sheet = TableSheet("t", "t", ("id",), money=frozenset({"amount"}), title_lines=("x",))
    first = write_table_xlsx(con, tmp_path / "a.xlsx", sheet).read_bytes()
    second = write_table_xlsx(con, tmp_path / "b.xlsx", sheet).read_bytes()
    assert first == second
    assert zipfile.ZipFile(tmp_path / "a.xlsx").testzip() is None


def test_an_empty_table_is_a_header_only_sheet(con, tmp_path):
    con.execute("DELETE FROM t")
    write_table_xlsx(con, tmp_path / "e.xlsx", TableSheet("e", "t", ("id",)))
    sheet, rows = _cells(tmp_path / "e.xlsx")
    assert [[v for v, _, _ in r] for r in rows] == [COLUMNS]
    assert sheet.auto_filter.ref is None


def test_floats_are_refused(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE f AS SELECT 1.5::DOUBLE AS x")
    with pytest.raises(TypeError, match="floats are not written"):
        write_table_xlsx(con, tmp_path / "f.xlsx", TableSheet("f", "f", ("x",)))
    assert not (tmp_path / "f.xlsx").exists()


def test_csv_reads_back_as_write_csv_writes_the_same_rows(con, tmp_path):
    write_table_csv(con, tmp_path / "fast.csv", "t", ("id",))
    # write_csv is given the rows as read from the table (its decimals carry the table's scale).
    write_csv(tmp_path / "slow.csv", COLUMNS, con.execute("SELECT * FROM t ORDER BY id").fetchall())

    def parsed(path):
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.reader(fh))

    fast, slow = parsed(tmp_path / "fast.csv"), parsed(tmp_path / "slow.csv")
    assert fast == slow
    assert fast[1] == ["1", "1234.50", "0.040000", "7", "2026-11-05", "true", "plain"]
    assert fast[2][6] == "'=1+1"  # defused, as write_csv does
    # Same table, same bytes.
    again = write_table_csv(con, tmp_path / "again.csv", "t", ("id",))
    assert again.read_bytes() == (tmp_path / "fast.csv").read_bytes()


def test_csv_refuses_floats(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE f AS SELECT 1.5::DOUBLE AS x")
    with pytest.raises(TypeError, match="floats are not written"):
        write_table_csv(con, tmp_path / "f.csv", "f", ("x",))
    assert not (tmp_path / "f.csv").exists()


def test_several_sheets_read_back_as_write_xlsx_writes_them(con, tmp_path):
    # The second sheet is ordered by a position column it does not show (a listing's order).
    con.execute(
        "CREATE TABLE totals AS SELECT * FROM (VALUES "
        "('UK', 3, 2, DECIMAL '10.00'), ('AU', 1, 1, DECIMAL '99.99'), ('JA', 2, 0, NULL)) "
        "AS v(country, position, cases, locked)"
    )
    con.execute("ALTER TABLE totals ALTER locked TYPE DECIMAL(18, 2)")
    titles = ("Worklist as of 2026-11-05",)
    write_tables_xlsx(
        con,
        tmp_path / "fast.xlsx",
        [
            TableSheet("Worklist", "t", ("id",), money=frozenset({"amount"}), title_lines=titles),
            TableSheet(
                "Totals",
                "totals",
                ("position",),
                money=frozenset({"locked"}),
                hidden=frozenset({"position"}),
            ),
        ],
    )
    totals = [("AU", 1, Decimal("99.99")), ("JA", 0, None), ("UK", 2, Decimal("10.00"))]
    write_xlsx(
        tmp_path / "slow.xlsx",
        [
            Sheet("Worklist", COLUMNS, ROWS, money=frozenset({"amount"}), title_lines=titles),
            Sheet("Totals", ["country", "cases", "locked"], totals, money=frozenset({"locked"})),
        ],
    )
    fast, slow = (
        openpyxl.load_workbook(tmp_path / "fast.xlsx"),
        openpyxl.load_workbook(tmp_path / "slow.xlsx"),
    )
    assert fast.sheetnames == slow.sheetnames == ["Worklist", "Totals"]
    assert fast.active.title == "Worklist"
    for fast_sheet, slow_sheet in zip(fast.worksheets, slow.worksheets, strict=True):
        fast_cells = [[(c.value, c.number_format, c.data_type) for c in r] for r in fast_sheet]
        slow_cells = [[(c.value, c.number_format, c.data_type) for c in r] for r in slow_sheet]
        if fast_sheet.title == "Worklist":  # the two deliberate differences (see above)
            day, note = COLUMNS.index("day"), COLUMNS.index("note")
            fast_cells[5][day], fast_cells[8][note] = slow_cells[5][day], slow_cells[8][note]
        assert fast_cells == slow_cells
        assert fast_sheet.freeze_panes == slow_sheet.freeze_panes
        assert fast_sheet.auto_filter.ref == slow_sheet.auto_filter.ref
    assert [c.value for c in fast["Totals"]["A"]] == ["country", "AU", "JA", "UK"]
    assert fast["Totals"]["C2"].value == 99.99 and fast["Totals"]["C2"].number_format == (
        MONEY_FORMAT
    )


def test_a_hidden_column_orders_the_csv_and_is_not_written(con, tmp_path):
    con.execute(
        "CREATE TABLE listing AS SELECT * FROM (VALUES ('b', 2), ('c', 1), ('a', 3)) AS v(x, pos)"
    )
    path = write_table_csv(con, tmp_path / "l.csv", "listing", ("pos",), frozenset({"pos"}))
    assert path.read_text() == "x\nc\nb\na\n"


def test_sheets_are_checked_before_anything_is_written(con, tmp_path):
    with pytest.raises(ValueError, match="sheet names repeat"):
        write_tables_xlsx(con, tmp_path / "r.xlsx", [TableSheet("t", "t", ("id",))] * 2)
    with pytest.raises(ValueError, match="hidden columns not in the table: nope"):
        write_table_xlsx(
            con, tmp_path / "h.xlsx", TableSheet("t", "t", ("id",), hidden=frozenset({"nope"}))
        )
    con.execute("CREATE TABLE f AS SELECT 1.5::DOUBLE AS x")
    with pytest.raises(TypeError, match="floats are not written"):
        write_tables_xlsx(
            con, tmp_path / "f.xlsx", [TableSheet("t", "t", ("id",)), TableSheet("f", "f", ("x",))]
        )
    assert not list(tmp_path.iterdir())


def test_publishing_listings_are_dropped_even_when_a_file_fails(tmp_path):
    # The worklists materialize their queries as temporary tables; a failed write leaves none
    # behind on the connection (the next publication on it starts clean).
    from fms.sqlfiles import temporary_tables

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE quarantine (batch VARCHAR, entity VARCHAR, file VARCHAR, "
        'row_number BIGINT, "row" VARCHAR, reason_code VARCHAR, reason VARCHAR, '
        "resolved_in_batch VARCHAR, retryable BOOLEAN)"
    )
    with pytest.raises(RuntimeError, match="disk full"):
        with temporary_tables(con, {"listing": ("reports/select_quarantine_worklist", None)}):
            assert con.execute("SELECT count(*) FROM temp.listing").fetchall() == [(0,)]
            raise RuntimeError("disk full")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]


def _sheet_rows(book, name):
    return [[(c.value, c.number_format) for c in row] for row in book[name].iter_rows()]


def test_a_table_beyond_a_sheet_continues_on_numbered_sheets_with_titles_and_header(con, tmp_path):
    titles = ("Rows to fix",)
    sheet = TableSheet("Worklist", "t", ("id",), money=frozenset({"amount"}), title_lines=titles)
    write_table_xlsx(con, tmp_path / "one.xlsx", sheet)
    # 8 rows a sheet: title, note, blank, header and 4 data rows; the 8 rows need 2 sheets.
    write_table_xlsx(con, tmp_path / "split.xlsx", sheet, max_rows=8)
    one = openpyxl.load_workbook(tmp_path / "one.xlsx")
    split = openpyxl.load_workbook(tmp_path / "split.xlsx")
    assert split.sheetnames == ["Worklist", "Worklist_2"]
    header = _sheet_rows(one, "Worklist")[2]
    data = []
    for name, note in (
        (
            "Worklist",
            "Part 1 of 2: rows 1 to 4 of 8 (a sheet holds 8 rows); continued on sheet Worklist_2.",
        ),
        ("Worklist_2", "Part 2 of 2: rows 5 to 8 of 8 (a sheet holds 8 rows); the last part."),
    ):
        rows = _sheet_rows(split, name)
        assert len(rows) <= 8
        assert [r[0][0] for r in rows[:3]] == ["Rows to fix", note, None]
        assert rows[3] == header
        assert split[name].freeze_panes == "A5"
        assert split[name].auto_filter.ref == f"A4:G{len(rows)}"
        data += rows[4:]
    # Every row once, in order, the same cells with the same formats.
    assert data == _sheet_rows(one, "Worklist")[3:]
    assert (Decimal(str(data[5][1][0])), data[5][1][1]) == (Decimal("-0.01"), MONEY_FORMAT)


def test_a_continued_sheet_name_keeps_its_number_within_31_characters(con, tmp_path):
    name = "A sheet name of thirty-one char"
    write_table_xlsx(con, tmp_path / "n.xlsx", TableSheet(name, "t", ("id",)), max_rows=5)
    assert openpyxl.load_workbook(tmp_path / "n.xlsx").sheetnames == [
        name,
        "A sheet name of thirty-one ch_2",
        "A sheet name of thirty-one ch_3",
        "A sheet name of thirty-one ch_4",
    ]


def _worksheet_rows(path):
    """(sheet name, number of <row> elements, last row number) of each worksheet, streamed."""
    found = []
    with zipfile.ZipFile(path) as book:
        names = re.findall(r'<sheet name="([^"]+)"', book.read("xl/workbook.xml").decode())
        for number, name in enumerate(names, start=1):
            count, last, tail = 0, 0, b""
            with book.open(f"xl/worksheets/sheet{number}.xml") as xml:
                for chunk in iter(lambda xml=xml: xml.read(1 << 20), b""):
                    text = tail + chunk
                    rows = re.findall(rb'<row r="(\d+)"', text)
                    count += len(rows) - len(re.findall(rb'<row r="(\d+)"', tail))
                    last = int(rows[-1]) if rows else last
                    tail = text[-40:]
            found.append((name, count, last))
    return found


def test_no_sheet_goes_past_excels_1048576_rows(tmp_path):
    con = duckdb.connect()
    titles = ("Quarantined input rows", "fix and resubmit")
    fits = EXCEL_MAX_ROWS - 4  # two title lines, a blank row and the header
    con.execute("CREATE TABLE big AS SELECT i AS id FROM range(1, $n + 2) AS r(i)", {"n": fits})
    path = write_table_xlsx(
        con, tmp_path / "big.xlsx", TableSheet("Rows", "big", ("id",), title_lines=titles)
    )
    (first, rows_1, last_1), (second, rows_2, last_2) = _worksheet_rows(path)
    assert (first, second) == ("Rows", "Rows_2")
    assert last_1 == EXCEL_MAX_ROWS and last_2 <= EXCEL_MAX_ROWS
    # Each sheet: the title lines, the note and the header (the blank row has no element).
    assert (rows_1 - 4) + (rows_2 - 4) == fits + 1


def test_the_quarantine_worklist_continues_past_the_sheet_limit(tmp_path, monkeypatch):
    # The case (1.1M quarantined rows) at a limit of 12 rows a sheet.
    from fms import table_workbook
    from fms.ingest.worklist import write_quarantine_worklist
    from fms.warehouse import create_schema

    monkeypatch.setattr(table_workbook, "EXCEL_MAX_ROWS", 12)
    con = duckdb.connect()
    create_schema(con)
    con.execute(
        "INSERT INTO quarantine SELECT 'b1', 'deliveries', 'deliveries.csv', i, '{}', "
        "'BAD_NUMBER', 'quantity is not a whole number', NULL, false FROM range(1, 12) AS r(i)"
    )
    write_quarantine_worklist(con, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "quarantine_worklist.xlsx")
    # Two title lines, the note, a blank row and the header leave 7 rows a sheet.
    assert book.sheetnames == ["Rows to fix", "Rows to fix_2", "Load totals"]
    numbers = [
        row[3]
        for name in book.sheetnames[:2]
        for row in book[name].iter_rows(min_row=6, values_only=True)
    ]
    assert numbers == list(range(1, 12))
    assert book["Rows to fix_2"]["A3"].value.startswith("Part 2 of 2: rows 8 to 11 of 11")
    csv_rows = (tmp_path / "quarantine_worklist.csv").read_text().splitlines()
    assert len(csv_rows) == 12  # the CSV holds every row, whatever their number


def test_a_statement_sheet_beyond_its_rows_continues_as_the_duckdb_workbook_does(con, tmp_path):
    """write_xlsx (the statements' writer) splits a sheet as write_table_xlsx does: xlsxwriter
    itself drops every row past the limit without a word."""
    titles = ("Rows to fix",)
    rows = con.execute("SELECT * FROM t ORDER BY id").fetchall()
    columns = [d[0] for d in con.execute("SELECT * FROM t").description]
    sheet = Sheet("Worklist", columns, rows, money=frozenset({"amount"}), title_lines=titles)
    write_xlsx(tmp_path / "one.xlsx", [sheet])
    write_xlsx(tmp_path / "split.xlsx", [sheet], max_rows=8)
    table = TableSheet("Worklist", "t", ("id",), money=frozenset({"amount"}), title_lines=titles)
    write_table_xlsx(con, tmp_path / "duckdb.xlsx", table, max_rows=8)
    one = openpyxl.load_workbook(tmp_path / "one.xlsx")
    split = openpyxl.load_workbook(tmp_path / "split.xlsx")
    duck = openpyxl.load_workbook(tmp_path / "duckdb.xlsx")
    assert split.sheetnames == duck.sheetnames == ["Worklist", "Worklist_2"]
    data = []
    for name in split.sheetnames:
        rows = _sheet_rows(split, name)
        assert rows[:4] == _sheet_rows(duck, name)[:4]  # title, note, blank line, header
        assert split[name].freeze_panes == duck[name].freeze_panes == "A5"
        assert split[name].auto_filter.ref == duck[name].auto_filter.ref
        data += rows[4:]
    assert data == _sheet_rows(one, "Worklist")[3:]  # every row once, in order, same cells
