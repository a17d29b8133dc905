"""The C1 reporting calendar (SAMM C9.13.1.2) is total and consistent for every day 1990-2100:
a delivery report run on day d is as of the last day of the month before d, the C1 report of a
month is as of the last day of the month before it and is due on its 20th.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from fms.delivery import (
    c1_reporting_date_for_month,
    default_delivery_report_as_of,
)
from tests.rules_helpers import c1_submission_due_date

DAY = timedelta(days=1)
FIRST, LAST = date(1990, 1, 1), date(2100, 12, 31)
EVERY_DAY = [FIRST + k * DAY for k in range((LAST - FIRST).days + 1)]


def is_month_end(d: date) -> bool:
    return d.day == monthrange(d.year, d.month)[1]


def check_report_as_of(run_day: date) -> None:
    as_of = default_delivery_report_as_of(run_day)
    assert is_month_end(as_of) and as_of < run_day
    # No month end strictly between: the next month end is on or after the run day.
    next_month_end = next(d for d in (as_of + k * DAY for k in range(1, 33)) if is_month_end(d))
    assert next_month_end >= run_day
    assert as_of == c1_reporting_date_for_month(run_day.year, run_day.month)


def test_default_delivery_report_as_of_for_every_day_1990_2100():
    for d in EVERY_DAY:
        check_report_as_of(d)


# From 1 Feb of year 1: a run in January of year 1 would report as of 31 Dec of year 0.
@given(st.dates(min_value=date(1, 2, 1)))
@example(date(1, 2, 1))
@example(date.max)
def test_default_delivery_report_as_of_for_any_day(d):
    check_report_as_of(d)


def test_c1_report_of_every_month_1990_2100_is_due_20_days_after_its_as_of_date():
    for year in range(1990, 2101):
        for month in range(1, 13):
            as_of = c1_reporting_date_for_month(year, month)
            due = c1_submission_due_date(year, month)
            assert (as_of + DAY) == date(year, month, 1)
            assert due == date(year, month, 20) == as_of + 20 * DAY
