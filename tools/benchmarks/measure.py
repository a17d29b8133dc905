"""Running measured children and describing the machine they ran on."""

from __future__ import annotations

import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from fms.settings import PROJECT_ROOT
from tools.benchmarks.data import LOAD_DATE

_counter = itertools.count(1)

# What every stage process imports before its clock starts (the nightly's process has them
# loaded once by the time a task runs). Great Expectations is not among them: its import is
# part of the first gate of a run (the Validator imports it lazily).
PRELOAD = [
    "duckdb",
    "pandas",
    "pyarrow",
    "tools.benchmarks.data",
    "fms.warehouse",
    "fms.ingest.load_batch",
    "fms.publication",
    "fms.quality.gate",
    "fms.quality.suites",
    "fms.billing",
    "fms.closure",
    "fms.delivery",
    "fms.ingest.worklist",
]


class ChildFailed(RuntimeError):
    pass


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["FMS_TODAY"] = LOAD_DATE.isoformat()  # the load day, pinned for every run
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.update(extra or {})
    return env


def run_child(spec: dict, work: Path, env: dict[str, str] | None = None) -> dict:
    """Run `tools.benchmarks.stage` on `spec` in a fresh process; return its result."""
    n = next(_counter)
    folder = work / "children"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{n:03d}-{spec['stage']}"
    spec = {"preload": PRELOAD, **spec, "result": str(folder / f"{name}.result.json")}
    spec_path = folder / f"{name}.spec.json"
    spec_path.write_text(json.dumps(spec, indent=1, default=str))
    log = folder / f"{name}.log"
    with log.open("wb") as fh:
        code = subprocess.call(
            [sys.executable, "-m", "tools.benchmarks.stage", str(spec_path)],
            cwd=PROJECT_ROOT,
            env=child_env(env),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    if code != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise ChildFailed(f"stage {spec['stage']} failed (exit {code}), log {log}:\n{tail}")
    return json.loads(Path(spec["result"]).read_text())


def aggregate(results: list[dict]) -> dict:
    """Median seconds over repeats, the highest peak, and each part's median."""
    seconds = [r["seconds"] for r in results]
    parts: dict[str, list[float]] = {}
    for r in results:
        for k, v in r.get("parts", {}).items():
            parts.setdefault(k, []).append(v)
    return {
        "seconds": statistics.median(seconds),
        "seconds_min": min(seconds),
        "seconds_max": max(seconds),
        "peak_rss_mib": max(r.get("peak_rss_mib", 0.0) for r in results),
        "cpu_seconds": statistics.median(r.get("cpu_seconds", 0.0) for r in results),
        "parts": {k: statistics.median(v) for k, v in parts.items()},
        "loadavg_at_start": [r.get("loadavg_at_start") for r in results],
        "load_1min_median": statistics.median(
            r["loadavg_at_start"][0] for r in results if r.get("loadavg_at_start")
        ),
        "repeats": len(results),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cgroup_limits() -> dict:
    limits = {}
    for name, path in (
        ("cpu.max", "/sys/fs/cgroup/cpu.max"),
        ("memory.max", "/sys/fs/cgroup/memory.max"),
        ("cpu quota (v1)", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
        ("memory limit (v1)", "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
    ):
        text = _read(path).strip()
        if text:
            limits[name] = text
    return limits


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "not installed"


def describe_machine() -> dict:
    cpuinfo = _read("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in cpuinfo.splitlines()
        if line.startswith("model name")
    ]
    meminfo = {
        line.split(":")[0]: line.split(":")[1].strip()
        for line in _read("/proc/meminfo").splitlines()
        if ":" in line
    }
    mem_kib = int(meminfo.get("MemTotal", "0 kB").split()[0])
    from fms.settings import duckdb_memory_limit

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": models[0] if models else platform.processor() or "unknown",
        "memory_gib": round(mem_kib / 2**20, 1),
        "memory_available_gib": round(
            int(meminfo.get("MemAvailable", "0 kB").split()[0]) / 2**20, 1
        ),
        "cgroup_limits": _cgroup_limits(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "prefect": _version("prefect"),
        "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"),
        "great_expectations": _version("great_expectations"),
        "duckdb_memory_limit": duckdb_memory_limit(),
        "loadavg_at_start": os.getloadavg(),
    }
