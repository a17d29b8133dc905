"""A run's Data Docs, built by the gate's Validator with real GX on a real DuckDB warehouse, opened
in the system's headless Chromium (Playwright) with every request that is not a file refused: the
index lists the validations, nothing asks the network, and a suite whose only unmet expectations
are warnings reads "Passed with warnings", not "Failed"."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fms.quality.data_docs import ASSETS, OFFLINE, VENDOR, localize, remote_resources
from fms.quality.gate import Validator, validate
from fms.settings import PROJECT_ROOT
from tests.quality.test_suites import SUITES, clean_warehouse, params_for
from tests.report.browser import chromium_path

# Found without importing GX (6 s) at collection.
GX = Path(importlib.util.find_spec("great_expectations").submodule_search_locations[0])
GX_TEMPLATES = GX / "render" / "view" / "templates"
WARNINGS_ONLY = "input_cases"  # an offer accepted after it expired: a warning
CRITICAL = "input_deliveries"  # a delivery reported before it shipped: critical
CLEAN = "mart_delivery_status"
LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png"
CDN_TAG = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The data_docs folder of a run that validated three suites: one passes, one fails a
    critical expectation, one fails only a warning."""
    root = tmp_path_factory.mktemp("data-docs")
    con = clean_warehouse(root)
    con.execute("UPDATE cases SET offer_expiration_date = DATE '2020-01-15'")  # accepted 1 Feb
    con.execute("UPDATE deliveries SET reported_date = DATE '2025-12-01'")  # shipped 1 Jan 2026
    validator = Validator(root / "run" / "data_docs")
    unmet = {}
    for name in (WARNINGS_ONLY, CRITICAL, CLEAN):
        report = validate(con, [SUITES[name]], params_for(name), "run-1", "input", validator)
        unmet[name] = sorted({o.severity for o in report.outcomes if not o.success})
    assert unmet == {WARNINGS_ONLY: ["warning"], CRITICAL: ["critical"], CLEAN: []}
    index = validator.build_docs()
    return index.parent


def _page(site: Path, suite: str) -> Path:
    (page,) = (site / "validations" / suite).rglob("*.html")
    return page


# Without a browser


def test_every_cdn_url_in_the_gx_templates_has_a_local_copy():
    urls = {u for t in GX_TEMPLATES.glob("*.j2") for u in CDN_TAG.findall(t.read_text())}
    # The logo's URL is put together in top_navbar.j2.
    assert urls == set(OFFLINE) - {LOGO} and len(urls) == 16
    for local in OFFLINE.values():
        shipped = local.removeprefix(VENDOR + "/")
        assert (ASSETS / shipped).is_file() or shipped == "static/images/logo-long.png", local
    for folder in ASSETS.iterdir():
        if folder.is_dir():
            assert list(folder.glob("LICENSE*")), folder.name


def test_the_shipped_files_are_the_bytes_the_templates_integrity_hashes_name():
    pinned = re.findall(
        r'src="([^"]+)" integrity="sha384-([^"]+)"',
        (GX_TEMPLATES / "js_script_imports.j2").read_text(),
    )
    assert len(pinned) == 2
    for url, digest in pinned:
        shipped = ASSETS / OFFLINE[url].removeprefix(VENDOR + "/")
        assert base64.b64encode(hashlib.sha384(shipped.read_bytes()).digest()).decode() == digest


def test_a_nested_page_points_at_the_copies_from_its_own_folder():
    page = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"'
        ' integrity="sha384-x" crossorigin="anonymous"></script>\n'
        '<img class="NO-CACHE" src="https://great-expectations-web-assets.s3.us-east-2.amazonaws'
        '.com/logo-long.png?d=20261202T1.5Z&amp;dataContextId=abc" alt="GX"/>\n'
        '<a href="https://greatexpectations.io">Great Expectations</a>\n'
        '<script src="https://example.org/new.js"></script>'
    )
    assert localize(page, "../../../../") == (
        '<script src="../../../../static/vendor/popper.js-1.12.9/popper.min.js"></script>\n'
        '<img class="NO-CACHE" src="../../../../static/images/logo-long.png" alt="GX"/>\n'
        '<a href="https://greatexpectations.io">Great Expectations</a>\n'
        '<script src="https://example.org/new.js"></script>'
    )
    assert remote_resources(localize(page, "./")) == ['<script src="https://example.org/new.js">']


