"""A generated small warehouse (all purchasers, every mart input) shared by the scale-out tests,
and what the single-machine run builds from it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from fms.billing import build_billing_statements
from fms.ingest.load_batch import load_new_batches
from fms.marts import NIGHTLY_MARTS, build_staged_marts
from fms.warehouse import connect, refresh_rules
from tests.tiers import end_to_end_folder
from tools.generate import generate

pytest_collection_modifyitems = end_to_end_folder(__file__)

AS_OF = date(2026, 11, 5)
PERIOD_END = date(2026, 9, 30)
LOAD_DATE = date(2026, 11, 22)
SEED = 2026
# Every per-purchaser mart: the nightly's five (as of AS_OF) and the case statements (quarter).
MART_DATES = {**dict.fromkeys(NIGHTLY_MARTS, AS_OF), "billing_statements": PERIOD_END}


def mart_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """Every row, in a fixed order; money as Decimal, exact."""
    return con.execute("SELECT * FROM query_table($t) ORDER BY ALL", {"t": table}).fetchall()


def mart_types(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM query_table($t))",
        {"t": table},
    ).fetchall()


def build_locally(con: duckdb.DuckDBPyConnection, purchaser=None, case_id=None) -> None:
    """The single-machine run's staging tables (the builders the flows' local steps call)."""
    refresh_rules(con)
    build_staged_marts(con, AS_OF, NIGHTLY_MARTS, purchaser, case_id)
    build_billing_statements(con, PERIOD_END, purchaser=purchaser, case_id=case_id)


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory) -> Path:
    """A warehouse loaded from `fms generate --scale small --seed 2026 --dirty-rate 0`; tests
    copy it (`warehouse_copy`) before writing."""
    root = tmp_path_factory.mktemp("scaleout-small")
    generate(root / "data", "small", SEED, 0.0)
    with connect(root / "small.duckdb") as con:
        load_new_batches(con, root / "data" / "landing", LOAD_DATE)
    return root / "small.duckdb"


@pytest.fixture
def warehouse_copy(small_warehouse, tmp_path) -> Path:
    target = tmp_path / "warehouse" / "fms.duckdb"
    target.parent.mkdir()
    shutil.copyfile(small_warehouse, target)
    return target
