"""Every job, declared once: the command line (app/cli.py), the flows and prefect.yaml's
deployments are derived from this table (tests/ops/test_jobs.py holds them to it), and the
types of their parameters.

Light to import: the command line reads it before Prefect is imported. Prefect validates a
flow's parameters against their types before the run starts and Typer an option's value, so an
ad-hoc run for "UKK" or "UK-D-AA" is refused with the pattern it should match, from the UI, the
command line and `prefect deployment run` alike (letters are upper-cased first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from fms.contract import CASE_ID_PATTERN, COUNTRY_CODE_PATTERN

Runner = Literal["local", "dask"]
"""Where a job builds its marts: in the flow's process, or per purchaser on a Dask cluster."""
_UPPER = BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value)
PurchaserCode = Annotated[
    str, Field(pattern=COUNTRY_CODE_PATTERN, examples=["UK"], title="purchaser"), _UPPER
]
"""A purchaser's 2-character country code, as in the contract (`countries.country_code`);
"uk" is taken as "UK"."""
CaseId = Annotated[str, Field(pattern=CASE_ID_PATTERN, examples=["UK-D-AAA"], title="case"), _UPPER]
"""A case id CC-I-DDD: country code, implementing agency, case designator (any letter case)."""

DELIVERY_MARTS = ("delivery_status", "c1_transactions", "undelivered_report")
CLOSURE_MARTS = ("closure_readiness", "buy_back_register")
BILLING_MARTS = ("billing_statements", "purchaser_statements", "delivery_listing")
REVIEW_MARTS = ("payment_schedule_review",)


def _today(today: date) -> date:
    return today


def _end_of_last_month(today: date) -> date:
    from fms.delivery.reporting_dates import default_delivery_report_as_of

    return default_delivery_report_as_of(today)


def _last_quarter_end(today: date) -> date:
    from fms.billing.timeline import last_quarter_end_before

    return last_quarter_end_before(today)


def _any_date(day: date, today: date, preliminary: bool) -> None:
    """Every date is a valid as-of date for this job."""


def _billable(day: date, today: date, preliminary: bool) -> None:
    from fms.billing.timeline import check_billable

    check_billable(day, today, preliminary)


def _reviewable(day: date, today: date, preliminary: bool) -> None:
    from fms.billing.schedule_review import check_review_date

    check_review_date(day, today)


@dataclass(frozen=True)
class Job:
    name: str  # the flow's and the deployment's name
    command: str  # `fms run <command>`, and the job's folder under --out
    flow: str  # module:function
    help: str  # the command's help
    marts: tuple[str, ...]  # staged, audited (mart_<name> suites) and read by the run report
    date_option: str = "as_of"  # the date parameter: as_of or period_end
    default_date: Callable[[date], date] = _today  # from today, when the run starts
    selection: bool = True  # takes --purchaser/--case: an ad-hoc run with its own folder
    landing: bool = False  # takes --landing: loads new batches first
    drafts: bool = False  # takes --preliminary: a marked draft, even for a period not over
    # Refuses a date the job cannot run for (ValueError: what to give instead), before the run
    # starts (app/preflight.py) and again in the flow (a deployment's parameters skip the CLI).
    check_date: Callable[[date, date, bool], None] = _any_date
    publishes_marts: bool = False  # a full run swaps its staged marts into main
    scale_out: bool = True  # takes --runner dask (docs/scale-out.md)


NIGHTLY = Job(
    "nightly-refresh",
    "nightly",
    "flows.nightly:nightly_refresh",
    "Load every new batch, then refresh the marts as of a date (default: today).",
    DELIVERY_MARTS + CLOSURE_MARTS,
    selection=False,
    landing=True,
)
QUARTERLY_BILLING = Job(
    "quarterly-billing",
    "quarterly-billing",
    "flows.quarterly_billing:quarterly_billing",
    "Bill every purchaser for a quarter ended (default: the last one before today).",
    BILLING_MARTS,
    date_option="period_end",
    default_date=_last_quarter_end,
    drafts=True,
    check_date=_billable,
)
DELIVERY_REPORT = Job(
    "monthly-delivery-report",
    "delivery-report",
    "flows.delivery_report:delivery_report",
    "The C1 file, delivery status and undelivered report (default: end of last month).",
    DELIVERY_MARTS,
    default_date=_end_of_last_month,
)
CLOSURE = Job(
    "weekly-closure-readiness",
    "closure",
    "flows.closure:closure_readiness",
    "The closure worklist: ready cases, blockers, funds released (default: today).",
    CLOSURE_MARTS,
)
PAYMENT_SCHEDULE_REVIEW = Job(
    "quarterly-payment-schedule-review",
    "payment-schedule-review",
    "flows.payment_schedule_review:payment_schedule_review",
    "Review every open case's payment schedule as of a quarter end (default: the last one "
    "before today): the cases needing a revision and their revised schedules (Table C9.T15).",
    REVIEW_MARTS,
    default_date=_last_quarter_end,
    check_date=_reviewable,
    publishes_marts=True,
    scale_out=False,
)
JOBS = (NIGHTLY, QUARTERLY_BILLING, DELIVERY_REPORT, CLOSURE, PAYMENT_SCHEDULE_REVIEW)
