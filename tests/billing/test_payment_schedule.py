"""Payment schedule dates: Table C9.T12 and the SAMM quarterly due dates (C9.9.1.4)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fms.billing.payment_schedule import first_payment_date
from tests.handbuilt import d
from tests.rules_helpers import is_samm_quarterly_due_date


@pytest.mark.parametrize(
    ("accepted", "first_payment"),
    [
        # 11 Sep - 10 Dec -> 15 Mar (covers Apr-Jun)
        ("2025-09-11", "2026-03-15"),
        ("2025-10-31", "2026-03-15"),
        ("2025-12-10", "2026-03-15"),
        # 11 Dec - 10 Mar -> 15 Jun (covers Jul-Sep), across the year end
        ("2025-12-11", "2026-06-15"),
        ("2025-12-31", "2026-06-15"),
        ("2026-01-01", "2026-06-15"),
        ("2026-03-10", "2026-06-15"),
        # 11 Mar - 10 Jun -> 15 Sep (covers Oct-Dec)
        ("2026-03-11", "2026-09-15"),
        ("2026-06-10", "2026-09-15"),
        # 11 Jun - 10 Sep -> 15 Dec (covers Jan-Mar)
        ("2026-06-11", "2026-12-15"),
        ("2026-09-10", "2026-12-15"),
    ],
)
def test_first_payment_date_follows_table_c9_t12_including_days_10_and_11(accepted, first_payment):
    assert first_payment_date(d(accepted)) == d(first_payment)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_first_payment_is_a_samm_due_date_three_to_six_months_out(accepted):
    first = first_payment_date(accepted)
    assert is_samm_quarterly_due_date(first)
    assert 90 < (first - accepted).days < 190


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-15", True),
        ("2026-06-15", True),
        ("2026-09-15", True),
        ("2026-12-15", True),
        ("2026-03-14", False),
        ("2026-01-15", False),
        ("2026-12-16", False),
    ],
)
def test_samm_quarterly_due_dates_are_the_15th_of_mar_jun_sep_dec(day, expected):
    assert is_samm_quarterly_due_date(d(day)) is expected
