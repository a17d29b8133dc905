"""Published statements are records: revisions, difference reports, files per purchaser."""

from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest

from fms.billing.publication import publish_statements, write_adhoc_statements
from fms.billing.statements import build_billing_statements
from fms.outputs import MONEY_FORMAT
from tests.billing.builders import E, money
from tests.billing.worked_example import insert_worked_example
from tests.handbuilt import d, insert, open_warehouse


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    insert_worked_example(con, "XX-D-W01", "Exampleland")
    insert_worked_example(con, "YY-D-W01", "Otherland")
    yield con
    con.close()


def publish(con, out_dir):
    build_billing_statements(con, E)
    return publish_statements(con, E, "staging.billing_statements", out_dir)


def published(con, table):
    return con.execute(
        f"SELECT country_code, revision, count(*) FROM main.{table} GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def snapshot(folder):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_first_publication_is_revision_1_with_files_per_purchaser(con, tmp_path):
    out = tmp_path / "out" / "2026Q3"
    result = publish(con, out)
    assert result.published == {"XX": 1, "YY": 1}
    assert published(con, "billing_statements") == [("XX", 1, 1), ("YY", 1, 1)]
    assert published(con, "purchaser_statements") == [("XX", 1, 1), ("YY", 1, 1)]
    assert sorted(p.name for p in out.iterdir()) == [
        "statement_XX_2026Q3_r1.csv",
        "statement_XX_2026Q3_r1.xlsx",
        "statement_YY_2026Q3_r1.csv",
        "statement_YY_2026Q3_r1.xlsx",
    ]
    row = con.execute(
        "SELECT amount_due, arrearage, interest FROM main.purchaser_statements "
        "WHERE country_code = 'XX'"
    ).fetchall()[0]
    assert row == (money("2,000,000.00"), money("1,000,000.00"), money("1,643.84"))


def test_rerun_with_no_change_changes_nothing(con, tmp_path):
    out = tmp_path / "2026Q3"
    publish(con, out)
    before = snapshot(out)
    result = publish(con, out)
    assert result.published == {} and result.files == ()
    assert result.unchanged == {"XX": 1, "YY": 1}
    assert published(con, "billing_statements") == [("XX", 1, 1), ("YY", 1, 1)]
    assert snapshot(out) == before  # not rewritten


def test_correction_after_publication_is_revision_2_with_its_difference_report(con, tmp_path):
    out = tmp_path / "2026Q3"
    publish(con, out)
    xx_r1 = snapshot(out)["statement_XX_2026Q3_r1.xlsx"]
    yy_r1 = snapshot(out)["statement_YY_2026Q3_r1.xlsx"]
    # Correction: XX's 10 Jun 2026 collection was 600,000, not 1,000,000.
    insert(
        con,
        "collections",
        {
            "collection_id": "XX-D-W01-C5",
            "case_id": "XX-D-W01",
            "received_date": d("2026-06-10"),
            "amount": money("600,000.00"),
        },
    )
    result = publish(con, out)
    # Revisions are per purchaser: YY did not change and keeps revision 1.
    assert result.published == {"XX": 2}
    assert result.unchanged == {"YY": 1}
    assert published(con, "purchaser_statements") == [("XX", 1, 1), ("XX", 2, 1), ("YY", 1, 1)]
    r2 = con.execute(
        "SELECT collections_cumulative, amount_due, arrearage, interest "
        "FROM main.billing_statements WHERE case_id = 'XX-D-W01' AND revision = 2"
    ).fetchall()[0]
    # collections 5,100,000; due 7,500,000 - 5,100,000; arrearage 6,500,000 - 5,100,000;
    # interest: 400,000 x 77 days (1 Jul-15 Sep, 5,500,000 due) + 1,400,000 x 15 days
    # = 51,800,000 dollar-days x 0.04 / 365 = 5,676.712... -> 5,676.71
    assert r2 == (
        money("5,100,000.00"),
        money("2,400,000.00"),
        money("1,400,000.00"),
        money("5,676.71"),
    )
    files = snapshot(out)
    assert files["statement_XX_2026Q3_r1.xlsx"] == xx_r1  # the record of revision 1 stays
    assert files["statement_YY_2026Q3_r1.xlsx"] == yy_r1
    assert "statement_YY_2026Q3_r2.xlsx" not in files
    report = (out / "statement_XX_2026Q3_r2_differences.csv").read_text().splitlines()
    assert report[0] == "level,case_id,field,old_value,new_value"
    assert "purchaser,,amount_due,2000000.00,2400000.00" in report
    assert "case,XX-D-W01,collections_cumulative,5500000.00,5100000.00" in report
    assert "case,XX-D-W01,amount_due,2000000.00,2400000.00" in report
    assert "case,XX-D-W01,arrearage,1000000.00,1400000.00" in report
    assert "case,XX-D-W01,interest,1643.84,5676.71" in report
    assert report.index("purchaser,,amount_due,2000000.00,2400000.00") < report.index(
        "case,XX-D-W01,amount_due,2000000.00,2400000.00"
    )
    assert not any("YY" in line for line in report)
    stored = con.execute(
        "SELECT count(*) FROM main.billing_statement_differences "
        "WHERE country_code = 'XX' AND revision = 2 AND previous_revision = 1"
    ).fetchall()[0][0]
    assert stored == len(report) - 1

    # And a rerun with no further change changes nothing.
    before = snapshot(out)
    again = publish(con, out)
    assert again.published == {} and again.unchanged == {"XX": 2, "YY": 1}
    assert snapshot(out) == before
    assert published(con, "purchaser_statements") == [("XX", 1, 1), ("XX", 2, 1), ("YY", 1, 1)]


def test_a_missing_file_of_a_published_revision_is_rewritten_without_a_new_revision(con, tmp_path):
    out = tmp_path / "2026Q3"
    publish(con, out)
    (out / "statement_YY_2026Q3_r1.csv").unlink()  # e.g. a crash after the database commit
    kept = snapshot(out)["statement_XX_2026Q3_r1.xlsx"]
    result = publish(con, out)
    assert result.published == {}
    assert [p.name for p in result.files] == [
        "statement_YY_2026Q3_r1.xlsx",
        "statement_YY_2026Q3_r1.csv",
    ]
    assert (out / "statement_YY_2026Q3_r1.csv").exists()
    assert snapshot(out)["statement_XX_2026Q3_r1.xlsx"] == kept


def test_a_purchaser_left_without_cases_keeps_its_published_statement(con, tmp_path):
    out = tmp_path / "2026Q3"
    publish(con, out)
    insert(con, "cases", {"case_id": "YY-D-W01", "status": "CANCELLED"})
    result = publish(con, out)
    assert result.published == {} and result.withdrawn == ("YY",)
    assert published(con, "purchaser_statements") == [("XX", 1, 1), ("YY", 1, 1)]


def test_purchaser_workbook_holds_only_its_cases_with_money_as_currency_numbers(con, tmp_path):
    out = tmp_path / "2026Q3"
    publish(con, out)
    book = openpyxl.load_workbook(out / "statement_XX_2026Q3_r1.xlsx")
    assert book.sheetnames == ["Statement", "Case detail"]
    sheet = book["Statement"]
    heading = [(sheet.cell(r, 1).value, sheet.cell(r, 2).value) for r in range(1, 10)]
    assert heading == [
        ("FMS Billing Statement (DD Form 645)", None),
        ("Purchaser: XX Exampleland", None),
        ("Statement date", datetime(2026, 10, 15)),
        ("Quarter ended", datetime(2026, 9, 30)),
        ("Payment due date", datetime(2026, 12, 15)),
        ("Payment covers from", datetime(2027, 1, 1)),
        ("Payment covers to", datetime(2027, 3, 31)),
        ("Revision", 1),
        ("Amount due and payable", 2000000),
    ]
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "(1) Case Identifier")
    headers = [c.value for c in sheet[header_row]]
    assert headers[13] == "(14) Amount Due and Payable (9 - 10, not below 0)"
    rows = list(sheet.iter_rows(min_row=header_row + 1, values_only=False))
    assert [r[0].value for r in rows] == ["XX-D-W01", None, "Total"]  # the total set apart
    due = rows[0][13]
    assert due.data_type == "n" and Decimal(str(due.value)) == money("2,000,000.00")
    assert due.number_format == MONEY_FORMAT
    detail = book["Case detail"]
    columns = [c.value for c in detail[1]]
    countries = {r[columns.index("Purchaser")] for r in detail.iter_rows(2, values_only=True)}
    assert countries == {"XX"}
    interest = detail.cell(2, columns.index("(13) Interest on Arrearage") + 1)
    assert interest.data_type == "n" and interest.number_format == MONEY_FORMAT
    assert Decimal(str(interest.value)) == money("1,643.84")
    rate = detail.cell(2, columns.index("Surcharge rate") + 1)
    assert rate.data_type == "n" and rate.number_format != MONEY_FORMAT  # a rate, not dollars
    assert Decimal(str(rate.value)) == Decimal("0.032")
    csv_lines = (out / "statement_XX_2026Q3_r1.csv").read_text().splitlines()
    assert len(csv_lines) == 2 and "YY-D-W01" not in "".join(csv_lines)


