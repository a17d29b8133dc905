"""What a run posts to Prefect: the markdown summary and the top-items tables (the task that posts
them, under a real Prefect server: `tests/flows/test_run_report_posted.py`)."""

from __future__ import annotations

import pytest

from fms.report import (
    REPORT_NAME,
    artifact_key,
    purchaser_totals_table,
    summary_markdown,
    top_closable_cases_table,
)
from fms.report.files import run_files


@pytest.mark.parametrize(
    ("job", "what", "key"),
    [
        ("nightly", "run-summary", "nightly-run-summary"),
        ("delivery-report", "top-closable-cases", "delivery-report-top-closable-cases"),
        ("Quarterly Billing", "purchaser totals", "quarterly-billing-purchaser-totals"),
        ("closure/adhoc_UK", "run-summary", "closure-adhoc-uk-run-summary"),
    ],
)
def test_artifact_keys_are_lowercase_letters_digits_and_dashes(job, what, key):
    assert artifact_key(job, what) == key


def test_summary_markdown_has_the_key_figures_and_links_into_the_final_folder(rendered):
    files = run_files(rendered.work, rendered.final, rendered.summary["files"], True)
    markdown = summary_markdown(rendered.figures, files, rendered.final)
    for line in [
        "# Nightly refresh as of 2026-11-01",
        "| Case value | $6,800,000.00 |",
        "| Collections received | $4,370,000.00 |",
        "| Amount due (latest statements, to 2026-09-30) | $250,000.00 |",
        "| Undelivered value | $3,300,000.00 |",
        "| Ready and overdue (SSC > 12 months) | 1 |",
        "| Funds locked in ready cases | $40,000.00 |",
        "| Data-quality warnings | 1 |",
        f"[Open the run report]({(rendered.final / REPORT_NAME).as_uri()})",
        f"- [c1_20261101.txt]({(rendered.final / 'c1_20261101.txt').as_uri()})",
        f"- [dq_results.csv]({(rendered.final / 'dq_results.csv').as_uri()})",
    ]:
        assert line in markdown
    assert ".work" not in markdown  # the work folder is gone once the run is published


def test_top_closable_cases_and_purchaser_totals_tables_print_money_exactly(rendered):
    assert top_closable_cases_table(rendered.figures) == [
        {
            "case": "UK-D-BBB",
            "purchaser": "UK",
            "ssc_date": "2025-06-30",
            "days_since_ssc": "489",
            "overdue": "yes",
            "final_value": "$2,064,000.00",
            "collections": "$2,100,000.00",
            "released_on_closure": "$36,000.00",
        },
        {
            "case": "AS-P-CCC",
            "purchaser": "AS",
            "ssc_date": "2026-09-01",
            "days_since_ssc": "61",
            "overdue": "no",
            "final_value": "$516,000.00",
            "collections": "$520,000.00",
            "released_on_closure": "$4,000.00",
        },
    ]
    assert [
        (r["purchaser"], r["amount_due"]) for r in purchaser_totals_table(rendered.figures)
    ] == [
        ("UK", "$240,000.00"),
        ("AS", "$10,000.00"),
    ]
