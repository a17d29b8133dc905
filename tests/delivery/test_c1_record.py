"""The C1 record (SAMM Table C9.T18), cumulative quantities and the C1 file."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fms.delivery import (
    C1FileError,
    build_c1_transactions,
    c1_file_name,
    c1_reporting_date_for_month,
    default_delivery_report_as_of,
    write_c1_file,
)
from tests.delivery.builders import delivery, fetch_dicts, line
from tests.handbuilt import d, insert, open_warehouse
from tests.rules_helpers import c1_submission_due_date

AS_OF = d("2026-02-28")


def c1_rows(con, as_of=AS_OF, **filters) -> list[dict]:
    build_c1_transactions(con, as_of, **filters)
    return fetch_dicts(con, "SELECT * FROM c1_transactions ORDER BY case_id, line_number")


@pytest.fixture(scope="module")
def saudi_record(tmp_path_factory) -> str:
    """The record of SA-B-X2Z line 042 with 1,234 delivered (1,000 + 234) as of 2026-02-28."""
    con = open_warehouse(tmp_path_factory.mktemp("saudi"))
    insert(con, "countries", {"country_code": "SA"})
    insert(con, "cases", {"case_id": "SA-B-X2Z"})
    insert(con, "case_lines", line(42, case_id="SA-B-X2Z", generic_code="D2B"))
    insert(
        con,
        "deliveries",
        delivery("S1", 42, case_id="SA-B-X2Z", quantity=1000),
        delivery("S2", 42, case_id="SA-B-X2Z", quantity=234, reported_date=d("2026-02-28")),
    )
    [row] = c1_rows(con)
    con.close()
    return row["record"]


@pytest.mark.parametrize(
    ("first", "last", "expected", "data_element"),
    [
        (1, 2, "C1", "document identifier"),
        (3, 4, "SA", "country code"),
        (5, 5, "B", "implementing agency"),
        (6, 8, "X2Z", "case designator"),
        (9, 11, "042", "record serial number: the line, zero-filled"),
        (12, 15, " " * 4, "blank"),
        (16, 21, "001234", "cumulative quantity to date, right-justified, zero-filled"),
        (22, 72, " " * 51, "blank"),
        (73, 78, "260228", "reporting date YYMMDD"),
        (79, 79, " ", "blank"),
        (80, 80, "A", "originator, always A"),
    ],
)
def test_c1_record_columns_follow_table_c9_t18(saudi_record, first, last, expected, data_element):
    # Table C9.T18 numbers columns from 1: columns first..last are [first - 1:last].
    assert saudi_record[first - 1 : last] == expected, data_element


def test_c1_record_is_80_ascii_characters(saudi_record):
    assert len(saudi_record) == 80
    assert saudi_record.isascii()
    assert saudi_record == "C1SAB" + "X2Z" + "042" + " " * 4 + "001234" + " " * 51 + "260228 A"


def test_c1_quantity_7_is_written_000007(con):
    insert(con, "case_lines", line(7))
    insert(con, "deliveries", delivery("D1", 7, quantity=7))
    [row] = c1_rows(con)
    assert row["record"][15:21] == "000007"
    assert row["record"][8:11] == "007"


def test_c1_reporting_date_is_the_as_of_date(con):
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        delivery("D1", shipment_date=d("2025-12-01"), reported_date=d("2025-12-10")),
    )
    [row] = c1_rows(con, as_of=d("2025-12-31"))
    assert row["reporting_date"] == d("2025-12-31")
    assert row["record"][72:78] == "251231"


def test_c1_cumulative_quantity_counts_deliveries_reported_by_the_as_of_date(con):
    insert(con, "case_lines", line(1))
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=2, reported_date=d("2026-02-27")),
        delivery("D2", quantity=3, reported_date=d("2026-02-28")),  # on the as-of day: in
        # shipped before the as-of date but reported after it: DFAS did not know it yet
        delivery("D3", quantity=4, shipment_date=d("2026-02-20"), reported_date=d("2026-03-01")),
    )
    [row] = c1_rows(con)
    assert row["cumulative_quantity"] == 5  # 2 + 3
    [row] = c1_rows(con, as_of=d("2026-03-01"))
    assert row["cumulative_quantity"] == 9  # 2 + 3 + 4


def test_c1_nothing_reported_by_the_as_of_date_gives_no_record(con):
    insert(con, "case_lines", line(1))
    insert(con, "deliveries", delivery("D1", reported_date=d("2026-03-02")))
    assert c1_rows(con) == []


def test_c1_estimated_delivery_repriced_to_actual_is_counted_once(con):
    insert(con, "case_lines", line(1))
    insert(
        con, "deliveries", delivery("D1", quantity=5, price_code="E"), delivery("D2", quantity=1)
    )
    # a later batch re-prices D1: same delivery_id, new version (history keeps both)
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=5, price_code="A", delivered_value=Decimal("512.34")),
    )
    versions = con.execute(
        "SELECT count(*) FROM deliveries_history WHERE delivery_id = 'D1'"
    ).fetchall()
    assert versions == [(2,)]
    [row] = c1_rows(con)
    assert row["cumulative_quantity"] == 6  # 5 (D1, once) + 1 (D2), not 5 + 5 + 1


def test_c1_delivery_reversed_to_quantity_zero_drops_out(con):
    insert(con, "case_lines", line(1), line(2))
    insert(con, "deliveries", delivery("D1", 1, quantity=3), delivery("D2", 2, quantity=4))
    insert(con, "deliveries", delivery("D3", 2, quantity=2))
    # reversals: resent with quantity and value 0
    zero = {"quantity": 0, "delivered_value": Decimal("0.00")}
    insert(con, "deliveries", delivery("D1", 1, **zero), delivery("D2", 2, **zero))
    rows = c1_rows(con)
    assert [(r["line_number"], r["cumulative_quantity"]) for r in rows] == [(2, 2)]


@pytest.mark.parametrize(
    ("quantity", "field"),
    [(999_999, "999999"), (1, "000001"), (100_000, "100000")],
)
def test_c1_quantity_up_to_999999_fits_columns_16_to_21(con, quantity, field):
    insert(con, "case_lines", line(1, ordered_quantity=2_000_000))
    insert(con, "deliveries", delivery("D1", quantity=quantity))
    [row] = c1_rows(con)
    assert row["quantity_overflow"] is False
    assert row["record"][15:21] == field


def test_c1_quantity_above_999999_is_flagged_never_truncated(con, tmp_path):
    insert(con, "case_lines", line(1, ordered_quantity=2_000_000), line(2))
    insert(
        con,
        "deliveries",
        delivery("D1", quantity=999_999),
        delivery("D2", quantity=1),  # 1,000,000 cumulative: seven digits
        delivery("D3", 2, quantity=1),
    )
    rows = c1_rows(con)
    assert rows[0]["cumulative_quantity"] == 1_000_000
    assert rows[0]["quantity_overflow"] is True
    assert rows[0]["record"] is None  # not '000000' nor '100000'
    assert rows[1]["quantity_overflow"] is False
    path = tmp_path / "c1.txt"
    with pytest.raises(C1FileError, match=r"UK-D-AAA line 001: cumulative quantity above 999,999"):
        write_c1_file(con, "c1_transactions", path)
    assert not path.exists()
    assert list(tmp_path.glob("*.part")) == []


def test_c1_file_refuses_a_record_that_is_not_80_characters(con, tmp_path):
    con.execute(
        "CREATE TABLE bad_c1 AS SELECT 'UK-D-AAA' AS case_id, 1 AS line_number, "
        "repeat('X', 79) AS record, false AS quantity_overflow"
    )
    with pytest.raises(C1FileError, match="79 characters, not 80"):
        write_c1_file(con, "bad_c1", tmp_path / "c1.txt")
    assert not (tmp_path / "c1.txt").exists()


def build_two_case_warehouse(folder, reverse: bool):
    """Two purchasers' cases with lines inserted in one order or the other."""
    con = open_warehouse(folder)
    countries = [{"country_code": "UK"}, {"country_code": "AU"}]
    cases = [{"case_id": "UK-D-AAA"}, {"case_id": "AU-P-ZZ1"}]
    lines = [
        line(3, generic_code="C1A"),
        line(1, generic_code="F2A"),
        line(12, case_id="AU-P-ZZ1", generic_code="H4A"),
        line(2, case_id="AU-P-ZZ1", generic_code="E3A"),
    ]
    deliveries = [
        delivery("U3", 3, quantity=2),
        delivery("U1", 1, quantity=40),
        delivery("A12", 12, case_id="AU-P-ZZ1", quantity=7),
        delivery("A2", 2, case_id="AU-P-ZZ1", quantity=15),
    ]
    for entity, rows in [
        ("countries", countries),
        ("cases", cases),
        ("case_lines", lines),
        ("deliveries", deliveries),
    ]:
        insert(con, entity, *(reversed(rows) if reverse else rows))
    return con


