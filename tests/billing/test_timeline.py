"""Table C9.T16 (the billing timeline) and the default billing period of a run."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fms.billing.timeline import (
    billing_timeline,
    is_quarter_end,
    last_quarter_end_before,
    quarter_label,
)
from tests.handbuilt import d


@pytest.mark.parametrize(
    ("period_end", "statement", "due", "covers_start", "covers_end", "current", "previous"),
    [
        # quarter ended 31 Dec: dated 15 Jan, due 15 Mar, covers Apr-Jun
        (
            "2025-12-31",
            "2026-01-15",
            "2026-03-15",
            "2026-04-01",
            "2026-06-30",
            ("2026-01-01", "2026-03-31"),
            "2025-09-30",
        ),
        # 31 Mar: 15 Apr, 15 Jun, Jul-Sep
        (
            "2026-03-31",
            "2026-04-15",
            "2026-06-15",
            "2026-07-01",
            "2026-09-30",
            ("2026-04-01", "2026-06-30"),
            "2025-12-31",
        ),
        # 30 Jun: 15 Jul, 15 Sep, Oct-Dec
        (
            "2026-06-30",
            "2026-07-15",
            "2026-09-15",
            "2026-10-01",
            "2026-12-31",
            ("2026-07-01", "2026-09-30"),
            "2026-03-31",
        ),
        # 30 Sep: 15 Oct, 15 Dec, Jan-Mar of the next year
        (
            "2026-09-30",
            "2026-10-15",
            "2026-12-15",
            "2027-01-01",
            "2027-03-31",
            ("2026-10-01", "2026-12-31"),
            "2026-06-30",
        ),
    ],
)
def test_billing_timeline_follows_table_c9_t16(
    period_end, statement, due, covers_start, covers_end, current, previous
):
    t = billing_timeline(d(period_end))
    assert t.period_end == d(period_end)
    assert t.statement_date == d(statement)
    assert t.payment_due_date == d(due)
    assert (t.covers_start, t.covers_end) == (d(covers_start), d(covers_end))
    assert (t.current_quarter_start, t.current_quarter_end) == (d(current[0]), d(current[1]))
    assert t.previous_period_end == d(previous)


@pytest.mark.parametrize("day", ["2026-09-29", "2026-10-01", "2026-02-28", "2024-02-29"])
def test_billing_timeline_refuses_a_date_that_is_not_a_quarter_end(day):
    with pytest.raises(ValueError, match="not a quarter end"):
        billing_timeline(d(day))


@pytest.mark.parametrize(
    ("run_day", "period_end"),
    [
        ("2026-10-01", "2026-09-30"),
        ("2026-10-15", "2026-09-30"),
        ("2026-09-30", "2026-06-30"),  # strict: the quarter ending today is not over yet
        ("2027-01-01", "2026-12-31"),
        ("2026-01-01", "2025-12-31"),
    ],
)
def test_default_period_is_the_last_quarter_end_strictly_before_the_run_day(run_day, period_end):
    assert last_quarter_end_before(d(run_day)) == d(period_end)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_last_quarter_end_before_is_a_quarter_end_within_a_quarter_of_the_day(day):
    end = last_quarter_end_before(day)
    assert is_quarter_end(end)
    assert end < day <= end + timedelta(days=92)
    assert billing_timeline(end).payment_due_date > end


def test_quarter_label_names_the_quarter_in_file_names():
    assert quarter_label(d("2026-09-30")) == "2026Q3"
    assert quarter_label(d("2026-01-01")) == "2026Q1"
