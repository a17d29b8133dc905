"""The FMS billing timeline (SAMM Table C9.T16): the one place billing dates are computed.

| quarter ended | statement dated | payment due | the payment covers |
|---|---|---|---|
| 31 Dec | 15 Jan | 15 Mar | Apr-Jun |
| 31 Mar | 15 Apr | 15 Jun | Jul-Sep |
| 30 Jun | 15 Jul | 15 Sep | Oct-Dec |
| 30 Sep | 15 Oct | 15 Dec | Jan-Mar (next year) |

The SQL marts never compute these dates: the caller takes them from `billing_timeline` and binds
them as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

QUARTER_END_MONTHS = (3, 6, 9, 12)


def quarter_start(day: date) -> date:
    """First day of the calendar quarter holding `day`."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: date) -> date:
    """Last day of the calendar quarter holding `day`."""
    return add_quarters(quarter_start(day), 1) - timedelta(days=1)


def add_quarters(first_day: date, quarters: int) -> date:
    """The first day of the quarter `quarters` after the quarter starting on `first_day`."""
    months = first_day.year * 12 + (first_day.month - 1) + 3 * quarters
    return date(months // 12, months % 12 + 1, 1)


def is_quarter_end(day: date) -> bool:
    return day == quarter_end(day)


def quarter_label(day: date) -> str:
    """`2026Q3` for any day of Jul-Sep 2026 (the quarter named in statement file names)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class BillingTimeline:
    """The dates of the DD Form 645 for the quarter ended `period_end` (E).

    - statement_date (S) and payment_due_date (P): Table C9.T16.
    - covers_start/covers_end (Q): the quarter the payment covers, the second quarter after E.
    - current_quarter_start/end (N): the quarter after E, "current" when the statement goes out.
    - previous_period_end: the quarter end before E (the previous statement, for arrearages).
    """

    period_end: date
    statement_date: date
    payment_due_date: date
    covers_start: date
    covers_end: date
    current_quarter_start: date
    current_quarter_end: date
    previous_period_end: date

    @property
    def quarter_start(self) -> date:
        """First day of quarter E itself (the days over which interest accrues)."""
        return quarter_start(self.period_end)

    @property
    def quarter(self) -> str:
        return quarter_label(self.period_end)


def billing_timeline(period_end: date) -> BillingTimeline:
    """Table C9.T16 for the quarter ended `period_end`; a ValueError for any other date."""
    if not is_quarter_end(period_end):
        raise ValueError(
            f"{period_end.isoformat()} is not a quarter end: a billing period ends on "
            "31 Mar, 30 Jun, 30 Sep or 31 Dec"
        )
    next_quarter = add_quarters(quarter_start(period_end), 1)  # N
    covered_quarter = add_quarters(next_quarter, 1)  # Q
    return BillingTimeline(
        period_end=period_end,
        statement_date=date(next_quarter.year, next_quarter.month, 15),
        # The 15th of the last month of N: 15 Mar, 15 Jun, 15 Sep, 15 Dec.
        payment_due_date=date(next_quarter.year, next_quarter.month + 2, 15),
        covers_start=covered_quarter,
        covers_end=add_quarters(covered_quarter, 1) - timedelta(days=1),
        current_quarter_start=next_quarter,
        current_quarter_end=covered_quarter - timedelta(days=1),
        previous_period_end=quarter_start(period_end) - timedelta(days=1),
    )


def last_quarter_end_before(day: date) -> date:
    """The default billing period of a run on `day`: the last quarter end *strictly* before it.

    Strict because a quarter is billed once it is over: on 30 Sep itself the day's deliveries,
    expenditures and collections are still arriving, so a run on 30 Sep bills the quarter ended
    30 Jun, and a run on 1 Oct bills 30 Sep.
    """
    return quarter_start(day) - timedelta(days=1)


def check_quarter_ended(
    day: date, today: date, *, why: str = "", instead: str = "", any_quarter: bool = False
) -> None:
    """A ValueError saying what to give instead, unless `day` is a quarter end that is over on
    `today` (the day after it at the earliest, as `last_quarter_end_before`); with
    `any_quarter`, any quarter end. `why` says why the quarter must be over, `instead` what
    else the user may do; both end the refusal of a quarter not over."""
    last_ended = last_quarter_end_before(today)
    if not is_quarter_end(day):
        before, after = quarter_start(day) - timedelta(days=1), quarter_end(day)
        nearest = after if after - day <= day - before else before
        suggested = nearest if any_quarter else min(nearest, last_ended)
        raise ValueError(
            f"{day.isoformat()} is not a quarter end (31 Mar, 30 Jun, 30 Sep or 31 Dec): "
            f"did you mean {suggested.isoformat()}?"
        )
    if day > last_ended and not any_quarter:
        raise ValueError(
            f"{day.isoformat()}: that quarter is not over on {today.isoformat()}{why}; the last "
            f"one that has is {last_ended.isoformat()}{instead}"
        )


def check_billable(period_end: date, today: date, preliminary: bool = False) -> None:
    """Refused unless `period_end` is a quarter end that is over (`check_quarter_ended`): a
    quarter still running is never billed (data contract, "Statements only for quarters that
    have ended"), else its January run would become revision 2 of a statement sent in December.
    A preliminary draft, never a revision, may be of any quarter end."""
    check_quarter_ended(
        period_end,
        today,
        why=", and a statement is billed once its quarter has ended",
        instead=" (--preliminary writes a marked draft, never a revision)",
        any_quarter=preliminary,
    )


@dataclass(frozen=True)
class PaymentDate:
    """A quarterly payment date after a quarter end, and the quarter it covers (Table C9.T16)."""

    payment_number: int
    payment_date: date
    covers_start: date
    covers_end: date


def coming_payment_dates(period_end: date, count: int) -> list[PaymentDate]:
    """The first `count` SAMM payment dates after the quarter end `period_end` (C9.9.1.4): the
    payment due date of its statement, then of each following quarter's (15 Dec covering Jan-Mar,
    15 Mar covering Apr-Jun, ...)."""
    dates = []
    for number in range(1, count + 1):
        quarter_ended = add_quarters(quarter_start(period_end), number) - timedelta(days=1)
        timeline = billing_timeline(quarter_ended)  # number 1: period_end's own
        dates.append(
            PaymentDate(
                number, timeline.payment_due_date, timeline.covers_start, timeline.covers_end
            )
        )
    return dates
