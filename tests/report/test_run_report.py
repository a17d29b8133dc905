"""The HTML run report on the hand-built scenario (figures computed in tests/report/scenario.py)."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import duckdb
import pytest

from fms.formatting import dollars
from fms.report import REPORT_NAME, RunFile, read_run_figures, render_run_report
from fms.report.page import OPEN_TABLE_ROWS
from tests.report.page_parts import CHARTS, drawn_charts, parse, rows, text_of
from tests.report.scenario import AS_OF, build_warehouse, run_summary
from tests.report_helpers import build_run_report


@pytest.mark.parametrize(
    ("amount", "printed"),
    [
        (Decimal("1234567.8"), "$1,234,567.80"),
        (Decimal("-12.5"), "-$12.50"),
        (Decimal("0"), "$0.00"),
        (Decimal("99999999999999.99"), "$99,999,999,999,999.99"),
        (None, "—"),
    ],
)
def test_money_is_printed_exactly_with_separators_and_cents(amount, printed):
    assert dollars(amount) == printed


def test_money_refuses_a_float():
    with pytest.raises(TypeError):
        dollars(0.1)


@pytest.mark.parametrize(
    ("n_rows", "folded"), [(OPEN_TABLE_ROWS, False), (OPEN_TABLE_ROWS + 1, True)]
)
def test_a_long_table_folds_under_its_chart_without_a_script(rendered, tmp_path, n_rows, folded):
    uk = rendered.figures.purchasers[0]
    figures = dataclasses.replace(
        rendered.figures, purchasers=[uk | {"country_code": f"P{i}"} for i in range(n_rows)]
    )
    page = render_run_report(figures, tmp_path / REPORT_NAME, []).read_text(encoding="utf-8")
    tags = parse(page).tags
    table = next(i for i, (_, a) in enumerate(tags) if a.get("id") == "purchaser-totals-table")
    assert ([t for t, _ in tags[table - 2 : table]] == ["details", "summary"]) is folded
    assert (f"Table: all {n_rows} purchasers with totals" in page) is folded
    assert len(rows(page, "purchaser-totals-table")) == n_rows + 2  # every one, header, footer


def test_text_from_the_data_shows_as_text_never_as_markup(rendered, tmp_path):
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    f = rendered.figures
    figures = dataclasses.replace(
        f,
        purchasers=[f.purchasers[0] | {"purchaser_name": hostile}],
        closable_cases=[f.closable_cases[0] | {"case_id": hostile}],
        dq_failures=[f.dq_failures[0] | {"examples": hostile}],
        details=[("Note", hostile)],
    )
    files = [RunFile(hostile, "a&b.csv")]
    page = render_run_report(figures, tmp_path / REPORT_NAME, files).read_text(encoding="utf-8")
    assert not [t for t, _ in parse(page).tags if t in ("script", "b")]
    assert rows(page, "purchaser-totals-table")[1][0] == f"UK · {hostile}"
    assert rows(page, "closable-cases-table")[1][0] == f"{hostile} overdue"
    assert rows(page, "dq-failures-table")[1][-1] == hostile
    assert rows(page, "run-details-table") == [["Note", hostile]]
    assert text_of(page, "files").endswith(hostile)
    assert ("a", {"href": "a&b.csv"}) in parse(page).tags


def test_key_figures_head_the_report(rendered):
    cards = text_of(rendered.html, "key-figures")
    for text in [
        "$6,800,000.00",  # case value: 6,000,000.00 + 800,000.00
        "4 implemented cases",
        "$4,370,000.00",  # collections: 3,850,000.00 + 520,000.00
        "$250,000.00",  # amount due: 240,000.00 (UK rev 2) + 10,000.00
        "quarter ended 2026-09-30",
        "$3,300,000.00",  # undelivered: 3,000,000.00 + 300,000.00
        "51.5% of open cases delivered",  # 3,500,000 / 6,800,000
        "$40,000.00",  # funds locked: 36,000.00 + 4,000.00
        "2 cases ready to close, 1 overdue",
        "1 warning",
    ]:
        assert text in cards


def test_totals_by_purchaser_show_cases_value_collections_amount_due_and_funds_locked(rendered):
    assert rows(rendered.html, "purchaser-totals-table")[1:] == [
        [
            "UK · United Kingdom",
            "2",
            "$6,000,000.00",
            "$3,850,000.00",
            "$240,000.00",
            "2026-09-30",
            "$36,000.00",
        ],
        [
            "AS · Australia",
            "2",
            "$800,000.00",
            "$520,000.00",
            "$10,000.00",
            "2026-09-30",
            "$4,000.00",
        ],
        ["All purchasers", "4", "$6,800,000.00", "$4,370,000.00", "$250,000.00", "", "$40,000.00"],
    ]


def test_billing_trend_sums_the_latest_revisions_and_collections_by_quarter(rendered):
    trend = rows(rendered.html, "billing-trend-table")
    assert trend[0][0] == "Quarter"
    assert trend[1:] == [
        ["2025Q1", "—", "—", "—", "—", "$0.00"],
        ["2025Q2", "—", "—", "—", "—", "$0.00"],
        ["2025Q3", "—", "—", "—", "—", "$2,100,000.00"],
        ["2025Q4", "—", "—", "—", "—", "$0.00"],
        ["2026Q1", "—", "—", "—", "—", "$1,750,000.00"],
        ["2026Q2", "1", "$100,000.00", "$0.00", "$0.00", "$0.00"],
        # UK revision 2 (240,000.00) replaces revision 1 (250,000.00); + AS 10,000.00
        ["2026Q3", "2", "$250,000.00", "$50,000.00", "$123.45", "$520,000.00"],
        # 2 Nov's $999.99 is after the as-of date
        ["2026Q4 (to date)", "—", "—", "—", "—", "$0.00"],
    ]


def test_delivery_progress_by_purchaser_most_undelivered_first(rendered):
    assert rows(rendered.html, "delivery-progress-table")[1:] == [
        [
            "UK · United Kingdom",
            "2",
            "2",
            "$6,000,000.00",
            "$3,000,000.00",
            "$3,000,000.00",
            "50.0%",
            "$1,000,000.00",
        ],
        ["AS · Australia", "2", "2", "$800,000.00", "$500,000.00", "$300,000.00", "62.5%", "$0.00"],
        [
            "All purchasers",
            "4",
            "4",
            "$6,800,000.00",
            "$3,500,000.00",
            "$3,300,000.00",
            "51.5%",
            "$1,000,000.00",
        ],
    ]


def test_closure_funnel_narrows_from_scope_to_overdue_ready_cases(rendered):
    assert rows(rendered.html, "closure-funnel-table")[1:] == [
        ["In closure scope (implemented or SSC)", "4"],
        ["Supply/services complete", "2"],
        ["Ready to close (no blockers)", "2"],
        ["Ready and overdue (SSC > 12 months)", "1"],
    ]
    assert rows(rendered.html, "closure-blockers-table")[1:] == [
        ["NOT_SSC", "2", "2 lines"],
        ["ESTIMATED_PRICES", "1", "$1,000,000.00"],
    ]


def test_funds_locked_in_closable_cases_by_purchaser_and_top_cases(rendered):
    assert rows(rendered.html, "funds-locked-table")[1:] == [
        ["UK · United Kingdom", "1", "1", "$36,000.00", "$36,000.00", "489"],
        ["AS · Australia", "1", "0", "$4,000.00", "$0.00", "61"],
        ["All purchasers", "2", "1", "$40,000.00", "$36,000.00", "489"],
    ]
    # 2,100,000.00 - (2,000,000.00 + 64,000.00) = 36,000.00; SSC 30 Jun 2025 + 489 days = 1 Nov 2026
    assert rows(rendered.html, "closable-cases-table")[1:] == [
        [
            "UK-D-BBB overdue",
            "UK · United Kingdom",
            "2025-06-30",
            "489",
            "$2,064,000.00",
            "$2,100,000.00",
            "$36,000.00",
        ],
        [
            "AS-P-CCC",
            "AS · Australia",
            "2026-09-01",
            "61",
            "$516,000.00",
            "$520,000.00",
            "$4,000.00",
        ],
    ]


def test_data_quality_summary_is_this_runs_only(rendered):
    assert rows(rendered.html, "dq-stages-table")[1:] == [
        ["input", "1", "2", "1", "1", "0", "3", "10"]
    ]
    assert rows(rendered.html, "dq-failures-table")[1:] == [
        [
            "warning",
            "input_deliveries",
            "deliveries reported within 30 days of shipment",
            "3 of 10",
            "delivery_id=D9",
        ]
    ]
    assert "an earlier run" not in rendered.html
    # Quarantined rows of this run's batch b1 only (b0 was an earlier run's).
    assert rows(rendered.html, "quarantine-table")[1:] == [
        ["deliveries", "BAD_NUMBER", "1", "0"],
        ["All (1 entity and reason pairs)", "", "1", "0"],
    ]


def test_page_needs_nothing_from_the_network(rendered):
    page = parse(rendered.html)
    urls = [v for _, attrs in page.tags for k, v in attrs.items() if k in ("src", "href")]
    assert urls and not [u for u in urls if re.match(r"(?i)\s*(https?:|//|ftp:)", u)]
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe", "object")]
    assert "url(" not in "".join(page.styles) and "@import" not in "".join(page.styles)


def test_every_chart_is_inline_svg_with_its_description_and_bars(rendered):
    page = parse(rendered.html)
    assert set(page.charts) == CHARTS
    for key, shapes in page.charts.items():
        tags = [tag for tag, _ in shapes]
        assert tags[0] == "svg" and shapes[0][1]["role"] == "img", key
        assert len(text_of(rendered.html, f"chart-{key}-desc")) > 40, key
        bars = [a for tag, a in shapes if tag == "rect" and float(a["width"]) > 0]
        assert bars, f"{key} draws no bar"
    assert "$40,000.00 in all" in text_of(rendered.html, "chart-funds-locked-desc")


def test_links_open_the_run_files_beside_the_report(rendered):
    hrefs = [a["href"] for t, a in parse(rendered.html).tags if t == "a"]
    files = [h for h in hrefs if not h.startswith("#")]
    assert files[-5:] == [
        "c1_20261101.txt",
        "closure_worklist_20261101.csv",
        "quarantine_worklist.csv",
        "data_docs/index.html",
        "dq_results.csv",  # written by the gate when the run folder is published
    ]
    assert {h for h in hrefs if h.startswith("#")} == {
        "#totals",
        "#billing",
        "#delivery",
        "#closure",
        "#quality",
        "#files",
    }
    assert rendered.page == rendered.work / REPORT_NAME


def test_missing_marts_and_statements_are_explained_not_fatal(tmp_path):
    warehouse, _ = build_warehouse(tmp_path, statements=False, marts=False)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        page = build_run_report(
            con,
            job="nightly",
            run_summary=run_summary(warehouse, []),
            out_path=tmp_path / "run" / REPORT_NAME,
        )
    html = page.read_text(encoding="utf-8")
    assert "No quarterly billing statements have been published" in html
    assert "No delivery status has been built yet (main.delivery_status does not exist)" in html
    assert "No closure readiness has been built yet" in html
    charts = drawn_charts(html)
    # Collections by quarter still chart the trend.
    assert charts == {"purchaser-totals", "billing-trend", "data-quality"}
    totals = rows(html, "purchaser-totals-table")
    assert totals[-1] == ["All purchasers", "4", "$6,800,000.00", "$4,370,000.00", "—", "", "—"]


@pytest.mark.parametrize(
    ("selection", "purchasers", "in_scope", "amount_due", "collections_2026q3"),
    [
        # AS only: case value 800,000.00, collections 520,000.00, amount due 10,000.00
        ({"purchaser": "AS"}, [("AS", "800000.00", "520000.00")], 2, "10000.00", "520000.00"),
        # one case: its own value and collections; no case statement was published
        ({"case_id": "UK-D-BBB"}, [("UK", "2000000.00", "2100000.00")], 1, None, "0.00"),
    ],
)
def test_an_adhoc_selection_narrows_every_section(
    rendered, selection, purchasers, in_scope, amount_due, collections_2026q3
):
    with duckdb.connect(str(rendered.warehouse), read_only=True) as con:
        f = read_run_figures(con, job="closure", run_summary={"as_of": AS_OF}, **selection)
    assert [
        (p["country_code"], str(p["case_value"]), str(p["collections"])) for p in f.purchasers
    ] == purchasers
    assert f.funnel["in_scope"] == in_scope
    assert {r["country_code"] for r in f.delivery} == {p[0] for p in purchasers}
    assert f.purchasers[0]["amount_due"] == (Decimal(amount_due) if amount_due else None)
    q3 = next(q for q in f.quarters if q["quarter"] == "2026Q3")
    assert q3["collections"] == Decimal(collections_2026q3)
    assert f.selection in ("purchaser AS", "case UK-D-BBB")
