"""How figures are printed for people (the run report, file headings): money exact to the
cent, counts and shares readable.

Money arrives as Decimal from DuckDB DECIMAL columns and is printed from that Decimal, never
through a float: "$1,234,567.89", "-$12.50".
"""

from __future__ import annotations

from decimal import Decimal

NONE = "—"  # printed where a figure does not exist (no statement published, say)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def dollars(amount: Decimal | None) -> str:
    """US dollars with thousands separators and 2 decimals; the sign before the $."""
    if amount is None:
        return NONE
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    # Amounts are DECIMAL(.., 2): quantizing to the cent changes nothing but the exponent.
    return f"{sign}${abs(amount).quantize(CENT):,.2f}"


def count(n: int | None) -> str:
    return NONE if n is None else f"{n:,}"


def share(part: Decimal, whole: Decimal) -> str:
    """part / whole as a percentage with one decimal ("62.5%"), computed in Decimal."""
    if not whole:
        return NONE
    return f"{(Decimal(100) * part / whole).quantize(TENTH):,}%"


def short_dollars(amount: Decimal) -> str:
    """A chart label: "$58.4M", "$3.89B", "$912.3K" (the tables carry the exact figure)."""
    for unit, suffix, places in (
        (Decimal("1e9"), "B", Decimal("0.01")),
        (Decimal("1e6"), "M", TENTH),
        (Decimal("1e3"), "K", TENTH),
    ):
        if abs(amount) >= unit:
            sign = "-" if amount < 0 else ""
            return f"{sign}${(abs(amount) / unit).quantize(places):,}{suffix}"
    return dollars(amount)
