"""The billing mart: DD Form 645 figures per case and per purchaser, computed by hand.

Every case is billed for the quarter ended E = 30 Sep 2026: statement 15 Oct, payment due
P = 15 Dec 2026, N = Q4 2026 (Oct-Dec), Q = Q1 2027 (Jan-Mar). The previous statement (30 Jun)
was due 15 Sep 2026 with N = Q3 2026, Q = Q4 2026; the one before (31 Mar) was due 15 Jun 2026.
Cases are accepted in 2025: surcharge 3.2%. Interest 4.00% (data/reference/interest_rates.csv).
"""

import pytest

from fms.billing.statements import build_billing_statements, build_purchaser_statements
from tests.billing.builders import (
    E,
    billing_case,
    money,
    purchaser,
    purchaser_rows,
    statement_rows,
)
from tests.billing.worked_example import insert_worked_example
from tests.handbuilt import d, insert


def bill(con, **filters):
    build_billing_statements(con, E, **filters)
    build_purchaser_statements(con, E)
    return statement_rows(con), purchaser_rows(con)


def test_worked_example_of_the_domain_page(con):
    insert_worked_example(con)
    cases, purchasers = bill(con)
    w = cases["XX-D-W01"]
    # Performance = 600,000 + 900,000 + 1,200,000; F = 1,500,000 + 2,000,000
    assert w["performance"] == money("2,700,000.00")
    assert w["forecast_costs"] == money("3,500,000.00")
    # surcharge = 0.032 x 6,200,000; TL = TL of Q1 2027
    assert w["surcharge"] == money("198,400.00")
    assert w["termination_liability"] == money("500,000.00")
    assert w["forecast_cumulative"] == money("6,898,400.00")
    # 500,000 + 7 x 1,000,000 due by 15 Dec 2026 -> requirement = the schedule
    assert w["scheduled_cumulative"] == money("7,500,000.00")
    assert w["requirement"] == money("7,500,000.00")
    assert w["collections_cumulative"] == money("5,500,000.00")
    assert w["amount_due"] == money("2,000,000.00")
    # previous requirement: scheduled 6,500,000 > forecast 4,528,000
    assert w["previous_requirement"] == money("6,500,000.00")
    assert w["arrearage"] == money("1,000,000.00")
    # 1,000,000 x 0.04 x 15 / 365 (16-30 Sep) = 1,643.835... -> 1,643.84
    assert w["interest"] == money("1,643.84")
    assert w["arrearage_days"] == 15
    assert (w["statement_date"], w["payment_due_date"]) == (d("2026-10-15"), d("2026-12-15"))
    assert (w["covers_start"], w["covers_end"]) == (d("2027-01-01"), d("2027-03-31"))
    assert w["revision"] is None and w["selection"] == "all"
    xx = purchasers["XX"]
    assert (xx["amount_due"], xx["arrearage"], xx["interest"]) == (
        money("2,000,000.00"),
        money("1,000,000.00"),
        money("1,643.84"),
    )


def test_forecast_above_schedule_bills_the_forecast(con):
    purchaser(con, "AA")
    billing_case(
        con,
        "AA-D-F01",
        schedule=(("2025-03-01", "100,000.00"), ("2026-09-15", "100,000.00")),
        expenditures=(("2026-08-01", "500,000.00"),),
        forecasts=(("2026-10-01", "200,000.00", "0"), ("2027-01-01", "300,000.00", "50,000.00")),
        collections=(("2025-03-01", "100,000.00"), ("2026-09-10", "110,000.00")),
    )
    f = bill(con)[0]["AA-D-F01"]
    # Performance 500,000; F = 200,000 + 300,000 = 500,000; TL 50,000
    # surcharge = 0.032 x (500,000 + 500,000) = 32,000
    # forecast = 500,000 + 500,000 + 50,000 + 32,000 = 1,082,000 > scheduled 200,000
    assert f["scheduled_cumulative"] == money("200,000.00")
    assert f["forecast_cumulative"] == money("1,082,000.00")
    assert f["requirement"] == money("1,082,000.00")
    assert f["requirement_basis"] == "FORECAST"
    # 1,082,000 - collections 210,000
    assert f["amount_due"] == money("872,000.00")
    # previous: scheduled 200,000 vs forecast 0 + 200,000 (Q4) + 0 + 6,400 = 206,400 <= 210,000
    assert f["previous_requirement"] == money("206,400.00")
    assert f["arrearage"] == money("0.00")
    assert f["interest"] == money("0.00")


