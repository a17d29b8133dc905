"""Choosing the runner: local by default, Dask on request, and a cluster the workers of which
can report to the Prefect API."""

from __future__ import annotations

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.scaleout import prefect_api_for_workers, uses_dask


@pytest.mark.parametrize(
    ("runner", "address", "dask"),
    [(None, None, False), ("local", None, False), ("dask", None, True), ("dask", "h:8786", True)],
)
def test_the_runner_is_local_unless_dask_is_asked_for(runner, address, dask):
    assert uses_dask(runner, address) is dask


@pytest.mark.parametrize(("runner", "address"), [("local", "tcp://h:8786"), ("spark", None)])
def test_a_cluster_address_without_the_dask_runner_or_an_unknown_runner_is_refused(runner, address):
    with pytest.raises(ValueError):
        uses_dask(runner, address)


@pytest.mark.parametrize(
    ("api", "address", "refused"),
    [
        # workers on another machine cannot reach this machine's loopback API
        ("http://127.0.0.1:4200/api", "tcp://10.1.2.3:8786", True),
        ("http://localhost:4200/api", "scheduler.example:8786", True),
        # a cluster on this machine can
        ("http://127.0.0.1:4200/api", "tcp://127.0.0.1:8786", False),
        ("http://127.0.0.1:4200/api", None, False),
        # a server the workers can reach
        ("http://prefect.example:4200/api", "tcp://10.1.2.3:8786", False),
    ],
)
def test_remote_workers_need_a_prefect_api_they_can_reach(api, address, refused):
    with temporary_settings(updates={PREFECT_API_URL: api}):
        if refused:
            with pytest.raises(ValueError, match="PREFECT_API_URL"):
                with prefect_api_for_workers(address):
                    pass
        else:
            with prefect_api_for_workers(address) as url:
                assert url == api
