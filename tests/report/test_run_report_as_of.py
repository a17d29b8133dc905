"""What the run report says about where its figures come from: the warehouse it read, the date
every card is as of (and which run stands behind a card that is not this run's), and a sentence
instead of a chart when there is nothing to draw.

On the hand-built scenario (tests/report/scenario.py): its marts are in main as of 1 Nov 2026.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from fms.closure import build_closure_readiness
from fms.delivery import build_delivery_status
from fms.publication import record_publication
from fms.report import REPORT_NAME, ReportTables, read_run_figures, summary_markdown
from fms.report.charts import billing_trend_chart, delivery_progress_chart, purchaser_totals_chart
from tests.handbuilt import insert, open_warehouse
from tests.report.page_parts import drawn_charts, parse, text_of
from tests.report.scenario import AS_OF, build_warehouse
from tests.report_helpers import build_run_report

NIGHTLY_RUN = "nightly-run-7"


def _cards(html: str) -> list[tuple[str, str]]:
    """(id, data-as-of) of every card: the sections and the key figures."""
    return [
        (a["id"], a.get("data-as-of", ""))
        for t, a in parse(html).tags
        if (t == "section" and "card" in a.get("class", "").split())
        or (t == "div" and "kpi" in a.get("class", "").split())
    ]


# --- the warehouse card ---------------------------------------------------------------------


@pytest.mark.parametrize("summary_says", [None, "/somewhere/else.duckdb"])
def test_the_warehouse_card_names_the_file_read_and_what_it_holds(rendered, tmp_path, summary_says):
    # The flows' summaries carry no warehouse (the card was "—" on every report); one that
    # names another file is not believed either: the card reads the connection.
    summary = {k: v for k, v in rendered.summary.items() if k != "warehouse"}
    if summary_says:
        summary["warehouse"] = summary_says
    with duckdb.connect(str(rendered.warehouse), read_only=True) as con:
        page = build_run_report(
            con, job="nightly", run_summary=summary, out_path=tmp_path / REPORT_NAME
        )
    html = page.read_text(encoding="utf-8")
    assert text_of(html, "warehouse") == f"Warehouse {rendered.warehouse.absolute()}"
    assert text_of(html, "warehouse-batches") == (
        "Loaded 2 batches, the latest b1 at 2026-11-01 05:12 UTC"
    )


# --- every card is dated ---------------------------------------------------------------------


def test_every_card_says_what_date_it_is_as_of(rendered):
    cards = _cards(rendered.html)
    assert [c for c, _ in cards] == [
        "kpi-case-value",
        "kpi-collections",
        "kpi-amount-due",
        "kpi-undelivered",
        "kpi-funds-locked",
        "kpi-data-quality",
        "totals",
        "billing",
        "delivery",
        "closure",
        "quality",
        "run-details",
        "files",
    ]
    dated = dict(cards)
    # The amount due is as of its statements' quarter end; the rest as of the run's date.
    assert dated.pop("kpi-amount-due") == "2026-09-30"
    assert set(dated.values()) == {"2026-11-01"}
    for card, day in cards:
        assert f"As of {day}" in text_of(rendered.html, card), card
    # The run's own figures say so; the marts read from main say whose table they are.
    assert "As of 2026-11-01 · this run" in text_of(rendered.html, "billing")
    assert (
        "As of 2026-11-01 · from the nightly refresh's published main.delivery_status"
        in text_of(rendered.html, "delivery")
    )
    statements = "from the quarterly billing's published main.purchaser_statements"
    assert f"As of 2026-09-30 · {statements}" in text_of(rendered.html, "kpi-amount-due")
    # Same date, no other run named: nothing to warn about under the heading.
    assert "other-runs" not in rendered.html


@pytest.fixture(scope="module")
def billing_report(tmp_path_factory):
    """A quarterly billing report as of 30 Sep 2026, written after the 1 Nov nightly
    published its marts (recorded in `publications`, as the nightly commits them)."""
    root = tmp_path_factory.mktemp("billing")
    warehouse, _ = build_warehouse(root)
    with duckdb.connect(str(warehouse)) as con:
        record_publication(con, NIGHTLY_RUN, "nightly", AS_OF, 2, None)
    summary = {"run_id": "billing-run-3", "period_end": "2026-09-30", "quarter": "2026Q3"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        page = build_run_report(
            con,
            job="quarterly-billing",
            run_summary=summary,
            out_path=root / "work" / REPORT_NAME,
        )
        figures = read_run_figures(con, job="quarterly-billing", run_summary=summary)
    return page.read_text(encoding="utf-8"), figures


def test_a_billing_report_as_of_a_quarter_end_labels_the_nightlys_cards(billing_report):
    html, _ = billing_report
    dated = dict(_cards(html))
    nightly = ["kpi-undelivered", "kpi-funds-locked", "delivery", "closure"]
    assert {card: dated.pop(card) for card in nightly} == dict.fromkeys(nightly, "2026-11-01")
    assert set(dated.values()) == {"2026-09-30"}
    from_nightly = f"As of 2026-11-01 · from the nightly refresh run {NIGHTLY_RUN}, published"
    for card in nightly:
        assert from_nightly in text_of(html, card), card
    # This run's own cards, its statements included (the billing run published them).
    for card in ("kpi-case-value", "kpi-amount-due", "totals", "billing", "quality"):
        assert "As of 2026-09-30 · this run" in text_of(html, card), card
    # The totals mix both: the funds locked column is the nightly's closure readiness.
    assert f"Funds locked: {from_nightly}" in text_of(html, "totals")
    # Flagged on the card and listed under the heading.
    flagged = [a for t, a in parse(html).tags if t == "p" and "elsewhere" in a.get("class", "")]
    assert len(flagged) == 5  # the four cards and the totals' funds-locked line
    notice = text_of(html, "other-runs")
    assert notice.startswith("Not every card is this run's")
    assert f"Delivery progress: as of 2026-11-01, from the nightly refresh run {NIGHTLY_RUN}" in (
        notice
    )
    assert f"Closure: as of 2026-11-01, from the nightly refresh run {NIGHTLY_RUN}" in notice


def test_the_prefect_summary_dates_each_key_figure_too(billing_report, tmp_path):
    _, figures = billing_report
    markdown = summary_markdown(figures, [], tmp_path)
    assert "| key figure | value | as of |" in markdown
    assert "| Case value | $6,800,000.00 | 2026-09-30 |" in markdown
    assert (
        f"| Undelivered value | $3,300,000.00 | 2026-11-01 (nightly refresh run {NIGHTLY_RUN}) |"
        in markdown
    )


# --- nothing to draw -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory):
    """A case still in development: nothing in any scope, nothing collected, staged marts
    (a closure run's own) that hold no row."""
    root = tmp_path_factory.mktemp("empty")
    con = open_warehouse(root, "empty.duckdb")
    try:
        insert(con, "countries", {"country_code": "UK", "name": "United Kingdom"})
        insert(con, "cases", {"case_id": "UK-D-ZZZ", "status": "DEVELOPMENT"})
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        build_delivery_status(con, AS_OF, table="staging.delivery_status")
        build_closure_readiness(con, AS_OF, table="staging.closure_readiness")
    finally:
        con.close()
    return root / "empty.duckdb"


STAGED = ReportTables(
    delivery_status="staging.delivery_status", closure_readiness="staging.closure_readiness"
)


def test_a_chart_with_nothing_to_draw_is_a_sentence_not_an_empty_frame(empty_warehouse, tmp_path):
    with duckdb.connect(str(empty_warehouse), read_only=True) as con:
        page = build_run_report(
            con,
            job="closure",
            run_summary={"run_id": "run-empty", "as_of": AS_OF.isoformat()},
            out_path=tmp_path / REPORT_NAME,
            tables=STAGED,
        )
    html = page.read_text(encoding="utf-8")
    assert drawn_charts(html) == set()
    sentences = {
        a["data-chart-empty"]: text_of(html, a["id"])
        for t, a in parse(html).tags
        if "data-chart-empty" in a
    }
    assert sentences == {
        "billing-trend": "Nothing received or billed from 2025Q1 to 2026Q4, as of 2026-11-01.",
        "closure-funnel": "No case in closure scope as of 2026-11-01.",
        "closure-blockers": "No case is blocked as of 2026-11-01.",
        "funds-locked": "No case is ready to close as of 2026-11-01.",
    }
    assert "No implemented cases as of 2026-11-01." in text_of(html, "totals")
    assert "No open case lines as of 2026-11-01." in text_of(html, "delivery")
    # The run's own staged marts: this run's date, no other run to name.
    assert "As of 2026-11-01 · this run" in text_of(html, "closure")
    assert {day for _, day in _cards(html)} == {"2026-11-01"}


def _purchaser(case_value: str, collections: str, amount_due: str | None) -> dict:
    return {
        "country_code": "UK",
        "purchaser_name": "United Kingdom",
        "case_value": Decimal(case_value),
        "collections": Decimal(collections),
        "amount_due": Decimal(amount_due) if amount_due else None,
    }


def _quarter(collections: str, statements: int = 0, due: str | None = None) -> dict:
    money = Decimal(due) if due else None
    return {
        "quarter": "2026Q3",
        "to_date": False,
        "collections": Decimal(collections),
        "statements": statements,
        "amount_due": money,
        "arrearage": money,
        "interest": money,
    }


def _delivery(delivered: str, undelivered: str) -> dict:
    return {
        "country_code": "UK",
        "purchaser_name": "United Kingdom",
        "delivered_value": Decimal(delivered),
        "undelivered_value": Decimal(undelivered),
    }


@pytest.mark.parametrize(
    ("chart", "rows"),
    [
        (purchaser_totals_chart, []),
        (purchaser_totals_chart, [_purchaser("0.00", "0.00", None)]),
        (billing_trend_chart, [_quarter("0.00"), _quarter("0.00")]),
        (billing_trend_chart, [_quarter("0.00", statements=1, due="0.00")]),
        (delivery_progress_chart, [_delivery("0.00", "0.00")]),
    ],
)
def test_rows_of_zeros_draw_no_chart(chart, rows):
    # An axis of zeros has no scale: a picture of it would be made-up ticks around nothing.
    assert chart(rows) is None


def test_the_amount_due_panel_is_left_out_until_a_statement_is_published():
    unbilled = purchaser_totals_chart([_purchaser("5000000.00", "1000000.00", None)])
    billed = purchaser_totals_chart([_purchaser("5000000.00", "1000000.00", "250000.00")])
    assert "amount due" not in unbilled.alt
    assert "case value and collections received and the amount due" in billed.alt
    assert len(billed.shapes) > len(unbilled.shapes)
