"""Long lists come a page at a time (app/portal/paging.py), counted and cut in the SQL: here with
one row per page, so purchaser XX's two cases (XX-D-H01, XX-D-W01) make two pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.portal.paging import Page
from app.portal.web import create_app
from tests.portal.published import OWN, log_in


@pytest.fixture(scope="module")
def xavier(published):
    browser = TestClient(
        create_app(published.settings(rows_per_page=1, statement_cases_per_page=1)),
        follow_redirects=False,
    )
    assert log_in(browser, "xavier").status_code == 303
    return browser


def test_a_purchasers_cases_come_a_page_at_a_time_in_case_order(xavier):
    first, second = (xavier.get(f"/purchasers/XX?page={n}").text for n in (1, 2))
    assert 'href="/cases/XX-D-H01"' in first and 'href="/cases/XX-D-W01"' not in first
    assert 'href="/cases/XX-D-W01"' in second and 'href="/cases/XX-D-H01"' not in second
    assert "1–1 of 2" in first and "2–2 of 2" in second
    assert 'href="/purchasers/XX?page=2" rel="next"' in first
    assert 'href="/purchasers/XX?page=1" rel="prev"' in second


def test_a_statements_derivations_come_a_page_at_a_time(xavier):
    statement = OWN["XX"]["statement"]
    first, second = (xavier.get(f"{statement}?page={n}").text for n in (1, 2))
    assert 'data-case="XX-D-H01"' in first and 'data-case="XX-D-W01"' not in first
    assert 'data-case="XX-D-W01"' in second
    # The purchaser's figures head every page; the case's column 14 is on its own page.
    assert all('data-figure="amount_due">$2,000,000.00<' in page for page in (first, second))
    assert 'data-step="Amount due and payable (column 14)">$2,000,000.00<' in second


@pytest.mark.parametrize(
    "url",
    [
        "/purchasers/XX?page=3",  # past the last page
        "/purchasers/XX?page=0",
        "/purchasers/XX?page=-1",
        "/purchasers/XX?page=two",
        "/closure?page=3",  # XX's two cases in the worklist: two pages
        "/purchasers/YY?page=2",  # another purchaser's, on any page
        f"{OWN['YY']['statement']}?page=1",
    ],
)
def test_a_page_that_does_not_exist_is_not_found(xavier, url):
    response = xavier.get(url)
    assert response.status_code == 404
    assert "Otherland" not in response.text


def test_the_worklist_comes_a_page_at_a_time_in_its_order(xavier):
    pages = [xavier.get(f"/closure?page={n}").text for n in (1, 2)]
    shown = [{case for case in ("XX-D-H01", "XX-D-W01") if f'"/cases/{case}"' in p} for p in pages]
    assert sorted(len(cases) for cases in shown) == [1, 1] and shown[0] != shown[1]


def test_page_arithmetic():
    page = Page(3, 25).counted([{"rows_in_scope": 61}])
    assert (page.params, page.pages, page.first_row, page.last_row) == (
        {"limit": 25, "offset": 50},
        3,
        51,
        61,
    )
    assert Page(2, 25).counted([]).exists() is False
    assert Page(1, 25).counted([]).pages == 1
