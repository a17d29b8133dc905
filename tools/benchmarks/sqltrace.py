"""Where the SQL time goes: every statement the pipeline runs, timed and named.

`install(tracer)` replaces `duckdb.connect` in this process (a benchmark child only) with one
that returns a thin proxy: each `execute`/`executemany` and the fetch that completes it are
timed and recorded under a label (the SQL file it came from, else its first words, and the
function of the project that ran it). With `duckdb_profiles=True` DuckDB's own JSON profile
(`enable_profiling`) of the slowest statements is kept, so the report can name the operators
(hash join, window, CSV scan) that take their time.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from fms.settings import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "fms" / "sql"
OWN_CODE = tuple(str(PROJECT_ROOT / d) + "/" for d in ("fms", "tasks", "flows"))
# Frames that only pass SQL through: the label names who called them.
PASS_THROUGH = (str(PROJECT_ROOT / "fms" / "sqlfiles.py"),)
KEEP_PROFILES = 12
FETCHERS = (
    "fetchall",
    "fetchone",
    "fetchmany",
    "df",
    "fetchdf",
    "fetch_df",
    "arrow",
    "fetch_arrow_table",
    "fetchnumpy",
    "pl",
)


@dataclass
class Statement:
    label: str
    caller: str
    seconds: float = 0.0
    sql: str = ""
    profile: Path | None = None


@dataclass
class Tracer:
    profile_dir: Path | None = None  # DuckDB JSON profiles of the slowest statements
    statements: list[Statement] = field(default_factory=list)
    _sql_files: list[tuple[str, str]] = field(default_factory=list)
    _current: Statement | None = None
    _current_profile_source: Path | None = None

    def __post_init__(self) -> None:
        files = [(p.stem, p.read_text(encoding="utf-8").strip()) for p in SQL_DIR.rglob("*.sql")]
        # Longest first: a file that another one contains must not win the match.
        self._sql_files = sorted(files, key=lambda f: -len(f[1]))
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)

    # --- recording -----------------------------------------------------------------------

    def begin(self, sql: str, profile_source: Path | None) -> Statement:
        self.finish()
        stmt = Statement(_label(sql, self._sql_files), _caller(), sql=sql)
        self.statements.append(stmt)
        self._current, self._current_profile_source = stmt, profile_source
        return stmt

    def finish(self) -> None:
        """The statement before is complete (a new one starts, or the connection closes): keep
        its DuckDB profile if it is among the slowest so far."""
        stmt, source = self._current, self._current_profile_source
        self._current = None
        if stmt is None or source is None or self.profile_dir is None or not source.exists():
            return
        kept = sorted(
            (s for s in self.statements if s.profile is not None), key=lambda s: -s.seconds
        )
        if len(kept) >= KEEP_PROFILES and stmt.seconds <= kept[-1].seconds:
            return
        target = self.profile_dir / f"statement-{len(self.statements):06d}.json"
        shutil.copyfile(source, target)
        stmt.profile = target
        for old in kept[KEEP_PROFILES - 1 :]:
            if old.profile is not None:
                old.profile.unlink(missing_ok=True)
                old.profile = None

    # --- reporting -----------------------------------------------------------------------

    def summary(self, top: int = 15) -> dict:
        groups: dict[tuple[str, str], dict] = {}
        for s in self.statements:
            g = groups.setdefault((s.label, s.caller), {"count": 0, "seconds": 0.0})
            g["count"] += 1
            g["seconds"] += s.seconds
        total = sum(s.seconds for s in self.statements)
        ranked = sorted(groups.items(), key=lambda kv: -kv[1]["seconds"])
        slowest = sorted(
            (s for s in self.statements if s.profile is not None), key=lambda s: -s.seconds
        )
        return {
            "statements": len(self.statements),
            "sql_seconds": round(total, 3),
            "top_statements": [
                {
                    "label": label,
                    "caller": caller,
                    "count": g["count"],
                    "seconds": round(g["seconds"], 3),
                }
                for (label, caller), g in ranked[:top]
            ],
            "slowest_with_duckdb_profile": [
                {
                    "label": s.label,
                    "caller": s.caller,
                    "seconds": round(s.seconds, 3),
                    **duckdb_profile_summary(s.profile),
                }
                for s in slowest[:8]
                if s.profile is not None
            ],
        }


class TracedConnection:
    """Delegates to a DuckDB connection; times statements and the fetches that complete them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tracer: Tracer, profile: Path | None):
        self._con = con
        self._tracer = tracer
        self._profile = profile

    def execute(self, query, parameters=None):
        stmt = self._tracer.begin(str(query), self._profile)
        started = time.perf_counter()
        try:
            if parameters is None:
                self._con.execute(query)
            else:
                self._con.execute(query, parameters)
        finally:
            stmt.seconds += time.perf_counter() - started
        return self

    def executemany(self, query, parameters=None):
        stmt = self._tracer.begin(str(query), self._profile)
        started = time.perf_counter()
        try:
            self._con.executemany(query, parameters or [])
        finally:
            stmt.seconds += time.perf_counter() - started
        return self

    def close(self) -> None:
        self._tracer.finish()
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getattr__(self, name):
        attr = getattr(self._con, name)
        if name not in FETCHERS:
            return attr

        def timed_fetch(*args, **kwargs):
            stmt = self._tracer._current
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                if stmt is not None:
                    stmt.seconds += time.perf_counter() - started

        return timed_fetch


