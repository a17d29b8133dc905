"""Table C9.T16 (the billing timeline) and the default billing period of a run."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fms.billing.timeline import (
    billing_timeline,
    check_billable,
    is_quarter_end,
    last_quarter_end_before,
    quarter_end,
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


@pytest.mark.parametrize(
    "period_end, today, suggested",
    [
        (d("2026-09-29"), d("2026-11-05"), "2026-09-30"),
        (d("2026-08-14"), d("2026-11-05"), "2026-06-30"),  # nearer the quarter end before it
        (d("2026-12-30"), d("2026-12-01"), "2026-09-30"),  # the nearest has not ended
        (d("2026-02-28"), d("2026-12-01"), "2026-03-31"),
    ],
)
def test_a_date_that_is_not_a_quarter_end_is_refused_naming_the_nearest_billable_one(
    period_end, today, suggested
):
    with pytest.raises(ValueError, match=f"did you mean {suggested}\\?"):
        check_billable(period_end, today)


def test_a_preliminary_draft_may_be_of_a_quarter_not_over_but_only_of_a_quarter_end():
    check_billable(d("2026-12-31"), d("2026-12-01"), preliminary=True)
    check_billable(d("2026-12-31"), d("2026-12-31"), preliminary=True)
    with pytest.raises(ValueError, match="is not over on 2026-12-01.*--preliminary"):
        check_billable(d("2026-12-31"), d("2026-12-01"))
    # the nearest quarter end, even one not over: a draft of it is what was meant
    with pytest.raises(ValueError, match="did you mean 2026-12-31\\?"):
        check_billable(d("2026-12-30"), d("2026-12-01"), preliminary=True)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_quarter_end_is_billable_from_the_day_after_it_and_never_before(today):
    last_ended = last_quarter_end_before(today)
    check_billable(last_ended, today)
    next_end = quarter_end(today)
    with pytest.raises(ValueError, match="is not over on"):
        check_billable(next_end, today)
    check_billable(next_end, next_end + timedelta(days=1))
