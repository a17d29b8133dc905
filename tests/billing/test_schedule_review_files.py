"""The payment schedule review's files (SAMM C9.9.3, Table C9.T15): the summary of the cases
needing a revision, ranked by their largest |variance|, and a T15 workbook per such case, from
a hand-filled payment_schedule_review table (tests/report_helpers.py: the worked example of
fms-domain.md, a SHORT case and a case within its threshold)."""

from __future__ import annotations

import csv
from decimal import Decimal

import duckdb
import openpyxl
import pytest

from fms.billing.schedule_review_files import (
    DETAIL_SHEET,
    T15_SHEET,
    samm_date,
    write_schedule_review_files,
)
from fms.outputs import MONEY_FORMAT
from tests.handbuilt import d, insert, open_warehouse
from tests.report_helpers import REVIEW_AS_OF, create_schedule_review

TABLE = "staging.payment_schedule_review"
SUMMARY_HEADER = [
    "rank",
    "country_code",
    "purchaser_name",
    "case_id",
    "direction",
    "largest_variance",
    "largest_variance_payment_date",
    "threshold",
    "scheduled_before",
    "collections_received",
    "next_payment_date",
    "next_revised_quarterly",
    "estimated_total_cost",
    "as_of",
]


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    insert(
        con,
        "countries",
        {"country_code": "XX", "name": "Exampleland"},
        {"country_code": "UK", "name": "United Kingdom"},
    )
    create_schedule_review(con, TABLE)
    yield con
    con.close()


