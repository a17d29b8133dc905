"""A partitioned build (what each Dask worker does, here in this process) gives the same marts
as the single-machine build, row for row and to the cent."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from fms.scaleout.export import ExportTypeError, check_types_round_trip, export_inputs
from fms.scaleout.gather import stage_gathered
from fms.scaleout.partitions import partition_purchasers, purchaser_workload, selected_purchasers
from fms.scaleout.worker import build_partition
from fms.warehouse import connect
from tests.handbuilt import d, insert, open_warehouse
from tests.scaleout.conftest import AS_OF, MART_DATES, build_locally, mart_rows, mart_types


def build_partitioned(con, folder, plan, purchaser=None, case_id=None) -> None:
    """Every mart of every partition, gathered into schema `gathered` (one worker call per
    partition and date, as the flows do)."""
    for as_of in sorted(set(MART_DATES.values())):
        marts = tuple(m for m, day in MART_DATES.items() if day == as_of)
        built = [
            build_partition(folder, marts, as_of, purchasers, purchaser, case_id)
            for purchasers in plan
        ]
        for mart in marts:
            stage_gathered(con, mart, [part[mart] for part in built], schema="gathered")


def assert_same_marts(con) -> None:
    for mart in MART_DATES:
        assert mart_types(con, f"gathered.{mart}") == mart_types(con, f"staging.{mart}"), mart
        assert mart_rows(con, f"gathered.{mart}") == mart_rows(con, f"staging.{mart}"), mart


@pytest.mark.parametrize("partitions", [2, 5])
def test_partitioned_build_equals_the_single_machine_build(warehouse_copy, tmp_path, partitions):
    with connect(warehouse_copy) as con:
        build_locally(con)
        folder = export_inputs(con, tmp_path / "export")
        plan = partition_purchasers(purchaser_workload(con), partitions)
        assert len(plan) == partitions
        build_partitioned(con, folder, plan)
        assert_same_marts(con)
        # the data covers what is compared: every mart has rows, billing has money in it
        for mart in MART_DATES:
            assert mart_rows(con, f"staging.{mart}"), mart
        (due,) = con.execute("SELECT sum(amount_due) FROM gathered.billing_statements").fetchone()
        assert isinstance(due, Decimal) and due > 0


def test_the_worklist_rank_is_over_every_purchaser_not_within_a_partition(warehouse_copy, tmp_path):
    with connect(warehouse_copy) as con:
        build_locally(con)
        folder = export_inputs(con, tmp_path / "export")
        plan = partition_purchasers(purchaser_workload(con), 2)
        parts = [
            build_partition(folder, ("closure_readiness",), AS_OF, p)["closure_readiness"]
            for p in plan
        ]
        # each partition ranks its own cases 1..n: both have a rank 1
        assert all(1 in part.column("worklist_rank").to_pylist() for part in parts)
        stage_gathered(con, "closure_readiness", parts, schema="gathered")
        ranks = "SELECT case_id, worklist_rank FROM query_table($t) ORDER BY worklist_rank"
        gathered = con.execute(ranks, {"t": "gathered.closure_readiness"}).fetchall()
        assert gathered == con.execute(ranks, {"t": "staging.closure_readiness"}).fetchall()
        assert [r for _, r in gathered] == list(range(1, len(gathered) + 1))


@pytest.mark.parametrize("selection", ["purchaser", "case"])
def test_an_adhoc_run_builds_one_partition_of_its_purchaser(warehouse_copy, tmp_path, selection):
    with connect(warehouse_copy) as con:
        case_id, country = con.execute(
            "SELECT case_id, country_code FROM cases ORDER BY case_id LIMIT 1"
        ).fetchone()
        purchaser, case = (country, None) if selection == "purchaser" else (None, case_id)
        build_locally(con, purchaser, case)
        folder = export_inputs(con, tmp_path / "export")
        plan = [selected_purchasers(con, purchaser, case)]
        assert plan == [[country]]
        build_partitioned(con, folder, plan, purchaser, case)
        assert_same_marts(con)
        (label,) = con.execute(
            "SELECT DISTINCT selection FROM gathered.billing_statements"
        ).fetchone()
        assert label == (f"purchaser {country}" if purchaser else f"case {case_id}")


def test_an_unknown_case_builds_empty_marts_with_their_columns(warehouse_copy, tmp_path):
    with connect(warehouse_copy) as con:
        build_locally(con, None, "ZZ-D-ZZZ")
        folder = export_inputs(con, tmp_path / "export")
        plan = [selected_purchasers(con, None, "ZZ-D-ZZZ")]
        assert plan == [[]]
        build_partitioned(con, folder, plan, None, "ZZ-D-ZZZ")
        assert_same_marts(con)


def test_a_delivery_filed_under_another_purchaser_before_its_correction_keeps_its_first_report(
    tmp_path,
):
    """The history slice follows the delivery, not its case: D1 was first reported under YY's
    case on 15 Feb (26 days after shipment on 20 Jan: on time), then corrected onto XX's case
    and resent on 1 Mar (40 days). First report 15 Feb -> not late, in both builds."""
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "XX"}, {"country_code": "YY"})
    cases = [
        {"case_id": c, "implementation_date": d("2025-06-01")} for c in ("XX-D-AAA", "YY-D-AAA")
    ]
    insert(con, "cases", *cases)
    lines = [
        {"case_id": c, "line_number": 1, "ordered_quantity": 10, "line_value": Decimal("1000.00")}
        for c in ("XX-D-AAA", "YY-D-AAA")
    ]
    insert(con, "case_lines", *lines)
    shipped = {"delivery_id": "D1", "shipment_date": d("2026-01-20"), "quantity": 1}
    insert(
        con,
        "deliveries",
        shipped
        | {
            "case_id": "YY-D-AAA",
            "reported_date": d("2026-02-15"),
            "delivered_value": Decimal("100.00"),
        },
    )
    insert(
        con,
        "deliveries",
        shipped
        | {
            "case_id": "XX-D-AAA",
            "reported_date": d("2026-03-01"),
            "delivered_value": Decimal("100.00"),
        },
    )
    build_locally(con)
    folder = export_inputs(con, tmp_path / "export")
    build_partitioned(con, folder, [["XX"], ["YY"]])
    assert_same_marts(con)
    late = "SELECT case_id, late_reported_deliveries FROM gathered.delivery_status ORDER BY ALL"
    assert con.execute(late).fetchall() == [("XX-D-AAA", 0), ("YY-D-AAA", 0)]
    con.close()


def test_a_column_type_parquet_cannot_keep_is_refused(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT CAST(1 AS HUGEINT) AS n, CAST(1.5 AS DECIMAL(18,2)) AS m")
    path = tmp_path / "t.parquet"
    con.execute("COPY t TO $p (FORMAT parquet)", {"p": str(path)})
    with pytest.raises(ExportTypeError, match="n HUGEINT -> DOUBLE"):
        check_types_round_trip(con, "t", path)
