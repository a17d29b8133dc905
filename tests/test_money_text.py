"""Money is printed one way for people, in the run report (tests/report/test_run_report.py) and
in every file's headings: the sign before the dollar sign, exact to the cent from the Decimal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fms.billing.documents import statement_heading
from fms.formatting import dollars
from fms.outputs import MONEY_FORMAT, Figure, shown_text


def test_a_statement_heading_shows_a_credit_as_the_run_report_does():
    day = date(2026, 9, 30)
    purchaser = dict.fromkeys(
        ["statement_date", "period_end", "payment_due_date", "covers_start", "covers_end"], day
    )
    purchaser |= {"country_code": "UK", "amount_due": Decimal("-5.00")}
    purchaser |= dict.fromkeys(["arrearage", "interest"], Decimal("0.00"))
    purchaser["holding_account_balance"] = Decimal("1250.50")
    heading = statement_heading(purchaser, 1)
    # The workbook's heading holds the amounts as currency cells, exact from the Decimal ...
    due = Figure("Amount due and payable", Decimal("-5.00"), money=True)
    balance = Figure("Holding account balance", Decimal("1250.50"), money=True)
    assert due in heading and balance in heading
    # ... and the currency format shows them as the run report prints them.
    assert MONEY_FORMAT.split(";")[1].endswith('-"$"#,##0.00')
    assert shown_text(due.value, money=True) == dollars(due.value) == "-$5.00"
    assert shown_text(balance.value, money=True) == dollars(balance.value) == "$1,250.50"
