"""Scale-out: the per-purchaser marts built on Dask (prefect-dask's DaskTaskRunner).

A job flow called with `runner="dask"` stages its marts through `build_marts_on_dask` (or
`build_statements_on_dask`) instead of its local build step; everything before and after
(input gate, mart audits, publication) runs unchanged in the flow's process. The Dask part is
a subflow, `partitioned-marts`, given a DaskTaskRunner when it is called
(`Flow.with_options(task_runner=...)`): a flow's task runner is fixed when the flow is defined,
and only this step needs the cluster. docs/scale-out.md.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from prefect import flow
from prefect.context import FlowRunContext

from flows.jobs import Runner
from fms.addresses import is_loopback
from fms.scaleout.export import export_root
from tasks.scaleout import (
    build_mart_partition,
    build_staged_purchaser_statements,
    export_partitioned_inputs,
    stage_partitions,
)

# The cluster `--runner dask` starts when no address is given: 2 worker processes of one
# thread each (this machine has 2 cores; DuckDB in each worker uses what it gets).
LOCAL_CLUSTER = {"n_workers": 2, "threads_per_worker": 1, "processes": True}


def uses_dask(runner: Runner | None, dask_address: str | None) -> bool:
    """True for the Dask runner (None is the default, local); a cluster address without the
    Dask runner is refused, never ignored."""
    if runner not in (None, "local", "dask"):
        raise ValueError(f"runner must be local or dask, not {runner!r}")
    if dask_address and runner != "dask":
        raise ValueError("a Dask cluster address needs the Dask runner (--runner dask)")
    return runner == "dask"


def _scheduler_host(dask_address: str) -> str | None:
    """The host of a Dask scheduler address: tcp://host:port, tls://host:port or host:port."""
    return urlsplit(dask_address if "://" in dask_address else f"tcp://{dask_address}").hostname


@contextmanager
def prefect_api_for_workers(dask_address: str | None = None) -> Iterator[str]:
    """Run the Dask step against a Prefect API the workers can reach; yield its URL.

    Each task run on a worker reports to the API in the settings it receives from the flow.
    With PREFECT_API_URL set (a server, `fms serve`, the test harness) that is the same server.
    Without it the flow talks to its temporary server, and a worker given no URL would start
    a temporary server of its own per process (slow, and its runs are lost when it exits): so
    the temporary server's URL is made the API URL for the Dask step. Workers on other
    machines cannot reach a loopback URL: refused with what to do.
    """
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    url = get_current_settings().api.url
    scope = nullcontext()
    if not url:
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()  # this process's temporary server (started if needed)
        server.start()
        url = server.api_url
        scope = temporary_settings(updates={PREFECT_API_URL: url})
    remote = dask_address is not None and not is_loopback(_scheduler_host(dask_address))
    if remote and is_loopback(urlsplit(url).hostname):
        raise ValueError(
            f"the Dask workers at {dask_address} would report to the Prefect API at {url}, "
            "which only this machine can reach: set PREFECT_API_URL to a Prefect server the "
            "workers can reach (docs/scale-out.md)"
        )
    with scope:
        yield url


@flow(name="partitioned-marts", log_prints=True)
def partitioned_marts(
    warehouse: Path,
    marts: tuple[str, ...],
    as_of: date,
    purchaser: str | None = None,
    case: str | None = None,
    export_folder: Path | None = None,
) -> dict[str, int]:
    """Stage `marts` as of `as_of` (billing_statements: the quarter end) in the warehouse,
    built per partition of purchasers by the flow's task runner; return the row counts.

    The export folder (default: a new folder under fms.scaleout.export.export_root) is removed when
    the run ends, whatever happened.
    """
    folder = Path(export_folder or export_root(warehouse) / uuid.uuid4().hex)
    try:
        # A partition per thread across the cluster's workers (starts the LocalCluster).
        threads = sum(FlowRunContext.get().task_runner.client.nthreads().values())
        plan = export_partitioned_inputs(warehouse, folder, max(1, threads), purchaser, case)
        futures = [
            build_mart_partition.submit(folder, marts, as_of, purchasers, purchaser, case)
            for purchasers in plan
        ]
        return stage_partitions(warehouse, marts, [f.result() for f in futures])
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the warehouse keeps the staged marts


def build_marts_on_dask(
    warehouse: Path,
    as_of: date,
    marts: tuple[str, ...],
    purchaser: str | None = None,
    case: str | None = None,
    dask_address: str | None = None,
) -> dict[str, int]:
    """The Dask counterpart of tasks.marts.build_marts: stage `marts` in the warehouse, on the
    cluster at `dask_address`, else on a new LocalCluster that lives as long as the subflow run."""
    from prefect_dask import DaskTaskRunner  # imported only when a run uses Dask

    with prefect_api_for_workers(dask_address):
        if dask_address:
            runner = DaskTaskRunner(address=dask_address)
        else:
            runner = DaskTaskRunner(cluster_kwargs={**LOCAL_CLUSTER, "dashboard_address": None})
        on_dask = partitioned_marts.with_options(task_runner=runner)
        return on_dask(Path(warehouse), tuple(marts), as_of, purchaser, case)


def build_statements_on_dask(
    warehouse: Path,
    period_end: date,
    purchaser: str | None = None,
    case: str | None = None,
    dask_address: str | None = None,
) -> dict[str, int]:
    """The Dask counterpart of tasks.billing.build_statements: case statements per partition
    of purchasers on Dask, then the purchaser statements from them in the coordinator."""
    cases = build_marts_on_dask(
        warehouse, period_end, ("billing_statements",), purchaser, case, dask_address
    )
    purchasers = build_staged_purchaser_statements(warehouse, period_end)
    return {"billing_statements": cases["billing_statements"], "purchaser_statements": purchasers}
