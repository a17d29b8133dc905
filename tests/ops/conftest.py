"""Operations tests: deployments, schedules, the warehouse lock, a real Prefect server."""

from __future__ import annotations

from tests.tiers import end_to_end_folder

pytest_collection_modifyitems = end_to_end_folder(__file__)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "prefect_server: starts a real `prefect server` and worker subprocesses (about a minute)",
    )
