"""The closure worklist: ranking, readable blockers, funds locked per purchaser, published files."""

from __future__ import annotations

import csv
from decimal import Decimal

import openpyxl
import pytest

from fms.closure import build_buy_back_register, build_closure_readiness, publish_closure_outputs
from tests.closure.builders import AS_OF, clean_case, load
from tests.handbuilt import d, insert, open_warehouse

# The clean case's final value is 123,840.00; collections set the excess released.
FINAL = Decimal("123840.00")


def ready_case(case_id: str, excess: str, ssc: str) -> dict:
    case = clean_case(case_id, supply_services_complete_date=d(ssc))
    case["collections"][0]["amount"] = FINAL + Decimal(excess)
    return case


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK", "name": "United Kingdom"})
    insert(con, "countries", {"country_code": "XX", "name": "Testland"})
    load(
        con,
        ready_case("XX-D-AAA", "1000.00", "2025-06-30"),  # ready, 1,000 released, 274 days
        ready_case("XX-D-BBB", "5000.00", "2025-06-30"),  # ready, most released
        ready_case("UK-D-CCC", "1000.00", "2024-06-30"),  # ready, 1,000, older SSC (639 days)
        ready_case("UK-D-DDD", "1000.00", "2024-06-30"),  # same as CCC: case_id decides
        # blocked: $23,840.00 short (collections 100,000.00), SSC 274 days ago
        ready_case("XX-D-EEE", "-23840.00", "2025-06-30"),
        # blocked: no SSC date, though collections would leave a large excess
        ready_case("UK-D-FFF", "90000.00", "2025-06-30")
        | {
            "cases": clean_case(
                "UK-D-FFF", status="IMPLEMENTED", supply_services_complete_date=None
            )["cases"]
        },
    )
    insert(
        con,
        "buy_backs",
        {
            "buy_back_id": "BB-2",
            "case_id": "XX-D-AAA",
            "line_number": 1,
            "quantity": 1,
            "recipient": "UK",
            "contract_executed_date": d("2025-04-01"),
            "reconciled": True,
        },
        {"buy_back_id": "BB-1", "case_id": "UK-D-FFF", "line_number": 1, "quantity": 2},
    )
    yield con
    con.close()


EXPECTED_ORDER = ["XX-D-BBB", "UK-D-CCC", "UK-D-DDD", "XX-D-AAA", "XX-D-EEE", "UK-D-FFF"]


def test_worklist_ranks_ready_cases_first_then_funds_released_then_age(con):
    build_closure_readiness(con, AS_OF)
    got = con.execute(
        "SELECT case_id, worklist_rank, ready, excess_funds, days_since_ssc "
        "FROM closure_readiness ORDER BY worklist_rank"
    ).fetchall()
    assert got == [
        ("XX-D-BBB", 1, True, Decimal("5000.00"), 274),
        ("UK-D-CCC", 2, True, Decimal("1000.00"), 639),
        ("UK-D-DDD", 3, True, Decimal("1000.00"), 639),
        ("XX-D-AAA", 4, True, Decimal("1000.00"), 274),
        ("XX-D-EEE", 5, False, Decimal("0.00"), 274),
        ("UK-D-FFF", 6, False, Decimal("0.00"), None),
    ]


def test_published_worklist_funds_locked_and_register(con, tmp_path):
    build_closure_readiness(con, AS_OF, table="main.closure_readiness")
    build_buy_back_register(con, table="main.buy_back_register", as_of=AS_OF)
    out = tmp_path / "out"
    paths = publish_closure_outputs(
        con, "main.closure_readiness", "main.buy_back_register", out, AS_OF
    )
    assert {k: p.name for k, p in paths.items()} == {
        "worklist_xlsx": "closure_worklist_20260331.xlsx",
        "worklist_csv": "closure_worklist_20260331.csv",
        "funds_locked_csv": "closure_funds_locked_by_purchaser_20260331.csv",
        "buy_back_register_xlsx": "buy_back_register_20260331.xlsx",
        "buy_back_register_csv": "buy_back_register_20260331.csv",
    }

    worklist = read_csv(paths["worklist_csv"])
    assert [r["case_id"] for r in worklist] == EXPECTED_ORDER
    by_case = {r["case_id"]: r for r in worklist}
    assert by_case["XX-D-BBB"]["funds_released_on_closure"] == "5000.00"
    assert by_case["XX-D-BBB"]["blockers"] == ""
    assert by_case["XX-D-EEE"]["blockers"] == (
        "UNDERCOLLECTED: $23,840.00 short: collections $100,000.00 below final value $123,840.00"
    )
    assert by_case["UK-D-FFF"]["blockers"] == (
        "NOT_SSC: no SSC date; "
        "BUY_BACK_OPEN: 1 open buy back (BB-1 not executed and not reconciled)"
    )
    assert by_case["UK-D-FFF"]["excess_if_ready"] == "90000.00"

    # UK: CCC 1,000.00 + DDD 1,000.00 ready, oldest SSC 30 Jun 2024, FFF blocked (90,000.00).
    # XX: BBB 5,000.00 + AAA 1,000.00 = 6,000.00 ready, EEE blocked (0.00 excess).
    funds = read_csv(paths["funds_locked_csv"])
    assert [
        (
            r["country_code"],
            r["purchaser_name"],
            r["ready_cases"],
            r["funds_locked_in_ready_cases"],
            r["oldest_ready_ssc_date"],
            r["longest_ready_days_since_ssc"],
            r["overdue_ready_cases"],
            r["cases_in_scope"],
            r["blocked_cases"],
            r["excess_if_ready_in_blocked_cases"],
        )
        for r in funds
    ] == [
        ("XX", "Testland", "2", "6000.00", "2025-06-30", "274", "0", "3", "1", "0.00"),
        ("UK", "United Kingdom", "2", "2000.00", "2024-06-30", "639", "2", "3", "1", "90000.00"),
    ]

    register = read_csv(paths["buy_back_register_csv"])
    assert [(r["buy_back_id"], r["open"], r["open_reason"]) for r in register] == [
        ("BB-1", "true", "not executed and not reconciled"),
        ("BB-2", "false", ""),
    ]

    book = openpyxl.load_workbook(paths["worklist_xlsx"])
    assert book.sheetnames == ["Worklist", "Funds locked by purchaser"]
    sheet = book["Worklist"]
    assert sheet["A1"].value == "Closure worklist as of 2026-03-31"
    # 4 ready cases release 5,000 + 1,000 + 1,000 + 1,000 = 8,000.00
    assert "closing them releases $8,000.00" in sheet["A2"].value
    assert "2 of them more than 12 months after SSC" in sheet["A2"].value
    header_row = 5  # three title lines, a blank line, then the header
    header = [c.value for c in sheet[header_row]]
    case_col = header.index("case_id")
    cases = [row[case_col].value for row in sheet.iter_rows(min_row=header_row + 1)]
    assert cases == EXPECTED_ORDER
    released = header.index("funds_released_on_closure")
    assert sheet.cell(header_row + 1, released + 1).value == 5000
    register_book = openpyxl.load_workbook(paths["buy_back_register_xlsx"])
    assert register_book.sheetnames == ["Buy-back register"]


def test_publishing_a_table_built_for_another_date_is_refused(con, tmp_path):
    build_closure_readiness(con, d("2026-03-30"))
    build_buy_back_register(con)
    with pytest.raises(ValueError, match="not as of 2026-03-31"):
        publish_closure_outputs(
            con, "main.closure_readiness", "main.buy_back_register", tmp_path / "out", AS_OF
        )
    assert not (tmp_path / "out").exists()


def read_csv(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
