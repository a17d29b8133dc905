"""The benchmark's inputs: generated landing batches, cached by scale and seed, and the dates
every run uses (pinned, so results do not depend on the day the benchmark runs)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fms.ingest.batch_files import list_batch_folders, read_batch
from fms.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "tools" / "benchmarks" / "results"
DATA_DIR = RESULTS_DIR / "data"
SEED = 1
DIRTY_RATE = 0.001
# The generator's batches are dated 2026-10-31 (history) to 2026-11-05 (last daily).
AS_OF = date(2026, 11, 5)
AS_OF_BEFORE_LAST_DAILY = date(2026, 11, 4)
# The load day judged for future dates (FMS_TODAY), as in the ingest tests.
LOAD_DATE = date(2026, 11, 22)
BILLING_PERIOD_END = date(2026, 9, 30)
STAMP = ".benchmark-stamp.json"


@dataclass(frozen=True)
class InputFile:
    batch: str
    entity: str
    path: Path
    format: str  # "csv" or "parquet"
    header: tuple[str, ...]  # column order in the file
    bytes: int


def _generator_fingerprint() -> str:
    """Regenerate when the generator's code changes: cached data must be what it would write."""
    digest = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "tools" / "generate").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def generated(scale: str, seed: int = SEED, log=print) -> Path:
    """The dataset folder (`landing/`, `manifest.json`) for scale+seed, generated if missing."""
    from tools.generate import generate

    folder = DATA_DIR / f"{scale}-seed{seed}"
    want = {
        "scale": scale,
        "seed": seed,
        "dirty_rate": DIRTY_RATE,
        "generator": _generator_fingerprint(),
    }
    stamp = folder / STAMP
    if stamp.exists():
        found = json.loads(stamp.read_text())
        found.pop("generation_seconds", None)
        if found == want:
            return folder
    if folder.exists():
        shutil.rmtree(folder)
    log(f"generating {scale} data (seed {seed}, dirty rate {DIRTY_RATE}) into {folder}")
    started = time.perf_counter()
    generate(folder, scale, seed=seed, dirty_rate=DIRTY_RATE)
    want["generation_seconds"] = round(time.perf_counter() - started, 2)
    stamp.write_text(json.dumps(want))
    return folder


def generation_seconds(dataset: Path) -> float | None:
    return json.loads((dataset / STAMP).read_text()).get("generation_seconds")


def landing(dataset: Path) -> Path:
    return dataset / "landing"


def landing_without_last_daily(dataset: Path) -> Path:
    """A landing folder holding every batch but the last daily (hard links, no copies), for the
    night before the increment."""
    full = list_batch_folders(landing(dataset))
    target = dataset / "landing-without-last-daily"
    wanted = [b.name for b in full[:-1]]
    if target.exists() and sorted(p.name for p in target.iterdir()) == wanted:
        return target
    if target.exists():
        shutil.rmtree(target)
    for batch in full[:-1]:
        (target / batch.name).mkdir(parents=True)
        for f in batch.iterdir():
            try:
                os.link(f, target / batch.name / f.name)
            except OSError:  # a filesystem without hard links
                shutil.copy2(f, target / batch.name / f.name)
    return target


def input_files(landing_dir: Path) -> list[InputFile]:
    """Every input file of every batch, with its header in file order (read_csv's `columns`
    must follow the file)."""
    files = []
    for folder in list_batch_folders(landing_dir):
        batch = read_batch(folder)
        for f in batch.files:
            files.append(
                InputFile(
                    batch.name, f.entity.name, f.path, f.format, f.header, f.path.stat().st_size
                )
            )
    return files


def describe_dataset(dataset: Path) -> dict:
    files = input_files(landing(dataset))
    manifest = json.loads((dataset / "manifest.json").read_text())
    batches = sorted({f.batch for f in files})
    rows: dict[str, int] = {}
    last_rows = 0
    for b in manifest.get("batches", []):
        for info in (b.get("files") or {}).values():
            rows[info["entity"]] = rows.get(info["entity"], 0) + info["rows"]
            if b["name"] == batches[-1]:
                last_rows += info["rows"]
    last = [f for f in files if f.batch == batches[-1]]
    return {
        "folder": str(dataset),
        "batches": len(batches),
        "files": len(files),
        "bytes": sum(f.bytes for f in files),
        "last_daily": batches[-1],
        "last_daily_bytes": sum(f.bytes for f in last),
        "rows": sum(rows.values()),
        "last_daily_rows": last_rows,
        "rows_by_entity": rows,
        "injected_bad_rows": len(manifest.get("injected", [])),
        "generation_seconds": generation_seconds(dataset),
    }
