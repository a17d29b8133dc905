"""What `fms run` prints: a short summary for people by default (batches, rows, marts, each
data-quality warning once, where it wrote), Prefect's lines of every step only with --verbose,
the summary as JSON only with --json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fms import settings
from tests.prefect_server import api

FMS = Path(sys.executable).with_name("fms")
AS_OF = "2026-11-03"
MOST_LINES = 40  # a nightly on the bundled sample


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_api):
    """The nightly on the bundled sample, then a rerun with --verbose --json that finds the
    session's server as it would find `fms serve`'s: at its port, without PREFECT_API_URL."""
    root = tmp_path_factory.mktemp("cli-output")
    landing = root / "landing"
    shutil.copytree(settings.sample_landing(), landing)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FMS_"))}
    env |= prefect_api.environment() | {"FMS_TODAY": AS_OF}
    args = ["run", "nightly", "--landing", str(landing), "--warehouse", str(root / "w.duckdb")]
    args += ["--out", str(root / "out"), "--as-of", AS_OF]

    def fms(*extra: str, env: dict = env) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(FMS), *args, *extra], env=env, capture_output=True, text=True, timeout=600
        )

    served = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    served["FMS_SERVE_PORT"] = prefect_api.url.rsplit(":", 1)[1].removesuffix("/api")
    return root, fms(), fms("--verbose", "--json", env=served), prefect_api.url


def test_the_default_summary_is_short_and_names_each_warning_once(runs):
    root, first, _, _ = runs
    assert first.returncode == 0, first.stderr[-3000:]
    lines = (first.stderr + first.stdout).splitlines()
    assert len(lines) <= MOST_LINES, "\n".join(lines)
    assert not [line for line in lines if "Task run" in line or "Flow run" in line]
    out = first.stdout
    assert f"nightly {AS_OF}: done" in out
    assert "batches loaded: 4 (20261031-00-history, " in out
    manifest = json.loads((settings.sample_landing().parent / "manifest.json").read_text())
    assert f"{len(manifest['injected']):,} quarantined" in out
    warnings = [line for line in out.splitlines() if line.startswith("    - suite ")]
    assert warnings and len(warnings) == len(set(warnings))
    assert f"{len(warnings)} warning(s):" in out
    assert f"run report: {root / 'out' / 'nightly' / AS_OF / 'run_report.html'}" in out


def test_verbose_prints_every_step_and_json_prints_only_the_summary(runs):
    _, _, rerun, served = runs
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"Using the Prefect server at {served}" in rerun.stderr
    assert "temporary server" not in rerun.stderr
    summary = json.loads(rerun.stdout)  # nothing but the JSON on standard output
    assert summary["batches_loaded"] == [] and summary["as_of"] == AS_OF
    assert isinstance(summary["warnings"], list)
    assert "Task run 'find new batches" in rerun.stderr
    assert "Finished in state Completed()" in rerun.stderr


def _events(url: str, flow_run_id: str, prefix: str) -> list[str]:
    body = {
        "filter": {
            "any_resource": {"id": [f"prefect.flow-run.{flow_run_id}"]},
            "event": {"prefix": [prefix]},
            "occurred": {"since": "2000-01-01T00:00:00Z"},
        },
        "limit": 50,
    }
    return [e["event"] for e in api(url, "/events/filter", body)["events"]]


def test_a_run_from_the_command_line_sends_no_heartbeats(runs):
    """`fms run` turns Prefect's flow-run heartbeats off (app.cli.without_heartbeats)."""
    _, _, rerun, served = runs
    run_id = json.loads(rerun.stdout)["run_id"]
    deadline = time.monotonic() + 60
    # The run's task events travel after its first heartbeat would have: wait until they are
    # stored, so that no heartbeat stored means none was sent.
    while not _events(served, run_id, "prefect.task-run.Completed"):
        assert time.monotonic() < deadline, "the run's task events were never stored"
        time.sleep(0.5)
    assert _events(served, run_id, "prefect.flow-run.") != []
    assert _events(served, run_id, "prefect.flow-run.heartbeat") == []
