"""The portal as its users meet it: `fms portal` started as a separate process over a published
warehouse, driven by a real browser (Playwright on Debian's Chromium, never a downloaded one).

The route tests (TestClient) prove what each URL answers; this file proves what a person sees and
can do with a browser's own behaviour in the loop: the form posts with its CSRF field, the
SameSite cookie carries the session from page to page, a `download` link saves the published
file byte for byte, the log-out button ends the session, the lockout's waits are met by a
person retrying, autoescaped hostile text stays text, and no page asks the network for anything
(every request that is not to 127.0.0.1 is refused and recorded).

Each page visited is saved as a PNG: under $FMS_PORTAL_SCREENSHOTS if set (the README's two
come from `FMS_PORTAL_SCREENSHOTS=docs/portal`), else in pytest's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from app.serve import stop_process
from fms.formatting import dollars
from fms.settings import PROJECT_ROOT
from fms.snapshots import snapshot_path
from tests.portal.published import HOSTILE, OWN, PASSWORD, STEP_COLUMNS

START_SECONDS = 30
VIEWPORT = {"width": 1280, "height": 900}
PERIOD = "2026-09-30"
LOOPBACK = "127.0.0.1"
HEADING_FIGURES = ("amount_due", "arrearage", "interest", "holding_account_balance")
WAIT = re.compile(r"try again in (\d+) s")


def _fail_or_skip(reason: str):
    # CI installs Chromium (.ci/install-chromium.sh): there a missing browser is a broken
    # pipeline, not a reason to pass quietly.
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run this test)")
    pytest.skip(reason)


# -- the portal, as users run it ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def portal(published, tmp_path_factory) -> str:
    """The base URL of `fms portal` serving the published warehouse, in its own process."""
    home = tmp_path_factory.mktemp("portal-home")
    log = home / "portal.log"
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        "from app.cli import main; main()",
        "portal",
        "--warehouse",
        str(published.warehouse),
        "--users",
        str(published.users),
        "--port",
        str(port),
    ]
    env = {**os.environ, "FMS_DATA_DIR": str(home / "data"), "PYTHONUNBUFFERED": "1"}
    base = f"http://{LOOPBACK}:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(base + "/login"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"fms portal did not answer GET /login within {START_SECONDS} s "
                    f"(exit code {server.poll()}):\n{log.read_text(errors='replace')}"
                )
            time.sleep(0.2)
        yield base
    finally:
        stop_process(server)


# -- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _fail_or_skip("the playwright package is not installed (pip install -e '.[dev]')")
    executable = shutil.which("chromium")
    if executable is None:
        _fail_or_skip("Chromium is not installed: run .ci/install-chromium.sh")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shots(request, tmp_path_factory):
    """`shot(page, name)`: a PNG of the page in the module's screenshot folder."""
    chosen = os.environ.get("FMS_PORTAL_SCREENSHOTS")
    folder = Path(chosen).absolute() if chosen else tmp_path_factory.mktemp("portal-screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> Path:
        png = folder / f"{name}.png"
        page.screenshot(path=str(png), full_page=True)
        # A missing value reads as a dash (fms.formatting.NONE) or nothing, never Python's None.
        assert not re.search(r"\bNone\b", page.locator("body").inner_text()), name
        return png

    yield shot
    # Past the output capture, so a plain `pytest -q` run says where the pictures are.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nportal screenshots: {folder}")


@dataclass
class Watched:
    """What a browser context did besides showing pages: requests that left 127.0.0.1 (refused),
    dialogs opened (alert, confirm), script errors and console errors (a CSP refusal is one)."""

    remote: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def browser(chromium, portal):
    """A fresh context per test (no cookie carried over), offline but for the portal."""
    context = chromium.new_context(base_url=portal, viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(10_000)
    watched = Watched()

    def loopback_only(route):
        if urlsplit(route.request.url).hostname == LOOPBACK:
            route.continue_()
        else:
            watched.remote.append(route.request.url)
            route.abort()

    def on_dialog(dialog):
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_page(page):
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        page.on(
            "console",
            lambda m: (
                m.type == "error" and watched.errors.append(f"{m.text} at {m.location.get('url')}")
            ),
        )

    context.route("**/*", loopback_only)
    context.on("dialog", on_dialog)
    context.on("page", on_page)
    page = context.new_page()
    try:
        yield page, watched
    finally:
        context.close()
    assert watched.remote == [], "a page asked the network for something"
    assert watched.dialogs == [], "a page opened a dialog"


def log_in(page, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def path_of(page) -> str:
    return urlsplit(page.url).path


# -- what was published ----------------------------------------------------------------------------


def published_rows(published, table: str, code: str) -> list[dict]:
    with duckdb.connect(str(snapshot_path(published.warehouse)), read_only=True) as con:
        rel = con.execute(
            f"SELECT * FROM {table} WHERE country_code = ? AND period_end = ? AND revision = 1",
            [code, PERIOD],
        )
        columns = [d[0] for d in rel.description]
        return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]


# -- scenarios ------------------------------------------------------------------------------------


def test_a_purchaser_reads_their_statement_downloads_it_and_sees_nothing_else(
    browser, portal, published, shots, tmp_path
):
    page, watched = browser
    page.goto("/login")
    shots(page, "login")
    log_in(page, "xavier")
    assert path_of(page) == "/purchasers/XX"
    shots(page, "purchaser")

    page.get_by_role("link", name=re.compile(r"2026Q3")).click()
    assert path_of(page) == OWN["XX"]["statement"]
    shots(page, "statement")

    (head,) = published_rows(published, "purchaser_statements", "XX")
    for figure in HEADING_FIGURES:
        shown = page.locator(f'[data-figure="{figure}"]').inner_text().strip()
        assert shown == dollars(head[figure]), figure
    cases = published_rows(published, "billing_statements", "XX")
    assert sorted(c["case_id"] for c in cases) == ["XX-D-H01", "XX-D-W01"]
    for case in cases:
        table = page.locator(f'[data-case="{case["case_id"]}"]')
        steps = table.locator("[data-step]")
        labels = [steps.nth(i).get_attribute("data-step") for i in range(steps.count())]
        assert labels == list(STEP_COLUMNS), case["case_id"]
        for label, column in STEP_COLUMNS.items():
            shown = table.locator(f'[data-step="{label}"]').inner_text().strip()
            assert shown == dollars(case[column]), (case["case_id"], label)

    # The SAMM worked example, as a purchaser reads it.
    worked = page.locator('[data-case="XX-D-W01"]')
    assert worked.locator('[data-step="Payment schedule to the due date"]').inner_text() == (
        "$7,500,000.00"
    )
    assert worked.locator('[data-step="Forecast of financial requirements"]').inner_text() == (
        "$6,898,400.00"
    )
    assert page.locator('[data-figure="amount_due"]').inner_text() == "$2,000,000.00"
    assert page.locator('[data-figure="arrearage"]').inner_text() == "$1,000,000.00"
    assert page.locator('[data-figure="interest"]').inner_text() == "$1,643.84"

    with page.expect_download() as started:
        page.locator('a[href$="/files/xlsx"]').click()
    download = started.value
    assert download.suggested_filename == "statement_XX_2026Q3_r1.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes() == (published.out_dir / "statement_XX_2026Q3_r1.xlsx").read_bytes()

    # The other purchaser's statement, case and file do not exist for this one.
    for url in (OWN["YY"]["statement"], "/cases/" + OWN["YY"]["case"]):
        response = page.goto(url)
        assert response.status == 404, url
        assert "Otherland" not in page.content(), url
        assert page.get_by_role("heading", name="Not found").is_visible()
    leaked = page.context.request.get(OWN["YY"]["statement"] + "/files/xlsx")
    assert leaked.status == 404 and "Otherland" not in leaked.text()

    page.goto("/purchasers/XX")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("heading", name="Log in").is_visible()
    page.goto("/")
    assert path_of(page) == "/login"
    page.goto(OWN["XX"]["statement"])
    assert path_of(page) == "/login"
    # Chromium logs the two refused pages' 404s; nothing else went wrong.
    assert sorted(watched.errors) == sorted(
        f"Failed to load resource: the server responded with a status of 404 (Not Found) at "
        f"{portal}{url}"
        for url in (OWN["YY"]["statement"], "/cases/" + OWN["YY"]["case"])
    )


def test_an_analyst_sees_every_purchaser_the_data_quality_and_finds_a_case(browser, shots):
    page, watched = browser
    log_in(page, "ana")
    assert path_of(page) == "/"
    rows = page.locator("table.figures tbody tr").all_inner_texts()
    assert [r.split("\t")[0].strip() for r in rows] == ["XX Exampleland", "YY Otherland"]
    assert all("2026Q3 r1" in r and "$2,000,000.00" in r for r in rows)
    shots(page, "overview")

    page.get_by_role("link", name="Closure").click()
    assert path_of(page) == "/closure"
    assert page.get_by_role("heading", name="Case closure").is_visible()
    shots(page, "closure")

    page.get_by_role("link", name="Data quality").click()
    assert path_of(page) == "/quality"
    assert page.get_by_role("heading", name="Data quality").is_visible()
    shots(page, "quality")

    page.get_by_role("searchbox").fill("YY-D-W01")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/cases/YY-D-W01")
    assert page.get_by_role("heading", name="Case YY-D-W01").is_visible()
    chart = page.locator("figure.chart svg polyline")
    assert chart.count() >= 1
    assert chart.first.is_visible()
    assert len(chart.first.get_attribute("points").split()) >= 2  # a line, not a dot
    shots(page, "case")
    assert watched.errors == []


def test_repeated_wrong_passwords_slow_then_lock_the_account(browser, published, shots):
    from app.portal.accounts import UserStore

    page, _ = browser
    UserStore(published.users).add("lockme", "purchaser", PASSWORD, country="XX")
    counted: list[tuple[float, str]] = []  # (when answered, what the page said)
    waits: list[int] = []
    deadline = time.monotonic() + 30
    while len(counted) < 5:
        assert time.monotonic() < deadline, (counted, waits)
        log_in(page, "lockme", "not the password at all")
        said = page.get_by_role("alert").inner_text()
        wait = WAIT.search(said)
        if wait:  # a person waits what the page says, then tries again
            waits.append(int(wait.group(1)))
            time.sleep(int(wait.group(1)) + 0.1)
            continue
        counted.append((time.monotonic(), said))
    assert [said for _, said in counted[:4]] == ["Wrong name or password."] * 4
    assert "locked" in counted[4][1]
    # After the third failure the next try waits 1 s, after the fourth 2 s; a browser is
    # quicker than that, so the page asked it to wait at least once.
    assert waits and set(waits) <= {1, 2}, waits
    assert counted[3][0] - counted[2][0] >= 0.9
    assert counted[4][0] - counted[3][0] >= 1.9

    log_in(page, "lockme")
    assert path_of(page) == "/login"
    said = page.get_by_role("alert").inner_text()
    assert "locked" in said and "UTC" in said
    shots(page, "locked_login")


def test_hostile_text_is_shown_as_text_and_nothing_leaves_the_machine(browser, shots):
    page, watched = browser
    log_in(page, "xavier")
    page.goto("/cases/XX-D-H01")
    assert page.get_by_text('<script>alert("x")</script>', exact=False).is_visible()
    assert page.get_by_text(HOSTILE, exact=False).is_visible()
    # Not one element was made from the description.
    assert page.locator("main script, main img").count() == 0
    shots(page, "case_escaped")
    assert watched.dialogs == [] and watched.remote == [] and watched.errors == []
