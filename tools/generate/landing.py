"""Write the landing zone: one folder per batch, one file per entity, and `manifest.json`.

Each batch folder is marked complete as a sender must: `_SUCCESS`, listing every data file
with its checksum and count of records, written after them (fms.ingest.success_marker)."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from fms.contract import ENTITIES, Entity
from fms.ingest.batch_files import sha256_of
from fms.ingest.success_marker import MARKER, Listed, listing_text

from .batches import TAG_LATE, TAG_NONE, Assembly, EntityRows, assemble
from .catalog import (
    ANCHOR,
    ANCHOR_ISO,
    CATALOG,
    DESCRIPTIONS,
    IMPLEMENTING_AGENCIES,
    LEGAL_AUTHORITIES,
    SCALES,
    iso,
)
from .dirty import BadRow, Injector, clean_row_number, row_numbers
from .render import csv_quoted, csv_records, typed_table
from .world import World, build_world

Progress = Callable[[str, int, int], None]
CHUNK_ROWS = 500_000
PROGRESS_TOTAL = 100
BATCH_FOLDER = re.compile(r"^\d{8}-\d{2}-(history|daily)$")


class _Reporter:
    """Maps the run's phases onto one monotone 0..100 scale."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.done = 0

    def __call__(self, step: str, fraction: float) -> None:
        value = max(self.done, min(PROGRESS_TOTAL, int(fraction * PROGRESS_TOTAL)))
        self.done = value
        if self.progress is not None:
            self.progress(step, value, PROGRESS_TOTAL)


def batch_names(dailies: int) -> list[str]:
    names = []
    for b in range(dailies + 1):
        date = iso(ANCHOR + b).replace("-", "")
        names.append(f"{date}-{b:02d}-{'history' if b == 0 else 'daily'}")
    return names


def lookups(world: World) -> tuple[dict[str, pa.Array], dict[str, pa.Array]]:
    """Text lookups: (raw, CSV-quoted)."""
    co, cs = world.countries, world.cases
    raw = {
        "country_code": pa.array(co.codes, pa.string()),
        "country_name": pa.array(co.names, pa.string()),
        "case_id": pa.array(cs.ids, pa.string()),
        "ia": pa.array(IMPLEMENTING_AGENCIES, pa.string()),
        "designator": pa.array(cs.designators, pa.string()),
        "generic_code": pa.array([item.code for item in CATALOG], pa.string()),
        "description": pa.array(DESCRIPTIONS, pa.string()),
        "recipient": pa.array(["DOD", *co.codes], pa.string()),
        "legal_authority": pa.array(LEGAL_AUTHORITIES, pa.string()),
    }
    quoted = {k: csv_quoted(v) for k, v in raw.items()}
    return raw, quoted


def _clear_landing(out: Path) -> Path:
    landing = out / "landing"
    if landing.is_dir():
        for child in landing.iterdir():
            if child.is_dir() and BATCH_FOLDER.match(child.name):
                shutil.rmtree(child)
    landing.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    if manifest.exists():
        manifest.unlink()
    return landing


def _write_csv(
    path: Path,
    entity: Entity,
    rows: EntityRows,
    file_rows: np.ndarray,
    bad: list[BadRow],
    quoted: dict[str, pa.Array],
    on_rows: Callable[[int], None],
) -> None:
    n = len(file_rows)
    next_bad = 0
    with path.open("wb") as fh:
        fh.write((",".join(entity.column_names) + "\n").encode("utf-8"))
        for a in range(0, n, CHUNK_ROWS):
            b = min(a + CHUNK_ROWS, n)
            records = csv_records(entity, rows.take(file_rows[a:b]), quoted)
            offsets = np.frombuffer(records.buffers()[1], dtype=np.int32)
            offsets = offsets[records.offset : records.offset + (b - a) + 1]
            data = memoryview(records.buffers()[2])
            cur = 0
            while next_bad < len(bad) and (
                bad[next_bad].position < b or (b == n and bad[next_bad].position <= n)
            ):
                p = bad[next_bad].position - a
                fh.write(data[offsets[cur] : offsets[p]])
                fh.write(bad[next_bad].data)
                cur = p
                next_bad += 1
            fh.write(data[offsets[cur] : offsets[b - a]])
            on_rows(b - a)


