"""What keeps the portal's pages, sessions and listening socket safe, tried the way an attacker
would: hostile text in the data and in the search box, forged, altered and expired session
cookies, form posts without their CSRF token, password guessing, and starting it where a network
could read passwords in clear. Through FastAPI's TestClient over a real published warehouse
(tests/portal/published.py), and once as a real server process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from markupsafe import escape
from typer.testing import CliRunner

from app.cli import app as fms
from app.portal.accounts import LockoutPolicy, UserStore
from app.portal.server import PortalError, check_listening
from app.portal.sessions import SESSION_COOKIE, SESSION_SALT, Session, SessionSigner
from app.portal.web import create_app
from app.serve import stop_process
from tests.exposure.sockets import listening_in_tree
from tests.portal.published import HOSTILE, OWN, PASSWORD, csrf_of, log_in

REPO = Path(__file__).resolve().parents[2]
XX_PAGE = "/purchasers/XX"
APP_KEY = b"portal-tests-signing-key-0123456789abcdef"  # Published.settings()
EIGHT_HOURS = 8 * 3600  # PortalSettings.session_minutes by default
NO_LOCKOUT_WAITS = LockoutPolicy(waits_seconds=(0.0, 0.0))  # the lock, without the 1 s and 2 s


def browser(published, name: str | None = None, **settings) -> TestClient:
    """A browser of its own (cookies) on an app built with `settings`, logged in as `name`."""
    client = TestClient(create_app(published.settings(**settings)), follow_redirects=False)
    if name is not None:
        assert log_in(client, name).status_code == 303
    return client


def with_cookie(published, cookie: str) -> TestClient:
    return TestClient(
        create_app(published.settings()), follow_redirects=False, cookies={SESSION_COOKIE: cookie}
    )


def cookie_attributes(response) -> dict[str, str]:
    """The attributes of the response's session cookie, names in lower case."""
    (header,) = response.headers.get_list("set-cookie")
    first, *attributes = [part.strip() for part in header.split(";")]
    assert first.startswith(f"{SESSION_COOKIE}=")
    pairs = [a.partition("=") for a in attributes]
    return {name.lower(): value for name, _, value in pairs}


def is_login_redirect(response) -> bool:
    return response.status_code == 303 and response.headers.get("location") == "/login"