@pytest.fixture(scope="module")
def two_cases(tmp_path_factory):
    con = build_two_case_warehouse(tmp_path_factory.mktemp("two_cases"), reverse=False)
    yield con
    con.close()


def test_same_inputs_give_identical_c1_file_bytes(tmp_path):
    files = []
    for reverse in (False, True):
        folder = tmp_path / f"run_{reverse}"
        folder.mkdir()
        con = build_two_case_warehouse(folder, reverse)
        build_c1_transactions(con, AS_OF, table="main.c1_run")
        files.append(write_c1_file(con, "main.c1_run", folder / c1_file_name(AS_OF)).read_bytes())
        con.close()
    assert files[0] == files[1]
    tail = " " * 51 + "260228 A\n"
    assert files[0] == (
        ("C1AUPZZ1002    000015" + tail)
        + ("C1AUPZZ1012    000007" + tail)
        + ("C1UKDAAA001    000040" + tail)
        + ("C1UKDAAA003    000002" + tail)
    ).encode("ascii")


def test_c1_file_is_ascii_80_columns_with_newline_line_ends(tmp_path):
    con = build_two_case_warehouse(tmp_path, reverse=False)
    build_c1_transactions(con, AS_OF)
    data = write_c1_file(con, "c1_transactions", tmp_path / "c1_20260228.txt").read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    lines = data.decode("ascii").split("\n")
    assert lines[-1] == ""
    assert [len(x) for x in lines[:-1]] == [80, 80, 80, 80]


