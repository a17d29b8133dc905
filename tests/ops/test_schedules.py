"""Each deployment's next run dates, computed by the Prefect scheduler's own cron code.

The dates come from prefect.server.schemas.schedules.CronSchedule.get_dates, the code the
server's scheduler uses, applied to the cron and timezone written in prefect.yaml.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from prefect.server.schemas.schedules import CronSchedule

from app.serve import deployments
from fms.billing import billing_timeline, last_quarter_end_before
from fms.delivery import default_delivery_report_as_of
from tests.rules_helpers import c1_submission_due_date

NEW_YORK = ZoneInfo("America/New_York")
SCHEDULES = {d.name: [s.schedule for s in d.schedules] for d in deployments()}


def next_runs(deployment: str, n: int, start: date) -> list[datetime]:
    """The next `n` runs from midnight (New York) of `start`, as New York times."""
    (schedule,) = SCHEDULES[deployment]
    cron = CronSchedule(cron=schedule.cron, timezone=schedule.timezone)
    begin = datetime.combine(start, time(0), tzinfo=NEW_YORK)
    return [d.astimezone(NEW_YORK) for d in asyncio.run(cron.get_dates(n=n, start=begin))]


def test_the_quarterly_billing_runs_on_the_four_statement_dates_of_table_c9_t16():
    runs = next_runs("quarterly-billing", 8, date(2026, 1, 1))
    assert [r.date() for r in runs] == [
        date(2026, 1, 15),
        date(2026, 4, 15),
        date(2026, 7, 15),
        date(2026, 10, 15),
        date(2027, 1, 15),
        date(2027, 4, 15),
        date(2027, 7, 15),
        date(2027, 10, 15),
    ]
    assert {r.time() for r in runs} == {time(7, 0)}


@pytest.mark.parametrize(
    ("run_day", "period_end"),
    [
        (date(2027, 1, 15), date(2026, 12, 31)),
        (date(2027, 4, 15), date(2027, 3, 31)),
        (date(2027, 7, 15), date(2027, 6, 30)),
        (date(2027, 10, 15), date(2027, 9, 30)),
    ],
)
def test_each_quarterly_run_bills_the_quarter_whose_statement_is_dated_that_day(
    run_day, period_end
):
    # The deployment leaves period_end null: the run resolves it from its own date.
    (run,) = next_runs("quarterly-billing", 1, run_day)
    assert run.date() == run_day
    assert last_quarter_end_before(run_day) == period_end
    assert billing_timeline(period_end).statement_date == run_day


def test_the_monthly_delivery_report_runs_once_a_month_before_the_c1_deadline():
    runs = next_runs("monthly-delivery-report", 12, date(2026, 1, 1))
    assert [(r.year, r.month) for r in runs] == [(2026, m) for m in range(1, 13)]
    for run in runs:
        due = c1_submission_due_date(run.year, run.month)  # the 20th
        assert run.date() == date(run.year, run.month, 5)
        assert (due - run.date()).days == 15  # two weeks to fix a failed run
        # It reports the month just ended: the C1 file due that month.
        assert default_delivery_report_as_of(run.date()) == date(run.year, run.month, 1) - (
            timedelta(days=1)
        )


@pytest.mark.parametrize(
    "start",
    [date(2026, 3, 1), date(2026, 10, 25)],
    ids=["daylight-saving-time-starts-8-mar", "daylight-saving-time-ends-1-nov"],
)
def test_the_nightly_refresh_runs_every_night_at_the_same_local_time(start):
    runs = next_runs("nightly-refresh", 14, start)
    assert [r.date() for r in runs] == [start + timedelta(days=i) for i in range(14)]
    assert {r.time() for r in runs} == {time(1, 0)}


def test_the_closure_readiness_runs_once_a_week_on_monday_morning():
    runs = next_runs("weekly-closure-readiness", 10, date(2026, 11, 1))
    assert [r.date() for r in runs] == [date(2026, 11, 2) + timedelta(weeks=i) for i in range(10)]
    assert {r.strftime("%A %H:%M") for r in runs} == {"Monday 05:00"}


@pytest.mark.parametrize("deployment", sorted(SCHEDULES))
def test_every_run_starts_on_the_same_day_in_new_york_and_in_utc(deployment):
    # The jobs resolve "today" in UTC (fms.settings.today): a run must not start in the New
    # York evening, when UTC is already tomorrow.
    for run in next_runs(deployment, 30, date(2026, 1, 1)):
        assert run.date() == run.astimezone(UTC).date()


def test_no_two_jobs_start_at_the_same_time():
    # They share one warehouse: a clash would make one of them wait or stop.
    starts: dict[datetime, str] = {}
    for deployment in SCHEDULES:
        for run in next_runs(deployment, 400, date(2026, 1, 1)):
            if run.year == 2026:
                assert run not in starts, f"{deployment} and {starts.get(run)} at {run}"
                starts[run] = deployment


def test_the_payment_schedule_review_runs_on_the_20th_after_each_statement_date():
    runs = next_runs("quarterly-payment-schedule-review", 4, date(2026, 12, 2))
    assert [r.date() for r in runs] == [
        date(2027, 1, 20),
        date(2027, 4, 20),
        date(2027, 7, 20),
        date(2027, 10, 20),
    ]
    assert {r.time() for r in runs} == {time(7, 0)}
    # Each reviews the quarter its month's statements billed, once they are out (the 15th).
    for run in runs:
        reviewed = last_quarter_end_before(run.date())
        assert billing_timeline(reviewed).statement_date < run.date()
