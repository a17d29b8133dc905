"""`python -m tools.benchmarks.analyst [--repeat N]`: what an analyst waits for, on the sample.

On the bundled sample (loaded once by a nightly), each measured as wall time of the `fms`
command from start to exit, the median of N (default 3):

1. a wrong argument (`--period-end 2026-09-29`, not a quarter end): refused before Prefect or
   Great Expectations is imported;
2. an ad-hoc `quarterly-billing --purchaser UK` with a Prefect server already running on this
   machine (`fms serve`'s, found at FMS_SERVE_PORT without PREFECT_API_URL);
3. the same with none running: the run starts its own temporary server (the baseline).

Results: a table on stdout and tools/benchmarks/results/analyst-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fms import settings
from tools.benchmarks.data import RESULTS_DIR
from tools.benchmarks.measure import describe_machine
from tools.benchmarks.prefect_runs import PrefectServer, free_port

FMS = Path(sys.executable).with_name("fms")
TODAY = "2026-11-03"  # the sample's last daily: the quarter ended 2026-09-30 is billable


def _env(work: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FMS_"))}
    return env | {
        "FMS_TODAY": TODAY,
        "FMS_SERVE_PORT": str(port),
        "PREFECT_HOME": str(work / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def _timed(args: list[str], env: dict[str, str], expect: int) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(FMS), *args], env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode != expect:
        raise RuntimeError(f"fms {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    work = Path(tempfile.mkdtemp(prefix="fms-bench-analyst-"))
    try:
        warehouse, out = work / "fms.duckdb", work / "out"
        where = ["--warehouse", str(warehouse), "--out", str(out)]
        wrong = ["run", "quarterly-billing", "--period-end", "2026-09-29", *where]
        adhoc = ["run", "quarterly-billing", "--purchaser", "UK", *where]
        times: dict[str, list[float]] = {"wrong argument": [], "running server": []}
        times["temporary server"] = []
        with PrefectServer(work / "prefect-home", work / "server.log") as server:
            port = int(server.url.rsplit(":", 1)[1].removesuffix("/api"))
            served = _env(work, port)
            nightly = ["run", "nightly", "--landing", str(settings.sample_landing()), *where]
            _timed([*nightly, "--as-of", TODAY], served, 0)
            for _ in range(repeat):
                times["wrong argument"].append(_timed(wrong, served, 2))
                times["running server"].append(_timed(adhoc, served, 0))
        nobody = _env(work, free_port())  # no server answers there: a temporary one starts
        for _ in range(repeat):
            times["temporary server"].append(_timed(adhoc, nobody, 0))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    figures = {name: statistics.median(values) for name, values in times.items()}
    print(f"{'on the sample':<40} {'median s':>9} {'runs':>26}")
    rows = {
        "wrong argument": "wrong argument answered",
        "running server": "ad-hoc billing, running server",
        "temporary server": "ad-hoc billing, temporary server",
    }
    for key, label in rows.items():
        shown = " ".join(f"{v:.1f}" for v in times[key])
        print(f"{label:<40} {figures[key]:>9.2f} {shown:>26}")
    ratio = figures["temporary server"] / figures["running server"]
    print(f"temporary / running server: {ratio:.2f}x")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {"machine": describe_machine(), "seconds": times, "median": figures}
    (RESULTS_DIR / f"analyst-{stamp}.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
