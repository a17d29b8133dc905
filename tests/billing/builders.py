"""Terse hand-built billing cases: one call states a case with its schedule, costs and cash."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from tests.handbuilt import d, insert

E = d("2026-09-30")  # the quarter billed in these tests: S 15 Oct, P 15 Dec, N Q4 2026, Q Q1 2027


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


@contextmanager
def one_transaction(con) -> Iterator[None]:
    """Many small inserts as one commit: a file warehouse syncs every autocommit."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def purchaser(con, country_code: str, *, sba: bool = False, name: str = "Testland") -> None:
    insert(
        con,
        "countries",
        {"country_code": country_code, "name": name, "has_special_billing_arrangement": sba},
    )


def billing_case(
    con,
    case_id: str,
    *,
    schedule: tuple[tuple[str, str], ...] = (),
    expenditures: tuple[tuple[str, str], ...] = (),
    forecasts: tuple[tuple[str, str, str], ...] = (),
    collections: tuple[tuple[str, str], ...] = (),
    **case_fields,
) -> None:
    """A case accepted 10 Jan 2025 (3.2% surcharge) and implemented 15 Jan 2025 unless told.

    schedule: (due date, amount), the first one the initial deposit; expenditures: (date,
    amount); forecasts: (quarter start, forecast amount, termination liability); collections:
    (received date, amount).
    """
    with one_transaction(con):
        _insert_case(con, case_id, schedule, expenditures, forecasts, collections, case_fields)


def _insert_case(con, case_id, schedule, expenditures, forecasts, collections, case_fields):
    fields = {
        "case_id": case_id,
        "acceptance_date": d("2025-01-10"),
        "implementation_date": d("2025-01-15"),
    } | case_fields
    insert(con, "cases", fields)
    insert(
        con,
        "case_lines",
        {"case_id": case_id, "line_number": 1, "ordered_quantity": 1, "line_value": money("1")},
    )
    if schedule:
        insert(
            con,
            "payment_schedules",
            *(
                {
                    "case_id": case_id,
                    "due_date": d(day),
                    "amount": money(amount),
                    "is_initial_deposit": i == 0,
                }
                for i, (day, amount) in enumerate(schedule)
            ),
        )
    if expenditures:
        insert(
            con,
            "expenditures",
            *(
                {
                    "expenditure_id": f"{case_id}-X{i}",
                    "case_id": case_id,
                    "expenditure_date": d(day),
                    "amount": money(amount),
                }
                for i, (day, amount) in enumerate(expenditures)
            ),
        )
    if forecasts:
        insert(
            con,
            "requirements_forecasts",
            *(
                {
                    "case_id": case_id,
                    "quarter_start": d(q),
                    "forecast_amount": money(amount),
                    "termination_liability": money(tl),
                }
                for q, amount, tl in forecasts
            ),
        )
    if collections:
        insert(
            con,
            "collections",
            *(
                {
                    "collection_id": f"{case_id}-C{i}",
                    "case_id": case_id,
                    "received_date": d(day),
                    "amount": money(amount),
                }
                for i, (day, amount) in enumerate(collections)
            ),
        )


def statement_rows(con, table: str = "staging.billing_statements") -> dict[str, dict]:
    """The candidate case statements by case id, as dicts."""
    result = con.execute(f"SELECT * FROM {table} ORDER BY case_id")
    names = [c[0] for c in result.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in result.fetchall()}


def purchaser_rows(con, table: str = "staging.purchaser_statements") -> dict[str, dict]:
    result = con.execute(f"SELECT * FROM {table} ORDER BY country_code")
    names = [c[0] for c in result.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in result.fetchall()}