def signed_ago(secret: bytes, seconds: int, user: str, version: int) -> str:
    """A session cookie signed with `secret` `seconds` ago: itsdangerous' own signer, its clock
    set back, as a cookie kept since then would be."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    serializer = URLSafeTimedSerializer(secret, salt=SESSION_SALT, signer=Then)
    return serializer.dumps([user, version, "csrf-token-of-that-session"])


def as_another_user(cookie: str, user: str, other: str) -> str:
    """`cookie` with the user name in its payload changed, its signature kept."""
    payload, signature = cookie.split(".", 1)
    assert payload, "a compressed payload: change the test"
    changed = base64_decode(payload).replace(f'"{user}"'.encode(), f'"{other}"'.encode())
    return base64_encode(changed).decode() + "." + signature


# -- nothing rendered unescaped ---------------------------------------------------------------


def test_a_hostile_line_description_is_shown_as_text(published):
    html = browser(published, "ana").get("/cases/XX-D-H01").text
    assert str(escape(HOSTILE)) in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html


def test_a_hostile_search_is_shown_as_text(published):
    hostile = "<script>alert(1)</script>"
    response = browser(published, "ana").get("/search", params={"q": hostile})
    assert response.status_code == 200
    assert f"Nothing matches “{escape(hostile)}”" in response.text
    assert "<script>alert" not in response.text


# -- the session cookie -----------------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True])
def test_the_session_cookie_is_http_only_strict_and_secure_over_tls(published, tls):
    client = TestClient(
        create_app(published.settings(tls=tls)),
        base_url="https://testserver" if tls else "http://testserver",
        follow_redirects=False,
    )
    attributes = cookie_attributes(client.get("/login"))
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/"
    assert attributes["max-age"] == str(EIGHT_HOURS)
    assert ("secure" in attributes) is tls
    # The cookie comes back over TLS: logging in there works.
    assert log_in(client, "ana").status_code == 303
    assert client.get(XX_PAGE).status_code == 200


@pytest.mark.parametrize(
    ("secret", "seconds_ago", "opens"),
    [
        (APP_KEY, 0, True),  # the app's own key
        (APP_KEY, EIGHT_HOURS - 60, True),
        (APP_KEY, EIGHT_HOURS + 60, False),  # expired
        (b"another-signing-key-0123456789abcdef-xyz", 0, False),  # forged
    ],
)
def test_only_an_unexpired_cookie_signed_with_the_apps_key_opens_a_page(
    published, secret, seconds_ago, opens
):
    assert published.settings().secret == APP_KEY
    client = with_cookie(published, signed_ago(secret, seconds_ago, "ana", version=1))
    response = client.get(XX_PAGE)
    assert (response.status_code == 200) is opens
    assert is_login_redirect(response) is not opens


def test_a_cookie_signed_by_the_session_signer_with_another_key_is_refused(published):
    forged = SessionSigner(b"not-the-portal-key-0123456789abcdef", EIGHT_HOURS)
    cookie = forged.dumps(Session(user="ana", version=1, csrf="chosen"))
    assert is_login_redirect(with_cookie(published, cookie).get(XX_PAGE))


def test_a_cookie_altered_to_name_another_user_is_refused(published):
    xavier = browser(published, "xavier")
    cookie = xavier.cookies[SESSION_COOKIE]
    assert with_cookie(published, cookie).get("/purchasers/YY").status_code == 404
    altered = as_another_user(cookie, "xavier", "ana")
    assert altered != cookie
    assert is_login_redirect(with_cookie(published, altered).get("/purchasers/YY"))


@pytest.mark.parametrize(
    ("name", "end"),
    [
        ("xenia", lambda store, name: store.disable(name)),
        ("xander", lambda store, name: store.reset(name, PASSWORD + " again")),
    ],
    ids=["disabled", "password reset"],
)
def test_a_session_ends_when_its_account_is_disabled_or_reset(published, name, end):
    store = UserStore(published.users)
    store.add(name, "purchaser", PASSWORD, country="XX")
    client = browser(published, name)
    assert client.get(XX_PAGE).status_code == 200
    end(store, name)
    assert is_login_redirect(client.get(XX_PAGE))


# -- CSRF -------------------------------------------------------------------------------------


def login_form(client: TestClient) -> str:
    return csrf_of(client.get("/login").text)


@pytest.mark.parametrize("token", ["", "another session's"], ids=["none", "another session's"])
def test_a_login_without_its_forms_token_is_refused_and_opens_no_session(published, token):
    client = browser(published)
    own = login_form(client)
    if token:
        token = login_form(browser(published))
        assert token != own
    response = client.post(
        "/login", data={"name": "ana", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    assert is_login_redirect(client.get(XX_PAGE))


def test_a_token_seen_before_login_is_worth_nothing_after(published):
    client = browser(published)
    before = login_form(client)
    assert log_in(client, "ana").status_code == 303
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 403
    assert client.get(XX_PAGE).status_code == 200


@pytest.mark.parametrize("token", ["", "another session's"], ids=["none", "another session's"])
def test_a_logout_without_its_forms_token_is_refused(published, token):
    client = browser(published, "ana")
    if token:
        token = csrf_of(browser(published, "ana").get(XX_PAGE).text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 403
    assert client.get(XX_PAGE).status_code == 200


def test_a_logout_ends_the_session_and_the_cookie_it_replaced(published):
    store = UserStore(published.users)
    store.add("logan", "purchaser", PASSWORD, country="XX")
    client = browser(published, "logan")
    kept = client.cookies[SESSION_COOKIE]
    response = client.post("/logout", data={"csrf_token": csrf_of(client.get(XX_PAGE).text)})
    assert is_login_redirect(response)
    assert is_login_redirect(client.get(XX_PAGE))
    # A copy of the cookie kept from before (a shared computer, a proxy log) is worth nothing.
    assert is_login_redirect(with_cookie(published, kept).get(XX_PAGE))
    assert store.audit_log(limit=1)[0]["event"] == "logout"
    assert log_in(client, "logan").status_code == 303  # a new session opens pages again
    assert client.get(XX_PAGE).status_code == 200


# -- headers ----------------------------------------------------------------------------------

PAGES = [
    ("/login", None),
    ("/", "ana"),
    ("/cases/XX-D-H01", "ana"),
    (OWN["XX"]["statement"] + "/files/csv", "ana"),
    ("/cases/YY-D-W01", "xavier"),  # a 404
    (XX_PAGE, None),  # a redirect to the login form
]


@pytest.mark.parametrize(("url", "name"), PAGES)
def test_every_answer_carries_the_security_headers(published, url, name):
    headers = browser(published, name).get(url).headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


# -- guessing ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_against_the_right_one(published):
    UserStore(published.users).add("lena", "purchaser", PASSWORD, country="XX")
    client = browser(published, lockout=NO_LOCKOUT_WAITS)
    answers = [log_in(client, "lena", f"wrong password {n}") for n in range(1, 6)]
    assert [a.status_code for a in answers] == [401] * 5
    assert all("Wrong name or password." in a.text for a in answers[:4])
    assert "This account is locked" in answers[4].text
    right = log_in(client, "lena", PASSWORD)
    assert right.status_code == 401
    assert "This account is locked" in right.text
    assert is_login_redirect(client.get(XX_PAGE))


# -- where it listens -------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.0.2.10", "portal.example.org"])
def test_a_network_address_without_tls_is_refused(host):
    with pytest.raises(PortalError, match="without TLS"):
        check_listening(host, None, None)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_the_loopback_is_served_without_tls(host):
    assert check_listening(host, None, None) is False


def test_a_network_address_is_served_with_a_certificate_and_its_key(tmp_path):
    cert, key = tmp_path / "portal.crt", tmp_path / "portal.key"
    cert.write_text("certificate")
    key.write_text("key")
    assert check_listening("0.0.0.0", cert, key) is True


def test_the_command_refuses_a_network_address_without_tls(published):
    result = CliRunner().invoke(
        fms,
        ["portal", "--host", "0.0.0.0", "--warehouse", str(published.warehouse),
         "--users", str(published.users)],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "without TLS" in lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_login_form(url: str, server: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the portal exited"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no login form at {url} within {seconds} s")


def test_a_real_portal_listens_on_the_loopback_only(published):
    port = free_port()
    command = "from app.cli import main; main()"
    server = subprocess.Popen(
        [sys.executable, "-c", command, "portal", "--warehouse", str(published.warehouse),
         "--users", str(published.users), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_login_form(f"http://127.0.0.1:{port}/login", server)
        assert listening_in_tree(server.pid) == {("127.0.0.1", port)}
    finally:
        stop_process(server)
