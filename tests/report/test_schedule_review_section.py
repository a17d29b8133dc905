"""The payment schedule review's section of the run report (SAMM C9.9.3): in the review job's
report only, the cases reviewed, those needing a revision by direction with their largest
|variance|, and the top 10 by largest |variance|, from a hand-filled payment_schedule_review
table (tests/report_helpers.py: the worked example AHEAD by 601,600.00, UK-D-SHT SHORT by
900,000.00, UK-D-OKK within its threshold)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from fms.publication import record_publication
from fms.report import (
    REPORT_NAME,
    ReportTables,
    read_run_figures,
    summary_markdown,
    top_schedule_revisions_table,
)
from tests.handbuilt import insert, open_warehouse
from tests.report.page_parts import parse, rows, text_of
from tests.report_helpers import (
    REVIEW_AS_OF,
    SCHEDULE_REVIEW_ROWS,
    build_run_report,
    create_schedule_review,
)

JOB = "payment-schedule-review"
STAGED = ReportTables(payment_schedule_review="staging.payment_schedule_review")
SUMMARY = {"run_id": "review-1", "as_of": REVIEW_AS_OF.isoformat(), "quarter": "2026Q3"}
DIRECTIONS_HEADER = ["Direction", "Cases", "Largest variances (sum of |variance|)"]
CASES_HEADER = [
    "Case",
    "Purchaser",
    "Direction",
    "Largest variance",
    "Payment date",
    "Threshold",
    "Received",
    "Next payment date",
    "Next payment (revised)",
    "Estimated total cost",
]
SHORT_NOTE = "the schedule asks less than the USG needs: the USG would finance the case"
AHEAD_NOTE = "the schedule asks more than the USG needs: the purchaser's cash sits in the case"


def warehouse(folder: Path, table: str = STAGED.payment_schedule_review, review=None) -> Path:
    con = open_warehouse(folder)
    try:
        insert(
            con,
            "countries",
            {"country_code": "XX", "name": "Exampleland"},
            {"country_code": "UK", "name": "United Kingdom"},
        )
        if table:
            create_schedule_review(con, table, SCHEDULE_REVIEW_ROWS if review is None else review)
    finally:
        con.close()
    return folder / "test.duckdb"


def report(path: Path, out: Path, job: str = JOB, tables=STAGED, **selection) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        page = build_run_report(
            con,
            job=job,
            run_summary=SUMMARY,
            out_path=out / REPORT_NAME,
            tables=tables,
            **selection,
        )
    return page.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def review_html(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("review")
    return report(warehouse(root), root)


def test_the_section_counts_the_cases_to_revise_by_direction(review_html):
    assert rows(review_html, "schedule-review-directions-table") == [
        DIRECTIONS_HEADER,
        [f"SHORT {SHORT_NOTE}", "1", "$900,000.00"],
        [f"AHEAD {AHEAD_NOTE}", "1", "$601,600.00"],
        ["All cases to revise", "2", "$1,501,600.00"],  # 900,000.00 + 601,600.00
    ]
    section = text_of(review_html, "schedule-review")
    assert "As of 2026-09-30 · this run" in section
    assert "3 implemented cases' payment schedules reviewed" in section
    assert "2 need a revision" in section
    assert "Source: staging.payment_schedule_review" in section


def test_the_top_cases_are_ranked_by_their_largest_variance(review_html):
    assert rows(review_html, "schedule-review-cases-table") == [
        CASES_HEADER,
        [
            "UK-D-SHT",
            "UK · United Kingdom",
            "SHORT",
            "-$900,000.00",
            "2027-03-15",
            "$250,000.00",
            "$2,000,000.00",
            "2026-12-15",
            "$700,000.00",
            "$5,160,000.00",
        ],
        [
            "XX-D-W01",
            "XX · Exampleland",
            "AHEAD",
            "$601,600.00",
            "2026-12-15",
            "$500,000.00",
            "$5,500,000.00",
            "2026-12-15",
            "$1,398,400.00",
            "$10,320,000.00",
        ],
    ]
    assert "Top 2 cases to revise by largest |variance|" in review_html


def test_the_key_figures_lead_with_the_schedules_to_revise(review_html):
    card = text_of(review_html, "kpi-schedules-to-revise")
    assert card.startswith("Schedules to revise 2 of 3 1 SHORT, 1 AHEAD; largest variances")
    assert "$1,501,600.00" in card
    classes = {a["id"]: a.get("class") for t, a in parse(review_html).tags if a.get("id")}
    assert classes["kpi-schedules-to-revise"] == "kpi red"  # a schedule runs SHORT


def test_the_section_comes_first_and_the_navigation_names_it(review_html):
    sections = [a["id"] for t, a in parse(review_html).tags if t == "section"]
    assert sections[0] == "schedule-review"
    links = [a["href"] for t, a in parse(review_html).tags if t == "a" and "href" in a]
    assert links[0] == "#schedule-review"


def test_other_jobs_reports_have_no_review_section(tmp_path):
    path = warehouse(tmp_path)
    for job in ("nightly", "quarterly-billing", "closure"):
        html = report(path, tmp_path / job, job=job)
        assert "schedule-review" not in html, job
        assert "Schedules to revise" not in html, job


def test_the_top_ten_of_more_cases_are_listed_and_all_are_counted(tmp_path):
    # 12 copies of the SHORT case, variance -900,000.00 - k for k = 0..11: the largest first.
    many = []
    for k in range(12):
        for row in SCHEDULE_REVIEW_ROWS:
            if row["case_id"] == "UK-D-SHT":
                extra = Decimal(k) if row["payment_number"] == 2 else Decimal(0)
                many.append(
                    row
                    | {"case_id": f"UK-D-S{k:02d}"}
                    | ({"variance": row["variance"] - extra} if row["variance"] else {})
                )
    html = report(warehouse(tmp_path, review=many), tmp_path)
    listed = rows(html, "schedule-review-cases-table")[1:]
    assert [r[0] for r in listed] == [f"UK-D-S{k:02d}" for k in range(11, 1, -1)]
    assert listed[0][3] == "-$900,011.00"
    total = sum(Decimal(900000 + k) for k in range(12))  # 10,800,066.00
    assert rows(html, "schedule-review-directions-table")[-1] == [
        "All cases to revise",
        "12",
        f"${total:,.2f}",
    ]
    assert "Top 10 cases to revise" in html


def test_an_ad_hoc_selection_reports_its_own_cases(tmp_path):
    html = report(warehouse(tmp_path), tmp_path, purchaser="XX")
    assert [r[0] for r in rows(html, "schedule-review-cases-table")[1:]] == ["XX-D-W01"]
    assert "1 implemented cases' payment schedules reviewed" in text_of(html, "schedule-review")
    assert rows(html, "schedule-review-directions-table")[-1] == [
        "All cases to revise",
        "1",
        "$601,600.00",
    ]


def test_no_case_to_revise_is_said_in_words(tmp_path):
    within = [r for r in SCHEDULE_REVIEW_ROWS if r["case_id"] == "UK-D-OKK"]
    html = report(warehouse(tmp_path, review=within), tmp_path)
    assert text_of(html, "no-schedule-revision") == (
        "No case needs a revision as of 2026-09-30: every schedule is within its threshold "
        "of the requirements."
    )
    assert "schedule-review-cases-table" not in html
    classes = {a["id"]: a.get("class") for t, a in parse(html).tags if a.get("id")}
    assert classes["kpi-schedules-to-revise"] == "kpi teal"


def test_a_review_not_built_yet_is_said_instead_of_failing(tmp_path):
    html = report(warehouse(tmp_path, table=""), tmp_path)
    assert text_of(html, "schedule-review").endswith(
        "No payment schedule review has been built (staging.payment_schedule_review does not "
        "exist): the payment schedule review job builds it."
    )
    assert "kpi-schedules-to-revise" not in html


def test_a_published_review_names_the_run_that_published_it(tmp_path):
    path = warehouse(tmp_path, table="main.payment_schedule_review")
    with duckdb.connect(str(path)) as con:
        record_publication(con, "review-0", JOB, REVIEW_AS_OF, 0, None)
    html = report(path, tmp_path, tables=None)
    assert "As of 2026-09-30 · from the payment schedule review run review-0, published" in text_of(
        html, "schedule-review"
    )
    assert "Source: main.payment_schedule_review" in text_of(html, "schedule-review")


def test_the_prefect_summary_carries_the_review_figures(tmp_path):
    with duckdb.connect(str(warehouse(tmp_path)), read_only=True) as con:
        figures = read_run_figures(con, job=JOB, run_summary=SUMMARY, tables=STAGED)
    markdown = summary_markdown(figures, [], tmp_path)
    assert markdown.startswith("# Payment schedule review 2026Q3\n")
    for line in (
        "| Payment schedules reviewed | 3 | 2026-09-30 |",
        "| Schedules to revise | 2 | 2026-09-30 |",
        "| SHORT / AHEAD | 1 / 1 | 2026-09-30 |",
        "| Largest variances, summed | $1,501,600.00 | 2026-09-30 |",
    ):
        assert line in markdown
    assert figures.schedule_review["total_variance"] == Decimal("1501600.00")
    assert figures.schedule_review_source.as_of == date(2026, 9, 30)
    assert top_schedule_revisions_table(figures)[1] == {
        "case": "XX-D-W01",
        "purchaser": "XX",
        "direction": "AHEAD",
        "largest_variance": "$601,600.00",
        "payment_date": "2026-12-15",
        "threshold": "$500,000.00",
        "collections_received": "$5,500,000.00",
        "next_payment_date": "2026-12-15",
        "next_payment_revised": "$1,398,400.00",
        "estimated_total_cost": "$10,320,000.00",
    }
