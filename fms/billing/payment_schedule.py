"""Payment schedule dates (SAMM C9.9.1.4 and Table C9.T12): quarterly payments fall due on
15 Mar, 15 Jun, 15 Sep and 15 Dec."""

from __future__ import annotations

from datetime import date


def first_payment_date(acceptance_date: date) -> date:
    """The earliest quarterly payment date on the schedule (Table C9.T12).

    Keyed on the LOA acceptance date (or the offer expiration date while not yet accepted):

    | accepted       | first payment | covering |
    |---|---|---|
    | 11 Sep - 10 Dec | 15 Mar        | Apr-Jun  |
    | 11 Dec - 10 Mar | 15 Jun        | Jul-Sep  |
    | 11 Mar - 10 Jun | 15 Sep        | Oct-Dec  |
    | 11 Jun - 10 Sep | 15 Dec        | Jan-Mar  |

    Both boundary days belong to the window they start or end (10 Dec -> 15 Mar, 11 Dec -> 15 Jun).
    """
    year = acceptance_date.year
    month_day = (acceptance_date.month, acceptance_date.day)
    if month_day <= (3, 10):
        return date(year, 6, 15)
    if month_day <= (6, 10):
        return date(year, 9, 15)
    if month_day <= (9, 10):
        return date(year, 12, 15)
    if month_day <= (12, 10):
        return date(year + 1, 3, 15)
    return date(year + 1, 6, 15)
