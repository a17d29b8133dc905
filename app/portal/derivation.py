"""A case statement's figures in the order they are reached, each with the rule and the SAMM
paragraph behind it (README.md, "Rules"; SAMM C9.10): what the statement page shows under
each case, so a purchaser can follow column 14 from the payment schedule and the costs.

Every figure is read from the published `billing_statements` row: nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fms.formatting import dollars


@dataclass(frozen=True)
class Step:
    label: str
    amount: Decimal | None
    rule: str
    samm: str
    total: bool = False  # a result line (bold), not a part


def _day(day: date | None) -> str:
    return day.strftime("%d %b %Y") if day else "—"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def case_derivation(row: dict) -> list[Step]:
    """The derivation of one `billing_statements` row."""
    performance_rule = (
        f"delivered value {dollars(row['delivered_value'])} + accrued expenditures "
        f"{dollars(row['expenditures'])}, reported by the quarter end {_day(row['period_end'])}"
    )
    forecast_rule = (
        f"forecast costs of the current quarter (from {_day(row['current_quarter_start'])}) "
        f"{dollars(row['forecast_current_quarter'])} + of the quarter the payment covers "
        f"({_day(row['covers_start'])} to {_day(row['covers_end'])}) "
        f"{dollars(row['forecast_covered_quarter'])}"
    )
    if row["sblc_in_place"]:
        liability_rule = "none billed: a standby letter of credit guarantees termination costs"
    else:
        liability_rule = (
            "the reserve level reported for the covered quarter "
            f"({dollars(row['termination_liability_reported'])}), a level never summed"
        )
    base = row["performance"] + row["forecast_costs"]
    basis = (
        "the payment schedule"
        if row["requirement_basis"] == "PAYMENT_SCHEDULE"
        else "the forecast of financial requirements"
    )
    if row["previous_period_end"] is None:
        arrearage_rule = "no earlier statement: nothing was due before"
    else:
        arrearage_rule = (
            f"the previous statement's requirement {dollars(row['previous_requirement'])} "
            f"(quarter ended {_day(row['previous_period_end'])}, "
            f"due {_day(row['previous_payment_due_date'])})"
            " less collections, never below zero"
        )
    interest_rule = (
        f"the purchaser's interest {dollars(row['purchaser_interest'])} on its daily net "
        f"arrearage ({row['purchaser_interest_days']} day(s)), allocated to this case by its "
        f"arrearage dollar-days ({row['arrearage_dollar_days']:,}); the last cent to the case "
        "with the most"
    )
    return [
        Step(
            "Payment schedule to the due date",
            row["scheduled_cumulative"],
            f"amounts scheduled with a due date on or before {_day(row['payment_due_date'])}, "
            "cumulative",
            "C9.9.1.4, C9.10.1",
        ),
        Step("Performance", row["performance"], performance_rule, "C9.10.1"),
        Step("Forecast costs", row["forecast_costs"], forecast_rule, "C9.10.1"),
        Step("Termination liability", row["termination_liability"], liability_rule, "C9.9.1.5.3-4"),
        Step(
            "Administrative surcharge",
            row["surcharge"],
            f"{_percent(row['surcharge_rate'])} x {dollars(base)} (performance + forecast costs;"
            " never on termination liability or an SCML), rounded half up to the cent",
            "C9.9.1.5.2.8, C9.6.1",
        ),
        Step(
            "Forecast of financial requirements",
            row["forecast_cumulative"],
            "performance + forecast costs + termination liability + surcharge",
            "C9.10.1",
            total=True,
        ),
        Step(
            "Requirement billed",
            row["requirement"],
            f"the greater of the payment schedule and the forecast: {basis}",
            "C9.10.1",
            total=True,
        ),
        Step(
            "Collections",
            row["collections_cumulative"],
            f"received for the case by {_day(row['period_end'])}, cumulative",
            "C9.10.2",
        ),
        Step(
            "Amount due and payable (column 14)",
            row["amount_due"],
            "requirement less collections, never below zero; it includes any arrearage",
            "C9.10.2",
            total=True,
        ),
        Step("Arrearage", row["arrearage"], arrearage_rule, "C9.11.8"),
        Step("Interest", row["interest"], interest_rule, "C9.11.8"),
    ]
