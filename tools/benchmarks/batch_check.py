"""How long a nightly takes to know that every loaded batch is unchanged: by the files'
signatures (fms.ingest.file_signatures) against by their checksums, with the landing in the page
cache and, when this process may drop the cache (root), read back from disk.

    .venv/bin/python -m tools.benchmarks.batch_check --scale large

Loads the generated landing into a fresh warehouse under tools/benchmarks/results/work/ (once:
~1 min at large), then checks every batch folder with `is_new_batch`, as "find new batches" does:
on that warehouse, and on a copy without its signatures (the checksums path, as before them).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from fms.ingest.batch_files import list_batch_folders
from fms.ingest.load_batch import is_new_batch, load_new_batches
from fms.warehouse import connect
from tools.benchmarks.data import LOAD_DATE, RESULTS_DIR, generated, landing


def _drop_page_cache() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def _check_all(warehouse: Path, landing_dir: Path) -> float:
    with connect(warehouse) as con:
        started = time.perf_counter()
        new = [f.name for f in list_batch_folders(landing_dir) if is_new_batch(con, f)]
        seconds = time.perf_counter() - started
    if new:
        raise SystemExit(f"expected every batch loaded, found new: {new}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "large"), default="large")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    landing_dir = landing(generated(args.scale))
    work = RESULTS_DIR / "work" / f"batch-check-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    with_signatures = work / "signatures.duckdb"
    if not with_signatures.exists():
        started = time.perf_counter()
        with connect(with_signatures) as con:
            load_new_batches(con, landing_dir, LOAD_DATE)
        print(f"loaded {landing_dir} in {time.perf_counter() - started:.1f} s")
    checksums_only = work / "checksums-only.duckdb"
    shutil.copyfile(with_signatures, checksums_only)
    with connect(checksums_only) as con:
        con.execute("DELETE FROM batch_file_signatures")
    with connect(with_signatures) as con:
        recorded = con.execute("SELECT count(*) FROM batch_file_signatures").fetchone()[0]
    print(f"{recorded} file signatures recorded (files changed < 2 s before loading get none)")

    paths = {"signatures": with_signatures, "checksums": checksums_only}
    for name, path in paths.items():
        runs = [round(_check_all(path, landing_dir), 3) for _ in range(args.repeat)]
        print(f"{name}, page cache warm: median {statistics.median(runs):.3f} s of {runs}")
    for name, path in paths.items():
        if not _drop_page_cache():
            print("page cache not dropped (needs root): no cold figures")
            break
        print(f"{name}, page cache dropped: {_check_all(path, landing_dir):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