def read_csv(path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def t15_rows(book, first_label: str = "Payment Date") -> list[tuple]:
    """The T15 table of the revision sheet: from its header row to the end."""
    sheet = book[T15_SHEET]
    top = next(r for r in range(1, 30) if sheet.cell(r, 1).value == first_label)
    return [tuple(sheet.cell(r, c).value for c in (1, 2, 3)) for r in range(top, sheet.max_row + 1)]


def test_the_files_are_the_summary_and_one_workbook_per_case_to_revise(con, tmp_path):
    paths = write_schedule_review_files(con, TABLE, tmp_path / "out", REVIEW_AS_OF)
    # The largest |variance| first: UK-D-SHT (-900,000.00), then XX-D-W01 (+601,600.00);
    # UK-D-OKK (+50,000.00 within 100,000.00) needs none.
    assert [p.name for p in paths] == [
        "payment_schedule_review_2026Q3.csv",
        "payment_schedule_review_2026Q3.xlsx",
        "schedule_revision_UK-D-SHT_2026Q3.xlsx",
        "schedule_revision_XX-D-W01_2026Q3.xlsx",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_the_summary_ranks_the_cases_by_their_largest_variance_to_the_cent(con, tmp_path):
    write_schedule_review_files(con, TABLE, tmp_path, REVIEW_AS_OF)
    assert read_csv(tmp_path / "payment_schedule_review_2026Q3.csv") == [
        SUMMARY_HEADER,
        # UK-D-SHT: V_2 = 3,000,000 - 3,900,000 on 15 Mar 2027 (V_1 = -200,000 is smaller);
        # next: 15 Dec 2026, 2,700,000 - 2,000,000 received.
        [
            "1",
            "UK",
            "United Kingdom",
            "UK-D-SHT",
            "SHORT",
            "-900000.00",
            "2027-03-15",
            "250000.00",
            "2000000.00",
            "2000000.00",
            "2026-12-15",
            "700000.00",
            "5160000.00",
            "2026-09-30",
        ],
        # The worked example: V_1 = 7,500,000 - 6,898,400; next 6,898,400 - 5,500,000.
        [
            "2",
            "XX",
            "Exampleland",
            "XX-D-W01",
            "AHEAD",
            "601600.00",
            "2026-12-15",
            "500000.00",
            "6500000.00",
            "5500000.00",
            "2026-12-15",
            "1398400.00",
            "10320000.00",
            "2026-09-30",
        ],
    ]


def test_the_summary_workbook_holds_the_same_rows_under_its_figures(con, tmp_path):
    write_schedule_review_files(con, TABLE, tmp_path, REVIEW_AS_OF)
    sheet = openpyxl.load_workbook(tmp_path / "payment_schedule_review_2026Q3.xlsx").active
    titles = [sheet.cell(r, 1).value for r in range(1, 5)]
    assert titles[1] == (
        "2 of 3 cases reviewed: 1 SHORT (largest variances $900,000.00), 1 AHEAD ($601,600.00)."
    )
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "rank")
    assert [c.value for c in sheet[header]] == SUMMARY_HEADER
    first = sheet[header + 1]
    assert first[3].value == "UK-D-SHT"
    assert Decimal(str(first[5].value)) == Decimal("-900000.00")
    assert first[5].number_format == MONEY_FORMAT
    assert Decimal(str(sheet.cell(header + 2, 13).value)) == Decimal("10320000.00")
    assert sheet.max_row == header + 2


def test_a_revision_workbook_is_laid_out_as_table_c9_t15(con, tmp_path):
    write_schedule_review_files(con, TABLE, tmp_path, REVIEW_AS_OF)
    book = openpyxl.load_workbook(tmp_path / "schedule_revision_XX-D-W01_2026Q3.xlsx")
    assert book.sheetnames == [T15_SHEET, DETAIL_SHEET]
    # fms-domain.md's worked example: A = 5,500,000.00; revised 15 Dec 2026 1,398,400.00
    # (cumulative R_1 = 6,898,400.00), 15 Mar 2027 3,421,600.00 (the total 10,320,000.00).
    assert t15_rows(book) == [
        ("Payment Date", "Quarterly", "Cumulative"),
        ("Previous Payments Scheduled (30 SEP 2026)", "N/A", 6500000),
        ("Current USG Financial Requirements", None, 6898400),
        ("Amount received from Purchaser", None, 5500000),
        ("Revised Payments Scheduled", None, None),
        ("15 DEC 2026", 1398400, 6898400),
        ("15 MAR 2027", 3421600, 10320000),
    ]
    sheet = book[T15_SHEET]
    amounts = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, int | float)]
    assert {c.number_format for c in amounts} == {MONEY_FORMAT}
    titles = [tuple(c.value for c in row[:2]) for row in sheet.iter_rows(max_row=7)]
    assert titles == [
        ("Payment Schedule Revision (SAMM C9.9.3.2, Table C9.T15)", None),
        ("Case XX-D-W01 · Purchaser XX Exampleland", None),
        ("Payment schedule review as of 30 SEP 2026 (SAMM C9.9.3)", None),
        ("Largest variance, 15 DEC 2026 (AHEAD)", 601600),
        ("Revision threshold", 500000),
        ("Estimated total cost", 10320000),
        (
            "AHEAD: the schedule asks more than the USG needs by then (the purchaser's cash sits "
            "in the case).",
            None,
        ),
    ]
    assert sheet.page_setup.orientation == "landscape"


def test_a_revision_workbook_details_each_payment_date(con, tmp_path):
    write_schedule_review_files(con, TABLE, tmp_path, REVIEW_AS_OF)
    book = openpyxl.load_workbook(tmp_path / "schedule_revision_UK-D-SHT_2026Q3.xlsx")
    sheet = book[DETAIL_SHEET]
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Payment number")
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=header + 1)]
    assert body == [
        [1, "15 DEC 2026", "01 JAN 2027", "31 MAR 2027", 500000, 2500000, 2700000, -200000,
         "NONE", 700000, 2700000],
        [2, "15 MAR 2027", "01 APR 2027", "30 JUN 2027", 500000, 3000000, 3900000, -900000,
         "SHORT", 1200000, 3900000],
        [3, "15 JUN 2027", "01 JUL 2027", "30 SEP 2027", 500000, 3500000, None, None,
         "NONE", 1260000, 5160000],
    ]  # fmt: skip
    assert t15_rows(book)[1:4] == [
        ("Previous Payments Scheduled (30 SEP 2026)", "N/A", 2000000),
        ("Current USG Financial Requirements", None, 2700000),
        ("Amount received from Purchaser", None, 2000000),
    ]