def test_the_package_data_ships_every_asset():
    globs = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["fms"]
    fms = PROJECT_ROOT / "fms"
    packaged = {p for g in globs for p in fms.glob(g) if p.is_file()}
    assert {p for p in ASSETS.rglob("*") if p.is_file()} <= packaged


def test_no_page_of_a_built_site_loads_from_the_network(site):
    pages = [p for p in site.rglob("*.html") if not p.is_relative_to(site / "static")]
    assert len(pages) == 7  # the index, 3 suites, 3 validations
    for page in pages:
        assert remote_resources(page.read_text(encoding="utf-8")) == [], page
    assert (site / VENDOR / "jquery-3.7.1" / "jquery.min.js").read_bytes() == (
        ASSETS / "jquery-3.7.1" / "jquery.min.js"
    ).read_bytes()


# In Chromium, offline


@dataclass
class Offline:
    """A page as Chromium showed it with no network: its text and what it asked for."""

    text: str
    remote: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # the classes of each row's status icon
    rows: list[str] = field(default_factory=list)
    status_filter: list[str] = field(default_factory=list)  # the Status column's choices


@pytest.fixture(scope="module")
def chromium():
    playwright = pytest.importorskip("playwright.sync_api")
    if chromium_path() is None:
        pytest.skip("headless Chromium not installed: .ci/install-chromium.sh")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


def open_offline(chromium, page_path: Path) -> Offline:
    page = chromium.new_page()
    seen = Offline(text="")

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            seen.remote.append(route.request.url)
            route.abort()

    page.route("**/*", only_files)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and seen.errors.append(m.text))
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        seen.text = page.locator("body").inner_text()
        table = page.locator("table.ge-index-page-validation-results-table tbody tr")
        if page_path.name == "index.html":
            table.first.wait_for(state="visible", timeout=10_000)
            seen.rows = table.all_inner_texts()
            seen.statuses = [
                row.locator("td").first.locator("i").get_attribute("class") or ""
                for row in table.all()
            ]
            choices = page.locator('th[data-field="validation_success"] select option')
            seen.status_filter = [c.strip() for c in choices.all_inner_texts() if c.strip()]
    finally:
        page.close()
    return seen


def test_the_index_lists_every_validation_offline(site, chromium):
    shown = open_offline(chromium, site / "index.html")
    assert shown.remote == [] and shown.errors == []
    suites = [next(s for s in (WARNINGS_ONLY, CRITICAL, CLEAN) if s in r) for r in shown.rows]
    assert sorted(suites) == sorted([WARNINGS_ONLY, CRITICAL, CLEAN])
    status = dict(zip(suites, shown.statuses, strict=True))
    assert "fa-exclamation-triangle" in status[WARNINGS_ONLY]
    assert "fa-times" in status[CRITICAL]
    assert "fa-check-circle" in status[CLEAN]
    assert shown.status_filter == ["Failed", "Passed with warnings", "Success"]


def test_a_suite_with_only_warnings_unmet_does_not_read_failed(site, chromium):
    warned = open_offline(chromium, _page(site, WARNINGS_ONLY))
    assert warned.remote == [] and warned.errors == []
    assert re.search(r"Status:\s*Passed with warnings", warned.text)
    # "Failed Only" is GX's button that shows only the unmet expectations, on every page.
    assert "Failed" not in warned.text.replace("Failed Only", "")
    # The unmet warning is still reported as unmet.
    assert re.search(r"Unsuccessful Expectations\s*1\b", warned.text)
    assert "1 unexpected values found" in warned.text
    # A critical failure still reads "Failed": the words come from the severities.
    failed = open_offline(chromium, _page(site, CRITICAL))
    assert failed.remote == [] and re.search(r"Status:\s*Failed", failed.text)
