"""Amount due (DD Form 645 column 14) on random cases: never negative, and exactly the hand
formula of fms-domain.md "Quarterly billing", recomputed here in plain Python:

    Performance = delivered value reported by E + expenditures dated by E
    F           = forecast of N (the quarter after E) + forecast of Q (the quarter after N)
    TL          = termination liability of Q, 0 with an SBLC
    surcharge   = round half up (r x (Performance + F)), r = 0 when waived
    amount due  = max(0, max(scheduled by P, Performance + F + TL + surcharge) - collections by E)

Each example is a small hand-built warehouse (tests/handbuilt.py) billed by the real
`build_billing_statements`; examples are few because each one runs the billing query. The same
holds with amounts up to the largest valid one (9,999,999,999,999,999.99): a figure that fits
the published DECIMAL(18,2) is the hand formula to the cent, one that does not is NULL (never
published: the gate fails it), and nothing overflows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fms.billing import billing_timeline, build_billing_statements
from fms.contract import ENTITIES
from tests.billing.builders import one_transaction, statement_rows
from tests.handbuilt import insert, open_warehouse

# The rate table's rate for acceptances from 1 Jun 2018 (data/reference/admin_surcharge_rates.csv).
RATE_FROM_2018 = Decimal("0.032")
QUARTER_ENDS = [
    date(y, m, d) for y in range(2020, 2028) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))
]


def cents(low: int, high: int):
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


def days_around(day: date, before: int, after: int):
    return st.integers(-before, after).map(lambda k: day + timedelta(days=k))


@dataclass
class Case:
    case_id: str
    rate: Decimal | None  # None: the rate table's, by acceptance date
    waived: bool
    sblc: bool
    schedule: list[tuple[date, Decimal]]
    expenditures: list[tuple[date, Decimal]]
    deliveries: list[tuple[date, Decimal]]
    forecasts: dict[date, tuple[Decimal, Decimal]]  # quarter start -> (forecast, TL)
    collections: list[tuple[date, Decimal]]


# The largest valid amount in cents, and the first amount that no longer fits DECIMAL(18,2).
LARGEST_CENTS = 10**18 - 1
UNPUBLISHABLE = Decimal(10**16)


@st.composite
def billed_cases(draw, top: int = 10**9):
    """Cases billed at a random quarter end, amounts up to `top` cents."""
    period_end = draw(st.sampled_from(QUARTER_ENDS))
    t = billing_timeline(period_end)
    quarters = [period_end.replace(day=1), t.current_quarter_start, t.covers_start]
    quarters.append(t.covers_end + timedelta(days=1))
    cases = []
    for i in range(draw(st.integers(1, 3))):
        cases.append(
            Case(
                case_id=f"{'AB'[i % 2] * 2}-D-C{i:02d}",
                rate=draw(st.none() | st.integers(0, 60_000).map(lambda r: Decimal(r).scaleb(-6))),
                waived=draw(st.booleans()),
                sblc=draw(st.booleans()),
                schedule=draw(
                    st.lists(
                        st.tuples(days_around(t.payment_due_date, 500, 200), cents(0, top)),
                        max_size=5,
                        unique_by=lambda s: s[0],
                    )
                ),
                expenditures=draw(
                    st.lists(
                        st.tuples(days_around(period_end, 500, 100), cents(-top // 10, top)),
                        max_size=4,
                    )
                ),
                deliveries=draw(
                    st.lists(
                        st.tuples(days_around(period_end, 500, 100), cents(0, top)), max_size=3
                    )
                ),
                forecasts=draw(
                    st.dictionaries(
                        st.sampled_from(quarters),
                        st.tuples(cents(0, top), cents(0, top // 10)),
                        max_size=4,
                    )
                ),
                collections=draw(
                    st.lists(
                        st.tuples(days_around(period_end, 500, 100), cents(-top // 100, top)),
                        max_size=4,
                    )
                ),
            )
        )
    return period_end, cases


def hand_amount_due(c: Case, period_end: date) -> dict[str, Decimal]:
    t = billing_timeline(period_end)
    zero = Decimal("0.00")
    performance = sum((v for d, v in c.deliveries if d <= period_end), zero) + sum(
        (a for d, a in c.expenditures if d <= period_end), zero
    )
    forecast = {q: f for q, (f, _) in c.forecasts.items()}
    costs = forecast.get(t.current_quarter_start, zero) + forecast.get(t.covers_start, zero)
    tl = zero if c.sblc else c.forecasts.get(t.covers_start, (zero, zero))[1]
    rate = Decimal(0) if c.waived else (RATE_FROM_2018 if c.rate is None else c.rate)
    surcharge = (rate * (performance + costs)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    forecast_cumulative = performance + costs + tl + surcharge
    scheduled = sum((a for d, a in c.schedule if d <= t.payment_due_date), zero)
    collected = sum((a for d, a in c.collections if d <= period_end), zero)
    return {
        "scheduled_cumulative": scheduled,
        "forecast_cumulative": forecast_cumulative,
        "collections_cumulative": collected,
        "amount_due": max(zero, max(scheduled, forecast_cumulative) - collected),
    }


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = open_warehouse(tmp_path_factory.mktemp("amount_due"))
    yield con
    con.close()


def replace_warehouse_rows(con, period_end: date, cases: list[Case]) -> None:
    accepted = date(period_end.year - 1, 1, 10)  # after 1 Jun 2018: the 3.2% rate
    with one_transaction(con):
        for entity in ENTITIES:
            con.execute(f"DELETE FROM {entity.name}")
            con.execute(f"DELETE FROM {entity.name}_history")
        insert(con, "countries", {"country_code": "AA"}, {"country_code": "BB"})
        for c in cases:
            insert(
                con,
                "cases",
                {
                    "case_id": c.case_id,
                    "acceptance_date": accepted,
                    "implementation_date": accepted,
                    "admin_surcharge_rate": c.rate,
                    "admin_surcharge_waived": c.waived,
                    "sblc_in_place": c.sblc,
                },
            )
            insert(
                con,
                "case_lines",
                {
                    "case_id": c.case_id,
                    "line_number": 1,
                    "ordered_quantity": 1,
                    "line_value": Decimal("1.00"),
                },
            )
            rows = {
                "payment_schedules": [
                    {"case_id": c.case_id, "due_date": d, "amount": a} for d, a in c.schedule
                ],
                "expenditures": [
                    {
                        "expenditure_id": f"{c.case_id}-X{i}",
                        "case_id": c.case_id,
                        "expenditure_date": d,
                        "amount": a,
                    }
                    for i, (d, a) in enumerate(c.expenditures)
                ],
                "deliveries": [
                    {
                        "delivery_id": f"{c.case_id}-D{i}",
                        "case_id": c.case_id,
                        "quantity": 1,
                        "shipment_date": d,
                        "reported_date": d,
                        "delivered_value": v,
                    }
                    for i, (d, v) in enumerate(c.deliveries)
                ],
                "requirements_forecasts": [
                    {
                        "case_id": c.case_id,
                        "quarter_start": q,
                        "forecast_amount": f,
                        "termination_liability": tl,
                    }
                    for q, (f, tl) in c.forecasts.items()
                ],
                "collections": [
                    {
                        "collection_id": f"{c.case_id}-C{i}",
                        "case_id": c.case_id,
                        "received_date": d,
                        "amount": a,
                    }
                    for i, (d, a) in enumerate(c.collections)
                ],
            }
            for entity, entity_rows in rows.items():
                if entity_rows:
                    insert(con, entity, *entity_rows)


@settings(max_examples=25, deadline=None)
@given(billed_cases())
def test_amount_due_is_never_negative_and_is_the_hand_formula(con, billed):
    period_end, cases = billed
    replace_warehouse_rows(con, period_end, cases)
    build_billing_statements(con, period_end)
    statements = statement_rows(con)
    assert set(statements) == {c.case_id for c in cases}
    for c in cases:
        row = statements[c.case_id]
        expected = hand_amount_due(c, period_end)
        assert {k: row[k] for k in expected} == expected, c.case_id
        assert row["amount_due"] >= 0
        assert row["arrearage"] >= 0 and row["interest"] >= 0


def published(amount: Decimal) -> Decimal | None:
    """What the statement shows of a figure: itself, or NULL when DECIMAL(18,2) cannot hold it."""
    return amount if abs(amount) < UNPUBLISHABLE else None


@settings(max_examples=25, deadline=None)
@given(billed_cases(top=LARGEST_CENTS))
def test_with_amounts_up_to_the_largest_valid_one_each_figure_is_exact_or_unpublished(con, billed):
    period_end, cases = billed
    replace_warehouse_rows(con, period_end, cases)
    build_billing_statements(con, period_end)
    statements = statement_rows(con)
    for c in cases:
        row = statements[c.case_id]
        expected = {k: published(v) for k, v in hand_amount_due(c, period_end).items()}
        assert {k: row[k] for k in expected} == expected, c.case_id
