"""Quarterly billing, delivery report and closure flows end to end: real Prefect runs on real
DuckDB files, asserting the real figures."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows.closure import closure_readiness
from flows.delivery_report import delivery_report
from flows.quarterly_billing import quarterly_billing
from fms.snapshots import snapshot_path
from tests.billing.worked_example import CASE, insert_worked_example
from tests.handbuilt import d, insert, open_warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")
Q3 = date(2026, 9, 30)


def worked_example_warehouse(tmp_path: Path) -> Path:
    con = open_warehouse(tmp_path)
    insert_worked_example(con)
    insert_worked_example(con, case_id="YY-D-W02", country_name="Otherland")
    con.close()
    return tmp_path / "test.duckdb"


def published(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT country_code, case_id, revision, amount_due, arrearage, interest "
            "FROM billing_statements ORDER BY country_code, revision"
        ).fetchall()


def test_a_quarter_not_yet_over_is_never_billed_and_nothing_is_written(tmp_path, monkeypatch):
    # A deployment run reaches the flow without the command line's check: the flow refuses too.
    monkeypatch.setenv("FMS_TODAY", "2026-12-01")
    warehouse, out = worked_example_warehouse(tmp_path), tmp_path / "out"
    with pytest.raises(ValueError, match="2026-12-31: that quarter is not over on 2026-12-01"):
        quarterly_billing(period_end=date(2026, 12, 31), warehouse=warehouse, out=out)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "billing_statements" not in tables and not out.exists()


def test_a_preliminary_run_writes_marked_drafts_of_a_quarter_not_over_and_publishes_nothing(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("FMS_TODAY", "2026-12-01")
    warehouse, out = worked_example_warehouse(tmp_path), tmp_path / "out"
    summary = quarterly_billing(
        period_end=date(2026, 12, 31), warehouse=warehouse, out=out, preliminary=True
    )
    assert summary["preliminary"] and not summary.get("published")
    folder = out / "quarterly-billing" / "preliminary" / "2026Q4"
    assert Path(summary["out_dir"]) == folder
    stems = ["statement_XX_2026Q4_PRELIMINARY", "statement_YY_2026Q4_PRELIMINARY"]
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{stem}.{kind}" for stem in stems for kind in ("csv", "xlsx")
    ]
    for stem in stems:
        book = openpyxl.load_workbook(folder / f"{stem}.xlsx")
        for sheet in book.worksheets:
            assert sheet["A1"].value.startswith("PRELIMINARY: a draft"), (stem, sheet.title)
    assert published(warehouse) == []
    assert not (out / "quarterly-billing" / "2026Q4").exists()


def test_an_adhoc_run_on_a_warehouse_that_is_not_there_is_refused_creating_nothing(tmp_path):
    with pytest.raises(ValueError, match="there is no warehouse at"):
        closure_readiness(warehouse=tmp_path / "typo.duckdb", out=tmp_path / "out", purchaser="uk")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_adhoc_run_for_a_purchaser_the_warehouse_does_not_hold_is_refused(tmp_path):
    warehouse, out = worked_example_warehouse(tmp_path), tmp_path / "out"
    with pytest.raises(ValueError, match="no such purchaser .did you mean XX"):
        quarterly_billing(period_end=Q3, warehouse=warehouse, out=out, purchaser="XZ")
    assert not out.exists()


def test_quarterly_billing_publishes_the_worked_example_per_purchaser(tmp_path):
    warehouse, out = worked_example_warehouse(tmp_path), tmp_path / "out"
    summary = quarterly_billing(period_end=Q3, warehouse=warehouse, out=out)
    assert summary["published"] == {"XX": 1, "YY": 1}
    # fms-domain.md worked example: amount due 2,000,000.00; arrearage 1,000,000.00; interest
    # 1,000,000 x 0.04 x 15 / 365 = 1,643.84
    row = (Decimal("2000000.00"), Decimal("1000000.00"), Decimal("1643.84"))
    assert published(warehouse) == [("XX", CASE, 1, *row), ("YY", "YY-D-W02", 1, *row)]
    # Readers see the new records in their snapshot (fms/snapshots.py).
    assert published(snapshot_path(warehouse)) == published(warehouse)
    folder = out / "quarterly-billing" / "2026Q3"
    for cc, other in (("XX", "YY"), ("YY", "XX")):
        workbook = folder / f"statement_{cc}_2026Q3_r1.xlsx"
        cells = [
            c.value for ws in openpyxl.load_workbook(workbook) for r in ws.iter_rows() for c in r
        ]
        assert not any(isinstance(v, str) and v.startswith(f"{other}-") for v in cells)
        rows = list(csv.DictReader((folder / f"statement_{cc}_2026Q3_r1.csv").open()))
        assert {r["case_id"][:2] for r in rows} == {cc}
    assert (Path(summary["run_reports"]) / "data_docs" / "index.html").exists()


def test_a_correction_after_publication_is_revision_2_and_a_rerun_changes_nothing(tmp_path):
    warehouse, out = worked_example_warehouse(tmp_path), tmp_path / "out"
    quarterly_billing(period_end=Q3, warehouse=warehouse, out=out)
    again = quarterly_billing(period_end=Q3, warehouse=warehouse, out=out)
    assert again["published"] == {} and again["files"] == []
    with duckdb.connect(str(warehouse)) as con:
        # A late-reported payment of 250,000 received on 20 Sep 2026 by XX only.
        insert(
            con,
            "collections",
            {
                "collection_id": "LATE",
                "case_id": CASE,
                "received_date": d("2026-09-20"),
                "amount": Decimal("250000.00"),
            },
        )
    third = quarterly_billing(period_end=Q3, warehouse=warehouse, out=out)
    assert third["published"] == {"XX": 2}
    latest = [r for r in published(warehouse) if r[0] == "XX"][-1]
    # collections 5,750,000 -> amount due 7,500,000 - 5,750,000 = 1,750,000.00
    assert latest[2:4] == (2, Decimal("1750000.00"))
    assert (
        out / "quarterly-billing" / "2026Q3" / "statement_XX_2026Q3_r2_differences.csv"
    ).exists()


def test_an_adhoc_billing_run_writes_its_own_folder_and_publishes_nothing(tmp_path):
    warehouse, out = worked_example_warehouse(tmp_path), tmp_path / "out"
    summary = quarterly_billing(period_end=Q3, warehouse=warehouse, out=out, purchaser="YY")
    assert published(warehouse) == []
    assert Path(summary["out_dir"]) == out / "quarterly-billing" / "adhoc" / "2026Q3-YY"
    names = sorted(p.name for p in Path(summary["out_dir"]).iterdir())
    assert names == ["statement_YY_2026Q3_adhoc.csv", "statement_YY_2026Q3_adhoc.xlsx"]
    # A run of one case names its files after the case: not the purchaser run's names.
    case = quarterly_billing(period_end=Q3, warehouse=warehouse, out=out, case="YY-D-W02")
    assert Path(case["out_dir"]) == out / "quarterly-billing" / "adhoc" / "2026Q3-YY-D-W02"
    assert sorted(Path(f).name for f in case["files"]) == [
        "statement_YY_2026Q3_adhoc_YY-D-W02.csv",
        "statement_YY_2026Q3_adhoc_YY-D-W02.xlsx",
    ]
    assert published(warehouse) == []
    assert not (out / "quarterly-billing" / "2026Q3").exists()


def delivery_warehouse(tmp_path: Path) -> Path:
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK"}, {"country_code": "AS"})
    insert(
        con,
        "cases",
        {
            "case_id": "UK-D-AAA",
            "acceptance_date": d("2020-01-10"),
            "implementation_date": d("2020-02-01"),
        },
        {
            "case_id": "AS-B-AAB",
            "acceptance_date": d("2020-01-10"),
            "implementation_date": d("2020-02-01"),
        },
    )
    insert(
        con,
        "case_lines",
        {
            "case_id": "UK-D-AAA",
            "line_number": 1,
            "generic_code": "A1A",
            "ordered_quantity": 4,
            "line_value": Decimal("400.00"),
        },
        {
            "case_id": "AS-B-AAB",
            "line_number": 2,
            "generic_code": "D1B",
            "ordered_quantity": 10,
            "line_value": Decimal("1000.00"),
        },
    )
    insert(
        con,
        "deliveries",
        {
            "delivery_id": "D1",
            "case_id": "UK-D-AAA",
            "line_number": 1,
            "shipment_date": d("2026-09-01"),
            "reported_date": d("2026-09-10"),
            "quantity": 3,
            "delivered_value": Decimal("300.00"),
        },
        {
            "delivery_id": "D2",
            "case_id": "AS-B-AAB",
            "line_number": 2,
            "shipment_date": d("2026-09-01"),
            "reported_date": d("2026-10-02"),
            "quantity": 7,
            "delivered_value": Decimal("700.00"),
            "price_code": "E",
        },
    )
    con.close()
    return tmp_path / "test.duckdb"


def test_the_monthly_delivery_report_writes_the_c1_file_as_of_the_month_before(tmp_path):
    warehouse, out = delivery_warehouse(tmp_path), tmp_path / "out"
    summary = delivery_report(as_of=date(2026, 9, 30), warehouse=warehouse, out=out)
    folder = out / "delivery-report" / "2026-09-30"
    c1 = (folder / "c1_20260930.txt").read_text()
    # D2 was reported on 2 Oct: not known on 30 Sep. UK line 1: 3 delivered.
    assert c1 == "C1UKDAAA001    000003" + " " * 51 + "260930 A\n"
    assert summary["marts"]["delivery_status"] == 2
    oct_run = delivery_report(as_of=date(2026, 10, 31), warehouse=warehouse, out=out)
    c1_oct = Path(oct_run["out_dir"], "c1_20261031.txt").read_text().splitlines()
    assert [r[:21] for r in c1_oct] == ["C1ASBAAB002    000007", "C1UKDAAA001    000003"]
    assert all(len(r) == 80 for r in c1_oct)


def test_an_adhoc_delivery_report_for_one_case_has_only_that_case(tmp_path):
    warehouse, out = delivery_warehouse(tmp_path), tmp_path / "out"
    summary = delivery_report(
        as_of=date(2026, 10, 31), warehouse=warehouse, out=out, case="AS-B-AAB"
    )
    folder = Path(summary["out_dir"])
    assert folder == out / "delivery-report" / "adhoc" / "2026-10-31-AS-B-AAB"
    assert (folder / "c1_20261031.txt").read_text().startswith("C1ASBAAB002")
    rows = list(csv.DictReader((folder / "delivery_status_20261031.csv").open()))
    assert {r["case_id"] for r in rows} == {"AS-B-AAB"}


def test_the_closure_flow_ranks_the_worklist_and_reports_funds_locked(tmp_path):
    warehouse, out = delivery_warehouse(tmp_path), tmp_path / "out"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE cases SET status = 'SUPPLY_SERVICE_COMPLETE', "
            "supply_services_complete_date = DATE '2026-10-01' WHERE case_id = 'UK-D-AAA'"
        )
        con.execute("UPDATE case_lines SET ordered_quantity = 3 WHERE case_id = 'UK-D-AAA'")
        insert(
            con,
            "collections",
            {
                "collection_id": "K1",
                "case_id": "UK-D-AAA",
                "received_date": d("2026-06-01"),
                "amount": Decimal("1000.00"),
            },
        )
    summary = closure_readiness(as_of=date(2026, 11, 1), warehouse=warehouse, out=out)
    rows = list(csv.DictReader(Path(summary["out_dir"], "closure_worklist_20261101.csv").open()))
    assert rows[0]["case_id"] == "UK-D-AAA"
    # final value = 300.00 delivered + round(0.032 x 300.00) = 9.60 -> 309.60;
    # excess = 1,000.00 - 309.60 = 690.40
    assert rows[0]["funds_released_on_closure"] == "690.40"
