"""Scale-out steps: export the marts' inputs, build partitions on Dask workers, stage them.

`export_partitioned_inputs` and `stage_partitions` run in the flow's process (the
coordinator, DuckDB's single writer); `build_mart_partition` is submitted to the Dask task
runner and reads only the Parquet export. Money crosses as Arrow decimal128, never float.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from fms.billing import build_purchaser_statements
from fms.scaleout.export import export_inputs
from fms.scaleout.gather import stage_gathered
from fms.scaleout.partitions import partition_purchasers, purchaser_workload, selected_purchasers
from fms.scaleout.worker import build_partition
from fms.warehouse import connect, refresh_rules
from tasks.failures import RETRY_TRANSIENT


@task(name="export mart inputs to parquet", **RETRY_TRANSIENT)
def export_partitioned_inputs(
    warehouse: Path,
    folder: Path,
    partitions: int,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> list[list[str]]:
    """Reload the reference tables, export one consistent Parquet copy of the marts' inputs to
    `folder`, and return the purchasers of each partition (one partition for an ad-hoc run)."""
    with connect(warehouse) as con:
        refresh_rules(con)
        export_inputs(con, folder)
        selected = selected_purchasers(con, purchaser, case_id)
        if selected is None:
            plan = partition_purchasers(purchaser_workload(con), partitions)
        else:
            plan = [selected]
    get_run_logger().info(
        "exported mart inputs to %s; %d partition(s): %s",
        folder,
        len(plan),
        "; ".join(",".join(p) or "(none)" for p in plan),
    )
    return plan


# Arrow tables are the result: never hashed for a cache key, never cached.
@task(name="build mart partition", cache_policy=NO_CACHE, **RETRY_TRANSIENT)
def build_mart_partition(
    parquet_folder: Path,
    marts: tuple[str, ...],
    as_of: date,
    purchasers: list[str],
    purchaser: str | None = None,
    case_id: str | None = None,
) -> dict[str, pa.Table]:
    """On a Dask worker: the marts' rows of `purchasers`, built from the Parquet export."""
    built = build_partition(parquet_folder, marts, as_of, purchasers, purchaser, case_id)
    get_run_logger().info(
        "built %s for %s: %s",
        ", ".join(marts),
        ",".join(purchasers) or "(none)",
        ", ".join(f"{m} {t.num_rows:,}" for m, t in built.items()),
    )
    return built


@task(name="stage gathered marts", cache_policy=NO_CACHE, **RETRY_TRANSIENT)
def stage_partitions(
    warehouse: Path, marts: tuple[str, ...], built: list[dict[str, pa.Table]]
) -> dict[str, int]:
    """Write every mart's gathered rows into staging.<mart>; return the row counts."""
    with connect(warehouse) as con:
        counts = {mart: stage_gathered(con, mart, [part[mart] for part in built]) for mart in marts}
    get_run_logger().info(
        "staged marts from %d partition(s): %s",
        len(built),
        ", ".join(f"{k} {v:,}" for k, v in counts.items()),
    )
    return counts


@task(name="build purchaser statements", **RETRY_TRANSIENT)
def build_staged_purchaser_statements(warehouse: Path, period_end: date) -> int:
    """The purchaser statements from the staged case statements (sums per purchaser, in the
    coordinator: cheap, and they read the holding account from the warehouse)."""
    with connect(warehouse) as con:
        refresh_rules(con)
        return build_purchaser_statements(con, period_end)
