"""Paths and defaults. Dates are resolved when a run starts, never at import."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("FMS_DATA_DIR", PROJECT_ROOT / "data"))


def reference_dir() -> Path:
    return data_dir() / "reference"


def default_landing() -> Path:
    return data_dir() / "sample" / "landing"


def default_warehouse() -> Path:
    return data_dir() / "warehouse" / "fms.duckdb"


def default_out() -> Path:
    return data_dir() / "out"


def duckdb_memory_limit() -> str:
    """DuckDB spills to disk beyond this, so a large load stays within the machine's budget."""
    return os.environ.get("FMS_DUCKDB_MEMORY_LIMIT", "3GB")


def schedule_timezone() -> str:
    return os.environ.get("FMS_TIMEZONE", "America/New_York")


def today() -> date:
    """Today's date where the FMS calendar runs (the schedule timezone), resolved at call time;
    FMS_TODAY=YYYY-MM-DD pins it for a replay."""
    pinned = os.environ.get("FMS_TODAY")
    if pinned:
        return date.fromisoformat(pinned)
    return datetime.now(ZoneInfo(schedule_timezone())).date()
