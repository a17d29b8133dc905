"""Portal accounts (app/portal/accounts.py) on a real SQLite file with real Argon2 hashes: who
may log in, how guessing is slowed and stopped, and what the audit trail records."""

from __future__ import annotations

import sqlite3
import stat
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from app.portal.accounts import AccountError, LockoutPolicy, LoginRefused, UserStore

PASSWORD = "correct horse battery"
OTHER = "another long password"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock(datetime(2026, 10, 1, 13, 49, 57, tzinfo=UTC))


@pytest.fixture
def path(tmp_path):
    return tmp_path / "portal" / "users.sqlite"


@pytest.fixture
def store(path, clock):
    # Argon2id still, at a cost these rules do not depend on: the production parameters are
    # tested below (stored hash, rehash) and by the command-line tests.
    return UserStore(path, clock=clock, hasher=FAST)


def refusal(store: UserStore, name: str, password: str) -> LoginRefused:
    with pytest.raises(LoginRefused) as refused:
        store.authenticate(name, password, remote="10.0.0.7")
    return refused.value


def test_added_users_are_listed_by_name(store):
    purchaser = store.add("uk-buyer", "purchaser", PASSWORD, country="UK")
    analyst = store.add("ann.lyst", "analyst", PASSWORD)
    assert purchaser.country == "UK" and purchaser.session_version == 1
    assert not purchaser.disabled
    assert store.get("uk-buyer") == purchaser
    assert store.get("nobody") is None
    assert store.list() == [analyst, purchaser]


@pytest.mark.parametrize(
    ("name", "role", "country", "password", "says"),
    [
        ("Alice", "analyst", None, PASSWORD, "bad user name"),
        ("-alice", "analyst", None, PASSWORD, "bad user name"),
        ("a" * 65, "analyst", None, PASSWORD, "bad user name"),
        ("al ice", "analyst", None, PASSWORD, "bad user name"),
        ("alice", "admin", None, PASSWORD, "bad role"),
        ("alice", "analyst", "UK", PASSWORD, "give no country"),
        ("alice", "purchaser", None, PASSWORD, "needs a country"),
        ("alice", "purchaser", "uk", PASSWORD, "bad country"),
        ("alice", "purchaser", "GBR", PASSWORD, "bad country"),
        ("alice", "analyst", None, "short-pass1", "too short"),
    ],
)
def test_an_invalid_account_is_refused_with_a_clear_message(
    store, name, role, country, password, says
):
    with pytest.raises(AccountError, match=says) as refused:
        store.add(name, role, password, country)
    assert password not in str(refused.value)
    assert "\n" not in str(refused.value)
    assert store.list() == []


def test_a_name_is_taken_once(store):
    store.add("alice", "analyst", PASSWORD)
    with pytest.raises(AccountError, match="exists already"):
        store.add("alice", "purchaser", OTHER, "UK")


def test_the_password_is_stored_only_as_an_argon2id_hash(path, clock):
    store = UserStore(path, clock=clock)  # argon2-cffi's default parameters
    store.add("alice", "analyst", PASSWORD)
    store.authenticate("alice", PASSWORD)
    store.reset("alice", OTHER)
    with sqlite3.connect(path) as con:
        (hashed,) = con.execute("SELECT password_hash FROM users").fetchone()
    con.close()
    assert hashed.startswith("$argon2id$") and not PasswordHasher().check_needs_rehash(hashed)
    for file in path.parent.iterdir():  # the database and its write-ahead log
        data = file.read_bytes()
        for password in (PASSWORD, OTHER):
            assert password.encode() not in data, file.name
            assert password.encode("utf-16-le") not in data, file.name


def test_the_file_is_readable_by_its_owner_only(store, path):
    store.add("alice", "analyst", PASSWORD)
    with closing(sqlite3.connect(path)) as reader:  # keeps the -wal and -shm files open
        reader.execute("SELECT count(*) FROM users").fetchall()
        files = sorted(file.name for file in path.parent.iterdir())
        assert files == ["users.sqlite", "users.sqlite-shm", "users.sqlite-wal"]
        for file in path.parent.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_disabling_ends_sessions_and_refuses_login(store):
    store.add("alice", "analyst", PASSWORD)
    disabled = store.disable("alice")
    assert disabled.disabled and disabled.session_version == 2
    refused = refusal(store, "alice", PASSWORD)
    assert refused.reason == "disabled"
    # To someone without the password a disabled account looks like any wrong guess.
    assert refusal(store, "alice", OTHER).reason == "wrong"
    with pytest.raises(AccountError, match="no user 'bob'"):
        store.disable("bob")


def test_reset_sets_the_password_unlocks_and_enables(store, clock):
    store.add("alice", "analyst", PASSWORD)
    for _ in range(5):
        refused = refusal(store, "alice", OTHER)
        clock.advance(2)
    assert refused.reason == "locked"
    store.disable("alice")
    reset = store.reset("alice", OTHER)
    assert not reset.disabled and reset.session_version == 3
    assert refusal(store, "alice", PASSWORD).reason == "wrong"
    assert store.authenticate("alice", OTHER) == reset
    with pytest.raises(AccountError, match="too short"):
        store.reset("alice", "short")


