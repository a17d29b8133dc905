"""Every GET route of the portal, for each kind of visitor, through FastAPI's TestClient over a
real published warehouse (tests/portal/published.py): an analyst sees both purchasers' figures;
purchaser XX (xavier) sees its own and gets the 404 of something that does not exist for every
id of purchaser YY; a visitor who has not logged in is sent to the login form.

The routes are listed once, in ROUTES, and a test checks that list against the app's own routes:
a route added without saying what each visitor gets there fails the suite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.portal.accounts import UserStore
from app.portal.web import DOWNLOADS, create_app
from fms.formatting import dollars
from fms.snapshots import snapshot_path
from tests.portal.published import OWN, STEP_COLUMNS, log_in

XX_STATEMENT = OWN["XX"]["statement"]
YY_STATEMENT = OWN["YY"]["statement"]
# The files the billing published for each statement: XX's delivery at no charge gives it a
# delivery listing; YY reported no delivery, so asking for its listing is a missing file's 404.
PUBLISHED_KINDS = {"xlsx": "statement_{cc}_2026Q3_r1.xlsx", "csv": "statement_{cc}_2026Q3_r1.csv"}
XX_KINDS = PUBLISHED_KINDS | {"listing": "delivery_listing_{cc}_2026Q3_r1.csv"}
YY_SECRETS = ("YY-D-W01", "Otherland")  # what no page of purchaser XX may contain


@dataclass(frozen=True)
class Route:
    """A GET route: URLs of it with XX's ids, the same route asked with YY's ids (which purchaser
    XX must be refused, as an analyst is not), and what purchaser XX gets on its own URLs."""

    xx: tuple[str, ...]
    yy: tuple[str, ...]
    purchaser_status: int = 200


def files(statement: str, kinds) -> tuple[str, ...]:
    return tuple(f"{statement}/files/{kind}" for kind in kinds)


ROUTES = {
    # No id in the URL: an analyst's overview; a purchaser is sent to its own page.
    "/": Route(("/",), (), purchaser_status=303),
    "/purchasers/{code}": Route(("/purchasers/XX",), ("/purchasers/YY",)),
    "/statements/{code}/{period_end}/{revision}": Route((XX_STATEMENT,), (YY_STATEMENT,)),
    "/statements/{code}/{period_end}/{revision}/files/{kind}": Route(
        files(XX_STATEMENT, XX_KINDS), files(YY_STATEMENT, PUBLISHED_KINDS)
    ),
    "/cases/{case_id}": Route(("/cases/XX-D-W01", "/cases/XX-D-H01"), ("/cases/YY-D-W01",)),
    # One page for everyone: its rows are the reader's (test below).
    "/closure": Route(("/closure",), ()),
    # Analysts only: the gates and the quarantine span every purchaser's rows.
    "/quality": Route(("/quality",), ("/quality",), purchaser_status=404),
    "/search": Route(("/search?q=XX-D",), ("/search?q=YY-D-W01", "/search?q=YY")),
}
PUBLIC = {"/login"}  # the only GET route answered without a session
XX_URLS = [url for route in ROUTES.values() for url in route.xx]
YY_URLS = [url for route in ROUTES.values() for url in route.yy]
PURCHASER_STATUS = {url: route.purchaser_status for route in ROUTES.values() for url in route.xx}
# The figures of each purchaser (fms-domain.md worked example): XX also has the hostile case of
# $1,000.00 and no collection on it.
PURCHASERS = {
    "XX": {"name": "Exampleland", "cases": "2", "case_value": "$9,001,000.00"},
    "YY": {"name": "Otherland", "cases": "1", "case_value": "$9,000,000.00"},
}
STATEMENT_FIGURES = {  # the same on both purchasers' 2026Q3 r1
    "amount_due": "$2,000,000.00",
    "arrearage": "$1,000,000.00",
    "interest": "$1,643.84",
    "holding_account_balance": "$0.00",
}
WORKED_EXAMPLE_STEPS = {
    "Payment schedule to the due date": "$7,500,000.00",
    "Forecast of financial requirements": "$6,898,400.00",
    "Amount due and payable (column 14)": "$2,000,000.00",
    "Arrearage": "$1,000,000.00",
    "Interest": "$1,643.84",
}


def client(published, name: str | None = None) -> TestClient:
    """A browser of its own (cookies), logged in as `name` unless None."""
    browser = TestClient(create_app(published.settings()), follow_redirects=False)
    if name is not None:
        assert log_in(browser, name).status_code == 303
    return browser


@pytest.fixture(scope="module")
def analyst(published):
    return client(published, "ana")


@pytest.fixture(scope="module")
def xavier(published):
    return client(published, "xavier")


@pytest.fixture(scope="module")
def visitor(published):
    return client(published)


def row_of(html: str, marker: str) -> str:
    """The one table row of `html` containing `marker`."""
    rows = [row for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if marker in row]
    assert len(rows) == 1, (marker, rows)
    return rows[0]


def money_cells(html: str) -> list[str]:
    return re.findall(r'<td class="money"[^>]*>([^<]*)</td>', html)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'<dd data-figure="(\w+)">([^<]*)</dd>', html))


def derivation(html: str, case_id: str) -> dict[str, str]:
    table = re.search(rf'<table [^>]*data-case="{case_id}">(.*?)</table>', html, re.S).group(1)
    return dict(re.findall(r'data-step="([^"]+)">([^<]*)</td>', table))


def body_without_query(response, url: str) -> str:
    """The page, less the search text it repeats back ("Nothing matches “YY”")."""
    query = url.partition("?q=")[2]
    return response.text.replace(f"“{query}”", "") if query else response.text


# -- the list of routes ---------------------------------------------------------------------


def test_every_get_route_of_the_app_is_in_the_authorization_matrix(published):
    app = create_app(published.settings())
    served = {r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in r.methods}
    assert served == set(ROUTES) | PUBLIC


# -- an analyst -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", XX_URLS + YY_URLS)
def test_an_analyst_opens_every_page_of_both_purchasers(analyst, url):
    response = analyst.get(url, follow_redirects=True)
    assert response.status_code == 200
    assert response.url.path != "/login"


@pytest.mark.parametrize("code", PURCHASERS)
def test_the_overview_lists_each_purchaser_with_its_figures(analyst, code):
    row = row_of(analyst.get("/").text, f'href="/purchasers/{code}"')
    assert PURCHASERS[code]["name"] in row
    assert f'<td class="num">{PURCHASERS[code]["cases"]}</td>' in row
    assert f'href="/statements/{code}/2026-09-30/1">2026Q3 r1</a>' in row
    # case value, collections, latest amount due, arrearage, interest, funds locked
    assert money_cells(row) == [
        PURCHASERS[code]["case_value"],
        "$5,500,000.00",
        "$2,000,000.00",
        "$1,000,000.00",
        "$1,643.84",
        "$0.00",
    ]


def test_the_overview_totals_both_purchasers(analyst):
    total = re.search(r"<tfoot>.*?</tfoot>", analyst.get("/").text, re.S).group(0)
    assert money_cells(total) == [
        "$18,001,000.00",
        "$11,000,000.00",
        "$4,000,000.00",
        "$2,000,000.00",
        "$3,287.68",
        "$0.00",
    ]


@pytest.mark.parametrize("code", PURCHASERS)
def test_a_purchaser_page_shows_its_figures_and_statement(analyst, code):
    html = analyst.get(f"/purchasers/{code}").text
    assert f"<h1>{code} · {PURCHASERS[code]['name']}</h1>" in html
    assert f"<dt>Case value</dt><dd>{PURCHASERS[code]['case_value']}</dd>" in html
    assert "<dt>Latest amount due</dt><dd>$2,000,000.00 <small>(2026Q3 r1)</small>" in html
    statement = row_of(html, f'href="/statements/{code}/2026-09-30/1"')
    assert money_cells(statement) == ["$2,000,000.00", "$1,000,000.00", "$1,643.84"]
    assert f'href="/cases/{code}-D-W01"' in html


@pytest.mark.parametrize("code", PURCHASERS)
def test_a_statement_page_shows_its_heading_figures(analyst, code):
    html = analyst.get(OWN[code]["statement"]).text
    assert f"DD Form 645 · {code} {PURCHASERS[code]['name']}" in html
    assert figures(html) == STATEMENT_FIGURES


@pytest.mark.parametrize("code", PURCHASERS)
def test_a_case_page_shows_its_value_lines_and_payments(analyst, code):
    html = analyst.get(f"/cases/{code}-D-W01").text
    assert f"{code} {PURCHASERS[code]['name']}</a>" in html
    assert "<dt>Case value</dt><dd>$9,000,000.00</dd>" in html
    # Q3 2026: $1,000,000.00 scheduled, $2,000,000.00 billed, nothing collected.
    assert money_cells(row_of(html, "<td>2026Q3</td>")) == [
        "$1,000,000.00",
        "$2,000,000.00",
        "$0.00",
        "$6,500,000.00",
        "$5,500,000.00",
    ]


WORKED_EXAMPLE_CLOSURE = ["$2,786,400.00", "$5,500,000.00", "$0.00"]  # final, collected, excess


@pytest.mark.parametrize(
    ("case_id", "figures"),
    [
        ("XX-D-H01", ["$0.00"] * 3),  # nothing performed, nothing collected
        ("XX-D-W01", WORKED_EXAMPLE_CLOSURE),
        ("YY-D-W01", WORKED_EXAMPLE_CLOSURE),
    ],
)
def test_the_closure_worklist_has_every_purchasers_cases(analyst, case_id, figures):
    html = analyst.get("/closure").text
    assert money_cells(row_of(html, f'href="/cases/{case_id}"')) == figures


def test_the_quality_page_says_no_gate_ran_and_nothing_is_quarantined(analyst):
    html = analyst.get("/quality").text
    assert "No gate has run." in html
    assert "Nothing quarantined." in html


# -- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "page"),
    [
        ("xx-d-w01", "/cases/XX-D-W01"),
        (" YY-D-W01 ", "/cases/YY-D-W01"),
        ("yy", "/purchasers/YY"),
        # "XX" also starts two case ids: the exact match wins.
        ("xX", "/purchasers/XX"),
    ],
)
def test_a_search_for_an_exact_id_opens_its_page(analyst, q, page):
    response = analyst.get("/search", params={"q": q})
    assert response.status_code == 303
    assert response.headers["location"] == page


@pytest.mark.parametrize(
    ("q", "keys"),
    [
        ("xx-d", ["XX-D-H01", "XX-D-W01"]),
        ("x", ["XX", "XX-D-H01", "XX-D-W01"]),
        ("Y", ["YY", "YY-D-W01"]),
        ("ZZ", []),
    ],
)
def test_a_search_lists_the_ids_starting_with_the_text(analyst, q, keys):
    response = analyst.get("/search", params={"q": q})
    assert response.status_code == 200
    assert re.findall(r'<li><a href="/\w+/([^"]+)">', response.text) == keys
    if not keys:
        assert f"Nothing matches “{q}”" in response.text


# -- downloads ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", XX_KINDS)
def test_a_download_is_the_published_file_byte_for_byte(analyst, published, kind):
    name = XX_KINDS[kind].format(cc="XX")
    response = analyst.get(f"{XX_STATEMENT}/files/{kind}")
    assert response.status_code == 200
    assert response.content == (published.out_dir / name).read_bytes()
    assert response.headers["content-type"].startswith(DOWNLOADS[kind][2])
    assert f'filename="{name}"' in response.headers["content-disposition"]


def test_the_statement_page_offers_the_files_published(analyst):
    html = analyst.get(XX_STATEMENT).text
    offered = re.findall(r'<a href="([^"]+/files/\w+)" download>([^<]+)</a>', html)
    assert offered == [
        (f"{XX_STATEMENT}/files/{kind}", name.format(cc="XX")) for kind, name in XX_KINDS.items()
    ]


@pytest.mark.parametrize(
    "url",
    [
        f"{YY_STATEMENT}/files/listing",  # a kind offered, but not published for YY
        f"{XX_STATEMENT}/files/pdf",  # no such kind
        f"{XX_STATEMENT}/files/..%2F..%2Fusers.sqlite",
        "/statements/XX/2026-09-30/2/files/csv",  # no revision 2
        "/statements/XX/2026-06-30/1/files/csv",  # nor a statement of Q2
    ],
)
def test_a_download_of_a_file_not_published_is_not_found(analyst, url):
    assert analyst.get(url).status_code == 404


def test_a_download_is_audited_with_the_user_and_the_file(published, analyst):
    assert analyst.get(f"{XX_STATEMENT}/files/csv").status_code == 200
    latest = UserStore(published.users).audit_log(limit=1)[0]
    assert (latest["user"], latest["event"], latest["detail"]) == (
        "ana",
        "download",
        "statement_XX_2026Q3_r1.csv",
    )


# -- the statement derivation ---------------------------------------------------------------


def test_the_derivation_shows_the_warehouse_figures_to_the_cent(published, analyst):
    shown = derivation(analyst.get(XX_STATEMENT).text, "XX-D-W01")
    # The readers' snapshot the app reads, opened as the app opens it (same configuration:
    # DuckDB shares one instance per file in a process).
    with duckdb.connect(snapshot_path(published.warehouse).resolve(), read_only=True) as con:
        result = con.execute(
            "SELECT * FROM billing_statements WHERE case_id = 'XX-D-W01' "
            "AND period_end = DATE '2026-09-30' AND revision = 1"
        )
        columns = [c[0] for c in result.description]
        (row,) = [dict(zip(columns, values, strict=True)) for values in result.fetchall()]
    assert shown == {step: dollars(row[column]) for step, column in STEP_COLUMNS.items()}
    # SAMM worked example (fms-domain.md): schedule, forecast, column 14, arrearage, interest.
    assert {step: shown[step] for step in WORKED_EXAMPLE_STEPS} == WORKED_EXAMPLE_STEPS


# -- purchaser XX ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", XX_URLS)
def test_a_purchaser_opens_its_own_pages_and_sees_nothing_of_another(xavier, url):
    response = xavier.get(url)
    assert response.status_code == PURCHASER_STATUS[url]
    for secret in YY_SECRETS:
        assert secret.encode() not in response.content
    assert b'href="/purchasers/YY"' not in response.content


def test_a_purchaser_home_is_its_own_page(xavier):
    response = xavier.get("/")
    assert response.headers["location"] == "/purchasers/XX"


@pytest.mark.parametrize("url", YY_URLS)
def test_a_purchaser_asking_for_another_purchasers_ids_finds_nothing(xavier, url):
    response = xavier.get(url)
    if url.startswith("/search"):
        assert response.status_code == 200
        assert "Nothing matches" in response.text
    else:
        assert response.status_code == 404
        assert "There is nothing here, or nothing you may see." in response.text
    for secret in YY_SECRETS:
        assert secret not in body_without_query(response, url)


def test_a_purchaser_sees_its_own_rows_on_the_shared_pages(xavier):
    closure = xavier.get("/closure").text
    assert money_cells(row_of(closure, 'href="/cases/XX-D-W01"'))[:2] == [
        "$2,786,400.00",
        "$5,500,000.00",
    ]
    assert "XX-D-H01" in closure
    statement = xavier.get(XX_STATEMENT).text
    assert figures(statement) == STATEMENT_FIGURES
    assert re.findall(r'data-case="([^"]+)"', statement) == ["XX-D-H01", "XX-D-W01"]


# -- a visitor who has not logged in ----------------------------------------------------------


@pytest.mark.parametrize("url", XX_URLS + YY_URLS)
def test_a_visitor_is_sent_to_the_login_form(visitor, url):
    response = visitor.get(url)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert b"$" not in response.content  # not one figure


@pytest.mark.parametrize("url", sorted(PUBLIC) + ["/static/portal.css"])
def test_a_visitor_opens_the_login_form_and_its_stylesheet(visitor, url):
    assert visitor.get(url).status_code == 200
