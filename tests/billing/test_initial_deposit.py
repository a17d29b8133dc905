"""Initial deposit requirements (Table C9.T13), as far as the contract's data allows."""

from decimal import Decimal

import pytest

from fms.billing.initial_deposit import (
    build_initial_deposit_shortfalls,
    initial_deposit_requirement,
    initial_deposit_shortfalls,
)
from tests.billing.builders import money, purchaser
from tests.handbuilt import d, insert, open_warehouse

R = Decimal("0.032000")


def test_cash_with_acceptance_requires_the_full_case_value():
    # full value = lines 1,000,000 + SCML 0 + surcharge 0.032 x 1,000,000 = 1,032,000.00
    need = initial_deposit_requirement(
        terms_of_sale="CASH_WITH_ACCEPTANCE",
        line_value=money("1,000,000.00"),
        scml_value=money("0"),
        surcharge_rate=R,
        sblc_in_place=False,
    )
    assert need.full_value_required
    assert need.minimum == money("1,032,000.00")


@pytest.mark.parametrize(
    ("terms", "line_value", "full", "minimum"),
    [
        # 4,000,000 + 128,000 = 4,128,000 < 5M: wholly grant financed -> full value
        ("FMS_CREDIT_NONREPAYABLE", "4,000,000.00", True, "4,128,000.00"),
        ("MAP_MERGER", "4,000,000.00", True, "4,128,000.00"),
        # 4,900,000 + 156,800 = 5,056,800 >= 5M -> half the surcharge: 78,400.00
        ("FMS_CREDIT_NONREPAYABLE", "4,900,000.00", False, "78,400.00"),
        # other terms: 4,000,000 x 0.032 = 128,000 > 30,000 -> half: 64,000.00
        ("FMS_CREDIT", "4,000,000.00", False, "64,000.00"),
        ("DEPENDABLE_UNDERTAKING", "4,000,000.00", False, "64,000.00"),
    ],
)
def test_grant_financed_case_under_5m_requires_the_full_value(terms, line_value, full, minimum):
    need = initial_deposit_requirement(
        terms_of_sale=terms,
        line_value=money(line_value),
        scml_value=money("0"),
        surcharge_rate=R,
        sblc_in_place=False,
    )
    assert need.full_value_required is full
    assert need.minimum == money(minimum)


@pytest.mark.parametrize(
    ("line_value", "surcharge_share"),
    [
        ("500,000.00", "16,000.00"),  # 16,000 <= 30,000: all of it
        ("937,500.00", "30,000.00"),  # exactly 30,000: all of it
        ("937,500.32", "15,000.01"),  # 30,000.01024 -> 30,000.01 > 30,000: half, 15,000.005 -> .01
        ("2,000,000.00", "32,000.00"),  # 64,000: half
    ],
)
def test_half_the_surcharge_or_all_of_it_up_to_30000(line_value, surcharge_share):
    need = initial_deposit_requirement(
        terms_of_sale="CASH_PRIOR_TO_DELIVERY",
        line_value=money(line_value),
        scml_value=money("0"),
        surcharge_rate=R,
        sblc_in_place=False,
    )
    assert need.surcharge_share == money(surcharge_share)
    assert need.minimum == money(surcharge_share)


@pytest.mark.parametrize(
    ("sblc", "minimum"),
    [
        # 16,000 surcharge + 200,000 performance + 50,000 TL
        (False, "266,000.00"),
        # an SBLC stands in for the TL: 16,000 + 200,000
        (True, "216,000.00"),
    ],
)
def test_termination_liability_is_in_the_initial_deposit_unless_an_sblc_applies(sblc, minimum):
    need = initial_deposit_requirement(
        terms_of_sale="CASH_PRIOR_TO_DELIVERY",
        line_value=money("500,000.00"),
        scml_value=money("0"),
        surcharge_rate=R,
        sblc_in_place=sblc,
        performance_before_first_payment=money("200,000.00"),
        termination_liability_before_first_payment=money("50,000.00"),
    )
    assert not need.full_value_required
    assert need.minimum == money(minimum)


def test_scml_value_is_part_of_the_initial_deposit():
    # SCML era (3.8%): 200,000 x 0.038 = 7,600 (all of it) + SCML 7,400 = 15,000.00
    need = initial_deposit_requirement(
        terms_of_sale="DEPENDABLE_UNDERTAKING",
        line_value=money("200,000.00"),
        scml_value=money("7,400.00"),
        surcharge_rate=Decimal("0.038"),
        sblc_in_place=True,
    )
    assert need.minimum == money("15,000.00")


