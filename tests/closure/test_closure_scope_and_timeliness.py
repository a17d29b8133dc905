"""Closure readiness: which cases get a row, ad-hoc filters, days since SSC and the overdue flag."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fms.closure import build_closure_readiness
from tests.closure.builders import AS_OF, clean_case, load, readiness
from tests.handbuilt import d, open_warehouse


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    yield con
    con.close()


def test_every_implemented_or_ssc_case_has_exactly_one_row_and_no_other_status_has_any(con):
    statuses = {
        "XX-D-IMP": ("IMPLEMENTED", d("2020-02-01")),
        "XX-D-SSC": ("SUPPLY_SERVICE_COMPLETE", d("2020-02-01")),
        "XX-D-NUL": ("IMPLEMENTED", None),  # no implementation date: the status decides
        "XX-D-LAT": ("IMPLEMENTED", d("2026-04-01")),  # implemented after the as-of date
        "XX-D-DEV": ("DEVELOPMENT", None),
        "XX-D-OFF": ("OFFERED", None),
        "XX-D-CLO": ("CLOSED", d("2020-02-01")),
        "XX-D-CAN": ("CANCELLED", d("2020-02-01")),
    }
    bundles = [
        clean_case(case_id, status=status, implementation_date=implemented)
        for case_id, (status, implemented) in statuses.items()
    ]
    # More rows per case (deliveries, collections, buy backs) must not multiply its row.
    bundles[0]["collections"].append(
        bundles[0]["collections"][0] | {"collection_id": "C-2", "amount": Decimal("1.00")}
    )
    bundles[0]["buy_backs"] = [
        {"buy_back_id": f"BB-{i}", "case_id": "XX-D-IMP", "line_number": 1, "quantity": 1}
        for i in range(3)
    ]
    load(con, *bundles)
    count = build_closure_readiness(con, AS_OF)
    rows = con.execute(
        "SELECT case_id, count(*) FROM closure_readiness GROUP BY case_id ORDER BY case_id"
    ).fetchall()
    assert rows == [("XX-D-IMP", 1), ("XX-D-NUL", 1), ("XX-D-SSC", 1)]
    assert count == 3


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["UK-D-AAA", "UK-D-BBB", "XX-D-AAA"]),
        ({"purchaser": "UK"}, ["UK-D-AAA", "UK-D-BBB"]),
        ({"case_id": "UK-D-BBB"}, ["UK-D-BBB"]),
        ({"purchaser": "XX", "case_id": "UK-D-BBB"}, []),
    ],
)
def test_ad_hoc_run_is_narrowed_to_a_purchaser_or_a_case(con, filters, expected):
    load(con, clean_case("UK-D-AAA"), clean_case("UK-D-BBB"), clean_case("XX-D-AAA"))
    rows = readiness(con, table="main.closure_readiness_adhoc", **filters)
    assert sorted(rows) == expected
    assert all(r["excess_funds"] == Decimal("6160.00") for r in rows.values())


def test_readiness_builds_into_the_table_the_caller_names(con):
    con.execute("CREATE SCHEMA staging")
    load(con, clean_case("XX-D-AAA"))
    assert build_closure_readiness(con, AS_OF, table="staging.closure_readiness") == 1
    got = con.execute("SELECT case_id, ready FROM staging.closure_readiness").fetchall()
    assert got == [("XX-D-AAA", True)]
    with pytest.raises(ValueError, match="not a table name"):
        build_closure_readiness(con, AS_OF, table="closure_readiness; DROP TABLE cases")


@pytest.mark.parametrize(
    ("ssc", "as_of", "days", "overdue"),
    [
        (d("2025-03-31"), d("2026-03-31"), 365, False),  # 12 months to the day: due, not overdue
        (d("2025-03-31"), d("2026-04-01"), 366, True),  # the day after: overdue
        (d("2024-02-29"), d("2025-02-28"), 365, False),  # 29 Feb + 12 months = 28 Feb
        (d("2024-02-29"), d("2025-03-01"), 366, True),
        (d("2026-03-31"), d("2026-03-31"), 0, False),  # SSC today
    ],
)
def test_case_ssc_more_than_12_months_ago_is_overdue(con, ssc, as_of, days, overdue):
    load(con, clean_case("XX-D-AAA", supply_services_complete_date=ssc))
    row = readiness(con, as_of=as_of)["XX-D-AAA"]
    assert row["supply_services_complete_date"] == ssc
    assert row["days_since_ssc"] == days
    assert row["overdue"] is overdue


def test_overdue_is_a_flag_not_a_blocker(con):
    load(con, clean_case("XX-D-AAA", supply_services_complete_date=d("2023-01-31")))
    row = readiness(con)["XX-D-AAA"]
    assert row["overdue"] is True
    assert row["ready"] is True
    assert row["days_since_ssc"] == 1155  # 31 Jan 2023 -> 31 Mar 2026: 365 + 366 + 365 + 59
