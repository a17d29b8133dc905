"""The worked example of fms-domain.md ("Quarterly billing"), as a hand-built warehouse.

Case XX-D-W01, accepted 2025 (surcharge 3.2% from the rate table), not waived, no SBLC.
Schedule: 500,000 initial deposit, then 1,000,000 due each 15 Jun/Sep/Dec/Mar from 15 Jun 2025
to 15 Dec 2026. Expenditures 600,000 (31 Jan 2026), 900,000 (31 May 2026), 1,200,000
(31 Aug 2026). Forecasts (amount / TL): Q3 2026 1,000,000 / 300,000; Q4 2026 1,500,000 /
400,000; Q1 2027 2,000,000 / 500,000. Collections: 500,000, then 1,000,000 before each due date
through 15 Jun 2026; nothing after.
"""

from __future__ import annotations

from decimal import Decimal

from tests.billing.builders import one_transaction
from tests.handbuilt import d, insert

CASE = "XX-D-W01"
MILLION = Decimal("1000000.00")
INSTALLMENT_DATES = (
    "2025-06-15",
    "2025-09-15",
    "2025-12-15",
    "2026-03-15",
    "2026-06-15",
    "2026-09-15",
    "2026-12-15",
)
PAID_BEFORE = ("2025-06-10", "2025-09-10", "2025-12-10", "2026-03-10", "2026-06-10")


def insert_worked_example(con, case_id: str = CASE, country_name: str = "Exampleland") -> None:
    with one_transaction(con):
        _insert(con, case_id, country_name)


def _insert(con, case_id: str, country_name: str) -> None:
    country = case_id[:2]
    insert(con, "countries", {"country_code": country, "name": country_name})
    insert(
        con,
        "cases",
        {
            "case_id": case_id,
            "acceptance_date": d("2025-02-14"),
            "implementation_date": d("2025-03-03"),
        },
    )
    insert(
        con,
        "case_lines",
        {
            "case_id": case_id,
            "line_number": 1,
            "ordered_quantity": 10,
            "line_value": Decimal("9000000.00"),
        },
    )
    insert(
        con,
        "payment_schedules",
        {
            "case_id": case_id,
            "due_date": d("2025-03-01"),
            "amount": Decimal("500000.00"),
            "is_initial_deposit": True,
        },
        *({"case_id": case_id, "due_date": d(x), "amount": MILLION} for x in INSTALLMENT_DATES),
    )
    insert(
        con,
        "expenditures",
        *(
            {
                "expenditure_id": f"{case_id}-E{i}",
                "case_id": case_id,
                "expenditure_date": d(day),
                "amount": Decimal(amount),
            }
            for i, (day, amount) in enumerate(
                (
                    ("2026-01-31", "600000.00"),
                    ("2026-05-31", "900000.00"),
                    ("2026-08-31", "1200000.00"),
                ),
                start=1,
            )
        ),
    )
    insert(
        con,
        "requirements_forecasts",
        {
            "case_id": case_id,
            "quarter_start": d("2026-07-01"),
            "forecast_amount": Decimal("1000000.00"),
            "termination_liability": Decimal("300000.00"),
        },
        {
            "case_id": case_id,
            "quarter_start": d("2026-10-01"),
            "forecast_amount": Decimal("1500000.00"),
            "termination_liability": Decimal("400000.00"),
        },
        {
            "case_id": case_id,
            "quarter_start": d("2027-01-01"),
            "forecast_amount": Decimal("2000000.00"),
            "termination_liability": Decimal("500000.00"),
        },
    )
    insert(
        con,
        "collections",
        {
            "collection_id": f"{case_id}-C0",
            "case_id": case_id,
            "received_date": d("2025-03-01"),
            "amount": Decimal("500000.00"),
        },
        *(
            {
                "collection_id": f"{case_id}-C{i}",
                "case_id": case_id,
                "received_date": d(day),
                "amount": MILLION,
            }
            for i, day in enumerate(PAID_BEFORE, start=1)
        ),
    )