def generate(
    out: Path,
    scale: str = "small",
    seed: int = 0,
    dirty_rate: float = 0.0,
    progress: Progress | None = None,
) -> dict:
    """Write synthetic landing batches under `out/landing/` and `out/manifest.json`.

    Deterministic: the same arguments give byte-identical files. `progress(step, done, total)`
    is called as work proceeds, with `total` fixed at 100 and `done` never decreasing.
    Returns the manifest.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected one of {', '.join(SCALES)}")
    if not (0.0 <= float(dirty_rate) <= 1.0) or math.isnan(float(dirty_rate)):
        raise ValueError(f"dirty_rate must be between 0 and 1, got {dirty_rate!r}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    spec = SCALES[scale]
    dirty = dirty_rate > 0
    report = _Reporter(progress)
    out = Path(out)

    late_batch = max(1, spec.dailies - 3)
    world, (batch_rng, dirty_rng, pick_rng) = build_world(
        spec, int(seed), late_batch, lambda desc, done: report(desc, 0.3 * done)
    )
    assembly = assemble(
        world, dirty, batch_rng, pick_rng, lambda desc, done: report(desc, 0.3 + 0.1 * done)
    )
    raw, quoted = lookups(world)
    names = batch_names(spec.dailies)
    last = len(names) - 1

    # Plan every file and its injected rows before writing anything.
    injector = Injector(float(dirty_rate), dirty_rng, world.countries.codes, raw)
    plan = []
    for b, name in enumerate(names):
        report(
            f"planning {name}" + (" and its injected rows" if dirty else ""),
            0.4 + 0.05 * b / len(names),
        )
        for entity in ENTITIES:
            rows = assembly.entities[entity.name]
            file_rows = np.flatnonzero(rows.batch == b)
            if len(file_rows) == 0:
                continue
            parquet = b == last and entity.name == "deliveries"
            bad: list[BadRow] = []
            if dirty and not parquet:
                pool = np.flatnonzero((rows.batch == 0) & (rows.tag == TAG_NONE))
                bad = injector.inject(entity, rows, file_rows, pool)
            plan.append((b, name, entity, rows, file_rows, parquet, bad))

    landing = _clear_landing(out)
    total_rows = sum(len(p[4]) for p in plan) or 1
    written = 0
    batches_manifest = []
    injected = []
    for b, name in enumerate(names):
        folder = landing / name
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for pb, _, entity, rows, file_rows, parquet, bad in plan:
            if pb != b:
                continue
            step = f"writing {name}/{entity.name}"

            def on_rows(k: int, step: str = step) -> None:
                nonlocal written
                written += k
                report(step, 0.45 + 0.55 * written / total_rows)

            if parquet:
                file_name = f"{entity.name}.parquet"
                table = typed_table(entity, rows.take(file_rows), raw)
                pq.write_table(table, folder / file_name, compression="zstd")
                on_rows(len(file_rows))
                count = len(file_rows)
            else:
                file_name = f"{entity.name}.csv"
                _write_csv(folder / file_name, entity, rows, file_rows, bad, quoted, on_rows)
                count = len(file_rows) + len(bad)
            files[file_name] = {"entity": entity.name, "rows": int(count)}
            for bad_row, number in zip(bad, row_numbers(bad), strict=True):
                injected.append(
                    {
                        "batch": name,
                        "entity": entity.name,
                        "file": file_name,
                        "row_number": number,
                        "kind": bad_row.kind,
                        "expected_reason_code": bad_row.reason,
                        "handling": "quarantine",
                        "resolved_in_batch": None,
                    }
                )
            if dirty and not parquet:
                injected += _late_entries(
                    assembly,
                    name,
                    names[b + 1] if b < last else None,
                    entity,
                    file_name,
                    rows,
                    file_rows,
                    bad,
                )
        _mark_complete(folder, files)
        batches_manifest.append(
            {"name": name, "date": iso(int(world.batch_days[b])), "files": files}
        )
    injected.sort(key=lambda r: (r["batch"], _entity_order(r["entity"]), r["row_number"]))
    manifest = {
        "seed": int(seed),
        "scale": scale,
        "dirty_rate": float(dirty_rate),
        "anchor_date": ANCHOR_ISO,
        "batches": batches_manifest,
        "injected": injected,
        "suspicious": [{**s, "batch": names[s["batch"]]} for s in assembly.suspicious],
        "late_arrival": {
            "case_id": assembly.late_case,
            "lines_and_deliveries_batch": names[late_batch],
            "case_batch": names[late_batch + 1 if dirty else late_batch],
        },
        "corrections": [{**c, "batch": names[c["batch"]]} for c in assembly.corrections],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    report("done", 1.0)
    return manifest


def _mark_complete(folder: Path, files: dict[str, dict]) -> None:
    """Write the batch's `_SUCCESS` listing its data files, whole or not at all (written under
    another name, then renamed): a loader never sees a listing cut short."""
    listing = {name: Listed(sha256_of(folder / name), spec["rows"]) for name, spec in files.items()}
    writing = folder / f".{MARKER}.writing"
    writing.write_text(listing_text(listing), encoding="utf-8")
    writing.replace(folder / MARKER)


def _entity_order(name: str) -> int:
    return [e.name for e in ENTITIES].index(name)


def _late_entries(
    assembly: Assembly,
    batch: str,
    next_batch: str | None,
    entity: Entity,
    file_name: str,
    rows: EntityRows,
    file_rows: np.ndarray,
    bad: list[BadRow],
) -> list[dict]:
    """The late case's lines (UNKNOWN_CASE) and deliveries (UNKNOWN_LINE), resolved when
    the case arrives in the next batch."""
    late = np.flatnonzero(rows.tag[file_rows] == TAG_LATE)
    if not len(late):
        return []
    reason, what = {
        "case_lines": ("UNKNOWN_CASE", "case line"),
        "deliveries": ("UNKNOWN_LINE", "delivery"),
    }[entity.name]
    return [
        {
            "batch": batch,
            "entity": entity.name,
            "file": file_name,
            "row_number": clean_row_number(int(i), bad),
            "kind": f"late arrival: {what} of {assembly.late_case} before its case",
            "expected_reason_code": reason,
            "handling": "quarantine_then_resolve",
            "resolved_in_batch": next_batch,
        }
        for i in late
    ]
