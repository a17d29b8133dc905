"""Initial deposit requirements (SAMM C9.9.1.5.1, Table C9.T13), as far as the data allows.

Used as a data-quality *warning* on incoming payment schedules: a schedule whose initial deposit
is below the computable minimum. The minimum is a lower bound built from what the contract
carries; what it does not carry is listed in `NOT_CHECKED` and never assumed against the case.

Full case value is required (rows of Table C9.T13 we can check):
- Term of Sale Cash With Acceptance (this also covers the "cash sale from procurement without
  Dependable Undertaking" row: Table C9.T11 puts such sales on Cash With Acceptance);
- a case financed wholly by FMS Credit (Non-Repayable) or MAP Merger (its single term of sale)
  whose full value is below $5,000,000, presuming the country is not authorized cash flow
  financing (the contract does not say: see NOT_CHECKED).

Otherwise the minimum is: the SCML value, plus the surcharge share (half of the estimated total
surcharge, all of it when it is $30,000 or less), plus the performance forecast until the first
quarterly payment, plus the termination liability reserve over that period when no SBLC applies.

Definitions (choices, documented in the final report too):
- full case value = non-SCML line values + SCML value + estimated surcharge, where the estimated
  surcharge = round(r x non-SCML line values) with the case's surcharge rate r (0 when waived,
  which waives the SCML too). Accessorial charges are not in the contract.
- performance until the first quarterly payment = the forecast amounts of the quarters from the
  quarter of the key date (acceptance, else offer expiration) through the quarter in which the
  first quarterly payment (Table C9.T12) falls: that payment covers the quarter after it.
  Contractor holdbacks are inside the forecast amounts (the contract does not split them).
- TL over that period = the highest termination_liability reserve level of those quarters; a TL
  above zero is our evidence that items go on contract before the first payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from fms.billing.money import WIDE, round_half_up_cents
from fms.billing.payment_schedule import first_payment_date
from fms.billing.tables import checked_table_name, ensure_schema
from fms.billing.timeline import quarter_start
from fms.sqlfiles import query

FULL_VALUE_TERMS = frozenset({"CASH_WITH_ACCEPTANCE"})
GRANT_FINANCED_TERMS = frozenset({"FMS_CREDIT_NONREPAYABLE", "MAP_MERGER"})
GRANT_FULL_VALUE_CEILING = Decimal("5000000.00")
WHOLE_SURCHARGE_CEILING = Decimal("30000.00")
ZERO = Decimal("0.00")

NOT_CHECKED = (
    "delivery within 90 days of LOA acceptance (no projected delivery lead time in the contract)",
    "total performance completed before DFAS can bill and collect (not in the contract)",
    "whether the purchaser is authorized Dependable Undertaking for a cash sale from procurement",
    "whether the country is authorized cash flow financing (presumed not)",
    "cases partially funded by FMS Credit (Non-Repayable) or MAP Merger (one term of sale a case)",
    "contractor holdback separately from forecast costs; accessorial charges",
)


@dataclass(frozen=True)
class InitialDepositRequirement:
    full_value_required: bool
    reason: str  # the Table C9.T13 condition that applied
    minimum: Decimal  # the computable minimum initial deposit (a lower bound)
    full_case_value: Decimal
    surcharge_share: Decimal
    scml_value: Decimal
    performance_before_first_payment: Decimal
    termination_liability: Decimal


def initial_deposit_requirement(
    *,
    terms_of_sale: str,
    line_value: Decimal,
    scml_value: Decimal,
    surcharge_rate: Decimal,
    sblc_in_place: bool,
    performance_before_first_payment: Decimal = ZERO,
    termination_liability_before_first_payment: Decimal = ZERO,
) -> InitialDepositRequirement:
    """Table C9.T13 from the contract's inputs.

    `line_value`: sum of the case's non-SCML line values; `surcharge_rate`: the case's rate r,
    already 0 when the surcharge is waived (then the SCML is waived too).
    """
    waived = surcharge_rate == 0
    scml = ZERO if waived else scml_value
    estimated_surcharge = round_half_up_cents(WIDE.multiply(line_value, surcharge_rate))
    full_value = line_value + scml + estimated_surcharge
    if estimated_surcharge <= WHOLE_SURCHARGE_CEILING:
        surcharge_share = estimated_surcharge
    else:
        surcharge_share = round_half_up_cents(estimated_surcharge / 2)
    tl = ZERO if sblc_in_place else termination_liability_before_first_payment
    common = {
        "full_case_value": full_value,
        "surcharge_share": surcharge_share,
        "scml_value": scml,
        "performance_before_first_payment": performance_before_first_payment,
        "termination_liability": tl,
    }
    if terms_of_sale in FULL_VALUE_TERMS:
        return InitialDepositRequirement(True, "Cash With Acceptance", full_value, **common)
    if terms_of_sale in GRANT_FINANCED_TERMS and full_value < GRANT_FULL_VALUE_CEILING:
        return InitialDepositRequirement(
            True,
            "wholly FMS Credit (Non-Repayable)/MAP Merger, under $5M, no cash flow financing",
            full_value,
            **common,
        )
    minimum = scml + surcharge_share + performance_before_first_payment + tl
    reason = (
        "SCML + surcharge share + performance until the first payment + TL"
        if tl > 0
        else "SCML + surcharge share + performance until the first payment"
    )
    return InitialDepositRequirement(False, reason, minimum, **common)


def quarters_before_first_payment(key_date: date) -> tuple[date, date]:
    """(first, last) quarter starts the initial deposit covers: from the key date's quarter
    through the quarter in which the first quarterly payment (Table C9.T12) falls."""
    return quarter_start(key_date), quarter_start(first_payment_date(key_date))


@dataclass(frozen=True)
class InitialDepositShortfall:
    case_id: str
    country_code: str
    key_date: date
    first_payment_date: date
    initial_deposit: Decimal
    minimum: Decimal
    shortfall: Decimal
    full_value_required: bool
    reason: str


SHORTFALL_COLUMNS = {
    "case_id": "VARCHAR",
    "country_code": "VARCHAR",
    "key_date": "DATE",
    "first_payment_date": "DATE",
    # A check's working table, never published: as wide as a case's figures add up to.
    "initial_deposit": "DECIMAL(38,2)",
    "minimum": "DECIMAL(38,2)",
    "shortfall": "DECIMAL(38,2)",
    "full_value_required": "BOOLEAN",
    "reason": "VARCHAR",
}


def initial_deposit_shortfalls(
    con: duckdb.DuckDBPyConnection, purchaser: str | None = None
) -> list[InitialDepositShortfall]:
    """Payment schedules whose initial deposit is below the computable minimum.

    One query gathers every case's inputs (fms/sql/marts/billing_initial_deposit_inputs.sql);
    the rule above is applied to each row. A schedule with no initial-deposit row counts as a
    deposit of 0.
    """
    found = []
    for row in query(con, "marts/billing_initial_deposit_inputs", {"purchaser": purchaser}):
        (case_id, country, terms, key_date, line_value, scml, rate, sblc, deposit, forecasts) = row
        first_q, last_q = quarters_before_first_payment(key_date)
        covered = [f for f in forecasts or () if first_q <= f["quarter_start"] <= last_q]
        need = initial_deposit_requirement(
            terms_of_sale=terms,
            line_value=line_value,
            scml_value=scml,
            surcharge_rate=rate,
            sblc_in_place=sblc,
            performance_before_first_payment=sum((f["forecast_amount"] for f in covered), ZERO),
            termination_liability_before_first_payment=max(
                (f["termination_liability"] for f in covered), default=ZERO
            ),
        )
        if deposit < need.minimum:
            found.append(
                InitialDepositShortfall(
                    case_id=case_id,
                    country_code=country,
                    key_date=key_date,
                    first_payment_date=first_payment_date(key_date),
                    initial_deposit=deposit,
                    minimum=need.minimum,
                    shortfall=need.minimum - deposit,
                    full_value_required=need.full_value_required,
                    reason=need.reason,
                )
            )
    return found


def build_initial_deposit_shortfalls(
    con: duckdb.DuckDBPyConnection,
    table: str = "staging.initial_deposit_shortfalls",
    purchaser: str | None = None,
) -> int:
    """Materialize `initial_deposit_shortfalls` into `table` (for a warning-level check)."""
    table = checked_table_name(table)
    ensure_schema(con, table)
    rows = initial_deposit_shortfalls(con, purchaser)
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in SHORTFALL_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in SHORTFALL_COLUMNS)
        con.executemany(
            f"INSERT INTO {table} VALUES ({marks})",  # noqa: S608 - checked identifier
            [[getattr(r, name) for name in SHORTFALL_COLUMNS] for r in rows],
        )
    return len(rows)
