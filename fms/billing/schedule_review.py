"""The payment schedule review (SAMM C9.9.3, Table C9.T15): does each open case's schedule still
meet its forecast requirements at every coming payment date, and if not, the revised schedule.

The requirement through a payment date is the billing's forecast rule extended
(fms/sql/marts/billing_rule_macros.sql); the review's own rules are in
fms/sql/marts/schedule_review_macros.sql, the mart in build_payment_schedule_review.sql.
"""

from __future__ import annotations

from datetime import date

import duckdb

from fms.billing.tables import ensure_schema
from fms.billing.timeline import (
    billing_timeline,
    check_quarter_ended,
    coming_payment_dates,
    is_quarter_end,
)
from fms.sqlfiles import checked_table_name, materialize, read_sql

REVIEW_TABLE = "staging.payment_schedule_review"


def check_review_date(as_of: date, today: date) -> None:
    """Refused unless `as_of` is a quarter end that is over (`check_quarter_ended`): a review
    reads the quarter's performance and collections as billed."""
    check_quarter_ended(as_of, today, why=", and a review reads a quarter as billed")


def _payment_dates_needed(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """How many payment dates the case with the latest forecast needs, plus the one more date
    that brings a schedule to its total cost."""
    (last,) = con.execute("SELECT max(quarter_start) FROM requirements_forecasts").fetchone()
    first_covered = billing_timeline(as_of).covers_start
    if last is None or last < first_covered:
        return 2
    quarters = (last.year - first_covered.year) * 4 + (last.month - first_covered.month) // 3
    return quarters + 2


def _check_threshold(con: duckdb.DuckDBPyConnection) -> None:
    (rows,) = con.execute("SELECT count(*) FROM ref_schedule_review_threshold").fetchone()
    if rows != 1:
        raise ValueError(
            f"data/reference/schedule_review_threshold.csv holds {rows} rows: it must hold "
            "exactly one (minimum, case_value_share, source)"
        )


def build_payment_schedule_review(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    table: str = REVIEW_TABLE,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> int:
    """Build the review as of the quarter end `as_of` into `table`; return its rows.

    One row per IMPLEMENTED case x payment date d1..dK (the SAMM dates after `as_of` whose
    covered quarter the case's forecasts reach, at least one) and d(K+1), where a revised
    schedule reaches the estimated total cost (columns: the contract's `payment_schedule_review`
    and the figures behind them).
    """
    if not is_quarter_end(as_of):
        raise ValueError(f"{as_of.isoformat()} is not a quarter end")
    _check_threshold(con)
    ensure_schema(con, checked_table_name(table))
    payments = coming_payment_dates(as_of, _payment_dates_needed(con, as_of))
    params = {
        "as_of": as_of,
        "current_quarter_start": billing_timeline(as_of).current_quarter_start,
        "payments": [vars(p) for p in payments],
        "purchaser": purchaser,
        "case_id": case_id,
    }
    con.execute(read_sql("marts/billing_rule_macros"))
    con.execute(read_sql("marts/schedule_review_macros"))
    return materialize(con, table, "marts/build_payment_schedule_review", params)
