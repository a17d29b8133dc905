"""The payment schedule review flow end to end: a real Prefect run on a real DuckDB file,
publishing table payment_schedule_review and the files of fms-domain "Payment schedule review"
(the worked example: AHEAD by 601,600.00, revised 1,398,400.00 then 3,421,600.00)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows.payment_schedule_review import payment_schedule_review
from fms.snapshots import snapshot_path
from tests.billing.builders import billing_case, purchaser
from tests.billing.worked_example import CASE, insert_worked_example
from tests.handbuilt import open_warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")
Q3 = date(2026, 9, 30)
SHORT = "SS-D-S01"


def review_warehouse(tmp_path: Path) -> Path:
    """The worked example (AHEAD), a SHORT case of another purchaser and a case within its
    threshold."""
    con = open_warehouse(tmp_path)
    insert_worked_example(con)
    purchaser(con, "SS", name="Shortland")
    billing_case(
        con,
        SHORT,
        schedule=(("2025-01-15", "100,000"),),
        expenditures=(("2026-06-30", "1,000,000"),),
        forecasts=(("2026-10-01", "500,000", "0"), ("2027-01-01", "500,000", "100,000")),
        collections=(("2025-01-20", "100,000"),),
    )
    billing_case(
        con, "SS-D-S02", schedule=(("2025-01-15", "10"),), collections=(("2025-01-20", "10"),)
    )
    con.execute(
        "UPDATE case_lines SET line_value = 10000000 WHERE case_id IN (?, ?)", [CASE, SHORT]
    )
    con.close()
    return tmp_path / "test.duckdb"


REVIEW_ROWS = (
    "SELECT case_id, payment_number, variance, direction, revised_quarterly "
    "FROM payment_schedule_review ORDER BY case_id, payment_number"
)


def published(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(REVIEW_ROWS).fetchall()


def in_readers_snapshot(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(snapshot_path(warehouse)), read_only=True) as con:
        return con.execute(REVIEW_ROWS).fetchall()


def test_a_full_review_publishes_the_table_and_the_revisions_and_a_rerun_changes_nothing(
    tmp_path,
):
    warehouse, out = review_warehouse(tmp_path), tmp_path / "out"
    summary = payment_schedule_review(as_of=Q3, warehouse=warehouse, out=out)
    assert summary["marts"] == {"payment_schedule_review": 6}
    rows = published(warehouse)
    assert rows == [
        ("SS-D-S01", 1, Decimal("-2064000.00"), "SHORT", Decimal("2064000.00")),
        ("SS-D-S01", 2, None, "NONE", Decimal("8156000.00")),
        ("SS-D-S02", 1, Decimal("10.00"), "NONE", None),
        ("SS-D-S02", 2, None, "NONE", None),
        (CASE, 1, Decimal("601600.00"), "AHEAD", Decimal("1398400.00")),
        (CASE, 2, None, "NONE", Decimal("3421600.00")),
    ]
    folder = out / "payment-schedule-review" / "2026-09-30"
    assert Path(summary["out_dir"]) == folder
    ranked = list(csv.DictReader((folder / "payment_schedule_review_2026Q3.csv").open()))
    assert [(r["case_id"], r["direction"], r["largest_variance"]) for r in ranked] == [
        (SHORT, "SHORT", "-2064000.00"),
        (CASE, "AHEAD", "601600.00"),
    ]
    assert sorted(p.name for p in folder.glob("schedule_revision_*")) == [
        f"schedule_revision_{SHORT}_2026Q3.xlsx",
        f"schedule_revision_{CASE}_2026Q3.xlsx",
    ]
    sheet = openpyxl.load_workbook(folder / f"schedule_revision_{CASE}_2026Q3.xlsx").worksheets[0]
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "15 DEC 2026" in cells and "15 MAR 2027" in cells
    assert Decimal("1398400") in {Decimal(str(v)) for v in cells if isinstance(v, int | float)}
    assert (folder / "run_report.html").exists()

    assert in_readers_snapshot(warehouse) == rows

    payment_schedule_review(as_of=Q3, warehouse=warehouse, out=out)
    assert published(warehouse) == rows == in_readers_snapshot(warehouse)


def test_an_adhoc_review_writes_its_own_folder_of_one_purchaser_and_publishes_nothing(tmp_path):
    warehouse, out = review_warehouse(tmp_path), tmp_path / "out"
    summary = payment_schedule_review(as_of=Q3, warehouse=warehouse, out=out, purchaser="SS")
    assert Path(summary["out_dir"]) == out / "payment-schedule-review" / "adhoc" / "2026-09-30-SS"
    files = sorted(Path(f).name for f in summary["files"])
    assert f"schedule_revision_{SHORT}_2026Q3.xlsx" in files
    assert not any(CASE in f for f in files)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        }
    assert "payment_schedule_review" not in tables
    assert not snapshot_path(warehouse).exists()  # nothing published: no snapshot


def test_a_date_that_is_not_a_quarter_end_is_refused_before_anything_is_written(tmp_path):
    warehouse, out = review_warehouse(tmp_path), tmp_path / "out"
    with pytest.raises(ValueError, match="not a quarter end.*did you mean 2026-09-30"):
        payment_schedule_review(as_of=date(2026, 10, 15), warehouse=warehouse, out=out)
    assert not out.exists()
