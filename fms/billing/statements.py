"""The billing mart: candidate DD Form 645 statements of one quarter end, per case and purchaser.

Both builders replace a *candidate* table (default in schema `staging`), which the flow validates
and then hands to `fms.billing.publication.publish_statements`. They never touch the published
records (`main.billing_statements`, `main.purchaser_statements`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import duckdb

from fms.billing.tables import (
    CANDIDATE_CASE_STATEMENTS,
    CANDIDATE_PURCHASER_STATEMENTS,
    checked_candidate_table,
    ensure_schema,
)
from fms.billing.timeline import BillingTimeline, billing_timeline
from fms.sqlfiles import materialize, read_sql

FULL_RUN = "all"


def selection_label(purchaser: str | None, case_id: str | None) -> str:
    """What a run covers, recorded on each candidate row: 'all' only for a full run."""
    if case_id is not None:
        return f"case {case_id}"
    if purchaser is not None:
        return f"purchaser {purchaser}"
    return FULL_RUN


def _period(timeline: BillingTimeline) -> dict[str, date]:
    return {
        "period_end": timeline.period_end,
        "payment_due_date": timeline.payment_due_date,
        "current_quarter_start": timeline.current_quarter_start,
        "covers_start": timeline.covers_start,
    }


def timeline_parameters(period_end: date) -> dict[str, object]:
    """The dates the billing SQL binds, all from Table C9.T16 (`billing_timeline`): every field
    of the quarter's timeline and its first day.

    `periods` lists E and the two quarter ends before it: the requirement of each is recomputed
    by the same rules as of its own quarter end (previous statement -> arrearage; both -> the
    amounts due before each day of quarter E, for interest).
    """
    current = billing_timeline(period_end)
    previous = billing_timeline(current.previous_period_end)
    before_previous = billing_timeline(previous.previous_period_end)
    return asdict(current) | {
        "quarter_start": current.quarter_start,
        "periods": [_period(t) for t in (current, previous, before_previous)],
    }


def check_interest_rates_cover(con: duckdb.DuckDBPyConnection, first_day: date) -> None:
    """Every day of the quarter needs an annual rate in force: fail clearly, never bill 0."""
    (earliest,) = con.execute("SELECT min(effective_from) FROM ref_interest_rates").fetchall()[0]
    if earliest is None or earliest > first_day:
        raise ValueError(
            f"ref_interest_rates has no rate in force on {first_day.isoformat()}: add one to "
            "data/reference/interest_rates.csv"
        )


def build_billing_statements(
    con: duckdb.DuckDBPyConnection,
    period_end: date,
    table: str = CANDIDATE_CASE_STATEMENTS,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> int:
    """Build the case statements of the quarter ended `period_end` into `table`; return rows.

    One row per case in scope (IMPLEMENTED or SUPPLY_SERVICE_COMPLETE, implemented by the quarter
    end) with the contract columns of `billing_statements` (revision NULL until published) and
    the figures behind them. `purchaser` / `case_id` narrow an ad-hoc run; the figures of the
    rows returned are those of a full run (interest is computed over the whole purchaser).
    """
    params = timeline_parameters(period_end)
    check_interest_rates_cover(con, params["quarter_start"])
    table = checked_candidate_table(table)
    ensure_schema(con, table)
    params |= {
        "purchaser": purchaser,
        "case_id": case_id,
        "selection": selection_label(purchaser, case_id),
    }
    con.execute(read_sql("marts/billing_rule_macros"))
    return materialize(con, table, "marts/build_billing_statements", params)


def build_purchaser_statements(
    con: duckdb.DuckDBPyConnection,
    period_end: date,
    statements_table: str = CANDIDATE_CASE_STATEMENTS,
    table: str = CANDIDATE_PURCHASER_STATEMENTS,
) -> int:
    """Build one statement per purchaser from the case statements in `statements_table`.

    amount_due, arrearage and interest are the sums of the purchaser's case rows, except the
    amount due of a Special Billing Arrangement purchaser (C9.10.2): max(0, sum of
    forecast_cumulative - sum of collections_cumulative - holding account balance as of E).
    Built from the case rows of the same run, so the two always reconcile; after an ad-hoc run
    they cover the selected cases only.
    """
    timeline = billing_timeline(period_end)
    table = checked_candidate_table(table)
    ensure_schema(con, table)
    params = {
        "period_end": timeline.period_end,
        # A candidate, never the published records: they hold every revision.
        "statements_table": checked_candidate_table(statements_table),
    }
    return materialize(con, table, "marts/build_billing_purchaser_statements", params)