def test_schedule_above_forecast_bills_the_schedule(con):
    purchaser(con, "AA")
    billing_case(
        con,
        "AA-D-S01",
        schedule=(
            ("2025-03-01", "400,000.00"),
            ("2026-06-15", "300,000.00"),
            ("2026-12-15", "300,000.00"),
            ("2027-03-15", "300,000.00"),  # after P: not yet billed
        ),
        expenditures=(("2026-05-01", "200,000.00"),),
        forecasts=(("2026-10-01", "100,000.00", "0"), ("2027-01-01", "100,000.00", "0")),
        collections=(("2025-03-01", "400,000.00"), ("2026-06-10", "300,000.00")),
    )
    s = bill(con)[0]["AA-D-S01"]
    # forecast = 200,000 + 200,000 + 0 + 0.032 x 400,000 (12,800) = 412,800
    # scheduled = 400,000 + 300,000 + 300,000 = 1,000,000 -> requirement 1,000,000
    assert s["forecast_cumulative"] == money("412,800.00")
    assert s["scheduled_cumulative"] == money("1,000,000.00")
    assert s["requirement_basis"] == "PAYMENT_SCHEDULE"
    assert s["amount_due"] == money("300,000.00")  # 1,000,000 - 700,000
    # previous: scheduled by 15 Sep = 700,000, all paid
    assert s["previous_requirement"] == money("700,000.00")
    assert s["arrearage"] == money("0.00")


def test_overpaid_case_is_billed_zero(con):
    purchaser(con, "AA")
    billing_case(
        con,
        "AA-D-O01",
        schedule=(("2025-03-01", "100,000.00"),),
        forecasts=(("2026-10-01", "50,000.00", "0"),),
        collections=(("2025-03-01", "250,000.00"),),
    )
    o = bill(con)[0]["AA-D-O01"]
    # requirement = max(100,000, 50,000 + 1,600) = 100,000; collections 250,000
    assert o["requirement"] == money("100,000.00")
    assert o["amount_due"] == money("0.00")  # never negative
    assert o["arrearage"] == money("0.00")


def test_overpaid_case_offsets_arrears_of_another_case_in_the_interest(con):
    purchaser(con, "BB")
    # In arrears: 1,000,000 due by 15 Sep 2026, 100,000 paid -> 900,000 overdue from 16 Sep.
    billing_case(
        con,
        "BB-D-A01",
        schedule=(("2025-03-01", "100,000.00"), ("2026-09-15", "900,000.00")),
        collections=(("2025-03-01", "100,000.00"),),
    )
    # Overpaid by 500,000 from 1 Jul 2026 (200,000 due, 700,000 paid).
    billing_case(
        con,
        "BB-D-B01",
        schedule=(("2025-03-01", "200,000.00"),),
        collections=(("2025-03-01", "200,000.00"), ("2026-07-01", "500,000.00")),
    )
    cases, purchasers = bill(con)
    a, b = cases["BB-D-A01"], cases["BB-D-B01"]
    assert a["arrearage"] == money("900,000.00")
    assert b["arrearage"] == money("0.00")
    # Net arrearage: 1 Jul-15 Sep: 0 + (-500,000) -> 0; 16-30 Sep: 900,000 - 500,000 = 400,000.
    # interest = 400,000 x 0.04 x 15 / 365 = 657.534... -> 657.53 (not 1,479.45 on 900,000)
    assert purchasers["BB"]["interest"] == money("657.53")
    assert purchasers["BB"]["net_arrearage"] == money("400,000.00")
    assert purchasers["BB"]["arrearage"] == money("900,000.00")
    # All of it on the only case in arrears: 900,000 x 15 arrearage dollar-days.
    assert a["interest"] == money("657.53")
    assert a["arrearage_dollar_days"] == money("13,500,000.00")
    assert b["interest"] == money("0.00")
    assert a["amount_due"] == money("900,000.00")


