"""Shared fixtures: one Prefect server per test worker, isolated from the user's Prefect home."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# Before Prefect is imported anywhere: keep test runs out of the user's ~/.prefect. xdist's
# workers inherit the folder of the process that made it; that process removes it at the end.
_OWN_PREFECT_HOME = None
if "PREFECT_HOME" not in os.environ:
    _OWN_PREFECT_HOME = os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="fms-prefect-home-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def pytest_unconfigure(config):
    if _OWN_PREFECT_HOME is not None:
        shutil.rmtree(_OWN_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One real Prefect server for this test worker's session (tests/prefect_server.py)."""
    from tests.prefect_server import prefect_server

    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as api:
        yield api
        # This process's logs and events of flows run here reach the server before it stops
        # (else Prefect retries sending them to a closed port at exit).
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=30)
        EventsWorker.drain_all(timeout=30)


@pytest.fixture(scope="session")
def prefect_harness(prefect_api):
    """Flow runs in this process go to the session's Prefect server, with the settings `fms run`
    gives its flow run."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from app.cli import without_heartbeats

    with temporary_settings({PREFECT_API_URL: prefect_api.url}), without_heartbeats():
        yield
