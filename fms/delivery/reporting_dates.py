"""The calendar of the monthly C1 report, due at DFAS Indianapolis by the 20th of each month
(SAMM C9.13.1.2): pure date rules, no clock."""

from __future__ import annotations

from datetime import date, timedelta


def c1_reporting_date_for_month(year: int, month: int) -> date:
    """The as-of (reporting) date of the C1 report for month M: the last day of month M-1."""
    return date(year, month, 1) - timedelta(days=1)


def default_delivery_report_as_of(run_day: date) -> date:
    """The as-of date a delivery report run on `run_day` uses by default: the last day of the
    previous month (the C1 report of run_day's month). The caller resolves run_day at run time
    (fms.settings.today()), never at import."""
    return c1_reporting_date_for_month(run_day.year, run_day.month)
