"""The closure_readiness mart: which implemented cases can close as of a date, and why not.

Rules (fms/sql/marts/build_closure_readiness.sql, exact):
- Scope: status IMPLEMENTED or SUPPLY_SERVICE_COMPLETE, not implemented after as_of (a missing
  implementation date keeps the case in: the status says it is implemented).
- As of D: deliveries reported by D, expenditures dated by D, collections received by D; an SSC
  date after D counts as no SSC date (supply_services_complete_date and days_since_ssc NULL).
- Case value = non-SCML line values. Final value = Performance(D) + round(r x Performance(D))
  (half up to the cent) + SCML value (0 when the surcharge is waived: C9.4.7.2.3).
- Blockers, in this order (BLOCKER_CODES), each {code, detail, amount}:
  NOT_SSC (no SSC date, or lines short: MATERIEL by quantity; SERVICES/TRAINING by value,
  performed = delivered value + expenditures on the line; SCML lines never short) amount = lines
  short; ESTIMATED_PRICES amount = value still at price code E (reversals left out);
  PERFORMANCE_OVER_VALUE amount = performance - case value; OVER_DELIVERED (any line) amount =
  lines over; SCML_MINIMUM amount = the SCML value the case needs, 15,000 - surcharge (surcharge
  $500 -> $14,500); BUY_BACK_OPEN amount = open buy backs; UNDERCOLLECTED amount = final value -
  collections.
- ready = no blocker. excess_funds = what closing releases now: collections - final value when
  ready (never below 0), 0 when not ready; excess_if_ready = the same figure for every case at
  today's numbers, provisional while the case is blocked.
- days_since_ssc = as_of - SSC date in whole days; overdue = as_of > SSC date + 12 months (the
  anniversary itself is not overdue).
- worklist_rank: ready first, then excess_funds descending, days_since_ssc descending, case_id.
"""

from __future__ import annotations

from datetime import date

import duckdb

from fms.closure.macros import create_closure_macros
from fms.delivery.macros import scope_params
from fms.sqlfiles import materialize

# The blocker codes in the order a case's blockers are listed (README.md, "Rules": closure).
BLOCKER_CODES = (
    "NOT_SSC",
    "ESTIMATED_PRICES",
    "PERFORMANCE_OVER_VALUE",
    "OVER_DELIVERED",
    "SCML_MINIMUM",
    "BUY_BACK_OPEN",
    "UNDERCOLLECTED",
)


def build_closure_readiness(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    table: str = "main.closure_readiness",
    purchaser: str | None = None,
    case_id: str | None = None,
) -> int:
    """Build `table` with one row per case in closure scope as of `as_of`; return the row count.

    `purchaser` (country code) and `case_id` narrow an analyst's ad-hoc run; the worklist rank
    is then within the narrowed set.
    """
    create_closure_macros(con)
    return materialize(
        con, table, "marts/build_closure_readiness", scope_params(as_of, purchaser, case_id)
    )
