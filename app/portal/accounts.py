"""Portal accounts: who may log in, with which role, and what they did.

Accounts live in their own small SQLite file, never in the warehouse: the warehouse is rebuilt
and snapshotted by the runs and read by many, while the accounts hold password hashes and
change whenever an analyst adds or resets someone. The web app serves requests from several
threads, so every call opens its own connection (WAL mode lets readers and the one writer
overlap; a busy timeout rides out the short write locks).

Passwords are hashed with Argon2id (argon2-cffi) and never logged, printed, stored or put in an
error message. Guessing is slowed, then stopped: after `slow_after` consecutive failures each
try must wait a little, and `lock_after` failures lock the account for `lock_minutes` (an
analyst's `fms users reset` unlocks it sooner). A wrong password and an unknown name get the
same answer, after the same work (a hash verification), so the login form tells nobody which
names exist.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fms import settings

ROLES = ("analyst", "purchaser")
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
COUNTRY = re.compile(r"[A-Z0-9]{2}")
MIN_PASSWORD = 12
# Argon2 pre-hashes any length cheaply, but nobody types more: refusing longer keeps a form
# post of megabytes from reaching the hasher.
MAX_PASSWORD = 1024
PRIVATE_FILE = 0o600
BUSY_TIMEOUT_SECONDS = 10.0
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name            TEXT PRIMARY KEY,
    role            TEXT NOT NULL CHECK (role IN ('analyst', 'purchaser')),
    country         TEXT,
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    session_version INTEGER NOT NULL DEFAULT 1,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_failure    TEXT,
    locked_until    TEXT,
    last_login      TEXT,
    created_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    user   TEXT,
    event  TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    remote TEXT
);
"""
_COLUMNS = "name, role, country, disabled, session_version"


@dataclass(frozen=True)
class User:
    name: str
    role: str  # "analyst" | "purchaser"
    country: str | None  # a purchaser's country code; None for analysts
    disabled: bool
    # Bumped by disable, reset and logout: sessions signed with an older one are refused.
    session_version: int


@dataclass(frozen=True)
class AccountState:
    """What `fms users list` shows beside the account itself."""

    user: User
    locked_until: datetime | None  # only while the lock holds
    last_login: datetime | None


class AccountError(ValueError):
    """A request the store refuses (bad name, role, country or password; unknown or duplicate
    user), with a one-line message for the person who made it."""


@dataclass(frozen=True)
class LockoutPolicy:
    slow_after: int = 3  # after this many consecutive failures, the next try must wait
    waits_seconds: tuple[float, ...] = (1.0, 2.0)  # the wait after failure 3, 4 (then the lock)
    lock_after: int = 5  # this many consecutive failures lock the account
    lock_minutes: int = 15


