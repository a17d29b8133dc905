"""The billing calendar is total and consistent for every date: Table C9.T16 (billing_timeline)
over every quarter end 1990-2100, the default billing period (last_quarter_end_before) and the
first quarterly payment (first_payment_date, Table C9.T12) for every day 1990-2100, and beyond
that range on dates hypothesis draws from the whole calendar.

The expected dates are computed here independently, with month arithmetic, never with the
functions under test.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fms.billing import billing_timeline, last_quarter_end_before
from fms.billing.payment_schedule import first_payment_date
from tests.rules_helpers import is_samm_quarterly_due_date

DAY = timedelta(days=1)
FIRST, LAST = date(1990, 1, 1), date(2100, 12, 31)
EVERY_DAY = [FIRST + k * DAY for k in range((LAST - FIRST).days + 1)]
QUARTER_END_DAYS = {(3, 31), (6, 30), (9, 30), (12, 31)}
QUARTER_ENDS = [d for d in EVERY_DAY if (d.month, d.day) in QUARTER_END_DAYS]

# Table C9.T16, as printed: quarter ended -> (statement dated, payment due, covers from, to),
# months and days; the year follows the quarter end (Jan-Mar covered: the next year).
TABLE_C9_T16 = {
    12: ((1, 15), (3, 15), (4, 1), (6, 30)),
    3: ((4, 15), (6, 15), (7, 1), (9, 30)),
    6: ((7, 15), (9, 15), (10, 1), (12, 31)),
    9: ((10, 15), (12, 15), (1, 1), (3, 31)),
}


def first_of_month(year: int, month: int, months_later: int = 0) -> date:
    n = year * 12 + (month - 1) + months_later
    return date(n // 12, n % 12 + 1, 1)


def is_quarter_end(d: date) -> bool:
    return (d.month, d.day) in QUARTER_END_DAYS


def quarter_end_of(d: date) -> date:
    month = 3 * ((d.month - 1) // 3) + 3
    return date(d.year, month, monthrange(d.year, month)[1])


def next_quarter_end(d: date) -> date:
    """The first quarter end after d (strictly)."""
    return quarter_end_of(d + DAY)


def test_there_are_444_quarter_ends_from_1990_to_2100():
    assert len(QUARTER_ENDS) == 111 * 4


@pytest.mark.parametrize("decade", range(1990, 2101, 10))
def test_billing_timeline_follows_table_c9_t16_for_every_quarter_end(decade):
    for e in (q for q in QUARTER_ENDS if decade <= q.year < decade + 10):
        t = billing_timeline(e)
        statement, due, covers_from, covers_to = TABLE_C9_T16[e.month]
        year = e.year + 1 if e.month == 12 else e.year
        covered_year = e.year + 1 if e.month in (9, 12) else e.year
        assert t.statement_date == date(year, *statement) == e + 15 * DAY
        assert t.payment_due_date == date(year, *due)
        assert t.payment_due_date == first_of_month(year, t.statement_date.month, 2) + 14 * DAY
        assert is_samm_quarterly_due_date(t.payment_due_date)
        assert (t.covers_start, t.covers_end) == (
            date(covered_year, *covers_from),
            date(covered_year, *covers_to),
        )
        # N is the quarter right after E; Q, the quarter covered, the one after N.
        assert t.current_quarter_start == e + DAY
        assert t.current_quarter_end == next_quarter_end(e)
        assert t.covers_start == t.current_quarter_end + DAY
        assert t.covers_end == next_quarter_end(t.current_quarter_end)
        assert next_quarter_end(t.previous_period_end) == e
        assert t.period_end < t.statement_date < t.payment_due_date < t.covers_start


def test_billing_timeline_refuses_every_day_that_is_not_a_quarter_end():
    refused = 0
    for d in EVERY_DAY:
        if not is_quarter_end(d):
            with pytest.raises(ValueError, match="is not a quarter end"):
                billing_timeline(d)
            refused += 1
    assert refused == len(EVERY_DAY) - len(QUARTER_ENDS)


def check_last_quarter_end_before(d: date) -> None:
    e = last_quarter_end_before(d)
    assert is_quarter_end(e) and e < d
    assert next_quarter_end(e) >= d  # no quarter end lies strictly between e and d


def test_last_quarter_end_before_every_day_1990_2100():
    for d in EVERY_DAY:
        check_last_quarter_end_before(d)


# From 1 Apr of year 1: before it the answer (31 Dec of year 0) is not a Python date, a
# ValueError/OverflowError no run can meet (a run's day is today).
@given(st.dates(min_value=date(1, 4, 1)))
@example(date(1, 4, 1))
@example(date.max)
def test_last_quarter_end_before_any_day(d):
    check_last_quarter_end_before(d)


def window_end(due: date) -> date:
    """The last acceptance day whose first payment is `due`: the 10th, three months before."""
    return first_of_month(due.year, due.month, -3) + 9 * DAY


def check_first_payment_date(accepted: date) -> None:
    due = first_payment_date(accepted)
    assert is_samm_quarterly_due_date(due) and due > accepted
    # Table C9.T12: accepted in the window 11th (four months before) - 10th (three months
    # before the due month), e.g. 11 Sep - 10 Dec -> 15 Mar.
    previous_due = first_of_month(due.year, due.month, -3) + 14 * DAY
    try:
        opens_after = window_end(previous_due)
    except ValueError:  # the window before 15 Jun of year 1 would open in year 0
        opens_after = None
    assert opens_after is None or opens_after < accepted
    assert accepted <= window_end(due)


def test_first_payment_date_for_every_day_1990_2100():
    for d in EVERY_DAY:
        check_first_payment_date(d)


# To 10 Sep 9999: a later acceptance would be paid first in year 10000, beyond Python's dates.
@given(st.dates(max_value=date(9999, 9, 10)))
@example(date.min)
@example(date(9999, 9, 10))
def test_first_payment_date_for_any_day(d):
    check_first_payment_date(d)


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        ("2025-09-11", "2026-03-15"),
        ("2025-12-10", "2026-03-15"),
        ("2025-12-11", "2026-06-15"),
        ("2026-03-10", "2026-06-15"),
        ("2026-03-11", "2026-09-15"),
        ("2026-06-10", "2026-09-15"),
        ("2026-06-11", "2026-12-15"),
        ("2026-09-10", "2026-12-15"),
        ("2024-02-29", "2024-06-15"),
    ],
)
def test_first_payment_date_at_the_edges_of_table_c9_t12(accepted, due):
    assert first_payment_date(date.fromisoformat(accepted)) == date.fromisoformat(due)
