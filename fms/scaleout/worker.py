"""The worker's side: build the marts of a few purchasers from the shared Parquet export.

A worker never opens the warehouse. It opens an in-memory DuckDB, loads its purchasers' slice
of every input under the warehouse's table names (fms.scaleout.inputs), creates the shared
rule macros over it, and runs the same builders as the single-machine run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from fms import settings
from fms.billing import build_billing_statements
from fms.marts import MART_BUILDERS, Builder
from fms.scaleout.inputs import INPUT_SLICES
from fms.sqlfiles import materialize, read_sql

# The marts a worker can build, each taking (con, as_of or period_end, table, purchaser, case).
# billing_statements takes the quarter end as its date.
PARTITION_BUILDERS: dict[str, Builder] = {
    **MART_BUILDERS,
    "billing_statements": build_billing_statements,
}
WORK_SCHEMA = "staging"


def load_purchaser_slice(
    con: duckdb.DuckDBPyConnection, parquet_folder: Path, purchasers: list[str]
) -> None:
    """Create each input table of the marts in `con` with the rows of `purchasers` only, and
    the reference tables whole; then the shared rule macros over them."""
    for table, sql, by_purchaser in INPUT_SLICES:
        params: dict = {"path": str(Path(parquet_folder) / f"{table}.parquet")}
        if by_purchaser:
            params["purchasers"] = list(purchasers)
        materialize(con, table, sql, params)
    # The same macros fms.warehouse.refresh_rules creates, over the same reference rows: the
    # coordinator loaded data/reference/*.csv just before exporting, so workers need no copy
    # of data/reference and cannot see another version of it.
    con.execute(read_sql("marts/create_rule_macros"))


def build_partition(
    parquet_folder: Path,
    marts: tuple[str, ...],
    as_of: date,
    purchasers: list[str],
    purchaser: str | None = None,
    case_id: str | None = None,
) -> dict[str, pa.Table]:
    """Build `marts` as of `as_of` (the quarter end for billing_statements) for `purchasers`;
    return each mart's rows as an Arrow table (money stays decimal128).

    `purchaser` / `case_id` are the run's own ad-hoc filters, passed to the builders as in the
    single-machine run. The builders see only this partition's purchasers, so their rows are
    the full build's rows of these purchasers; the one whole-run figure, the closure
    worklist_rank, is ranked again by the coordinator (fms.scaleout.gather).
    """
    unknown = [m for m in marts if m not in PARTITION_BUILDERS]
    if unknown:
        raise ValueError(f"no partition builder for {', '.join(unknown)}")
    config = {"memory_limit": settings.duckdb_memory_limit()}
    with duckdb.connect(":memory:", config=config) as con:
        load_purchaser_slice(con, parquet_folder, purchasers)
        con.execute(f"CREATE SCHEMA {WORK_SCHEMA}")
        built = {}
        for mart in marts:
            table = f"{WORK_SCHEMA}.{mart}"
            PARTITION_BUILDERS[mart](con, as_of, table, purchaser, case_id)
            built[mart] = con.table(table).to_arrow_table()
    return built