def test_interest_is_allocated_by_arrearage_days_and_the_last_cent_goes_to_the_largest(con):
    purchaser(con, "CC")
    for case_id in ("CC-D-C01", "CC-D-C02", "CC-D-C03"):
        billing_case(con, case_id, schedule=(("2026-09-15", "100,000.00"),))
    cases, purchasers = bill(con)
    # 300,000 overdue 16-30 Sep: 300,000 x 0.04 x 15 / 365 = 493.150... -> 493.15
    assert purchasers["CC"]["interest"] == money("493.15")
    # Equal shares of 164.383...: the others 164.38 each, the first of the largest the rest.
    assert cases["CC-D-C01"]["interest"] == money("164.39")
    assert cases["CC-D-C02"]["interest"] == money("164.38")
    assert cases["CC-D-C03"]["interest"] == money("164.38")


def test_interest_shares_are_proportional_to_arrearage_days(con):
    purchaser(con, "CC")
    billing_case(con, "CC-D-C01", schedule=(("2026-09-15", "1,000,000.00"),))
    billing_case(con, "CC-D-C02", schedule=(("2026-09-15", "500,000.00"),))
    cases, purchasers = bill(con)
    # 1,500,000 x 0.04 x 15 / 365 = 2,465.753... -> 2,465.75
    # C02: 1/3 of 2,465.75 = 821.9166... -> 821.92; C01 (largest) gets 2,465.75 - 821.92
    assert purchasers["CC"]["interest"] == money("2,465.75")
    assert cases["CC-D-C02"]["interest"] == money("821.92")
    assert cases["CC-D-C01"]["interest"] == money("1,643.83")


def test_a_few_cents_over_many_cases_never_allocate_negative_interest(con):
    purchaser(con, "CC")
    for case_id in ("CC-D-C01", "CC-D-C02", "CC-D-C03", "CC-D-C04"):
        billing_case(con, case_id, schedule=(("2026-09-15", "3.04"),))
    cases, purchasers = bill(con)
    # 4 x 3.04 x 0.04 x 15 / 365 = 0.01998... -> 0.02, half a cent a case: rounding the others
    # up (3 x 0.01) would leave -0.01 to the largest, so they round down and it gets 0.02.
    assert purchasers["CC"]["interest"] == money("0.02")
    assert [cases[c]["interest"] for c in sorted(cases)] == [
        money("0.02"),
        money("0.00"),
        money("0.00"),
        money("0.00"),
    ]


@pytest.mark.parametrize(
    ("sblc", "tl", "forecast_cumulative", "amount_due"),
    [
        # F = 100,000 + 100,000; surcharge 6,400; TL = Q's level 80,000 (never 20,000 + 80,000)
        (False, "80,000.00", "286,400.00", "86,400.00"),
        # an SBLC replaces the TL reserve
        (True, "0.00", "206,400.00", "6,400.00"),
    ],
)
def test_termination_liability_is_the_level_of_q_and_zero_under_an_sblc(
    con, sblc, tl, forecast_cumulative, amount_due
):
    purchaser(con, "TT")
    billing_case(
        con,
        "TT-D-T01",
        sblc_in_place=sblc,
        forecasts=(
            ("2026-10-01", "100,000.00", "20,000.00"),
            ("2027-01-01", "100,000.00", "80,000.00"),
        ),
        collections=(("2026-06-01", "200,000.00"),),
    )
    t = bill(con)[0]["TT-D-T01"]
    assert t["termination_liability_reported"] == money("80,000.00")
    assert t["termination_liability"] == money(tl)
    assert t["surcharge"] == money("6,400.00")  # no surcharge on TL
    assert t["forecast_cumulative"] == money(forecast_cumulative)
    assert t["amount_due"] == money(amount_due)  # less 200,000 collected


