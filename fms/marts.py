"""The marts a job rebuilds as of a date, and how each is built into `staging`.

Generic publication (fms/publication.py) swaps whatever was staged; this module is where the
domain's builders are named.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb

from fms.billing.schedule_review import build_payment_schedule_review
from fms.billing.statements import build_billing_statements
from fms.closure import build_buy_back_register, build_closure_readiness
from fms.delivery import build_c1_transactions, build_delivery_status, build_undelivered_report
from fms.publication import STAGING

Builder = Callable[..., int]


def _review_with_its_billing(con, as_of, table, purchaser, case_id) -> int:
    """The review, and the billing's statements of the same quarter end beside it: its
    reconciliation suite holds each case's first requirement to the billing's forecast."""
    build_billing_statements(con, as_of, f"{STAGING}.review_billing_statements", purchaser, case_id)
    return build_payment_schedule_review(con, as_of, table, purchaser, case_id)


# Every mart a job can rebuild as of a date, with the optional ad-hoc filters, in the order
# the nightly refresh rebuilds and publishes them.
MART_BUILDERS: dict[str, Builder] = {
    "delivery_status": build_delivery_status,
    "c1_transactions": build_c1_transactions,
    "undelivered_report": build_undelivered_report,
    "closure_readiness": build_closure_readiness,
    "buy_back_register": lambda con, as_of, table, purchaser, case_id: build_buy_back_register(
        con, table=table, as_of=as_of, purchaser=purchaser, case_id=case_id
    ),
    "payment_schedule_review": _review_with_its_billing,
}
DELIVERY_MARTS = ("delivery_status", "c1_transactions", "undelivered_report")
CLOSURE_MARTS = ("closure_readiness", "buy_back_register")
NIGHTLY_MARTS = DELIVERY_MARTS + CLOSURE_MARTS


def build_staged_marts(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    marts: tuple[str, ...] = NIGHTLY_MARTS,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> dict[str, int]:
    """Rebuild each mart into `staging.<mart>`; return the row count of each."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {STAGING}")
    return {
        name: MART_BUILDERS[name](con, as_of, f"{STAGING}.{name}", purchaser, case_id)
        for name in marts
    }
