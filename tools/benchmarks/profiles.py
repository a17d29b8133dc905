"""Reading cProfile output: the functions where a stage spends its time."""

from __future__ import annotations

import pstats
from pathlib import Path

from fms.settings import PROJECT_ROOT

OWN_CODE = tuple(str(PROJECT_ROOT / d) for d in ("fms", "tasks", "flows"))


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":  # a builtin or C method, e.g. DuckDB's execute
        return name
    if filename.endswith("benchmarks/sqltrace.py"):  # the tracer's proxy of DuckDB's methods
        return f"DuckDB {name} (through the statement tracer)"
    path = filename
    if filename.startswith(str(PROJECT_ROOT)):
        path = str(Path(filename).relative_to(PROJECT_ROOT))
    elif "site-packages/" in filename:
        path = filename.split("site-packages/", 1)[1]
    return f"{path}:{line}({name})"


def top_functions(prof: Path, limit: int = 15) -> dict:
    """Top functions by own time (anywhere) and by cumulative time (the project's code)."""
    stats = pstats.Stats(str(prof))
    total = stats.total_tt
    rows = [
        {
            "function": _where(func),
            "calls": nc,
            "own_seconds": round(tt, 3),
            "cumulative_seconds": round(ct, 3),
            "own": func[0].startswith(OWN_CODE),
        }
        for func, (_cc, nc, tt, ct, _callers) in stats.stats.items()
    ]
    by_own = sorted(rows, key=lambda r: -r["own_seconds"])[:limit]
    by_cumulative = sorted((r for r in rows if r["own"]), key=lambda r: -r["cumulative_seconds"])[
        :limit
    ]
    for r in by_own + by_cumulative:
        r.pop("own", None)
    return {
        "profiled_seconds": round(total, 3),
        "top_own_time": by_own,
        "top_cumulative_project": by_cumulative,
    }
