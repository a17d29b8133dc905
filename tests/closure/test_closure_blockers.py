"""Closure readiness: the ready case and each blocker alone (fms-domain "Closure readiness").

Every test starts from the clean case of tests/closure/builders.py (ready, excess $6,160.00) and
breaks exactly one rule, so the blocker list must hold exactly that one blocker.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from fms.closure import BLOCKER_CODES
from tests.closure.builders import AS_OF, blockers, clean_case, load, readiness
from tests.handbuilt import d, open_warehouse

CASE = "XX-D-AAA"


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    yield con
    con.close()


def test_clean_case_is_ready_and_releases_its_excess(con):
    load(con, clean_case(CASE))
    row = readiness(con)[CASE]
    assert row["ready"] is True
    assert row["blockers"] == []
    assert row["blocker_count"] == 0
    assert row["case_value"] == Decimal("120000.00")  # 100,000.00 + 20,000.00
    assert row["performance"] == Decimal("120000.00")  # delivered 100,000 + expended 20,000
    assert row["surcharge"] == Decimal("3840.00")  # 0.032 x 120,000.00
    assert row["final_value"] == Decimal("123840.00")  # 120,000.00 + 3,840.00 + 0 SCML
    assert row["collections"] == Decimal("130000.00")
    assert row["excess_funds"] == Decimal("6160.00")  # 130,000.00 - 123,840.00
    assert row["excess_if_ready"] == Decimal("6160.00")
    assert row["supply_services_complete_date"] == d("2025-06-30")
    assert row["days_since_ssc"] == 274  # 1 Jul 2025 .. 31 Mar 2026: 31+31+30+31+30+31+31+28+31
    assert row["overdue"] is False
    assert row["as_of"] == AS_OF
    assert row["country_code"] == "XX"


@pytest.mark.parametrize(
    "ssc_date",
    [None, d("2026-04-01")],  # never reported / reported for a day after the as-of date
    ids=["no-ssc-date", "ssc-after-as-of"],
)
def test_case_without_ssc_date_is_not_ssc(con, ssc_date):
    load(con, clean_case(CASE, status="IMPLEMENTED", supply_services_complete_date=ssc_date))
    row = readiness(con)[CASE]
    assert blockers(row) == [("NOT_SSC", "no SSC date", Decimal("0.00"))]
    assert row["ready"] is False
    assert row["supply_services_complete_date"] is None
    assert row["days_since_ssc"] is None
    assert row["overdue"] is False
    assert row["excess_funds"] == Decimal("0.00")  # not ready: closing releases nothing yet
    assert row["excess_if_ready"] == Decimal("6160.00")  # provisional: 130,000 - 123,840


def test_materiel_line_short_of_its_quantity_is_not_ssc(con):
    case = clean_case(CASE)
    case["deliveries"][0] |= {"quantity": 1, "delivered_value": Decimal("50000.00")}
    load(con, case)
    row = readiness(con)[CASE]
    assert blockers(row) == [("NOT_SSC", "1 line short (1 unit)", Decimal("1.00"))]
    # performance 50,000 + 20,000 = 70,000.00; surcharge 0.032 x 70,000 = 2,240.00
    assert row["final_value"] == Decimal("72240.00")
    assert row["excess_if_ready"] == Decimal("57760.00")  # 130,000.00 - 72,240.00
    assert row["excess_funds"] == Decimal("0.00")


def test_services_line_performed_below_its_value_is_not_ssc(con):
    case = clean_case(CASE)
    case["expenditures"][0]["amount"] = Decimal("15000.00")
    load(con, case)
    row = readiness(con)[CASE]
    # performed 15,000.00 of 20,000.00
    assert blockers(row) == [("NOT_SSC", "1 line short ($5,000.00 unperformed)", Decimal("1.00"))]


def test_services_performed_by_deliveries_and_expenditures_together_are_complete(con):
    case = clean_case(CASE)
    case["expenditures"][0]["amount"] = Decimal("15000.00")
    case["deliveries"].append(
        {
            "delivery_id": "SVC-1",
            "case_id": CASE,
            "line_number": 2,
            "shipment_date": d("2025-06-01"),
            "reported_date": d("2025-06-10"),
            "quantity": 0,
            "delivered_value": Decimal("5000.00"),
        }
    )
    load(con, case)
    row = readiness(con)[CASE]
    # performed on line 2 = 5,000.00 delivered + 15,000.00 expended = 20,000.00 = line value
    assert row["ready"] is True
    assert row["excess_funds"] == Decimal("6160.00")


def test_lines_short_and_no_ssc_date_are_one_blocker(con):
    case = clean_case(CASE, supply_services_complete_date=None)
    case["deliveries"][0] |= {"quantity": 0, "delivered_value": Decimal("0.00")}
    case["expenditures"][0]["amount"] = Decimal("19000.00")
    load(con, case)
    row = readiness(con)[CASE]
    assert blockers(row) == [
        (
            "NOT_SSC",
            "no SSC date, 2 lines short (2 units, $1,000.00 unperformed)",
            Decimal("2.00"),
        )
    ]


@pytest.mark.parametrize(
    ("extra_delivery", "expected"),
    [
        (None, [("ESTIMATED_PRICES", "1 delivery at estimated prices ($100,000.00)", 100000)]),
        # A reversal resent at price E is no estimated billing still to convert.
        ({"quantity": 0, "delivered_value": Decimal("0.00")}, None),
    ],
    ids=["estimated-delivery", "reversal-at-e-is-ignored"],
)
def test_delivery_at_estimated_price_blocks_closure(con, extra_delivery, expected):
    case = clean_case(CASE)
    if extra_delivery is None:
        case["deliveries"][0]["price_code"] = "E"
    else:
        case["deliveries"].append(
            case["deliveries"][0] | {"delivery_id": "REV-1", "price_code": "E"} | extra_delivery
        )
    load(con, case)
    row = readiness(con)[CASE]
    if expected is None:
        assert row["ready"] is True
    else:
        assert [(c, t, Decimal(a)) for c, t, a in expected] == blockers(row)


def test_performance_above_case_value_needs_an_amendment(con):
    case = clean_case(CASE)
    case["expenditures"].append(
        {
            "expenditure_id": "E-OVER",
            "case_id": CASE,
            "line_number": 1,
            "expenditure_date": d("2025-06-20"),
            "amount": Decimal("5000.00"),
        }
    )
    load(con, case)
    row = readiness(con)[CASE]
    # performance 125,000.00 > case value 120,000.00; final 125,000 + 4,000 = 129,000 <= 130,000
    assert blockers(row) == [
        (
            "PERFORMANCE_OVER_VALUE",
            "$5,000.00 over: performance $125,000.00 above case value $120,000.00, "
            "amend or modify first",
            Decimal("5000.00"),
        )
    ]
    assert row["final_value"] == Decimal("129000.00")


def test_line_delivered_above_its_ordered_quantity_is_over_delivered(con):
    case = clean_case(CASE)
    case["deliveries"][0]["quantity"] = 3  # ordered 2, value unchanged
    load(con, case)
    row = readiness(con)[CASE]
    assert blockers(row) == [
        ("OVER_DELIVERED", "1 line over-delivered (1 unit over)", Decimal("1.00"))
    ]


@pytest.mark.parametrize(
    ("scml_value", "expected"),
    [
        (
            "10000.00",
            [
                (
                    "SCML_MINIMUM",
                    "surcharge $4,560.00 + SCML $10,000.00 below $15,000.00, "
                    "SCML must be $10,440.00",
                    Decimal("10440.00"),
                )
            ],
        ),
        ("10439.99", [("SCML_MINIMUM", None, Decimal("10440.00"))]),
        ("10440.00", []),
    ],
    ids=["scml-too-low", "one-cent-short", "scml-reaches-15000"],
)
def test_scml_case_below_15000_of_admin_charges_cannot_close(con, scml_value, expected):
    from tests.closure.builders import scml_line

    # Accepted 1 May 2008 (SCML era, 3.8%): surcharge 0.038 x 120,000.00 = 4,560.00;
    # the SCML must be 15,000.00 - 4,560.00 = 10,440.00.
    case = clean_case(CASE, acceptance_date=d("2008-05-01"), implementation_date=d("2008-06-01"))
    case["case_lines"].append(scml_line(CASE, scml_value))
    case["collections"][0]["amount"] = Decimal("140000.00")  # covers 120,000 + 4,560 + 10,440
    load(con, case)
    row = readiness(con)[CASE]
    assert row["scml_applies"] is True
    assert row["surcharge"] == Decimal("4560.00")
    assert row["scml_value_required"] == Decimal("10440.00")
    got = blockers(row)
    assert [(c, a) for c, _, a in got] == [(c, a) for c, _, a in expected]
    if expected and expected[0][1]:
        assert got[0][1] == expected[0][1]
    if not expected:
        # final 120,000.00 + 4,560.00 + 10,440.00 = 135,000.00; excess 140,000 - 135,000
        assert row["final_value"] == Decimal("135000.00")
        assert row["excess_funds"] == Decimal("5000.00")


@pytest.mark.parametrize(
    ("executed", "reconciled", "detail"),
    [
        (None, False, "1 open buy back (BB-1 not executed and not reconciled)"),
        (d("2025-03-01"), False, "1 open buy back (BB-1 not reconciled)"),
        (None, True, "1 open buy back (BB-1 not executed)"),
        (d("2026-04-01"), True, "1 open buy back (BB-1 not executed)"),  # executed after as_of
        (d("2025-03-01"), True, None),  # executed and reconciled: closed
    ],
    ids=["neither", "not-reconciled", "not-executed", "executed-after-as-of", "closed"],
)
def test_open_buy_back_blocks_closure(con, executed, reconciled, detail):
    case = clean_case(CASE)
    case["buy_backs"] = [
        {
            "buy_back_id": "BB-1",
            "case_id": CASE,
            "line_number": 1,
            "quantity": 1,
            "contract_executed_date": executed,
            "reconciled": reconciled,
        }
    ]
    load(con, case)
    row = readiness(con)[CASE]
    if detail is None:
        assert row["ready"] is True
    else:
        assert blockers(row) == [("BUY_BACK_OPEN", detail, Decimal("1.00"))]


@pytest.mark.parametrize(
    "late_or_refund",
    [
        None,
        # a payment received after the as-of date is not collected as of it
        {"collection_id": "C-LATE", "received_date": d("2026-04-01"), "amount": Decimal("30000")},
        # a refund before it brings collections down: 130,000 - 30,000 = 100,000 either way
        "refund",
    ],
    ids=["short", "late-payment-left-out", "refund"],
)
def test_collections_below_final_value_are_undercollected(con, late_or_refund):
    case = clean_case(CASE)
    if late_or_refund == "refund":
        case["collections"].append(
            {
                "collection_id": "C-REFUND",
                "case_id": CASE,
                "received_date": d("2025-02-01"),
                "amount": Decimal("-30000.00"),
            }
        )
    else:
        case["collections"][0]["amount"] = Decimal("100000.00")
        if late_or_refund:
            case["collections"].append(late_or_refund | {"case_id": CASE})
    load(con, case)
    row = readiness(con)[CASE]
    # final 123,840.00 - collections 100,000.00 = 23,840.00
    assert blockers(row) == [
        (
            "UNDERCOLLECTED",
            "$23,840.00 short: collections $100,000.00 below final value $123,840.00",
            Decimal("23840.00"),
        )
    ]
    assert row["excess_if_ready"] == Decimal("0.00")


def test_holding_account_collections_are_not_the_cases(con):
    case = clean_case(CASE)
    case["collections"][0]["amount"] = Decimal("100000.00")
    case["collections"].append(
        {
            "collection_id": "HOLD-1",
            "country_code": "XX",
            "case_id": None,
            "received_date": d("2025-01-10"),
            "amount": Decimal("50000.00"),
        }
    )
    load(con, case)
    assert [b[0] for b in blockers(readiness(con)[CASE])] == ["UNDERCOLLECTED"]


def test_events_after_the_as_of_date_are_left_out(con):
    case = clean_case(CASE)
    case["deliveries"][0]["reported_date"] = d("2026-04-02")  # shipped, reported too late
    case["expenditures"][0]["expenditure_date"] = d("2026-04-01")
    load(con, case)
    row = readiness(con)[CASE]
    assert row["performance"] == Decimal("0.00")
    assert blockers(row) == [
        ("NOT_SSC", "2 lines short (2 units, $20,000.00 unperformed)", Decimal("2.00"))
    ]
    # The same case a week later has everything.
    assert readiness(con, as_of=d("2026-04-07"))[CASE]["ready"] is True


def test_every_failing_rule_is_listed_in_the_tables_order(con):
    from tests.closure.builders import scml_line

    case = clean_case(
        CASE,
        status="IMPLEMENTED",
        supply_services_complete_date=None,
        acceptance_date=d("2010-01-01"),
        implementation_date=d("2010-02-01"),
    )
    case["case_lines"].append(scml_line(CASE, "0.00"))
    case["deliveries"][0] |= {"quantity": 3, "price_code": "E"}
    case["expenditures"][0]["amount"] = Decimal("30000.00")
    case["collections"][0]["amount"] = Decimal("1000.00")
    case["buy_backs"] = [{"buy_back_id": "BB-9", "case_id": CASE, "line_number": 1, "quantity": 1}]
    load(con, case)
    row = readiness(con)[CASE]
    assert [b[0] for b in blockers(row)] == list(BLOCKER_CODES)
    assert row["blocker_count"] == 7
    assert row["blocker_summary"].startswith("NOT_SSC: no SSC date; ESTIMATED_PRICES: ")