def test_empty_c1_table_gives_an_empty_file(con, tmp_path):
    assert build_c1_transactions(con, AS_OF) == 0
    assert write_c1_file(con, "c1_transactions", tmp_path / "c1.txt").read_bytes() == b""


def test_c1_built_in_another_schema(con, tmp_path):
    insert(con, "case_lines", line(1))
    insert(con, "deliveries", delivery("D1"))
    con.execute("CREATE SCHEMA staging")
    assert build_c1_transactions(con, AS_OF, table="staging.c1_transactions") == 1
    path = write_c1_file(con, "staging.c1_transactions", tmp_path / "c1.txt")
    assert path.read_bytes().startswith(b"C1UKDAAA001    000001")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["AU-P-ZZ1", "AU-P-ZZ1", "UK-D-AAA", "UK-D-AAA"]),
        ({"purchaser": "AU"}, ["AU-P-ZZ1", "AU-P-ZZ1"]),
        ({"case_id": "UK-D-AAA"}, ["UK-D-AAA", "UK-D-AAA"]),
        ({"purchaser": "UK", "case_id": "AU-P-ZZ1"}, []),
        ({"purchaser": "FR"}, []),
    ],
)
def test_c1_ad_hoc_filters_return_only_that_purchaser_or_case(two_cases, filters, expected):
    con = two_cases
    assert [r["case_id"] for r in c1_rows(con, **filters)] == expected


def test_c1_file_name_carries_the_reporting_date():
    assert c1_file_name(d("2026-02-28")) == "c1_20260228.txt"


@pytest.mark.parametrize(
    ("year", "month", "reporting_date"),
    [
        (2026, 3, "2026-02-28"),
        (2024, 3, "2024-02-29"),  # leap year
        (2026, 1, "2025-12-31"),  # January reports December
        (2026, 5, "2026-04-30"),
        (2026, 8, "2026-07-31"),
    ],
)
def test_monthly_c1_report_is_as_of_the_last_day_of_the_previous_month(year, month, reporting_date):
    assert c1_reporting_date_for_month(year, month) == d(reporting_date)


@pytest.mark.parametrize(
    ("run_day", "as_of"),
    [
        ("2026-03-01", "2026-02-28"),
        ("2026-03-20", "2026-02-28"),
        ("2026-03-31", "2026-02-28"),
        ("2026-01-01", "2025-12-31"),
    ],
)
def test_default_delivery_report_as_of_is_the_end_of_the_previous_month(run_day, as_of):
    assert default_delivery_report_as_of(d(run_day)) == d(as_of)


def test_c1_report_is_due_by_the_20th():
    assert c1_submission_due_date(2026, 3) == d("2026-03-20")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    con = open_warehouse(tmp_path_factory.mktemp("c1_property"))
    yield con
    con.close()


@settings(max_examples=15, deadline=None)
@given(
    country=st.from_regex(r"[A-Z0-9]{2}", fullmatch=True),
    ia=st.from_regex(r"[A-Z]", fullmatch=True),
    designator=st.from_regex(r"[A-Z0-9]{3}", fullmatch=True),
    line_number=st.integers(1, 999),
    quantities=st.lists(st.integers(0, 400_000), min_size=1, max_size=3),
    as_of=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
)
def test_every_c1_record_reads_back_its_fields(
    scratch, country, ia, designator, line_number, quantities, as_of
):
    for table in ("deliveries", "deliveries_history", "case_lines", "cases", "countries"):
        scratch.execute(f"DELETE FROM {table}")
    case_id = f"{country}-{ia}-{designator}"
    insert(scratch, "countries", {"country_code": country})
    insert(scratch, "cases", {"case_id": case_id})
    insert(scratch, "case_lines", line(line_number, case_id=case_id, generic_code="F3A"))
    for n, quantity in enumerate(quantities):
        insert(
            scratch,
            "deliveries",
            delivery(f"D{n}", line_number, case_id=case_id, quantity=quantity,
                     shipment_date=as_of, reported_date=as_of),
        )  # fmt: skip
    total = sum(quantities)
    rows = c1_rows(scratch, as_of=as_of)
    if total == 0:
        assert rows == []
        return
    [row] = rows
    record = row["record"]
    assert len(record) == 80 and record.isascii()
    assert record[0:2] == "C1"
    assert record[2:8] == country + ia + designator
    assert int(record[8:11]) == line_number
    assert int(record[15:21]) == total == row["cumulative_quantity"]
    assert record[72:78] == as_of.strftime("%y%m%d")
    assert record[11:15] + record[21:72] + record[78] == " " * 56
    assert record[79] == "A"


@given(st.dates(date(1990, 1, 1), date(2100, 12, 31)))
def test_default_as_of_is_the_day_before_the_first_of_the_run_month(run_day):
    as_of = default_delivery_report_as_of(run_day)
    assert as_of + timedelta(days=1) == run_day.replace(day=1)
