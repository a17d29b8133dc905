"""Shared fixtures: one Prefect test server per session, isolated from the user's Prefect home."""

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
def prefect_harness():
    """A real, temporary Prefect server and database for flow runs in this session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield
