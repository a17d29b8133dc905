"""Rounding of computed amounts (half up to the cent; README.md, "Rules").

In SQL the same rule is DuckDB's round(DECIMAL, 2), which rounds half away from zero on DECIMAL
(tests/billing/test_money.py holds both to it). Never round a DOUBLE: money is never a float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
# Exact for any product of two DECIMAL(38, x) figures: Python's default 28 digits would round a
# wide sum times a rate before it is rounded to the cent, as the rules say, once.
WIDE = Context(prec=80)


def round_half_up_cents(amount: Decimal) -> Decimal:
    """`amount` to the cent, ties away from zero (0.125 -> 0.13, -0.125 -> -0.13)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP, context=WIDE)
