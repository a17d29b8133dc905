"""The quarterly delivery listing (fms-domain.md "Quarterly delivery listing"): per case, the
deliveries reported in the quarter and one REPRICING line, so that this statement's delivered
value - the previous quarter's latest published one = REPORTED + REPRICING, to the cent.

Hand-built: purchaser UK with UK-D-AAA (implemented 2025) and UK-D-AAB (implemented 1 Aug 2026:
first billed in Q3 2026), purchaser AS with AS-B-AAA. Q2 2026 is published first, then Q3 2026
is built.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from fms.billing import build_billing_statements, build_delivery_listing
from fms.billing.documents import write_statement_files
from fms.billing.publication import publish_statements, write_adhoc_statements
from fms.closure import BLOCKER_CODES
from fms.quality.gate import Validator, validate
from fms.quality.suites import load_suites
from fms.warehouse import create_published_tables
from tests.billing.builders import billing_case, money, purchaser
from tests.handbuilt import d, insert, open_warehouse

Q2 = date(2026, 6, 30)
Q3 = date(2026, 9, 30)
SUITE = next(s for s in load_suites("mart") if s.name == "mart_delivery_listing")


def delivery(con, delivery_id, case_id, reported, value, *, price="A", quantity=1, line=1):
    """A delivery row (a later call with the same id is a correction: it replaces the row)."""
    insert(
        con,
        "deliveries",
        {
            "delivery_id": delivery_id,
            "case_id": case_id,
            "line_number": line,
            "shipment_date": d(reported),
            "reported_date": d(reported),
            "quantity": quantity,
            "delivered_value": money(value),
            "price_code": price,
        },
    )


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    purchaser(con, "UK", name="United Kingdom")
    purchaser(con, "AS", name="Australia")
    billing_case(con, "UK-D-AAA")
    billing_case(con, "UK-D-AAB", implementation_date=d("2026-08-01"))
    billing_case(con, "AS-B-AAA")
    # Q2: D1 at an estimated price; Q3: D2 and D3 new, D4 on the case first billed in Q3.
    delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,000.00", price="E")
    delivery(con, "D2", "UK-D-AAA", "2026-08-20", "250.50")
    delivery(con, "D3", "AS-B-AAA", "2026-07-15", "400.00")
    delivery(con, "D4", "UK-D-AAB", "2026-09-01", "75.00")
    yield con
    con.close()


def publish(con, period_end: date, out: Path):
    build_billing_statements(con, period_end)
    return publish_statements(con, period_end, "staging.billing_statements", out)


def listing(con, table: str = "staging.delivery_listing") -> list[tuple]:
    return con.execute(
        f"SELECT case_id, kind, delivery_id, line_number, delivered_value, price_code FROM {table} "
        "ORDER BY case_id, kind, delivery_id"
    ).fetchall()


def build_q3(con) -> int:
    build_billing_statements(con, Q3)
    return build_delivery_listing(con, Q3)


def gate_failures(con) -> list[tuple[str, str]]:
    create_published_tables(con)  # as fms.warehouse.connect does for every run
    params = {"as_of": Q3, "purchaser": None, "case_id": None, "blocker_codes": BLOCKER_CODES}
    report = validate(con, [SUITE], params, "test-run", "test", Validator(docs_dir=None))
    return [(o.rule, o.severity) for o in report.outcomes if not o.success]


def test_a_quarter_with_new_deliveries_only_lists_them_and_no_repricing(con, tmp_path):
    publish(con, Q2, tmp_path / "2026Q2")
    assert build_q3(con) == 3
    # UK-D-AAA: 1,250.50 now - 1,000.00 published for Q2 = D2 250.50: nothing to re-price.
    assert listing(con) == [
        ("AS-B-AAA", "REPORTED", "D3", 1, money("400.00"), "A"),
        ("UK-D-AAA", "REPORTED", "D2", 1, money("250.50"), "A"),
        ("UK-D-AAB", "REPORTED", "D4", 1, money("75.00"), "A"),
    ]
    assert gate_failures(con) == []


def test_an_estimated_price_corrected_to_actual_in_a_later_quarter_is_a_repricing_line(
    con, tmp_path
):
    publish(con, Q2, tmp_path / "2026Q2")
    # D1's actual price arrives in Q3: 1,200.25 (the row keeps its Q2 reported date).
    delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,200.25", price="A")
    build_q3(con)
    # 1,200.25 + 250.50 = 1,450.75 on the Q3 statement; 1,000.00 on Q2's:
    # movement 450.75 = D2 250.50 + re-pricing 200.25.
    assert [r for r in listing(con) if r[0] == "UK-D-AAA"] == [
        ("UK-D-AAA", "REPORTED", "D2", 1, money("250.50"), "A"),
        ("UK-D-AAA", "REPRICING", None, None, money("200.25"), None),
    ]
    assert gate_failures(con) == []


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        # Resent with its Q2 reported date: only the re-pricing line shows it.
        ("2026-05-10", [("UK-D-AAA", "REPRICING", None, None, money("-1,000.00"), None)]),
        # Resent as reported in Q3: listed at 0.00, the re-pricing line takes back the 1,000.00.
        (
            "2026-08-05",
            [
                ("UK-D-AAA", "REPORTED", "D1", 1, money("0.00"), "A"),
                ("UK-D-AAA", "REPRICING", None, None, money("-1,000.00"), None),
            ],
        ),
    ],
)
def test_a_reversal_is_a_negative_repricing_line(con, tmp_path, reported, expected):
    publish(con, Q2, tmp_path / "2026Q2")
    # A delivery is reversed by resending it with quantity and value 0 (fms-domain.md, "Money").
    delivery(con, "D1", "UK-D-AAA", reported, "0.00", quantity=0)
    delivery(con, "D2", "UK-D-AAA", "2026-08-20", "0.00", quantity=0)  # reversed in its quarter
    build_q3(con)
    # 0.00 now - 1,000.00 on Q2's statement = REPORTED (D2 0.00, D1 0.00 if Q3) + REPRICING.
    assert [r for r in listing(con) if r[0] == "UK-D-AAA"] == sorted(
        [("UK-D-AAA", "REPORTED", "D2", 1, money("0.00"), "A"), *expected],
        key=lambda r: (r[1], r[2] or ""),
    )
    assert gate_failures(con) == []


def test_a_case_first_billed_this_quarter_starts_from_0(con, tmp_path):
    # UK-D-AAB, implemented 1 Aug 2026, is not on the Q2 statement; a delivery of its own
    # reported in June (before it was billed) is part of its movement in Q3.
    delivery(con, "D5", "UK-D-AAB", "2026-06-20", "30.00")
    publish(con, Q2, tmp_path / "2026Q2")
    build_q3(con)
    # 105.00 on Q3's statement - 0 (not on Q2's) = D4 75.00 + re-pricing 30.00.
    assert [r for r in listing(con) if r[0] == "UK-D-AAB"] == [
        ("UK-D-AAB", "REPORTED", "D4", 1, money("75.00"), "A"),
        ("UK-D-AAB", "REPRICING", None, None, money("30.00"), None),
    ]
    assert gate_failures(con) == []


def test_with_no_previous_quarter_published_the_repricing_line_carries_what_came_before(con):
    build_q3(con)
    # Q2 never published: previous 0, so D1 (reported before the quarter) is re-priced in.
    assert [r for r in listing(con) if r[0] == "UK-D-AAA"] == [
        ("UK-D-AAA", "REPORTED", "D2", 1, money("250.50"), "A"),
        ("UK-D-AAA", "REPRICING", None, None, money("1,000.00"), None),
    ]
    assert gate_failures(con) == []


def test_the_previous_quarter_is_its_latest_published_revision(con, tmp_path):
    out = tmp_path / "2026Q2"
    publish(con, Q2, out)
    delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,100.00")  # Q2 revision 2: 1,100.00
    assert publish(con, Q2, out).published == {"UK": 2}
    delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,175.00")  # then the actual price
    build_q3(con)
    assert [r for r in listing(con) if r[0] == "UK-D-AAA"][-1] == (
        "UK-D-AAA",
        "REPRICING",
        None,
        None,
        money("75.00"),  # 1,425.50 - 1,100.00 (r2, not r1's 1,000.00) - 250.50
        None,
    )


def test_published_with_the_statements_per_purchaser_never_another_purchasers_case(con, tmp_path):
    publish(con, Q2, tmp_path / "2026Q2")
    delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,200.25", price="A")
    out = tmp_path / "2026Q3"
    result = publish(con, Q3, out)
    assert result.published == {"AS": 1, "UK": 1}
    assert {p.name for p in out.iterdir()} >= {
        "delivery_listing_UK_2026Q3_r1.csv",
        "delivery_listing_AS_2026Q3_r1.csv",
    }
    rows = con.execute(
        "SELECT country_code, revision, case_id, kind, delivered_value FROM main.delivery_listing "
        "WHERE period_end = $e ORDER BY ALL",
        {"e": Q3},
    ).fetchall()
    assert rows == [
        ("AS", 1, "AS-B-AAA", "REPORTED", money("400.00")),
        ("UK", 1, "UK-D-AAA", "REPORTED", money("250.50")),
        ("UK", 1, "UK-D-AAA", "REPRICING", money("200.25")),
        ("UK", 1, "UK-D-AAB", "REPORTED", money("75.00")),
    ]
    uk = list(csv.DictReader((out / "delivery_listing_UK_2026Q3_r1.csv").open()))
    assert [(r["case_id"], r["kind"], r["delivery_id"], r["delivered_value"]) for r in uk] == [
        ("UK-D-AAA", "REPORTED", "D2", "250.50"),
        ("UK-D-AAA", "REPRICING", "", "200.25"),
        ("UK-D-AAB", "REPORTED", "D4", "75.00"),
    ]
    assert {r["country_code"] for r in uk} == {"UK"} and {r["revision"] for r in uk} == {"1"}
    as_rows = list(csv.DictReader((out / "delivery_listing_AS_2026Q3_r1.csv").open()))
    assert [(r["case_id"], r["delivered_value"]) for r in as_rows] == [("AS-B-AAA", "400.00")]
    sheet = openpyxl.load_workbook(out / "statement_UK_2026Q3_r1.xlsx")["Delivery listing"]
    cases = {c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert not any(v.startswith("AS-") for v in cases)
    # The total of the sheet is UK's movement: 250.50 + 200.25 + 75.00.
    assert Decimal(str(sheet.cell(sheet.max_row, 10).value)) == money("525.75")
    # A rerun changes nothing; the Q2 listing of UK r1 had D1 only.
    assert publish(con, Q3, out).published == {}
    assert con.execute("SELECT count(*) FROM main.delivery_listing").fetchall() == [(5,)]


def test_a_purchasers_files_refuse_another_purchasers_listing_line(con, tmp_path):
    build_q3(con)
    lines = con.execute("SELECT * FROM staging.delivery_listing ORDER BY case_id").fetchall()
    names = [c[0] for c in con.execute("SELECT * FROM staging.delivery_listing").description]
    rows = [dict(zip(names, r, strict=True)) for r in lines]
    uk_statement = {"country_code": "UK", "period_end": Q3, "statement_date": d("2026-10-15")}
    with pytest.raises(ValueError, match="AS-B-AAA"):
        write_statement_files(tmp_path, uk_statement, [], None, listing=rows)


def test_adhoc_and_preliminary_runs_write_the_listing_of_their_selection(con, tmp_path):
    publish(con, Q2, tmp_path / "2026Q2")
    build_billing_statements(con, Q3, purchaser="AS")
    files = write_adhoc_statements(con, Q3, "staging.billing_statements", tmp_path / "adhoc")
    assert sorted(p.name for p in files) == [
        "delivery_listing_AS_2026Q3_adhoc.csv",
        "statement_AS_2026Q3_adhoc.csv",
        "statement_AS_2026Q3_adhoc.xlsx",
    ]
    build_billing_statements(con, Q3, case_id="UK-D-AAB")
    files = write_adhoc_statements(
        con, Q3, "staging.billing_statements", tmp_path / "draft", preliminary=True
    )
    listed = [p for p in files if p.name.startswith("delivery_listing_")]
    assert [p.name for p in listed] == ["delivery_listing_UK_2026Q3_PRELIMINARY_UK-D-AAB.csv"]
    rows = list(csv.DictReader(listed[0].open()))
    assert [(r["case_id"], r["delivered_value"]) for r in rows] == [("UK-D-AAB", "75.00")]
    draft = openpyxl.load_workbook(
        tmp_path / "draft" / "statement_UK_2026Q3_PRELIMINARY_UK-D-AAB.xlsx"
    )
    assert draft["Delivery listing"]["A1"].value.startswith("PRELIMINARY: a draft")
    assert con.execute("SELECT count(*) FROM main.delivery_listing").fetchall() == [(1,)]


@pytest.mark.parametrize(
    ("breaking", "rule"),
    [
        (
            "DELETE FROM staging.delivery_listing WHERE kind = 'REPRICING'",
            "per case, to the cent: this statement's delivered value - the previous quarter's "
            "latest published one (0 when none) = REPORTED + REPRICING lines",
        ),
        (
            "UPDATE staging.delivery_listing SET delivered_value = delivered_value + 250.50 "
            "WHERE kind = 'REPRICING'; "
            "DELETE FROM staging.delivery_listing WHERE delivery_id = 'D2'",
            "every delivery of a case on the statement reported in the quarter is listed",
        ),
        (
            "UPDATE staging.delivery_listing SET country_code = 'AS' WHERE delivery_id = 'D2'",
            "no line of another purchaser (the line's purchaser is its case's)",
        ),
        (
            "UPDATE staging.delivery_listing SET kind = 'OTHER' WHERE delivery_id = 'D2'",
            "kind is REPORTED or REPRICING",
        ),
    ],
)
def test_the_gate_fails_critical_when_the_listing_is_broken(con, tmp_path, breaking, rule):
    publish(con, Q2, tmp_path / "2026Q2")
    delivery(con, "D1", "UK-D-AAA", "2026-05-10", "1,200.25", price="A")
    build_q3(con)
    assert gate_failures(con) == []
    con.execute(breaking)
    assert (rule, "critical") in gate_failures(con)


def test_the_gate_reads_the_published_previous_quarter_to_the_cent(con, tmp_path):
    publish(con, Q2, tmp_path / "2026Q2")
    build_q3(con)
    # A published Q2 figure one cent off what the listing was built from breaks the sum.
    con.execute(
        "UPDATE main.billing_statements SET delivered_value = delivered_value + 0.01 "
        "WHERE case_id = 'UK-D-AAA'"
    )
    assert gate_failures(con)[0][0].startswith("per case, to the cent")


def test_the_builder_never_replaces_the_published_listing(con):
    with pytest.raises(ValueError, match="holds published statements"):
        build_delivery_listing(con, Q3, table="main.delivery_listing")
