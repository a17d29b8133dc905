"""What a warehouse and a published folder hold, as comparable digests.

Two runs that did the same work give equal digests: run logs (`dq_results`, `publications`)
and the moments rows were written (`loaded_at`, `published_at`) are left out, and so are the
files that record a run rather than its results (the run report, `dq_results.csv`, the Data
Docs site). An Excel workbook is compared by its parts without `docProps/core.xml`, where
xlsxwriter stamps the time it was written.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import duckdb

from fms.contract import ENTITIES
from fms.marts import NIGHTLY_MARTS

# Appended to by every run: compared by their last publication, not row by row.
RUN_LOG_TABLES = frozenset({"dq_results", "publications"})
# When a row was written says when the run ran, not what it computed.
RUN_TIME_COLUMNS = {
    "batches": ("loaded_at",),
    "load_log": ("loaded_at",),
    "billing_statements": ("published_at",),
    "purchaser_statements": ("published_at",),
    "delivery_listing": ("published_at",),
}
INGEST_TABLES = (
    *(e.name for e in ENTITIES),
    *(f"{e.name}_history" for e in ENTITIES),
    "batches",
    "load_log",
    "quarantine",
)
MART_TABLES = NIGHTLY_MARTS
STATEMENT_TABLES = (
    "billing_statements",
    "purchaser_statements",
    "billing_statement_differences",
    "delivery_listing",
)
# Files that record the run (timestamps, run ids), not its results.
RUN_RECORD_FILES = frozenset({"run_report.html", "dq_results.csv"})
RUN_RECORD_FOLDERS = frozenset({"data_docs"})
XLSX_RUN_TIME_PART = "docProps/core.xml"


def read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)


def table_digests(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Row count and content digest of every table of `main` but the run logs."""
    with read_only(warehouse) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
            if r[0] not in RUN_LOG_TABLES
        ]
        return {t: _digest(con, t) for t in tables}


def _digest(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    skipped = RUN_TIME_COLUMNS.get(table, ())
    rows = (
        f"SELECT * EXCLUDE ({', '.join(skipped)}) FROM main.{table}"
        if skipped
        else (f"SELECT * FROM main.{table}")
    )
    return con.execute(
        "SELECT count(*), coalesce(md5(string_agg(CAST(x AS VARCHAR), '|' "
        f"ORDER BY CAST(x AS VARCHAR))), '') FROM ({rows}) AS x"
    ).fetchone()


def part(digests: dict[str, tuple[int, str]], tables: tuple[str, ...]) -> dict:
    return {t: digests.get(t) for t in tables}


def last_publication(warehouse: Path, job: str = "nightly") -> tuple | None:
    """(as_of, through_batch_seq) of the job's latest publication: what its marts cover."""
    with read_only(warehouse) as con:
        return con.execute(
            "SELECT as_of, through_batch_seq FROM publications WHERE job = $job "
            "ORDER BY published_at DESC LIMIT 1",
            {"job": job},
        ).fetchone()


def folder_digest(folder: Path) -> dict[str, str]:
    """Digest of every file of a published folder (run records left out), by relative path.

    A missing folder is an empty dict: a reader who finds no folder sees neither publication.
    """
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in RUN_RECORD_FOLDERS or path.name in RUN_RECORD_FILES:
            continue
        if path.is_file():
            found[rel.as_posix()] = _file_digest(path)
    return found


def _file_digest(path: Path) -> str:
    if path.suffix != ".xlsx":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as book:
        for name in sorted(book.namelist()):
            if name != XLSX_RUN_TIME_PART:
                digest.update(name.encode() + b"\0" + book.read(name) + b"\0")
    return digest.hexdigest()


def batches_not_whole(warehouse: Path) -> list[str]:
    """Every way the warehouse holds part of a batch (empty: each batch is all there or absent).

    A batch recorded in `batches` has one `load_log` row per file it listed, and exactly the
    history and quarantine rows its `load_log` counts; rows it resolved from quarantine are in
    history under its name as `loaded_in_batch`; nothing refers to a batch not recorded.
    """
    problems = []
    with read_only(warehouse) as con:
        batches = dict(con.execute("SELECT batch, files FROM batches").fetchall())
        logged = con.execute(
            "SELECT batch, entity, rows_loaded, rows_quarantined FROM load_log"
        ).fetchall()
        for batch, files in batches.items():
            listed = {Path(name).stem for name in json.loads(files)}
            entities = {entity for b, entity, _, _ in logged if b == batch}
            if listed != entities:
                problems.append(f"{batch}: files {sorted(listed)} but load_log {sorted(entities)}")
        for batch, entity, rows_loaded, rows_quarantined in logged:
            if batch not in batches:
                problems.append(f"load_log row of {batch}/{entity}, a batch not recorded")
            history = con.execute(
                f"SELECT count(*) FROM {entity}_history WHERE batch = $b AND loaded_in_batch = $b",
                {"b": batch},
            ).fetchone()[0]
            quarantined = con.execute(
                "SELECT count(*) FROM quarantine WHERE batch = $b AND entity = $e",
                {"b": batch, "e": entity},
            ).fetchone()[0]
            if (history, quarantined) != (rows_loaded, rows_quarantined):
                problems.append(
                    f"{batch}/{entity}: load_log says {rows_loaded} loaded and "
                    f"{rows_quarantined} quarantined, tables hold {history} and {quarantined}"
                )
        for entity in ENTITIES:
            mismatched = con.execute(
                f"""
                SELECT coalesce(h.batch, q.batch), coalesce(h.n, 0), coalesce(q.n, 0)
                FROM (SELECT loaded_in_batch AS batch, count(*) AS n FROM {entity.name}_history
                      WHERE loaded_in_batch <> batch GROUP BY ALL) AS h
                FULL JOIN (SELECT resolved_in_batch AS batch, count(*) AS n FROM quarantine
                           WHERE entity = $e AND resolved_in_batch IS NOT NULL GROUP BY ALL) AS q
                    ON h.batch = q.batch
                WHERE h.n IS DISTINCT FROM q.n
                """,
                {"e": entity.name},
            ).fetchall()
            problems += [
                f"{entity.name}: history holds {h} rows resolved in {b}, quarantine says {q}"
                for b, h, q in mismatched
            ]
            strays = con.execute(
                f"SELECT DISTINCT batch FROM {entity.name}_history "
                "WHERE batch NOT IN (SELECT batch FROM batches)"
            ).fetchall()
            problems += [f"{entity.name} rows of {b}, a batch not recorded" for (b,) in strays]
        strays = con.execute(
            "SELECT DISTINCT batch FROM quarantine WHERE batch NOT IN (SELECT batch FROM batches)"
        ).fetchall()
        problems += [f"quarantine rows of {b}, a batch not recorded" for (b,) in strays]
    return problems


def duplicate_keys(warehouse: Path) -> list[str]:
    """Current tables holding a key more than once (the primary keys should make this empty)."""
    found = []
    with read_only(warehouse) as con:
        for entity in ENTITIES:
            key = ", ".join(f'"{k}"' for k in entity.key)
            n = con.execute(
                f"SELECT count(*) FROM (SELECT {key} FROM {entity.name} GROUP BY ALL "
                "HAVING count(*) > 1)"
            ).fetchone()[0]
            if n:
                found.append(f"{entity.name}: {n} keys held twice")
    return found


def world_readable(*roots: Path) -> list[str]:
    """Paths under `roots` (and the roots) that grant any permission to other users."""
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            if path.exists() and path.stat().st_mode & 0o007:
                found.append(f"{oct(path.stat().st_mode & 0o777)} {path}")
    return found
