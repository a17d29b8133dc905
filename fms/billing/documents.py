"""A purchaser's statement files: the DD Form 645 workbook and the case-detail CSV.

Per purchaser per quarter (contract "Published files"): `statement_<CC>_<YYYYQn>_r<rev>.xlsx` and
`.csv` (an ad-hoc run: `..._adhoc`), plus `..._r<rev>_differences.csv` from revision 2 on.
A purchaser's files hold its own cases only: callers pass one purchaser's rows.

The summary sheet follows the DD Form 645 as far as the SAMM text tells: the SAMM names only
column 14, "Amount Due and Payable" (C9.10.2). The other numbered headings are ours, in the order
the amounts are reached (SAMM C9.10; README.md "Rules").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from fms.billing.timeline import quarter_label
from fms.formatting import dollars
from fms.outputs import Sheet, write_csv, write_xlsx

# (DD 645 column heading, statement field). Column 14 is the bill.
DD645_COLUMNS: tuple[tuple[str, str], ...] = (
    ("(1) Case Identifier", "case_id"),
    ("(2) Accrued Expenditures (Deliveries and Work in Process)", "performance"),
    ("(3) Forecast Costs, Current Quarter", "forecast_current_quarter"),
    ("(4) Forecast Costs, Quarter Covered by Payment", "forecast_covered_quarter"),
    ("(5) Termination Liability Reserve", "termination_liability"),
    ("(6) FMS Administrative Surcharge", "surcharge"),
    ("(7) Cumulative Forecast Requirement (2+3+4+5+6)", "forecast_cumulative"),
    ("(8) Cumulative Payment Schedule", "scheduled_cumulative"),
    ("(9) Cumulative Financial Requirement (greater of 7, 8)", "requirement"),
    ("(10) Cumulative Payments Received", "collections_cumulative"),
    ("(11) Prior Quarter Requirement", "previous_requirement"),
    ("(12) Arrearage (11 - 10, not below 0)", "arrearage"),
    ("(13) Interest on Arrearage", "interest"),
    ("(14) Amount Due and Payable (9 - 10, not below 0)", "amount_due"),
)

# Every figure of a case row, in the order it is reached: the "Case detail" sheet and the CSV.
CASE_DETAIL_FIELDS: tuple[str, ...] = (
    "case_id",
    "country_code",
    "period_end",
    "revision",
    "status",
    "implementation_date",
    "statement_date",
    "payment_due_date",
    "current_quarter_start",
    "current_quarter_end",
    "covers_start",
    "covers_end",
    "delivered_value",
    "expenditures",
    "performance",
    "forecast_current_quarter",
    "forecast_covered_quarter",
    "forecast_costs",
    "termination_liability_reported",
    "sblc_in_place",
    "termination_liability",
    "surcharge_rate",
    "surcharge",
    "forecast_cumulative",
    "scheduled_cumulative",
    "requirement",
    "requirement_basis",
    "collections_cumulative",
    "amount_due",
    "previous_period_end",
    "previous_payment_due_date",
    "previous_requirement",
    "arrearage",
    "arrearage_days",
    "arrearage_dollar_days",
    "purchaser_interest_days",
    "purchaser_interest",
    "interest",
    "billed_at_purchaser_level",
)

DIFFERENCE_FIELDS = ("level", "case_id", "field", "old_value", "new_value")

# Case-detail figures in dollars (currency cells), named one by one: a Decimal added later is
# a plain number until someone says it is money. The surcharge rate and arrearage dollar-days
# are plain numbers.
MONEY_FIELDS = frozenset(
    {
        "delivered_value",
        "expenditures",
        "performance",
        "forecast_current_quarter",
        "forecast_covered_quarter",
        "forecast_costs",
        "termination_liability_reported",
        "termination_liability",
        "surcharge",
        "forecast_cumulative",
        "scheduled_cumulative",
        "requirement",
        "collections_cumulative",
        "amount_due",
        "previous_requirement",
        "arrearage",
        "purchaser_interest",
        "interest",
    }
)


def statement_stem(country_code: str, period_end: date, revision: int | None) -> str:
    """`statement_UK_2026Q3_r2`; `statement_UK_2026Q3_adhoc` for an unpublished run."""
    tag = "adhoc" if revision is None else f"r{revision}"
    return f"statement_{country_code}_{quarter_label(period_end)}_{tag}"


def heading_lines(purchaser: Mapping[str, object], revision: int | None) -> list[str]:
    name = purchaser.get("purchaser_name") or ""
    lines = [
        "FMS Billing Statement (DD Form 645)",
        f"Purchaser: {purchaser['country_code']} {name}".rstrip(),
        f"Statement date: {purchaser['statement_date']}",
        f"Quarter ended: {purchaser['period_end']}",
        f"Payment due date: {purchaser['payment_due_date']}",
        f"Payment covers: {purchaser['covers_start']} to {purchaser['covers_end']}",
        f"Revision: {revision}" if revision is not None else "Ad-hoc run: not a published revision",
        f"Amount due and payable: {dollars(purchaser['amount_due'])}",
        f"Arrearage: {dollars(purchaser['arrearage'])}; interest: {dollars(purchaser['interest'])}",
        f"Holding account balance: {dollars(purchaser['holding_account_balance'])}",
    ]
    if purchaser.get("special_billing_arrangement"):
        lines.append(
            "Special Billing Arrangement (SAMM C9.10.2): billed at purchaser level, forthcoming "
            "requirements less collections and holding account balance; the case rows are shown "
            "for information."
        )
    return lines


def summary_rows(
    purchaser: Mapping[str, object], cases: Sequence[Mapping[str, object]]
) -> list[list[object]]:
    rows = [[case[f] for _, f in DD645_COLUMNS] for case in cases]
    total = ["Total"] + [
        sum((case[f] for case in cases), Decimal("0.00")) for _, f in DD645_COLUMNS[1:]
    ]
    rows.append(total)
    if purchaser.get("special_billing_arrangement"):
        sba = ["Special Billing Arrangement"] + [None] * (len(DD645_COLUMNS) - 2)
        rows.append([*sba, purchaser["amount_due"]])
    return rows


def write_statement_files(
    folder: Path,
    purchaser: Mapping[str, object],
    cases: Sequence[Mapping[str, object]],
    revision: int | None,
    differences: Sequence[Mapping[str, object]] = (),
) -> tuple[Path, ...]:
    """Write one purchaser's workbook, case-detail CSV and any difference report in `folder`;
    return their paths."""
    country = str(purchaser["country_code"])
    foreign = sorted({str(c["case_id"]) for c in cases if c["country_code"] != country})
    if foreign:
        raise ValueError(f"statement of {country} given other purchasers' cases: {foreign}")
    stem = statement_stem(country, purchaser["period_end"], revision)
    detail_rows = [[case[f] for f in CASE_DETAIL_FIELDS] for case in cases]
    sheets = [
        Sheet(
            name="Statement",
            columns=[heading for heading, _ in DD645_COLUMNS],
            rows=summary_rows(purchaser, cases),
            money=frozenset(heading for heading, _ in DD645_COLUMNS[1:]),
            title_lines=heading_lines(purchaser, revision),
            widths={heading: 22 for heading, _ in DD645_COLUMNS},
        ),
        Sheet(name="Case detail", columns=CASE_DETAIL_FIELDS, rows=detail_rows, money=MONEY_FIELDS),
    ]
    diff_rows = [[row[f] for f in DIFFERENCE_FIELDS] for row in differences]
    if differences:
        sheets.append(Sheet(name="Changes", columns=DIFFERENCE_FIELDS, rows=diff_rows))
    paths = (
        write_xlsx(folder / f"{stem}.xlsx", sheets),
        write_csv(folder / f"{stem}.csv", CASE_DETAIL_FIELDS, detail_rows),
    )
    if differences:
        paths += (write_csv(folder / f"{stem}_differences.csv", DIFFERENCE_FIELDS, diff_rows),)
    return paths
