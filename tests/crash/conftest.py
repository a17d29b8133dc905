"""One crash lab for the session, on the session's Prefect server (tests/conftest.py)."""

from __future__ import annotations

import os

import pytest

from tests.crash.lab import CrashLab, KillPoint
from tests.tiers import end_to_end_folder

pytest_collection_modifyitems = end_to_end_folder(__file__)

TIMINGS: list[tuple[str, float]] = []


@pytest.fixture(scope="session")
def crash_lab(request, tmp_path_factory, prefect_api):
    """Reference states, and every crashed run the session's tests ask for, started at once."""
    items = request.session.items
    lab = CrashLab(tmp_path_factory.mktemp("crash-lab"), prefect_api, workers=_workers())
    try:
        lab.prepare(
            _requested_kills(items),
            two_at_once=any(i.name.startswith("test_two_nightly_runs_at_once") for i in items),
        )
        yield lab
    finally:
        lab.close()
        TIMINGS.extend(lab.timings)


def _requested_kills(items) -> list[KillPoint]:
    kills = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        kill = callspec.params.get("kill") if callspec else None
        if isinstance(kill, KillPoint) and kill not in kills:
            kills.append(kill)
    return kills


def _workers() -> int:
    # Crashed runs are subprocesses; this process runs the references and recoveries meanwhile.
    return max(2, min(4, os.cpu_count() or 2))


def pytest_terminal_summary(terminalreporter) -> None:
    if TIMINGS:
        terminalreporter.section("crash lab timings")
        for what, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:6.1f} s  {what}")
