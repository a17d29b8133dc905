"""A purchaser's statement files: the DD Form 645 workbook and the case-detail CSV.

Per purchaser per quarter (README.md, "What each run publishes"):
`statement_<CC>_<YYYYQn>_r<rev>.xlsx` and `.csv` (an ad-hoc run: `..._adhoc`, for one case
`..._adhoc_<case id>`), plus `..._r<rev>_differences.csv` from revision 2 on, and the quarterly
delivery listing as `delivery_listing_<CC>_<YYYYQn>_r<rev>.csv` (same tags as the statement) and
the workbook's "Delivery listing" sheet, when the purchaser has a line to list.
A purchaser's files hold its own cases only: callers pass one purchaser's rows.

The workbook is for people: the statement's figures are number cells with labels, its headings
are words (the DD 645 column number in front where the figure is one of the form's columns);
the CSV keeps the field names (billing_statements' columns, data contract) for programs.

The summary sheet follows the DD Form 645 as far as the SAMM text tells: the SAMM names only
column 14, "Amount Due and Payable" (C9.10.2). The other numbered headings are ours, in the order
the amounts are reached (SAMM C9.10; README.md "Rules").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from fms.billing.delivery_listing import LISTING_FIELDS
from fms.billing.timeline import quarter_label
from fms.outputs import Figure, Sheet, file_name_part, write_csv, write_xlsx

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
# (field, its heading in words, "$" if in dollars). A figure that is one of the DD 645's columns
# is headed by that column's heading, its number first (no words of its own). Money is named one
# by one: a Decimal added later is a plain number until someone says it is money; the surcharge
# rate and arrearage dollar-days are plain numbers.
_CASE_DETAIL: tuple[tuple[str, str | None, str], ...] = (
    ("case_id", None, ""),
    ("country_code", "Purchaser", ""),
    ("period_end", "Quarter ended", ""),
    ("revision", "Revision", ""),
    ("status", "Case status", ""),
    ("implementation_date", "Implementation date", ""),
    ("statement_date", "Statement date", ""),
    ("payment_due_date", "Payment due date", ""),
    ("current_quarter_start", "Current quarter from", ""),
    ("current_quarter_end", "Current quarter to", ""),
    ("covers_start", "Payment covers from", ""),
    ("covers_end", "Payment covers to", ""),
    ("delivered_value", "Delivered value", "$"),
    ("expenditures", "Expenditures (work in process)", "$"),
    ("performance", None, "$"),
    ("forecast_current_quarter", None, "$"),
    ("forecast_covered_quarter", None, "$"),
    ("forecast_costs", "Forecast costs (3+4)", "$"),
    ("termination_liability_reported", "Termination liability reported", "$"),
    ("sblc_in_place", "Standby letter of credit in place", ""),
    ("termination_liability", None, "$"),
    ("surcharge_rate", "Surcharge rate", ""),
    ("surcharge", None, "$"),
    ("forecast_cumulative", None, "$"),
    ("scheduled_cumulative", None, "$"),
    ("requirement", None, "$"),
    ("requirement_basis", "Requirement basis (greater of 7, 8)", ""),
    ("collections_cumulative", None, "$"),
    ("amount_due", None, "$"),
    ("previous_period_end", "Prior quarter ended", ""),
    ("previous_payment_due_date", "Prior payment due date", ""),
    ("previous_requirement", None, "$"),
    ("arrearage", None, "$"),
    ("arrearage_days", "Days in arrears", ""),
    ("arrearage_dollar_days", "Arrearage dollar-days", ""),
    ("purchaser_interest_days", "Purchaser's days of interest", ""),
    ("purchaser_interest", "Purchaser's interest", "$"),
    ("interest", None, "$"),
    ("billed_at_purchaser_level", "Billed at purchaser level (SBA)", ""),
)
CASE_DETAIL_FIELDS = tuple(field for field, _, _ in _CASE_DETAIL)
_DD645_HEADING = {field: heading for heading, field in DD645_COLUMNS}
CASE_DETAIL_HEADINGS: dict[str, str] = {
    field: words or _DD645_HEADING[field] for field, words, _ in _CASE_DETAIL
}
MONEY_FIELDS = frozenset(field for field, _, unit in _CASE_DETAIL if unit == "$")

DIFFERENCE_FIELDS = ("level", "case_id", "field", "old_value", "new_value")
DIFFERENCE_HEADINGS = ("Level", "Case", "Field", "Old value", "New value")


def statement_stem(
    country_code: str,
    period_end: date,
    revision: int | None,
    case_id: str | None = None,
    preliminary: bool = False,
) -> str:
    """`statement_UK_2026Q3_r2`; `statement_UK_2026Q3_adhoc` for an unpublished run,
    `statement_UK_2026Q3_adhoc_UK-D-AAB` for one of a single case, and
    `statement_UK_2026Q4_PRELIMINARY` (`..._PRELIMINARY_UK-D-AAB`) for a draft."""
    if revision is not None and (case_id is not None or preliminary):
        raise ValueError("a published revision covers every case of the purchaser and is final")
    tag = "PRELIMINARY" if preliminary else "adhoc" if revision is None else f"r{revision}"
    if case_id is not None:
        tag += "_" + file_name_part(case_id)
    return f"statement_{country_code}_{quarter_label(period_end)}_{tag}"


def listing_stem(
    country_code: str,
    period_end: date,
    revision: int | None,
    case_id: str | None = None,
    preliminary: bool = False,
) -> str:
    """`delivery_listing_UK_2026Q3_r2`: the statement's name and tag, beside it."""
    stem = statement_stem(country_code, period_end, revision, case_id, preliminary)
    return "delivery_listing_" + stem.removeprefix("statement_")


