"""The coordinator writes what the workers built into `staging.<mart>` of the warehouse."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from fms.publication import STAGING
from fms.scaleout.worker import PARTITION_BUILDERS
from fms.sqlfiles import materialize

GATHERED = "scaleout_gathered"  # the Arrow rows, registered on the connection for one statement
# Marts with a figure over the whole run, recomputed over the gathered rows: mart -> SQL file.
WHOLE_RUN_FIGURES = {"closure_readiness": "scaleout/rank_closure_worklist"}


def stage_gathered(
    con: duckdb.DuckDBPyConnection, mart: str, parts: list[pa.Table], schema: str = STAGING
) -> int:
    """Replace `<schema>.<mart>` with the rows of every partition; return the row count.

    Types come from the workers' Arrow tables, which carry the builders' DuckDB types (DECIMAL
    as decimal128 of the same precision and scale). Refuses partitions whose columns differ.
    """
    if mart not in PARTITION_BUILDERS:
        raise ValueError(f"not a mart: {mart!r}")
    if not parts:
        raise ValueError(f"no partition built {mart}")
    schemas = {part.schema for part in parts}
    if len(schemas) > 1:
        raise ValueError(f"the partitions of {mart} do not have the same columns: {schemas}")
    rows = pa.concat_tables(parts)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.register(GATHERED, rows)
    try:
        target = f"{schema}.{mart}"
        if mart in WHOLE_RUN_FIGURES:
            return materialize(con, target, WHOLE_RUN_FIGURES[mart], {"table": GATHERED})
        con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {GATHERED}")
        return con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
    finally:
        con.unregister(GATHERED)