def test_ad_hoc_run_never_publishes(con, tmp_path):
    build_billing_statements(con, E, purchaser="XX")
    with pytest.raises(ValueError, match="ad-hoc"):
        publish_statements(con, E, "staging.billing_statements", tmp_path / "published")
    adhoc = tmp_path / "adhoc"
    files = write_adhoc_statements(con, E, "staging.billing_statements", adhoc)
    assert sorted(p.name for p in files) == [
        "statement_XX_2026Q3_adhoc.csv",
        "statement_XX_2026Q3_adhoc.xlsx",
    ]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "purchaser_statements" in tables  # the staging candidate only
    published_tables = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name IN "
        "('billing_statements', 'purchaser_statements', 'billing_statement_differences')"
    ).fetchall()[0][0]
    assert published_tables == 0
    assert not (tmp_path / "published").exists()


def test_published_tables_hold_every_candidate_column(con, tmp_path):
    publish(con, tmp_path / "2026Q3")

    def columns(schema, table):
        return [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = $s "
                "AND table_name = $t ORDER BY column_index",
                {"s": schema, "t": table},
            ).fetchall()
        ]

    for table in ("billing_statements", "purchaser_statements"):
        candidate = [c for c in columns("staging", table) if c != "selection"]
        assert columns("main", table) == [*candidate, "published_at"]
