"""Does the incremental nightly give what a full rebuild gives? Table by table, file by file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from fms.contract import ENTITIES
from fms.marts import NIGHTLY_MARTS

# Columns that say when or in which run a row was written, not what it holds.
RUN_COLUMNS = {"loaded_at", "published_at", "checked_at", "run_id"}


def compared_tables() -> list[str]:
    return [
        *NIGHTLY_MARTS,
        *(e.name for e in ENTITIES),
        *(f"{e.name}_history" for e in ENTITIES),
        "quarantine",
    ]


def compare_warehouses(a: Path, b: Path) -> dict[str, dict]:
    """Rows in one warehouse's table and not the other's (multiset difference, both ways)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    out = {}
    for table in compared_tables():
        cols = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_catalog = 'a' AND table_schema = 'main' AND table_name = $t "
                "ORDER BY ordinal_position",
                {"t": table},
            ).fetchall()
            if r[0] not in RUN_COLUMNS
        ]
        select = ", ".join(f'"{c}"' for c in cols)
        only_a, only_b, rows = con.execute(
            f"""
            SELECT (SELECT count(*) FROM (SELECT {select} FROM a.main.{table}
                                          EXCEPT ALL SELECT {select} FROM b.main.{table})),
                   (SELECT count(*) FROM (SELECT {select} FROM b.main.{table}
                                          EXCEPT ALL SELECT {select} FROM a.main.{table})),
                   (SELECT count(*) FROM a.main.{table})
            """
        ).fetchone()
        out[table] = {"rows": rows, "only_incremental": only_a, "only_full": only_b}
    con.close()
    return out


def compare_files(a: Path, b: Path) -> dict[str, str]:
    """Published CSV and C1 files: identical bytes, different, or missing on one side."""
    out = {}
    names = {p.name for p in a.glob("*") if p.suffix in (".csv", ".txt")}
    names |= {p.name for p in b.glob("*") if p.suffix in (".csv", ".txt")}
    for name in sorted(names - {"dq_results.csv"}):  # dq_results names the run
        pa, pb = a / name, b / name
        if not (pa.exists() and pb.exists()):
            out[name] = "missing"
        elif _digest(pa) != _digest(pb):
            out[name] = "differs"
        else:
            out[name] = "same"
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def summarize(tables: dict[str, dict], files: dict[str, str] | None) -> dict:
    differing = [t for t, d in tables.items() if d["only_incremental"] or d["only_full"]]
    files = files or {}
    return {
        "equal": not differing and all(v == "same" for v in files.values()),
        "tables_compared": len(tables),
        "tables_differing": {t: tables[t] for t in differing},
        "files_compared": len(files),
        "files_not_same": {k: v for k, v in files.items() if v != "same"},
    }
