"""No code from the working directory runs: not in the command, not in any process it starts.

`python -m ...` and `python -c ...` put the working directory first on the import path, so a
`concurrent.py` left in the folder where a run was started was imported by Prefect's temporary
server (which then never answered). Here the folder a run starts from holds modules named like
those the command, Prefect's server, Dask's workers and `fms serve`'s flow runs import; each,
if imported, leaves a marker and fails. Runs started from there succeed and leave no marker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.serve import stop_process
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch

FMS = Path(sys.executable).with_name("fms")
TODAY = "2026-11-05"
PLANTED = ("concurrent", "json", "prefect", "multiprocessing", "uvicorn", "duckdb", "typer")
PLANT = """import os
with open(os.path.join({markers!r}, __name__ + "-" + str(os.getpid())), "w") as marker:
    marker.write("imported from the working directory")
raise ImportError(__name__ + " was imported from the working directory")
"""


def planted_folder(root: Path) -> tuple[Path, Path]:
    """A folder to start runs from, holding the planted modules and a landing; and the folder
    where an imported module leaves its marker."""
    cwd, markers = root / "cwd", root / "markers"
    cwd.mkdir()
    markers.mkdir()
    for name in PLANTED:
        (cwd / f"{name}.py").write_text(PLANT.format(markers=str(markers)))
    write_batch(
        cwd / "landing",
        "20261031-00-history",
        {"countries": [COUNTRY], "cases": [case()], "case_lines": [LINE], "deliveries": [DELIVERY]},
    )
    return cwd, markers


def clean_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FMS_"))}
    env.pop("PYTHONSAFEPATH", None)  # what protects the run must come from the command itself
    return env | {"PREFECT_HOME": str(root / "prefect"), "FMS_TODAY": TODAY}


@pytest.mark.parametrize("runner", ["local", "dask"])
def test_a_run_started_in_a_folder_of_planted_modules_succeeds_and_imports_none(
    tmp_path, runner, request
):
    cwd, markers = planted_folder(tmp_path)
    env = clean_env(tmp_path)
    if runner == "dask":
        # The local run starts its temporary Prefect server from this folder; the Dask run, whose
        # own part is its workers, uses the session's server instead of starting another.
        api = request.getfixturevalue("prefect_api")
        env |= api.environment()
    done = subprocess.run(
        [str(FMS), "run", "nightly", "--landing", "landing", "--warehouse", "w.duckdb"]
        + ["--out", "out", "--as-of", TODAY, "--runner", runner],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert sorted(p.name for p in markers.iterdir()) == []
    assert done.returncode == 0, done.stderr[-3000:]
    assert (cwd / "out" / "nightly" / TODAY / "run_report.html").exists()


def test_fms_serve_started_in_a_folder_of_planted_modules_runs_a_deployment_importing_none(
    tmp_path, prefect_api
):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    cwd, markers = planted_folder(tmp_path)
    # The session's server (started from the tests' folder, as this one was before): what runs
    # from `cwd` here is `fms serve` and the flow runs it starts.
    api = prefect_api
    env = clean_env(tmp_path) | {"PREFECT_API_URL": api.url, "PREFECT_HOME": str(api.home)}
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        serve = subprocess.Popen(
            [str(FMS), "serve"],
            cwd=cwd,
            env=env | {"PREFECT_RUNNER_POLL_FREQUENCY": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while "being served" not in log_path.read_text(errors="replace"):
                assert serve.poll() is None and time.monotonic() < deadline
                time.sleep(0.25)
            with temporary_settings({PREFECT_API_URL: api.url}):
                flow_run = run_deployment(
                    "weekly-closure-readiness/weekly-closure-readiness",
                    parameters={
                        "warehouse": str(tmp_path / "fms.duckdb"),
                        "out": str(tmp_path / "out"),
                        "as_of": TODAY,
                    },
                    timeout=300,
                )
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=30)
        finally:
            stop_process(serve)
    assert sorted(p.name for p in markers.iterdir()) == []
    assert flow_run.state.is_completed(), log_path.read_text(errors="replace")[-3000:]
