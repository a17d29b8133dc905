"""`fms users` through the real command line (typer's CliRunner on app.cli.app), on a real
accounts file with real Argon2 hashes."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from app.cli import app
from app.portal.accounts import UserStore
from fms.snapshots import snapshot_path

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path):
    return tmp_path / "users.sqlite"


def fms(*args: str, input: str | None = None, env: dict | None = None):
    return CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": "200", **(env or {})})


def add(users, name: str, *options: str, password: str = PASSWORD):
    return fms(
        "users", "add", name, *options, "--password-stdin", "--users", str(users),
        input=password + "\n",
    )  # fmt: skip


def test_an_added_user_is_listed_without_the_password(users, tmp_path):
    result = add(users, "ann", "--role", "analyst")
    assert result.exit_code == 0, result.output
    assert "added analyst ann" in result.output
    result = add(users, "uk-buyer", "--role", "purchaser", "--country", "UK",
                 "--warehouse", str(tmp_path / "none.duckdb"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: country UK not checked" in result.stderr

    listed = fms("users", "list", "--users", str(users))
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["name", "role", "country", "disabled", "locked", "until", "last",
                              "login"]  # fmt: skip
    assert [row.split()[:4] for row in rows] == [
        ["ann", "analyst", "-", "no"],
        ["uk-buyer", "purchaser", "UK", "no"],
    ]
    assert PASSWORD not in listed.output
    assert UserStore(users).authenticate("uk-buyer", PASSWORD).country == "UK"


def test_the_password_is_asked_twice_at_a_hidden_prompt(users):
    result = fms(
        "users", "add", "ann", "--role", "analyst", "--users", str(users),
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert UserStore(users).authenticate("ann", PASSWORD).role == "analyst"


def test_the_accounts_file_defaults_to_the_data_folder(tmp_path):
    env = {"FMS_DATA_DIR": str(tmp_path / "data")}
    result = fms("users", "add", "ann", "--role", "analyst", "--password-stdin",
                 input=PASSWORD + "\n", env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "portal" / "users.sqlite").is_file()
    assert "ann" in fms("users", "list", env=env).stdout


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--role", "purchaser"], "error: a purchaser needs a country"),
        (["--role", "analyst", "--country", "UK"], "error: an analyst sees every purchaser"),
        (["--role", "boss"], "error: bad role 'boss'"),
    ],
)
def test_a_bad_account_is_one_error_line(users, options, says):
    result = add(users, "ann", *options)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(says)
    assert not UserStore(users).list()


def test_a_duplicate_name_or_short_password_is_refused(users):
    assert add(users, "ann", "--role", "analyst").exit_code == 0
    duplicate = add(users, "ann", "--role", "analyst")
    assert duplicate.exit_code == 2
    assert duplicate.stderr.strip() == "error: user 'ann' exists already"
    short = add(users, "bob", "--role", "analyst", password="too-short")
    assert short.exit_code == 2
    assert "error: the password is too short" in short.stderr
    assert "too-short" not in short.output


def test_disable_and_reset(users):
    add(users, "ann", "--role", "analyst")
    disabled = fms("users", "disable", "ann", "--users", str(users))
    assert disabled.exit_code == 0, disabled.output
    assert "ann" in disabled.stdout
    assert fms("users", "list", "--users", str(users)).stdout.splitlines()[1].split()[3] == "yes"

    new = "a brand new password"
    reset = fms("users", "reset", "ann", "--password-stdin", "--users", str(users),
                input=new + "\n")  # fmt: skip
    assert reset.exit_code == 0, reset.output
    user = UserStore(users).authenticate("ann", new)
    assert not user.disabled and user.session_version == 3

    unknown = fms("users", "disable", "bob", "--users", str(users))
    assert (unknown.exit_code, unknown.stderr.strip()) == (2, "error: no user 'bob'")
    unknown = fms("users", "reset", "bob", "--password-stdin", "--users", str(users), input=new)
    assert (unknown.exit_code, unknown.stderr.strip()) == (2, "error: no user 'bob'")


def test_a_purchaser_country_is_checked_against_the_readers_snapshot(users, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    snapshot = snapshot_path(warehouse)
    snapshot.parent.mkdir(parents=True)
    with duckdb.connect(str(snapshot)) as con:
        con.execute("CREATE TABLE countries (country_code VARCHAR)")
        con.execute("INSERT INTO countries VALUES ('UK'), ('AS')")

    refused = add(users, "ux-buyer", "--role", "purchaser", "--country", "UX",
                  "--warehouse", str(warehouse))  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr.strip() == "error: the warehouse holds no purchaser UX (it holds AS, UK)"
    accepted = add(users, "uk-buyer", "--role", "purchaser", "--country", "UK",
                   "--warehouse", str(warehouse))  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    assert "warning" not in accepted.output
    assert [u.name for u in UserStore(users).list()] == ["uk-buyer"]