def test_waived_surcharge_waives_the_scml_in_the_initial_deposit():
    need = initial_deposit_requirement(
        terms_of_sale="DEPENDABLE_UNDERTAKING",
        line_value=money("200,000.00"),
        scml_value=money("7,400.00"),
        surcharge_rate=Decimal("0"),
        sblc_in_place=True,
        performance_before_first_payment=money("1,000.00"),
    )
    assert need.minimum == money("1,000.00")


def _deposit_case(con, case_id, deposit, *, terms="CASH_PRIOR_TO_DELIVERY", **fields):
    insert(
        con,
        "cases",
        {"case_id": case_id, "terms_of_sale": terms, "acceptance_date": d("2026-01-20"), **fields},
    )
    insert(
        con,
        "case_lines",
        {
            "case_id": case_id,
            "line_number": 1,
            "ordered_quantity": 1,
            "line_value": money("500,000.00"),
        },
    )
    rows = [{"case_id": case_id, "due_date": d("2026-06-15"), "amount": money("100,000.00")}]
    if deposit is not None:
        rows.append(
            {
                "case_id": case_id,
                "due_date": d("2026-01-20"),
                "amount": money(deposit),
                "is_initial_deposit": True,
            }
        )
    insert(con, "payment_schedules", *rows)
    insert(
        con,
        "requirements_forecasts",
        {
            "case_id": case_id,
            "quarter_start": d("2026-01-01"),
            "forecast_amount": money("100,000.00"),
        },
        {
            "case_id": case_id,
            "quarter_start": d("2026-04-01"),
            "forecast_amount": money("150,000.00"),
            "termination_liability": money("40,000.00"),
        },
        # Jul-Sep is covered by the first quarterly payment (15 Jun), not the initial deposit.
        {
            "case_id": case_id,
            "quarter_start": d("2026-07-01"),
            "forecast_amount": money("999,999.00"),
        },
    )


def test_schedules_with_an_initial_deposit_below_the_computable_minimum_are_listed(tmp_path):
    con = open_warehouse(tmp_path)
    purchaser(con, "DD")
    # Accepted 20 Jan 2026 -> first payment 15 Jun 2026 (Table C9.T12): the deposit covers
    # Jan-Mar and Apr-Jun. Minimum = surcharge 0.032 x 500,000 = 16,000 (all: <= 30,000)
    # + performance 100,000 + 150,000 + TL 40,000 = 306,000.00
    _deposit_case(con, "DD-D-I01", "250,000.00")  # short by 56,000.00
    _deposit_case(con, "DD-D-I02", "306,000.00")  # enough
    # Cash With Acceptance: full value 500,000 + 16,000 = 516,000; short by 216,000.00
    _deposit_case(con, "DD-D-I03", "300,000.00", terms="CASH_WITH_ACCEPTANCE")
    _deposit_case(con, "DD-D-I04", None, status="CLOSED")  # history: not checked
    # No initial deposit at all, keyed on the offer expiration date until accepted. Its own
    # rate is given: case_surcharge_rate() looks the table up by acceptance date only.
    _deposit_case(
        con,
        "DD-D-I05",
        None,
        status="OFFERED",
        acceptance_date=None,
        offer_expiration_date=d("2026-01-20"),
        admin_surcharge_rate=R,
    )
    found = {s.case_id: s for s in initial_deposit_shortfalls(con)}
    assert sorted(found) == ["DD-D-I01", "DD-D-I03", "DD-D-I05"]
    assert found["DD-D-I01"].minimum == money("306,000.00")
    assert found["DD-D-I01"].shortfall == money("56,000.00")
    assert found["DD-D-I01"].first_payment_date == d("2026-06-15")
    assert found["DD-D-I03"].full_value_required
    assert found["DD-D-I03"].shortfall == money("216,000.00")
    assert found["DD-D-I05"].initial_deposit == money("0.00")
    assert found["DD-D-I05"].shortfall == money("306,000.00")

    assert build_initial_deposit_shortfalls(con, "staging.initial_deposit_shortfalls") == 3
    [(total,)] = con.execute(
        "SELECT sum(shortfall) FROM staging.initial_deposit_shortfalls"
    ).fetchall()
    assert total == money("578,000.00")  # 56,000 + 216,000 + 306,000
