"""The buy-back register (SAMM E-Change 773, C6.4.9.2.2) and its `open` flag."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fms.closure import build_buy_back_register
from tests.closure.builders import AS_OF, clean_case, load, readiness
from tests.handbuilt import d, open_warehouse

COLUMNS = (
    "buy_back_id, case_id, original_purchaser, articles, quantity, recipient, legal_authority, "
    "contract_executed_date, reconciled, open, open_reason, case_status"
)


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    uk = clean_case("UK-D-AAA", status="IMPLEMENTED")
    uk["case_lines"][1]["description"] = None
    uk["buy_backs"] = [
        {
            "buy_back_id": "BB-OPEN",
            "case_id": "UK-D-AAA",
            "line_number": 1,
            "quantity": 1,
            "recipient": "PL",
            "legal_authority": "AECA Sec. 21",
        },
        {
            "buy_back_id": "BB-SVC",
            "case_id": "UK-D-AAA",
            "line_number": 2,
            "quantity": 1,
            "contract_executed_date": d("2026-04-15"),  # after the as-of date below
            "reconciled": True,
        },
    ]
    xx = clean_case("XX-D-BBB")
    xx["buy_backs"] = [
        {
            "buy_back_id": "BB-DONE",
            "case_id": "XX-D-BBB",
            "line_number": 1,
            "quantity": 2,
            "contract_executed_date": d("2025-05-01"),
            "reconciled": True,
        },
        {
            "buy_back_id": "BB-UNREC",
            "case_id": "XX-D-BBB",
            "line_number": 1,
            "quantity": 1,
            "contract_executed_date": d("2025-05-01"),
            "reconciled": False,
        },
    ]
    load(con, uk, xx)
    yield con
    con.close()


def register(con, **kwargs) -> list[tuple]:
    build_buy_back_register(con, table="main.buy_back_register", **kwargs)
    return con.execute(f"SELECT {COLUMNS} FROM buy_back_register ORDER BY buy_back_id").fetchall()


def test_register_has_one_row_per_buy_back_with_the_central_record(con):
    assert register(con) == [
        (
            "BB-DONE", "XX-D-BBB", "XX", "A1A F-16C aircraft (line 001)", 2, "DOD",
            "10 U.S.C. 2341", d("2025-05-01"), True, False, None, "SUPPLY_SERVICE_COMPLETE",
        ),
        (
            "BB-OPEN", "UK-D-AAA", "UK", "A1A F-16C aircraft (line 001)", 1, "PL",
            "AECA Sec. 21", None, False, True, "not executed and not reconciled", "IMPLEMENTED",
        ),
        (
            "BB-SVC", "UK-D-AAA", "UK", "R5A (line 002)", 1, "DOD",
            "10 U.S.C. 2341", d("2026-04-15"), True, False, None, "IMPLEMENTED",
        ),
        (
            "BB-UNREC", "XX-D-BBB", "XX", "A1A F-16C aircraft (line 001)", 1, "DOD",
            "10 U.S.C. 2341", d("2025-05-01"), False, True, "not reconciled",
            "SUPPLY_SERVICE_COMPLETE",
        ),
    ]  # fmt: skip


def test_register_as_of_a_date_counts_later_executions_as_not_executed(con):
    rows = {r[0]: (r[9], r[10]) for r in register(con, as_of=AS_OF)}
    assert rows["BB-SVC"] == (True, "not executed")
    assert rows["BB-DONE"] == (False, None)


def test_open_buy_backs_are_the_ones_that_block_closure(con):
    open_ids = {r[0] for r in register(con, as_of=AS_OF) if r[9]}
    rows = readiness(con)
    blocked = {
        case_id: [b for b in row["blockers"] if b["code"] == "BUY_BACK_OPEN"]
        for case_id, row in rows.items()
    }
    assert open_ids == {"BB-OPEN", "BB-SVC", "BB-UNREC"}
    assert blocked["UK-D-AAA"] == [
        {
            "code": "BUY_BACK_OPEN",
            "detail": "2 open buy backs (BB-OPEN not executed and not reconciled, "
            "BB-SVC not executed)",
            "amount": Decimal("2.00"),
        }
    ]
    assert blocked["XX-D-BBB"] == [
        {
            "code": "BUY_BACK_OPEN",
            "detail": "1 open buy back (BB-UNREC not reconciled)",
            "amount": Decimal("1.00"),
        }
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"purchaser": "UK"}, ["BB-OPEN", "BB-SVC"]),
        ({"case_id": "XX-D-BBB"}, ["BB-DONE", "BB-UNREC"]),
    ],
)
def test_register_can_be_narrowed_to_a_purchaser_or_a_case(con, filters, expected):
    assert [r[0] for r in register(con, **filters)] == expected
