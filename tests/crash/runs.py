"""Real runs for the crash tests: `fms run` in a subprocess, or a flow in this process, both
against the session's real Prefect server (tests/prefect_server.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tests.prefect_server import PrefectApi

TODAY = "2026-11-05"  # the load day (FMS_TODAY) of every run, so reruns judge dates alike
AS_OF = date(2026, 11, 5)
PERIOD_END = date(2026, 9, 30)  # the quarter the billing runs publish
QUARTER = "2026Q3"
RUN_TIMEOUT_SECONDS = 300


def fms_command() -> list[str]:
    """The `fms` console script of this interpreter's environment (as `make run` uses it)."""
    script = Path(sys.executable).with_name("fms")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def nightly_args(folder: Path, landing: Path) -> list[str]:
    return [
        "run",
        "nightly",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse_of(folder)),
        "--out",
        str(folder / "out"),
        "--as-of",
        AS_OF.isoformat(),
        "--json",  # the summary the tests read
    ]


def billing_args(folder: Path) -> list[str]:
    return [
        "run",
        "quarterly-billing",
        "--period-end",
        PERIOD_END.isoformat(),
        "--warehouse",
        str(warehouse_of(folder)),
        "--out",
        str(folder / "out"),
    ]


def load_day() -> date:
    return date.fromisoformat(TODAY)


def warehouse_of(folder: Path) -> Path:
    return folder / "warehouse" / "fms.duckdb"


def nightly_folder(folder: Path) -> Path:
    return folder / "out" / "nightly" / AS_OF.isoformat()


def statements_folder(folder: Path) -> Path:
    return folder / "out" / "quarterly-billing" / QUARTER


@dataclass(frozen=True)
class CliRun:
    returncode: int
    output: str
    seconds: float


def run_cli(api: PrefectApi, args: list[str], failpoint: str | None = None) -> CliRun:
    """`fms <args>` in a subprocess against the test server; FMS_FAILPOINT set if given."""
    env = {k: v for k, v in os.environ.items() if k != "FMS_FAILPOINT"} | api.environment()
    env |= {
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "FMS_TODAY": TODAY,
        "FMS_DUCKDB_MEMORY_LIMIT": "1GB",
    }
    if failpoint:
        env["FMS_FAILPOINT"] = failpoint
    started = time.monotonic()
    done = subprocess.run(
        [*fms_command(), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    return CliRun(done.returncode, done.stdout, time.monotonic() - started)


@contextmanager
def in_process(api: PrefectApi) -> Iterator[None]:
    """Run flows in this process against the test server, on the same load day and with the
    same Prefect settings as the CLI."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from app.cli import without_heartbeats

    before = os.environ.get("FMS_TODAY")
    os.environ["FMS_TODAY"] = TODAY
    try:
        with temporary_settings({PREFECT_API_URL: api.url}), without_heartbeats():
            yield
    finally:
        if before is None:
            os.environ.pop("FMS_TODAY", None)
        else:
            os.environ["FMS_TODAY"] = before


def nightly_in_process(api: PrefectApi, folder: Path, landing: Path) -> dict:
    from flows.nightly import nightly_refresh

    with in_process(api):
        return nightly_refresh(
            landing=landing, warehouse=warehouse_of(folder), out=folder / "out", as_of=AS_OF
        )


def billing_in_process(api: PrefectApi, folder: Path) -> dict:
    from flows.quarterly_billing import quarterly_billing

    with in_process(api):
        return quarterly_billing(
            period_end=PERIOD_END, warehouse=warehouse_of(folder), out=folder / "out"
        )


def copy_state(source: Path, target: Path) -> Path:
    """A warehouse and output tree copied whole (no run holds them), for one scenario."""
    shutil.copytree(source, target, symlinks=True)
    return target