class LoginRefused(Exception):
    """Why a login was refused (`reason`: "wrong", "wait", "locked", "disabled") and what the
    login page says; `retry_after` (seconds) for "wait" and "locked"."""

    def __init__(self, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


DEFAULT_POLICY = LockoutPolicy()
WRONG = "Wrong name or password."
DISABLED = "This account is disabled; ask an analyst to enable it (fms users reset NAME)."


def default_users_file() -> Path:
    """Where the accounts live unless told otherwise (read at call time: FMS_DATA_DIR)."""
    return settings.data_dir() / "portal" / "users.sqlite"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _text(moment: datetime) -> str:
    # Always with microseconds, so the texts also compare in time order inside SQL.
    return moment.isoformat(timespec="microseconds")


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _user(row: sqlite3.Row) -> User:
    return User(
        name=row["name"],
        role=row["role"],
        country=row["country"],
        disabled=bool(row["disabled"]),
        session_version=row["session_version"],
    )


def _check_password(password: str) -> None:
    # The message names the rule, never the password.
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")


def check_account(name: str, role: str, country: str | None) -> None:
    """Raise AccountError if the name, the role or the country (for that role) is not valid."""
    _check_name(name)
    _check_role_and_country(role, country)


def _check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise AccountError(
            f"bad user name {name[:80]!r}: 1-64 of a-z, 0-9, '.', '_', '-', "
            "starting with a letter or digit"
        )


def _check_role_and_country(role: str, country: str | None) -> None:
    if role not in ROLES:
        raise AccountError(f"bad role {role!r}: one of {', '.join(ROLES)}")
    if role == "analyst" and country is not None:
        raise AccountError("an analyst sees every purchaser: give no country")
    if role == "purchaser":
        if country is None:
            raise AccountError("a purchaser needs a country (--country, e.g. UK)")
        if not COUNTRY.fullmatch(country):
            raise AccountError(f"bad country {country!r}: 2 upper-case letters or digits")


class UserStore:
    """The accounts and their audit trail in one SQLite file (created if missing, mode 0600)."""

    def __init__(
        self,
        path: Path,
        *,
        policy: LockoutPolicy = DEFAULT_POLICY,
        clock: Callable[[], datetime] = _utc_now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.path = Path(path)
        self.policy = policy
        self._clock = clock
        # Argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters; a hasher is
        # injected only by tests that need many hashes quickly.
        self._hasher = hasher or PasswordHasher()
        self._create()

    # -- the file ---------------------------------------------------------------------------

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            # Created empty with owner-only permissions before SQLite writes a byte of it (its
            # -wal and -shm files take the same mode); an existing file is left as it is.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
            os.chmod(self.path, PRIVATE_FILE)  # whatever the umask left out
        except FileExistsError:
            pass
        with self._connect() as con:
            con.execute("PRAGMA journal_mode = WAL")  # persistent: set once for the file
            con.executescript(SCHEMA)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own for this call, one transaction, closed at the end."""
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)) as con:
            con.row_factory = sqlite3.Row
            with con:  # commit, or roll back on an error
                yield con

    def _now(self) -> datetime:
        now = self._clock()
        # A naive clock is taken to be UTC already; stored times are always UTC.
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    # -- accounts ---------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, country: str | None = None) -> User:
        check_account(name, role, country)
        _check_password(password)
        hashed = self._hasher.hash(password)
        try:
            with self._connect() as con:
                con.execute(
                    "INSERT INTO users (name, role, country, password_hash, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, role, country, hashed, _text(self._now())),
                )
                self._audit(con, name, "added", role + (f" {country}" if country else ""))
        except sqlite3.IntegrityError:
            raise AccountError(f"user {name!r} exists already") from None
        return User(name, role, country, disabled=False, session_version=1)

    def get(self, name: str) -> User | None:
        with self._connect() as con:
            row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        return _user(row) if row else None

    def list(self) -> list[User]:
        return [state.user for state in self.states()]

    def states(self) -> list[AccountState]:
        """Every account, by name, with its lock (if it holds now) and last login."""
        with self._connect() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS}, locked_until, last_login FROM users ORDER BY name"
            ).fetchall()
        now = self._now()
        states = []
        for row in rows:
            locked = _moment(row["locked_until"])
            locked = locked if locked is not None and locked > now else None
            states.append(AccountState(_user(row), locked, _moment(row["last_login"])))
        return states

    def log_out(self, name: str, remote: str | None = None) -> None:
        """End every session of `name`. The cookies are stateless: only a new session version
        refuses a copy kept of the one logged out of (a shared computer, a proxy's log)."""
        with self._connect() as con:
            con.execute(
                "UPDATE users SET session_version = session_version + 1 WHERE name = ?", (name,)
            )
            self._audit(con, name, "logout", "", remote)

    def disable(self, name: str) -> User:
        with self._connect() as con:
            row = con.execute(
                "UPDATE users SET disabled = 1, session_version = session_version + 1 "
                f"WHERE name = ? RETURNING {_COLUMNS}",
                (name,),
            ).fetchone()
            if row is None:
                raise AccountError(f"no user {name!r}")
            self._audit(con, name, "disabled")
        return _user(row)

    def reset(self, name: str, password: str) -> User:
        _check_password(password)
        hashed = self._hasher.hash(password)
        with self._connect() as con:
            row = con.execute(
                "UPDATE users SET password_hash = ?, disabled = 0, failures = 0, "
                "last_failure = NULL, locked_until = NULL, session_version = session_version + 1 "
                f"WHERE name = ? RETURNING {_COLUMNS}",
                (hashed, name),
            ).fetchone()
            if row is None:
                raise AccountError(f"no user {name!r}")
            self._audit(con, name, "reset")
        return _user(row)

    # -- logging in -------------------------------------------------------------------------

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against for an unknown name, with the same parameters as real hashes, so
        # the answer takes as long as for a wrong password.
        return self._hasher.hash(os.urandom(16).hex())

    def authenticate(self, name: str, password: str, remote: str | None = None) -> User:
        """The user, if `password` is theirs and they may log in now; else LoginRefused."""
        name = name.strip().lower()  # names are lower case; a login form may not be
        now = self._now()
        with self._connect() as con:
            row = con.execute(
                f"SELECT {_COLUMNS}, password_hash, failures, last_failure, locked_until "
                "FROM users WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            self._verify(self._dummy_hash, password)
            self.audit(name[:100], "login_failed", "unknown user", remote)
            raise LoginRefused("wrong", WRONG)
        failures = row["failures"]
        locked_until = _moment(row["locked_until"])
        if locked_until is not None and locked_until <= now:
            failures = 0  # the lock has run out: a fresh start, not one try from locking again
        elif locked_until is not None:
            self.audit(name, "login_failed", "locked", remote)
            raise self._locked(locked_until, now)
        if row["disabled"]:
            # "Disabled" only for the right password: to anyone else it is a wrong one, so the
            # form does not tell a guesser which names exist.
            if not self._verify(row["password_hash"], password):
                self.audit(name, "login_failed", "wrong password (disabled account)", remote)
                raise LoginRefused("wrong", WRONG)
            self.audit(name, "login_failed", "disabled", remote)
            raise LoginRefused("disabled", DISABLED)
        wait = self._wait(failures, _moment(row["last_failure"]), now)
        if wait > 0:  # not checked and not counted: a guesser gains nothing by hurrying
            seconds = math.ceil(wait)
            raise LoginRefused(
                "wait", f"Too many failed logins: try again in {seconds} s.", retry_after=wait
            )
        if not self._verify(row["password_hash"], password):
            raise self._failed(name, now, remote)
        return self._logged_in(name, row["password_hash"], password, now, remote)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def _wait(self, failures: int, last_failure: datetime | None, now: datetime) -> float:
        """Seconds this try must still wait (0: it may go ahead)."""
        waits = self.policy.waits_seconds
        if failures < self.policy.slow_after or last_failure is None or not waits:
            return 0.0
        wait = waits[min(failures - self.policy.slow_after, len(waits) - 1)]
        return max(0.0, (last_failure + timedelta(seconds=wait) - now).total_seconds())

    def _failed(self, name: str, now: datetime, remote: str | None) -> LoginRefused:
        """Count a wrong password (in one statement, so parallel tries each count) and lock
        the account at the limit; return the refusal."""
        until = now + timedelta(minutes=self.policy.lock_minutes)
        with self._connect() as con:
            # An expired lock starts the count again (see authenticate).
            failures, locked = con.execute(
                "UPDATE users SET "
                "failures = CASE WHEN locked_until <= :now THEN 1 ELSE failures + 1 END, "
                "locked_until = CASE WHEN locked_until <= :now THEN NULL ELSE locked_until END, "
                "last_failure = :now WHERE name = :name RETURNING failures, locked_until",
                {"now": _text(now), "name": name},
            ).fetchone()
            self._audit(con, name, "login_failed", f"wrong password ({failures})", remote)
            if failures >= self.policy.lock_after and locked is None:
                con.execute(
                    "UPDATE users SET locked_until = ? WHERE name = ?", (_text(until), name)
                )
                self._audit(con, name, "locked", f"after {failures} failed logins", remote)
                locked = _text(until)
        if failures >= self.policy.lock_after:
            return self._locked(_moment(locked), now)
        return LoginRefused("wrong", WRONG)

    def _locked(self, until: datetime, now: datetime) -> LoginRefused:
        # Shown rounded up to the minute: the page never names a time the lock still holds.
        shown = until + timedelta(minutes=1) if until.second or until.microsecond else until
        return LoginRefused(
            "locked",
            f"This account is locked after repeated failed logins until "
            f"{shown:%H:%M} UTC; an analyst can reset it (fms users reset NAME).",
            retry_after=(until - now).total_seconds(),
        )

    def _logged_in(
        self, name: str, hashed: str, password: str, now: datetime, remote: str | None
    ) -> User:
        fresh = self._hasher.hash(password) if self._hasher.check_needs_rehash(hashed) else None
        with self._connect() as con:
            row = con.execute(
                "UPDATE users SET failures = 0, last_failure = NULL, locked_until = NULL, "
                f"last_login = ? WHERE name = ? RETURNING {_COLUMNS}",
                (_text(now), name),
            ).fetchone()
            if fresh is not None:
                # Only over the hash just verified: a reset meanwhile keeps its new password.
                con.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
                    (fresh, name, hashed),
                )
            if row is not None and not row["disabled"]:
                self._audit(con, name, "login", "", remote)
        if row is None or row["disabled"]:  # disabled or removed while the hash was checked
            self.audit(name, "login_failed", "disabled", remote)
            raise LoginRefused("disabled", DISABLED)
        return _user(row)

    # -- the audit trail --------------------------------------------------------------------

    def audit(
        self, user: str | None, event: str, detail: str = "", remote: str | None = None
    ) -> None:
        """Record what someone did (the web app: "download" with the file name)."""
        with self._connect() as con:
            self._audit(con, user, event, detail, remote)

    def _audit(
        self,
        con: sqlite3.Connection,
        user: str | None,
        event: str,
        detail: str = "",
        remote: str | None = None,
    ) -> None:
        con.execute(
            "INSERT INTO audit (at, user, event, detail, remote) VALUES (?, ?, ?, ?, ?)",
            (_text(self._now()), user, event, detail, remote),
        )

    def audit_log(self, limit: int = 200) -> list[dict]:
        """The latest `limit` records, newest first: at (UTC datetime), user, event, detail,
        remote."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT at, user, event, detail, remote FROM audit ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [dict(row) | {"at": _moment(row["at"])} for row in rows]