def test_guessing_is_slowed_then_locked(store, clock):
    store.add("alice", "purchaser", PASSWORD, "UK")
    for _ in range(3):
        assert refusal(store, "alice", OTHER).reason == "wrong"

    # Straight after the 3rd failure: wait, even with the right password, and not counted.
    waited = refusal(store, "alice", PASSWORD)
    assert waited.reason == "wait" and waited.retry_after == pytest.approx(1.0)
    assert waited.message == "Too many failed logins: try again in 1 s."
    clock.advance(0.5)
    assert refusal(store, "alice", OTHER).retry_after == pytest.approx(0.5)

    clock.advance(0.5)
    assert refusal(store, "alice", OTHER).reason == "wrong"  # the 4th failure
    waited = refusal(store, "alice", OTHER)
    assert waited.reason == "wait" and waited.message.endswith("try again in 2 s.")

    clock.advance(2)
    locked = refusal(store, "alice", OTHER)  # the 5th failure, at 13:50:00
    assert locked.reason == "locked"
    assert locked.message == (
        "This account is locked after repeated failed logins until 14:05 UTC; "
        "an analyst can reset it (fms users reset NAME)."
    )
    assert locked.retry_after == pytest.approx(15 * 60)
    clock.advance(14 * 60)
    assert refusal(store, "alice", PASSWORD).reason == "locked"

    clock.advance(60)
    assert store.authenticate("alice", PASSWORD).name == "alice"
    # The count starts again: the next wrong password is just wrong.
    assert refusal(store, "alice", OTHER).reason == "wrong"


def test_an_expired_lock_gives_a_fresh_count(store, clock):
    store.add("alice", "analyst", PASSWORD)
    policy = store.policy
    for _ in range(policy.lock_after):
        refusal(store, "alice", OTHER)
        clock.advance(max(policy.waits_seconds))
    clock.advance(policy.lock_minutes * 60)
    assert refusal(store, "alice", OTHER).reason == "wrong"
    assert refusal(store, "alice", OTHER).reason == "wrong"


def test_an_unknown_name_is_answered_like_a_wrong_password(store):
    store.add("alice", "analyst", PASSWORD)
    unknown = refusal(store, "mallory", PASSWORD)
    wrong = refusal(store, "alice", OTHER)
    assert (unknown.reason, unknown.message) == (wrong.reason, wrong.message)
    assert unknown.message == "Wrong name or password."


def test_a_login_name_is_matched_in_lower_case(store):
    store.add("alice", "analyst", PASSWORD)
    assert store.authenticate(" Alice ", PASSWORD).name == "alice"


def test_parallel_wrong_passwords_each_count(path, clock):
    """The web app logs in from several threads: each failure counts, none is lost."""
    store = UserStore(path, clock=clock, policy=LockoutPolicy(waits_seconds=()), hasher=FAST)
    store.add("alice", "analyst", PASSWORD)
    reasons: list[str] = []

    def guess() -> None:
        own = UserStore(path, clock=clock, policy=store.policy, hasher=FAST)
        reasons.append(refusal(own, "alice", OTHER))

    threads = [threading.Thread(target=guess) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.reason for r in reasons) == ["locked"] + ["wrong"] * 4
    assert refusal(store, "alice", PASSWORD).reason == "locked"


def test_an_outdated_hash_is_replaced_at_login(path, clock):
    old = UserStore(path, clock=clock, hasher=FAST)
    old.add("alice", "analyst", PASSWORD)
    store = UserStore(path, clock=clock)  # argon2-cffi's current parameters
    store.authenticate("alice", PASSWORD)
    with sqlite3.connect(path) as con:
        (hashed,) = con.execute("SELECT password_hash FROM users").fetchone()
    con.close()
    assert not PasswordHasher().check_needs_rehash(hashed)
    assert store.authenticate("alice", PASSWORD).name == "alice"


def test_the_audit_trail_records_logins_failures_locks_and_downloads(store, clock):
    store.add("alice", "purchaser", PASSWORD, "UK")
    store.authenticate("alice", PASSWORD, remote="10.0.0.7")
    store.audit("alice", "download", "statement_UK_2026Q3_r1.xlsx", "10.0.0.7")
    refusal(store, "mallory", PASSWORD)
    for _ in range(5):
        refusal(store, "alice", OTHER)
        clock.advance(2)
    log = store.audit_log()
    events = [(row["user"], row["event"]) for row in log]
    assert events[:2] == [("alice", "locked"), ("alice", "login_failed")]
    assert ("mallory", "login_failed") in events
    assert events[-4:] == [
        ("mallory", "login_failed"),
        ("alice", "download"),
        ("alice", "login"),
        ("alice", "added"),
    ]
    download = log[-3]
    assert download["detail"] == "statement_UK_2026Q3_r1.xlsx"
    assert download["remote"] == "10.0.0.7"
    assert download["at"] == datetime(2026, 10, 1, 13, 49, 57, tzinfo=UTC)
    assert all(PASSWORD not in row["detail"] and OTHER not in row["detail"] for row in log)
    assert len(store.audit_log(limit=3)) == 3