def install(tracer: Tracer) -> None:
    """Route every `duckdb.connect` of this process through the tracer."""
    real_connect = duckdb.connect
    counter = iter(range(1_000_000))

    def traced_connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        profile = None
        if tracer.profile_dir is not None:
            profile = tracer.profile_dir / f"current-{next(counter)}.json"
            con.execute("SET enable_profiling = 'json'")
            con.execute(f"SET profiling_output = '{profile}'")
        return TracedConnection(con, tracer, profile)

    duckdb.connect = traced_connect


def _label(sql: str, sql_files: list[tuple[str, str]]) -> str:
    for name, text in sql_files:
        if text and text in sql:
            return f"{_first_words(sql.replace(text, '<' + name + '.sql>'), 70)}"
    return _first_words(sql, 70)


def _first_words(sql: str, width: int) -> str:
    text = re.sub(r"--[^\n]*", " ", sql)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _caller() -> str:
    """The innermost function of the project (fms/, tasks/, flows/) that ran the statement."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(OWN_CODE) and not name.startswith(PASS_THROUGH):
            rel = Path(name).relative_to(PROJECT_ROOT)
            return f"{rel}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


def duckdb_profile_summary(path: Path, operators: int = 5) -> dict:
    """The query's time, CPU time and peak buffer memory, and its slowest operators."""
    doc = json.loads(path.read_text())
    found: list[dict] = []

    def walk(node: dict) -> None:
        extra = node.get("extra_info") or {}
        detail = (
            extra.get("Table")
            or extra.get("Function")
            or extra.get("Join Type")
            or extra.get("Aggregates")
            or extra.get("Groups")
            or ""
        )
        found.append(
            {
                "operator": node.get("type") or node.get("operator_type") or "?",
                "seconds": round(node.get("timing", node.get("operator_timing", 0.0)), 3),
                "rows": node.get("intermediate_rows", node.get("operator_cardinality")),
                "detail": _first_words(str(detail), 60),
            }
        )
        for child in node.get("children", []):
            walk(child)

    for node in doc.get("operator", doc.get("children", [])):
        walk(node)
    query = doc.get("query", {})
    system = doc.get("system", {})
    return {
        "duckdb_seconds": round(query.get("total_time", doc.get("latency", 0.0)), 3),
        "duckdb_cpu_seconds": round(query.get("cpu_time", doc.get("cpu_time", 0.0)), 3),
        "peak_buffer_mib": round(system.get("peak_buffer_memory", 0) / 2**20, 1),
        "spilled_mib": round(system.get("peak_temp_dir_size", 0) / 2**20, 1),
        "top_operators": sorted(found, key=lambda o: -o["seconds"])[:operators],
    }