@pytest.mark.parametrize(
    ("case_fields", "rate", "surcharge", "forecast_cumulative"),
    [
        ({"admin_surcharge_waived": True}, "0.000000", "0.00", "200,000.00"),
        # the case's own rate wins over the table: 0.05 x 200,000
        ({"admin_surcharge_rate": money("0.05")}, "0.050000", "10,000.00", "210,000.00"),
        ({}, "0.032000", "6,400.00", "206,400.00"),
    ],
)
def test_waived_surcharge_is_not_billed(con, case_fields, rate, surcharge, forecast_cumulative):
    purchaser(con, "WW")
    billing_case(
        con,
        "WW-D-W01",
        expenditures=(("2026-09-01", "100,000.00"),),
        forecasts=(("2026-10-01", "100,000.00", "0"),),
        **case_fields,
    )
    w = bill(con)[0]["WW-D-W01"]
    assert w["surcharge_rate"] == money(rate)
    assert w["surcharge"] == money(surcharge)
    assert w["forecast_cumulative"] == money(forecast_cumulative)


def test_surcharge_rounds_half_up_to_the_cent(con):
    purchaser(con, "WW")
    # 0.035 x 3.00 = 0.105 -> 0.11 (half-even would give 0.10)
    billing_case(
        con, "WW-D-R01", admin_surcharge_rate=money("0.035"), expenditures=(("2026-09-01", "3.00"),)
    )
    assert bill(con)[0]["WW-D-R01"]["surcharge"] == money("0.11")


def test_special_billing_arrangement_bills_the_purchaser_net_of_cash_available(con):
    purchaser(con, "SS", sba=True)
    billing_case(
        con,
        "SS-D-S01",
        schedule=(("2026-12-15", "1,000,000.00"),),  # plays no part under an SBA
        expenditures=(("2026-08-01", "100,000.00"),),
        forecasts=(("2026-10-01", "300,000.00", "0"), ("2027-01-01", "200,000.00", "0")),
        collections=(("2026-03-01", "400,000.00"),),
    )
    billing_case(
        con,
        "SS-D-S02",
        forecasts=(("2026-10-01", "100,000.00", "0"),),
        collections=(("2026-03-01", "110,000.00"),),
    )
    insert(
        con,
        "collections",
        {
            "collection_id": "SS-HA-1",
            "country_code": "SS",
            "case_id": None,
            "received_date": d("2026-08-01"),
            "amount": money("120,000.00"),
        },
        {
            "collection_id": "SS-HA-2",
            "country_code": "SS",
            "case_id": None,  # after E
            "received_date": d("2026-10-05"),
            "amount": money("30,000.00"),
        },
    )
    cases, purchasers = bill(con)
    s1, s2, ss = cases["SS-D-S01"], cases["SS-D-S02"], purchasers["SS"]
    # S01 forecast = 100,000 + 500,000 + 0 + 0.032 x 600,000 (19,200) = 619,200
    # S02 forecast = 0 + 100,000 + 0 + 3,200 = 103,200
    assert s1["forecast_cumulative"] == money("619,200.00")
    assert s2["forecast_cumulative"] == money("103,200.00")
    # Case rows keep their DD 645 figures for information, flagged.
    assert s1["amount_due"] == money("600,000.00")  # 1,000,000 scheduled - 400,000
    assert s2["amount_due"] == money("0.00")
    assert s1["billed_at_purchaser_level"] and s2["billed_at_purchaser_level"]
    # Bill = 722,400 - (400,000 + 110,000) - holding account 120,000 = 92,400
    assert ss["special_billing_arrangement"]
    assert ss["holding_account_balance"] == money("120,000.00")
    assert ss["amount_due"] == money("92,400.00")
    assert ss["case_amount_due_total"] == money("600,000.00")
    assert ss["cases"] == 2