LISTING_HEADINGS: dict[str, str] = {
    "country_code": "Purchaser",
    "period_end": "Quarter ended",
    "revision": "Revision",
    "case_id": "Case",
    "line_number": "Case line",
    "delivery_id": "Delivery",
    "shipment_date": "Shipment date",
    "reported_date": "Reported date",
    "quantity": "Quantity",
    "delivered_value": "Delivered value",
    "price_code": "Price (A actual, E estimated)",
    "kind": "Kind (REPORTED, REPRICING)",
}


def listing_sheet(listing: Sequence[Mapping[str, object]], preliminary: bool) -> Sheet:
    """The delivery listing in the statement workbook, its total the quarter's movement of the
    purchaser's delivered value."""
    rows = [[line[f] for f in LISTING_FIELDS] for line in listing]
    value = LISTING_FIELDS.index("delivered_value")
    total: list[object] = ["Total"] + [None] * (len(LISTING_FIELDS) - 1)
    total[value] = sum((line["delivered_value"] for line in listing), Decimal("0.00"))
    return Sheet(
        name="Delivery listing",
        columns=[LISTING_HEADINGS[f] for f in LISTING_FIELDS],
        rows=[*rows, total],
        money=frozenset({LISTING_HEADINGS["delivered_value"]}),
        title_lines=[
            *([PRELIMINARY_NOTE] if preliminary else []),
            "Quarterly delivery listing: the deliveries reported in the quarter (REPORTED) and, "
            "per case, the rest of the movement of its delivered value since the previous "
            "quarter's statement (REPRICING)",
        ],
        total_rows=1,
    )


PRELIMINARY_NOTE = (
    "PRELIMINARY: a draft for review, not a statement of record (never published as a revision)"
)


def statement_heading(
    purchaser: Mapping[str, object], revision: int | None, preliminary: bool = False
) -> list[str | Figure]:
    """The title lines and labelled figures above the statement's table: dates as date cells,
    amounts as currency cells (the purchaser's name is a title line: a long name would widen
    the column of the figures)."""
    name = purchaser.get("purchaser_name") or ""
    unpublished = PRELIMINARY_NOTE if preliminary else "Ad-hoc run: not a published revision"
    lines: list[str | Figure] = [
        *([PRELIMINARY_NOTE] if preliminary else []),
        "FMS Billing Statement (DD Form 645)",
        f"Purchaser: {purchaser['country_code']} {name}".rstrip(),
        Figure("Statement date", purchaser["statement_date"]),
        Figure("Quarter ended", purchaser["period_end"]),
        Figure("Payment due date", purchaser["payment_due_date"]),
        Figure("Payment covers from", purchaser["covers_start"]),
        Figure("Payment covers to", purchaser["covers_end"]),
        Figure("Revision", revision) if revision is not None else unpublished,
        Figure("Amount due and payable", purchaser["amount_due"], money=True),
        Figure("Arrearage", purchaser["arrearage"], money=True),
        Figure("Interest", purchaser["interest"], money=True),
        Figure("Holding account balance", purchaser["holding_account_balance"], money=True),
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
    """The case rows, then the total row (and the Special Billing Arrangement's bill)."""
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
    case_id: str | None = None,
    preliminary: bool = False,
    listing: Sequence[Mapping[str, object]] = (),
) -> tuple[Path, ...]:
    """Write one purchaser's workbook, case-detail CSV, any difference report and any delivery
    listing (its CSV and a sheet) in `folder`; return their paths. `case_id`: an ad-hoc run of
    that one case (its files are named so); `preliminary`: a draft, PRELIMINARY in its file
    names and on top of every sheet. With no listing line (nothing reported and no delivered
    value moved), no listing is written."""
    country = str(purchaser["country_code"])
    foreign = sorted(
        {str(c["case_id"]) for c in [*cases, *listing] if c["country_code"] != country}
    )
    if foreign:
        raise ValueError(f"statement of {country} given other purchasers' cases: {foreign}")
    stem = statement_stem(country, purchaser["period_end"], revision, case_id, preliminary)
    detail_rows = [[case[f] for f in CASE_DETAIL_FIELDS] for case in cases]
    summary = summary_rows(purchaser, cases)
    sheets = [
        Sheet(
            name="Statement",
            columns=[heading for heading, _ in DD645_COLUMNS],
            rows=summary,
            money=frozenset(heading for heading, _ in DD645_COLUMNS[1:]),
            title_lines=statement_heading(purchaser, revision, preliminary),
            total_rows=len(summary) - len(cases),
        ),
        Sheet(
            name="Case detail",
            columns=[CASE_DETAIL_HEADINGS[f] for f in CASE_DETAIL_FIELDS],
            rows=detail_rows,
            money=frozenset(CASE_DETAIL_HEADINGS[f] for f in MONEY_FIELDS),
            title_lines=[PRELIMINARY_NOTE] if preliminary else [],
        ),
    ]
    diff_rows = [[row[f] for f in DIFFERENCE_FIELDS] for row in differences]
    if differences:
        sheets.append(Sheet(name="Changes", columns=DIFFERENCE_HEADINGS, rows=diff_rows))
    if listing:
        sheets.append(listing_sheet(listing, preliminary))
    paths = (
        write_xlsx(folder / f"{stem}.xlsx", sheets),
        write_csv(folder / f"{stem}.csv", CASE_DETAIL_FIELDS, detail_rows),
    )
    if differences:
        paths += (write_csv(folder / f"{stem}_differences.csv", DIFFERENCE_FIELDS, diff_rows),)
    if listing:
        name = listing_stem(country, purchaser["period_end"], revision, case_id, preliminary)
        listing_rows = [[line[f] for f in LISTING_FIELDS] for line in listing]
        paths += (write_csv(folder / f"{name}.csv", LISTING_FIELDS, listing_rows),)
    return paths
