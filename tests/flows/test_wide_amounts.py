"""A valid amount never blocks a run (issue 16): money is computed wide (DECIMAL(38,x)) and
rounded to the cent once, every figure that fits the contract's DECIMAL(18,2) is published exact
to the cent, and a figure that does not (10^16 dollars or more) fails the data-quality gate
naming its case and figures, never an overflow.

One landing, every job: first amounts that are large but publishable (a delivery of
3,000,000,000,000.00 on a line worth 9,999,999,999,999,999.99, the largest valid amount); then a
batch whose figures cannot be published: a delivery of that largest amount (its surcharge takes
the final value past 10^16) and two deliveries on one line summing past 10^16.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from flows.closure import closure_readiness
from flows.delivery_report import delivery_report
from flows.nightly import nightly_refresh
from flows.quarterly_billing import quarterly_billing
from tests.landing import COUNTRY, DELIVERY, LINE, case, fingerprint, write_batch

pytestmark = pytest.mark.usefixtures("prefect_harness")

LARGEST = "9999999999999999.99"  # the largest valid DECIMAL(18,2) amount
Q3 = date(2026, 9, 30)
NIGHT = date(2026, 11, 1)
MONTH_END = date(2026, 10, 31)
RULE = "every amount fits the published DECIMAL(18,2)"
PUBLISHED = [
    "delivery_status",
    "undelivered_report",
    "closure_readiness",
    "billing_statements",
    "purchaser_statements",
    "publications",
]


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE | {"ordered_quantity": "4", "line_value": LARGEST}],
            "deliveries": [DELIVERY | {"delivered_value": "3000000000000.00"}],
            "requirements_forecasts": [
                {
                    "case_id": "UK-D-AAA",
                    "quarter_start": "2026-10-01",
                    "forecast_amount": "1000000000000.00",
                    "termination_liability": "0.00",
                },
                {
                    "case_id": "UK-D-AAA",
                    "quarter_start": "2027-01-01",
                    "forecast_amount": "2000000000000.00",
                    "termination_liability": "500000000000.00",
                },
            ],
            "collections": [
                {
                    "collection_id": "K1",
                    "country_code": "UK",
                    "case_id": "UK-D-AAA",
                    "received_date": "2026-03-01",
                    "amount": "1000000000000.00",
                    "funding_source": "NATIONAL",
                }
            ],
        },
    )
    return landing


def _add_unpublishable_batch(landing: Path) -> None:
    write_batch(
        landing,
        "20261101-01-daily",
        {
            "cases": [case(case_id="UK-D-BBB"), case(case_id="UK-D-CCC")],
            "case_lines": [
                LINE | {"case_id": "UK-D-BBB", "ordered_quantity": "1", "line_value": LARGEST},
                LINE | {"case_id": "UK-D-CCC", "ordered_quantity": "2", "line_value": LARGEST},
            ],
            "deliveries": [
                DELIVERY | {"delivery_id": "B1", "case_id": "UK-D-BBB", "delivered_value": LARGEST},
                *(
                    DELIVERY
                    | {"delivery_id": i, "case_id": "UK-D-CCC", "delivered_value": "6" + "0" * 15}
                    for i in ("C1", "C2")
                ),
            ],
        },
    )


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _hand_interest() -> Decimal:
    """C9.11.8, actual/365 at the 4% rate in force through 2026, over Q3 2026: the requirement of
    the statement of 31 Mar (performance 3,000,000,000,000.00 + 3.2% surcharge) is due from
    16 Jun, that of 30 Jun (performance + the Q4 forecast 1,000,000,000,000.00, + 3.2%) from
    16 Sep; collections 1,000,000,000,000.00."""
    collected = Decimal("1000000000000.00")
    due_march = Decimal("3000000000000.00") * Decimal("1.032")
    due_june = Decimal("4000000000000.00") * Decimal("1.032")
    dollar_days = (due_march - collected) * 77 + (due_june - collected) * 15  # 1 Jul-15 Sep, rest
    return (dollar_days * Decimal("0.04") / 365).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _failure(exc: pytest.ExceptionInfo) -> list[str]:
    """The gate's failures: each the rule on amounts too large to publish (no reconciliation
    repeats them with an amount), never an overflow."""
    message = str(exc.value)
    assert "Overflow" not in message and "Out of Range" not in message
    lines = [line for line in message.splitlines() if line.startswith("  - suite")]
    assert lines and all(RULE in line for line in lines), message
    return lines


def test_large_valid_amounts_publish_exactly_and_unpublishable_ones_fail_the_gate(tmp_path):
    landing, warehouse, out = _landing(tmp_path), tmp_path / "w.duckdb", tmp_path / "out"

    # -- Large but publishable: every job publishes, every figure exact to the cent.
    nightly_refresh(landing=landing, warehouse=warehouse, out=out, as_of=NIGHT)
    assert _rows(
        warehouse,
        "SELECT delivered_value, undelivered_value FROM delivery_status",
    ) == [(Decimal("3000000000000.00"), Decimal("9996999999999999.99"))]
    assert _rows(
        warehouse,
        "SELECT total_order_value, delivered_value, undelivered_value FROM undelivered_report",
    ) == [(Decimal(LARGEST), Decimal("3000000000000.00"), Decimal("9996999999999999.99"))]
    # Final value = performance + round(3.2% x performance); collections 1,000,000,000,000.00.
    assert _rows(
        warehouse,
        "SELECT performance, surcharge, final_value, blocker_summary FROM closure_readiness",
    ) == [
        (
            Decimal("3000000000000.00"),
            Decimal("96000000000.00"),
            Decimal("3096000000000.00"),
            "NOT_SSC: no SSC date, 1 line short (3 units); UNDERCOLLECTED: "
            "$2,096,000,000,000.00 short: collections $1,000,000,000,000.00 below final value "
            "$3,096,000,000,000.00",
        )
    ]

    billed = quarterly_billing(period_end=Q3, warehouse=warehouse, out=out)
    assert billed["published"] == {"UK": 1}
    # F = 1,000,000,000,000.00 (Q4 2026) + 2,000,000,000,000.00 (Q1 2027); TL of Q1 2027;
    # surcharge = round(3.2% x (P + F)) = 192,000,000,000.00; the previous quarter's requirement
    # = (P + 1,000,000,000,000.00) x 1.032.
    interest = _hand_interest()
    assert interest == Decimal("22828712328.77")
    assert _rows(
        warehouse,
        "SELECT performance, forecast_costs, termination_liability, surcharge, "
        "forecast_cumulative, amount_due, previous_requirement, arrearage, interest "
        "FROM billing_statements",
    ) == [
        tuple(
            Decimal(v)
            for v in (
                "3000000000000.00",
                "3000000000000.00",
                "500000000000.00",
                "192000000000.00",
                "6692000000000.00",
                "5692000000000.00",
                "4128000000000.00",
                "3128000000000.00",
                interest,
            )
        )
    ]
    detail = out / "quarterly-billing" / "2026Q3" / "statement_UK_2026Q3_r1.csv"
    (row,) = list(csv.DictReader(detail.open()))
    assert (row["amount_due"], row["interest"]) == ("5692000000000.00", str(interest))

    delivery_report(as_of=MONTH_END, warehouse=warehouse, out=out)
    status = out / "delivery-report" / "2026-10-31" / "delivery_status_20261031.csv"
    (row,) = list(csv.DictReader(status.open()))
    assert (row["line_value"], row["undelivered_value"]) == (LARGEST, "9996999999999999.99")
    closure_readiness(as_of=NIGHT, warehouse=warehouse, out=out)

    # -- Figures past DECIMAL(18,2): each job fails at its gate naming the cases, nothing changes.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = {t: v for t, v in fingerprint(con).items() if t in PUBLISHED}
    _add_unpublishable_batch(landing)
    next_night = date(2026, 11, 2)
    with pytest.raises(Exception) as failed:
        nightly_refresh(landing=landing, warehouse=warehouse, out=out, as_of=next_night)
    lines = _failure(failed)
    assert any(
        "mart_delivery_status" in x
        and "amounts_too_large=delivered_value" in x
        and "case_id=UK-D-CCC" in x
        for x in lines
    )
    closure_line = next(x for x in lines if "mart_closure_readiness" in x)
    assert "2 of 3 rows fail" in closure_line
    assert "case_id=UK-D-BBB" in closure_line and "case_id=UK-D-CCC" in closure_line
    assert "final_value" in closure_line and "blocker UNDERCOLLECTED" in closure_line
    assert LARGEST not in "".join(lines) and "6000000000000000" not in "".join(lines)

    with pytest.raises(Exception) as failed:
        quarterly_billing(period_end=Q3, warehouse=warehouse, out=out)
    (billing_line,) = [x for x in _failure(failed) if "mart_billing_statements" in x]
    assert "case_id=UK-D-BBB" in billing_line and "case_id=UK-D-CCC" in billing_line
    assert "forecast_cumulative" in billing_line and "amount_due" in billing_line

    # The delivery report of BBB fits (delivered value 9,999,999,999,999,999.99): only CCC fails.
    with pytest.raises(Exception) as failed:
        delivery_report(as_of=MONTH_END, warehouse=warehouse, out=out)
    lines = _failure(failed)
    assert {x.split(",")[0] for x in lines} == {
        "  - suite mart_delivery_status",
        "  - suite mart_undelivered_report",
    }
    assert all("case_id=UK-D-CCC" in x and "UK-D-BBB" not in x for x in lines)

    with pytest.raises(Exception) as failed:
        closure_readiness(as_of=next_night, warehouse=warehouse, out=out)
    assert any("mart_closure_readiness" in x and "UK-D-BBB" in x for x in _failure(failed))

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert {t: v for t, v in fingerprint(con).items() if t in PUBLISHED} == before
