"""Money is printed one way for people, in the run report (tests/report/test_run_report.py) and
in every file's headings: the sign before the dollar sign, exact to the cent from the Decimal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fms.billing.documents import heading_lines


def test_a_statement_heading_prints_a_credit_as_the_run_report_does():
    day = date(2026, 9, 30)
    purchaser = dict.fromkeys(
        ["statement_date", "period_end", "payment_due_date", "covers_start", "covers_end"], day
    )
    purchaser |= {"country_code": "UK", "amount_due": Decimal("-5.00")}
    purchaser |= dict.fromkeys(["arrearage", "interest"], Decimal("0.00"))
    purchaser["holding_account_balance"] = Decimal("1250.50")
    lines = heading_lines(purchaser, 1)
    assert "Amount due and payable: -$5.00" in lines
    assert "Holding account balance: $1,250.50" in lines
