"""Paths and defaults. Dates are resolved when a run starts, never at import.

A setting given in the environment that cannot be used (a time zone that does not exist, a
pinned day that is not a date) is a `SettingError` naming the variable, never a fallback to the
default: a replay pinned to the wrong day would load and judge the wrong data.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class SettingError(ValueError):
    """An FMS_* environment variable holds a value that cannot be used."""


def data_dir() -> Path:
    return Path(os.environ.get("FMS_DATA_DIR", PROJECT_ROOT / "data"))


def reference_dir() -> Path:
    return data_dir() / "reference"


def sample_landing() -> Path:
    """The bundled sample's batch folders (`make run` loads them); never a default."""
    return data_dir() / "sample" / "landing"


LANDING_VARIABLE = "fms_landing"
NO_LANDING = (
    "no landing folder is configured: give --landing DIR, or set FMS_LANDING (for a deployment: "
    f"in the worker's environment, or the Prefect variable {LANDING_VARIABLE}: "
    f"`prefect variable set {LANDING_VARIABLE} /path/to/landing`); the bundled sample is "
    "data/sample/landing"
)


def configured_landing() -> Path | None:
    """The nightly's landing folder from FMS_LANDING, if set. A run never falls back to the
    bundled sample: a scheduled night would load it into the real warehouse."""
    value = os.environ.get("FMS_LANDING")
    return Path(value) if value else None


def default_warehouse() -> Path:
    return data_dir() / "warehouse" / "fms.duckdb"


def default_out() -> Path:
    return data_dir() / "out"


def duckdb_memory_limit() -> str:
    """DuckDB spills to disk beyond this, so a large load stays within the machine's budget."""
    return os.environ.get("FMS_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT)


def schedule_timezone() -> str:
    name = os.environ.get("FMS_TIMEZONE", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingError(
            f"FMS_TIMEZONE={name!r} is not a time zone this machine knows: use an IANA name "
            f"like {DEFAULT_TIMEZONE}, or unset it"
        ) from exc
    return name


def today() -> date:
    """Today's date where the FMS calendar runs (the schedule timezone), resolved at call time;
    FMS_TODAY=YYYY-MM-DD pins it for a replay."""
    pinned = os.environ.get("FMS_TODAY")
    if pinned:
        return _pinned_day(pinned)
    return datetime.now(ZoneInfo(schedule_timezone())).date()


def _pinned_day(pinned: str) -> date:
    why = "not in the form YYYY-MM-DD"
    if _ISO_DAY.fullmatch(pinned):
        try:
            return date.fromisoformat(pinned)
        except ValueError as exc:
            why = str(exc)
    raise SettingError(
        f"FMS_TODAY={pinned!r} is not a day YYYY-MM-DD ({why}): give the load day to replay, "
        "like 2026-11-05, or unset it"
    )


def check() -> None:
    """Every FMS_* setting a run reads, checked before the run starts (SettingError)."""
    schedule_timezone()
    today()
    _check_duckdb_memory_limit(duckdb_memory_limit())


def _check_duckdb_memory_limit(limit: str) -> None:
    import duckdb  # DuckDB itself says what it accepts ("3GB", "500MiB", "80%")

    try:
        duckdb.connect(":memory:", config={"memory_limit": limit}).close()
    except duckdb.Error as exc:
        raise SettingError(
            f"FMS_DUCKDB_MEMORY_LIMIT={limit!r} is not a memory size DuckDB accepts ({exc}): "
            f"use a size like {DEFAULT_DUCKDB_MEMORY_LIMIT}, or unset it"
        ) from exc