def test_amounts_are_exact_to_the_cent(con, tmp_path):
    # Cents survive the workbook: Excel's doubles hold every amount below 10^13 to the cent.
    con.execute(
        f"UPDATE {TABLE} SET revised_quarterly = revised_quarterly + 0.07, "
        "revised_cumulative = revised_cumulative + 0.07 WHERE case_id = 'XX-D-W01'"
    )
    write_schedule_review_files(con, TABLE, tmp_path, REVIEW_AS_OF)
    book = openpyxl.load_workbook(tmp_path / "schedule_revision_XX-D-W01_2026Q3.xlsx")
    revised = [(Decimal(str(q)), Decimal(str(c))) for _, q, c in t15_rows(book)[-2:]]
    assert revised == [
        (Decimal("1398400.07"), Decimal("6898400.07")),
        (Decimal("3421600.07"), Decimal("10320000.07")),
    ]
    summary = read_csv(tmp_path / "payment_schedule_review_2026Q3.csv")
    assert summary[2][SUMMARY_HEADER.index("next_revised_quarterly")] == "1398400.07"


def test_a_case_within_its_threshold_gets_no_workbook(con, tmp_path):
    paths = write_schedule_review_files(con, TABLE, tmp_path, REVIEW_AS_OF, case_id="UK-D-OKK")
    assert [p.name for p in paths] == [
        "payment_schedule_review_2026Q3_UK-D-OKK.csv",
        "payment_schedule_review_2026Q3_UK-D-OKK.xlsx",
    ]
    assert read_csv(paths[0]) == [SUMMARY_HEADER]  # nothing to revise, said by the header alone
    sheet = openpyxl.load_workbook(paths[1]).active
    assert sheet.cell(3, 1).value == (
        "0 of 1 cases reviewed: 0 SHORT (largest variances $0.00), 0 AHEAD ($0.00)."
    )


def test_a_purchaser_selection_writes_only_its_cases(con, tmp_path):
    paths = write_schedule_review_files(con, TABLE, tmp_path, REVIEW_AS_OF, purchaser="XX")
    assert [p.name for p in paths] == [
        "payment_schedule_review_2026Q3_XX.csv",
        "payment_schedule_review_2026Q3_XX.xlsx",
        "schedule_revision_XX-D-W01_2026Q3.xlsx",
    ]
    listed = read_csv(paths[0])[1:]
    assert [(r[0], r[3]) for r in listed] == [("1", "XX-D-W01")]
    sheet = openpyxl.load_workbook(paths[1]).active
    assert sheet.cell(2, 1).value == "Ad-hoc run: purchaser XX only."


@pytest.mark.parametrize(
    ("as_of", "message"),
    [(d("2026-09-29"), "not a quarter end"), (d("2026-06-30"), "is not as of 2026-06-30")],
)
def test_nothing_is_written_for_another_date(con, tmp_path, as_of, message):
    with pytest.raises(ValueError, match=message):
        write_schedule_review_files(con, TABLE, tmp_path / "out", as_of)
    assert not (tmp_path / "out").exists()


def test_the_files_read_a_read_only_warehouse(con, tmp_path):
    con.close()
    with duckdb.connect(str(tmp_path / "test.duckdb"), read_only=True) as ro:
        paths = write_schedule_review_files(ro, TABLE, tmp_path / "out", REVIEW_AS_OF)
    assert len(paths) == 4


@pytest.mark.parametrize(
    ("day", "text"),
    [(d("2026-12-15"), "15 DEC 2026"), (d("2027-03-01"), "01 MAR 2027")],
)
def test_samm_dates_are_day_month_year_in_capitals(day, text):
    assert samm_date(day) == text
