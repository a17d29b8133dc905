"""Date rules only the tests use, as oracles for the SQL and the published schedules."""

from __future__ import annotations

from datetime import date

SAMM_DUE_MONTHS = (3, 6, 9, 12)
SAMM_DUE_DAY = 15
C1_SUBMISSION_DAY = 20  # "by the 20th of each month" (C9.13.1.2)


def is_samm_quarterly_due_date(day: date) -> bool:
    """Quarterly payments are due on 15 Mar, 15 Jun, 15 Sep and 15 Dec (C9.9.1.4)."""
    return day.day == SAMM_DUE_DAY and day.month in SAMM_DUE_MONTHS


def c1_submission_due_date(year: int, month: int) -> date:
    """The day the C1 report for month M is due at DFAS Indianapolis: the 20th of M."""
    return date(year, month, C1_SUBMISSION_DAY)
