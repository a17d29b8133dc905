"""`fms users`: an analyst manages the portal's accounts from the command line.

There is no sign-up page and no account page on the portal: an analyst adds each purchaser (for
one country) and each analyst here, and disables or resets them here. Passwords are typed at a
hidden prompt, or piped in one line for scripts (`--password-stdin`), never given as an option
(it would stay in the shell history and the process list).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.console import console
from app.console import fail as _fail
from app.portal.accounts import (
    ROLES,
    AccountError,
    User,
    UserStore,
    check_account,
    default_users_file,
)
from fms import settings

users_app = typer.Typer(help="Portal accounts: add, list, disable, reset.", no_args_is_help=True)
SHOWN_COUNTRIES = 12

Users = Annotated[
    Path | None,
    typer.Option(
        "--users",
        help="The accounts' SQLite file",
        show_default="$FMS_DATA_DIR/portal/users.sqlite",
    ),
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password as one line from standard input (for scripts)",
    ),
]


@contextmanager
def _refusals() -> Iterator[None]:
    """A refused request, or an accounts' file that cannot be used (a read-only folder, a file
    that is not SQLite), is one `error:` line."""
    try:
        yield
    except AccountError as exc:
        _fail(str(exc))
    except (OSError, sqlite3.Error) as exc:
        _fail(f"the accounts' file: {exc}")


def _store(users: Path | None) -> UserStore:
    # The default is resolved now, not at import: FMS_DATA_DIR may be set after.
    return UserStore(users or default_users_file())


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")  # only the line's end
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _check_country(country: str, warehouse: Path) -> None:
    """Refuse a country the warehouse's readers' snapshot does not hold; without a snapshot
    (no run has published yet) accept it with a warning."""
    import duckdb

    from fms.snapshots import snapshot_path

    snapshot = snapshot_path(warehouse)
    if not snapshot.exists():
        console.print(
            f"warning: country {country} not checked: no readers' snapshot at {snapshot}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            rows = con.execute("SELECT DISTINCT country_code FROM countries ORDER BY 1").fetchall()
    except duckdb.Error as exc:
        _fail(f"reading the countries of {snapshot} failed: {exc}")
    held = [code for (code,) in rows]
    if country not in held:
        listed = ", ".join(held[:SHOWN_COUNTRIES]) + (", ..." if held[SHOWN_COUNTRIES:] else "")
        _fail(f"the warehouse holds no purchaser {country} (it holds {listed or 'none'})")


def _done(verb: str, user: User) -> None:
    where = f" ({user.country})" if user.country else ""
    print(f"{verb} {user.role} {user.name}{where}")


@users_app.command()
def add(
    name: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '.', '_', '-'")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    country: Annotated[
        str | None, typer.Option(help="A purchaser's country code, e.g. UK", show_default=False)
    ] = None,
    password_stdin: PasswordStdin = False,
    users: Users = None,
    warehouse: Annotated[
        Path | None,
        typer.Option(
            help="Check a purchaser's country against this warehouse's readers' snapshot",
            show_default="data/warehouse/fms.duckdb",
        ),
    ] = None,
) -> None:
    """Add an analyst, or a purchaser who sees one country's figures."""
    with _refusals():
        check_account(name, role, country)
        store = _store(users)
        if store.get(name) is not None:  # before asking for a password that would be wasted
            raise AccountError(f"user {name!r} exists already")
        if role == "purchaser" and country is not None:
            _check_country(country, warehouse or settings.default_warehouse())
        user = store.add(name, role, _password(password_stdin), country)
    _done("added", user)


@users_app.command("list")
def list_users(users: Users = None) -> None:
    """Every account: role, country, disabled, locked until, last login (UTC)."""
    with _refusals():
        states = _store(users).states()
    if not states:
        print("no accounts yet: add one with `fms users add NAME --role analyst`")
        return
    rows = [("name", "role", "country", "disabled", "locked until", "last login")]
    for state in states:
        user = state.user
        rows.append(
            (
                user.name,
                user.role,
                user.country or "-",
                "yes" if user.disabled else "no",
                _when(state.locked_until),
                _when(state.last_login),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "-"


@users_app.command()
def disable(name: str, users: Users = None) -> None:
    """Disable an account: it cannot log in, and its open sessions end."""
    with _refusals():
        user = _store(users).disable(name)
    _done("disabled", user)


@users_app.command()
def reset(name: str, password_stdin: PasswordStdin = False, users: Users = None) -> None:
    """Set a new password: also unlocks and re-enables the account, and ends its sessions."""
    with _refusals():
        store = _store(users)
        if store.get(name) is None:  # before asking for a password that would be wasted
            raise AccountError(f"no user {name!r}")
        user = store.reset(name, _password(password_stdin))
    _done("reset", user)
