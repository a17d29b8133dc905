"""The per-purchaser marts on a real 2-worker Dask LocalCluster (processes, one thread each)
through prefect-dask, against the single-machine build: row for row, to the cent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.closure import closure_readiness
from flows.scaleout import LOCAL_CLUSTER, build_marts_on_dask, build_statements_on_dask
from fms.billing import build_billing_statements, build_purchaser_statements
from fms.marts import NIGHTLY_MARTS, build_staged_marts
from fms.warehouse import connect, refresh_rules
from tests.scaleout.conftest import AS_OF, PERIOD_END, mart_rows, mart_types

pytestmark = pytest.mark.usefixtures("prefect_harness")
EVERY_MART = (*NIGHTLY_MARTS, "billing_statements")


@pytest.fixture(scope="module")
def dask_cluster():
    """An existing cluster, as `--dask-address tcp://...` names one."""
    from distributed import LocalCluster

    with LocalCluster(**LOCAL_CLUSTER, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def test_every_per_purchaser_mart_built_on_dask_equals_the_single_machine_build(
    warehouse_copy,
):
    # The runner's own LocalCluster (what `--runner dask` starts), all marts of the quarter
    # ended 2026-09-30 in one cluster.
    counts = build_marts_on_dask(warehouse_copy, PERIOD_END, EVERY_MART)
    with connect(warehouse_copy) as con:
        con.execute("CREATE SCHEMA on_dask")
        for mart in EVERY_MART:
            con.execute(f"CREATE TABLE on_dask.{mart} AS SELECT * FROM staging.{mart}")
        refresh_rules(con)
        build_staged_marts(con, PERIOD_END, NIGHTLY_MARTS)
        build_billing_statements(con, PERIOD_END)
        for mart in EVERY_MART:
            local = mart_rows(con, f"staging.{mart}")
            assert mart_types(con, f"on_dask.{mart}") == mart_types(con, f"staging.{mart}")
            assert mart_rows(con, f"on_dask.{mart}") == local, mart
            assert counts[mart] == len(local) > 0, mart
    # the export is gone: workers' inputs do not outlive the run
    assert not any((warehouse_copy.parent / "scaleout").iterdir())


def published_files(folder: Path, pattern: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob(pattern))}


def test_statements_on_an_existing_dask_cluster_equal_the_single_machine_statements(
    warehouse_copy, dask_cluster
):
    """The quarterly-billing step: case statements on the workers, purchaser statements
    summed from them by the coordinator."""
    counts = build_statements_on_dask(warehouse_copy, PERIOD_END, dask_address=dask_cluster)
    statements = ("billing_statements", "purchaser_statements")
    with connect(warehouse_copy) as con:
        con.execute("CREATE SCHEMA on_dask")
        for table in statements:
            con.execute(f"CREATE TABLE on_dask.{table} AS SELECT * FROM staging.{table}")
        refresh_rules(con)
        build_billing_statements(con, PERIOD_END)
        build_purchaser_statements(con, PERIOD_END)
        for table in statements:
            local = mart_rows(con, f"staging.{table}")
            assert mart_rows(con, f"on_dask.{table}") == local, table
            assert counts[table] == len(local) > 0, table


def test_closure_on_an_existing_dask_cluster_publishes_the_same_ranked_worklist(
    warehouse_copy, tmp_path, dask_cluster
):
    local_warehouse = tmp_path / "local" / "fms.duckdb"
    local_warehouse.parent.mkdir()
    shutil.copyfile(warehouse_copy, local_warehouse)
    local = closure_readiness(as_of=AS_OF, warehouse=local_warehouse, out=tmp_path / "a")
    dask = closure_readiness(
        as_of=AS_OF,
        warehouse=warehouse_copy,
        out=tmp_path / "b",
        runner="dask",
        dask_address=dask_cluster,
    )
    assert dask["marts"] == local["marts"]
    for csvs in ("closure_*.csv", "buy_back_register_*.csv"):
        expected = published_files(Path(local["out_dir"]), csvs)
        assert published_files(Path(dask["out_dir"]), csvs) == expected and expected
