"""The Small Case Management Line at closure (SAMM C9.4.7; fms-domain "FMS Administrative
Surcharge and the SCML"): the era, the $15,000 minimum and its exceptions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fms.closure import create_closure_macros
from tests.closure.builders import blockers, clean_case, codes, load, readiness, scml_line
from tests.handbuilt import d, open_warehouse

CASE = "XX-D-AAA"


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    create_closure_macros(con)
    yield con
    con.close()


@pytest.mark.parametrize(
    ("surcharge", "required"),
    [
        ("500.00", "14500.00"),  # SAMM C9.4.7.2's example: surcharge $500 -> SCML $14,500
        ("14999.99", "0.01"),
        ("15000.00", "0.00"),  # the surcharge alone reaches the minimum: SCML $0 (C9.4.7.2.2)
        ("23456.78", "0.00"),
        ("0.00", "15000.00"),
    ],
)
def test_scml_value_required_tops_the_surcharge_up_to_15000(con, surcharge, required):
    got = con.execute("SELECT scml_value_required(CAST($s AS DECIMAL(18, 2)))", {"s": surcharge})
    assert got.fetchall() == [(Decimal(required),)]


def test_surcharge_of_500_needs_an_scml_of_14500(con):
    # Accepted in the SCML era with its own rate 2.5%: one line of $20,000.00, all delivered.
    # surcharge = 0.025 x 20,000.00 = 500.00 -> SCML must be 15,000.00 - 500.00 = 14,500.00
    case = clean_case(
        CASE,
        acceptance_date=d("2009-03-01"),
        implementation_date=d("2009-04-01"),
        admin_surcharge_rate=Decimal("0.025"),
    )
    case["case_lines"] = case["case_lines"][:1]
    case["case_lines"][0] |= {"ordered_quantity": 1, "line_value": Decimal("20000.00")}
    case["deliveries"][0] |= {"quantity": 1, "delivered_value": Decimal("20000.00")}
    case["expenditures"] = []
    case["collections"][0]["amount"] = Decimal("50000.00")
    load(con, case)
    row = readiness(con)[CASE]
    assert row["surcharge"] == Decimal("500.00")
    assert blockers(row) == [
        (
            "SCML_MINIMUM",
            "surcharge $500.00 + SCML $0.00 below $15,000.00, SCML must be $14,500.00",
            Decimal("14500.00"),
        )
    ]


def test_case_with_its_scml_raised_to_14500_closes_with_15000_of_admin_charges(con):
    case = clean_case(
        CASE,
        acceptance_date=d("2009-03-01"),
        implementation_date=d("2009-04-01"),
        admin_surcharge_rate=Decimal("0.025"),
    )
    case["case_lines"] = case["case_lines"][:1] + [scml_line(CASE, "14500.00", line_number=2)]
    case["case_lines"][0] |= {"ordered_quantity": 1, "line_value": Decimal("20000.00")}
    case["deliveries"][0] |= {"quantity": 1, "delivered_value": Decimal("20000.00")}
    case["expenditures"] = []
    case["collections"][0]["amount"] = Decimal("50000.00")
    load(con, case)
    row = readiness(con)[CASE]
    assert row["ready"] is True
    assert row["case_value"] == Decimal("20000.00")  # the SCML is not case value
    # final = 20,000.00 + 500.00 + 14,500.00 = 35,000.00; excess = 50,000.00 - 35,000.00
    assert row["final_value"] == Decimal("35000.00")
    assert row["excess_funds"] == Decimal("15000.00")


@pytest.mark.parametrize(
    ("accepted", "applies", "rate"),
    [
        (d("2006-07-31"), False, "0.025000"),  # the day before the era
        (d("2006-08-01"), True, "0.038000"),  # first day
        (d("2012-07-02"), True, "0.038000"),  # last day
        (d("2012-07-03"), False, "0.038000"),  # rescinded from 3 Jul 2012 (C9.4.7)
    ],
)
def test_scml_applies_to_cases_accepted_1_aug_2006_through_2_jul_2012(con, accepted, applies, rate):
    load(con, clean_case(CASE, acceptance_date=accepted, implementation_date=accepted))
    row = readiness(con)[CASE]
    assert row["surcharge_rate"] == Decimal(rate)
    assert row["scml_applies"] is applies
    if applies:
        # surcharge 0.038 x 120,000.00 = 4,560.00; no SCML line: needs 10,440.00
        assert [(c, a) for c, _, a in blockers(row)] == [("SCML_MINIMUM", Decimal("10440.00"))]
    else:
        assert row["blockers"] == []
        assert row["scml_value_required"] is None


@pytest.mark.parametrize(
    ("case_overrides", "line_value", "applies"),
    [
        ({"terms_of_sale": "EDA_GRANT"}, "0.00", False),  # grant transfer only: $0 case value
        ({"terms_of_sale": "EDA_GRANT"}, "5000.00", True),  # EDA with paid support keeps it
        ({}, "0.00", True),  # a $0 case that is not EDA keeps it
    ],
    ids=["eda-zero-value", "eda-with-support", "not-eda"],
)
def test_eda_grant_case_of_zero_value_has_no_scml(con, case_overrides, line_value, applies):
    case = clean_case(
        CASE, acceptance_date=d("2010-05-01"), implementation_date=d("2010-06-01"), **case_overrides
    )
    case["case_lines"] = case["case_lines"][:1]
    case["case_lines"][0] |= {"ordered_quantity": 1, "line_value": Decimal(line_value)}
    case["deliveries"][0] |= {"quantity": 1, "delivered_value": Decimal(line_value)}
    case["expenditures"] = []
    case["collections"] = []
    load(con, case)
    row = readiness(con)[CASE]
    assert row["scml_applies"] is applies
    assert ("SCML_MINIMUM" in codes(row)) is applies
    if not applies:
        assert row["ready"] is True
        assert row["final_value"] == Decimal("0.00")


def test_presidential_drawdown_s9_case_has_no_scml(con):
    load(con, clean_case("S9-D-AAA", acceptance_date=d("2010-05-01")))
    row = readiness(con)["S9-D-AAA"]
    assert row["scml_applies"] is False
    assert row["ready"] is True


def test_waived_surcharge_waives_the_scml(con):
    # SCML era, surcharge waived, an SCML line of $5,000.00 on the case: neither is charged
    # (C9.4.7.2.3). final = 120,000.00 + 0 + 0; excess = 130,000.00 - 120,000.00 = 10,000.00
    case = clean_case(CASE, acceptance_date=d("2010-05-01"), admin_surcharge_waived=True)
    case["case_lines"].append(scml_line(CASE, "5000.00"))
    load(con, case)
    row = readiness(con)[CASE]
    assert row["scml_applies"] is False
    assert row["surcharge"] == Decimal("0.00")
    assert row["scml_value"] == Decimal("0.00")
    assert row["final_value"] == Decimal("120000.00")
    assert row["ready"] is True
    assert row["excess_funds"] == Decimal("10000.00")


def test_small_fmf_purchaser_exception_is_not_applied(con):
    # C9.4.7.3.2 exempts cases wholly FMF funded by a purchaser that received $1-$400,000 FMF the
    # year before; the contract carries no FMF history, so an FMF-funded case keeps the SCML.
    case = clean_case(CASE, acceptance_date=d("2010-05-01"))
    case["collections"][0]["funding_source"] = "FMF"
    load(con, case)
    row = readiness(con)[CASE]
    assert row["scml_applies"] is True
    assert codes(row) == ["SCML_MINIMUM"]


def test_scml_reduced_to_zero_when_the_surcharge_reaches_15000(con):
    # 3.8% of 500,000.00 = 19,000.00 >= 15,000.00: an SCML line at $0 stays and blocks nothing.
    case = clean_case(CASE, acceptance_date=d("2010-05-01"))
    case["case_lines"][0]["line_value"] = Decimal("480000.00")
    case["deliveries"][0]["delivered_value"] = Decimal("480000.00")
    case["case_lines"].append(scml_line(CASE, "0.00"))
    case["collections"][0]["amount"] = Decimal("519000.00")  # 500,000 + 19,000
    load(con, case)
    row = readiness(con)[CASE]
    assert row["surcharge"] == Decimal("19000.00")
    assert row["scml_value_required"] == Decimal("0.00")
    assert row["ready"] is True
    assert row["excess_funds"] == Decimal("0.00")