def test_holding_account_does_not_reduce_a_dd645_bill(con):
    purchaser(con, "AA")
    billing_case(con, "AA-D-H01", schedule=(("2026-12-15", "50,000.00"),))
    insert(
        con,
        "collections",
        {
            "collection_id": "AA-HA",
            "country_code": "AA",
            "case_id": None,
            "received_date": d("2026-09-30"),
            "amount": money("75,000.00"),
        },
    )
    aa = bill(con)[1]["AA"]
    assert aa["holding_account_balance"] == money("75,000.00")
    assert aa["amount_due"] == money("50,000.00")
    assert not aa["special_billing_arrangement"]


def test_only_implemented_and_ssc_cases_implemented_by_the_quarter_end_are_billed(con):
    purchaser(con, "AA")
    billing_case(con, "AA-D-I01", schedule=(("2026-12-15", "10.00"),))
    billing_case(
        con, "AA-D-I02", status="SUPPLY_SERVICE_COMPLETE", schedule=(("2026-12-15", "10.00"),)
    )
    billing_case(con, "AA-D-I03", implementation_date=d("2026-10-01"))  # after E
    billing_case(con, "AA-D-I04", status="CLOSED")
    billing_case(con, "AA-D-I05", status="OFFERED", implementation_date=None)
    cases, purchasers = bill(con)
    assert sorted(cases) == ["AA-D-I01", "AA-D-I02"]
    assert purchasers["AA"]["amount_due"] == money("20.00")


def test_a_case_not_on_the_previous_statement_owes_no_arrearage_or_interest(con):
    purchaser(con, "AA")
    # Implemented in August: the 30 Jun statement did not carry it, so its 15 Sep installment
    # was never billed; it is billed now (amount due), not overdue.
    billing_case(
        con,
        "AA-D-N01",
        implementation_date=d("2026-08-01"),
        schedule=(("2026-09-15", "100,000.00"),),
    )
    n = bill(con)[0]["AA-D-N01"]
    assert n["previous_requirement"] == money("0.00")
    assert (n["arrearage"], n["interest"]) == (money("0.00"), money("0.00"))
    assert n["amount_due"] == money("100,000.00")


def test_ad_hoc_case_run_returns_the_figures_of_the_full_run(con):
    purchaser(con, "BB")
    billing_case(
        con,
        "BB-D-A01",
        schedule=(("2025-03-01", "100,000.00"), ("2026-09-15", "900,000.00")),
        collections=(("2025-03-01", "100,000.00"),),
    )
    billing_case(
        con,
        "BB-D-B01",
        schedule=(("2025-03-01", "200,000.00"),),
        collections=(("2025-03-01", "200,000.00"), ("2026-07-01", "500,000.00")),
    )
    insert_worked_example(con)
    full = bill(con)[0]
    adhoc = bill(con, case_id="BB-D-A01")[0]
    assert list(adhoc) == ["BB-D-A01"]
    expected = full["BB-D-A01"] | {"selection": "case BB-D-A01"}
    assert adhoc["BB-D-A01"] == expected  # interest still netted with BB-D-B01: 657.53
    only_xx = bill(con, purchaser="XX")[0]
    assert list(only_xx) == ["XX-D-W01"]
    assert only_xx["XX-D-W01"]["interest"] == money("1,643.84")


@pytest.mark.parametrize(
    "table", ["main.billing_statements", "billing_statements", "main.purchaser_statements"]
)
def test_candidates_are_never_built_over_the_published_records(con, table):
    with pytest.raises(ValueError, match="published"):
        build_billing_statements(con, E, table=table)


def test_a_quarter_without_an_interest_rate_in_force_fails_clearly(con):
    con.execute("DELETE FROM ref_interest_rates")
    with pytest.raises(ValueError, match="interest_rates"):
        build_billing_statements(con, E)
