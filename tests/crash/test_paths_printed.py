"""Every path `fms run` prints names where the file is once the run has ended: the published
folder and its files after a success; after a critical gate failure, the failed run's kept
folder and its Data Docs (not the work folder they were built in, renamed by then)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.crash.runs import run_cli
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch

AS_OF = "2026-11-01"


def _landing(root: Path, quantity: str) -> Path:
    landing = root / "landing"
    write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE],
            "deliveries": [DELIVERY | {"quantity": quantity}],
        },
    )
    return landing


def _nightly(api, root: Path, landing: Path):
    args = ["run", "nightly", "--landing", str(landing), "--warehouse", str(root / "w.duckdb")]
    return run_cli(api, [*args, "--out", str(root / "out"), "--as-of", AS_OF])


def _paths(output: str, root: Path) -> list[Path]:
    """Every path under `root` the output names."""
    found = re.findall(re.escape(str(root)) + r"[^\s'\",;)\]]*", output)
    return [Path(p.rstrip(".:")) for p in found]


def test_a_published_run_prints_paths_that_exist(prefect_api, tmp_path):
    done = _nightly(prefect_api, tmp_path, _landing(tmp_path, "1"))
    assert done.returncode == 0, done.output[-3000:]
    printed = _paths(done.output, tmp_path)
    assert tmp_path / "out" / "nightly" / AS_OF / "run_report.html" in printed
    assert [p for p in printed if not p.exists()] == []


def test_a_critical_gate_failure_names_the_data_docs_where_they_are_kept(prefect_api, tmp_path):
    # A valid delivery whose quantity the C1 file cannot hold: the mart gate fails, critical.
    done = _nightly(prefect_api, tmp_path, _landing(tmp_path, "1000000"))
    assert done.returncode == 2, done.output[-3000:]
    assert "error:" in done.output and "mart_c1_transactions" in done.output
    docs = [d.rstrip(".") for d in re.findall(r"Data Docs: ([^\s'\")]+)", done.output)]
    kept = tmp_path / "out" / "nightly"
    assert docs and all(Path(d).is_file() for d in docs), done.output[-3000:]
    assert all(Path(d).is_relative_to(kept) and ".failed-" in d for d in docs)
    printed = _paths(done.output, tmp_path)
    assert [p for p in printed if not p.exists()] == [], done.output[-3000:]
