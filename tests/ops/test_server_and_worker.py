"""The deployments on a real Prefect server: deployed from prefect.yaml, run by a process worker
and by `fms serve`, scheduled by the server, one run of a job at a time.

One `prefect server start` on 127.0.0.1 and a free port, with its own PREFECT_HOME, for the
module; `fms serve` starts its own, as a user's does. Every subprocess is bounded by a timeout
and stopped in a `finally`. The jobs' data folder (FMS_DATA_DIR) is a temporary one, so even a
scheduled run that happened to fall due during the test could not touch the project's data.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from app.serve import local_prefect_server, server_log_path, stop_process
from fms import settings
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch
from tests.prefect_server import api

pytestmark = pytest.mark.prefect_server

CONTRACT_DEPLOYMENTS = {
    "nightly-refresh",
    "monthly-delivery-report",
    "quarterly-billing",
    "weekly-closure-readiness",
    "quarterly-payment-schedule-review",
}
PREFECT = [sys.executable, "-m", "prefect"]
TIMINGS: dict[str, float] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:]
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]  # little-endian
                found.add(
                    socket.inet_ntop(
                        socket.AF_INET if len(raw) == 4 else socket.AF_INET6, b"".join(words)
                    )
                )
    return found


def prefect(env: dict, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PREFECT, *args],
        env=env,
        cwd=settings.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for_final_state(url: str, flow_run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api(url, f"/flow_runs/{flow_run_id}")["state"]
        if state["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return state
        time.sleep(0.5)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout} s: {state}")


def wait_until_served(log: Path, serve: subprocess.Popen, timeout: float) -> None:
    """Until `fms serve` says it serves the deployments (and polls for their runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert serve.poll() is None, log.read_text(errors="replace")[-3000:]
        if "being served" in log.read_text(errors="replace"):
            return
        time.sleep(0.25)
    raise AssertionError(f"fms serve did not serve the deployments within {timeout} s")


def run_deployment(env: dict, name: str, **parameters: str) -> str:
    params = [arg for k, v in parameters.items() for arg in ("--param", f"{k}={v}")]
    started = prefect(env, "deployment", "run", f"{name}/{name}", *params)
    assert started.returncode == 0, started.stdout + started.stderr
    return re.search(r"UUID:\s*([0-9a-f-]{36})", started.stdout).group(1)


def tiny_landing(folder: Path) -> Path:
    write_batch(
        folder,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE],
            "deliveries": [DELIVERY],
        },
    )
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Prefect server on 127.0.0.1 with the process pool and prefect.yaml deployed."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    data = tmp / "data"
    data.mkdir()
    (data / "reference").symlink_to(settings.reference_dir())  # reviewed configuration only
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "FMS_DATA_DIR": str(data),
    }
    log_path = tmp / "server.log"
    started = time.monotonic()
    with (
        log_path.open("wb") as log,
        local_prefect_server("127.0.0.1", port, env=env, log=log) as url,
    ):
        TIMINGS["server start"] = time.monotonic() - started
        env["PREFECT_API_URL"] = url
        pool = prefect(env, "work-pool", "create", "fms-process", "--type", "process")
        assert pool.returncode == 0, pool.stdout + pool.stderr
        pool = prefect(env, "work-pool", "set-concurrency-limit", "fms-process", "1")  # README
        assert pool.returncode == 0, pool.stdout + pool.stderr
        started = time.monotonic()
        deployed = prefect(env, "--no-prompt", "deploy", "--all", timeout=120)
        TIMINGS["deploy --all"] = time.monotonic() - started
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        yield {"url": url, "port": port, "env": env, "tmp": tmp, "log": log_path}
    print(
        "\nprefect server e2e timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items())
    )


def test_the_server_listens_on_the_loopback_interface_only(server):
    assert listening_addresses(server["port"]) == {"127.0.0.1"}


def test_deploy_all_creates_the_four_deployments_with_their_schedules(server):
    deployments = api(server["url"], "/deployments/filter", {})
    assert {d["name"] for d in deployments} == CONTRACT_DEPLOYMENTS
    project = str(settings.PROJECT_ROOT)
    for d in deployments:
        assert d["work_pool_name"] == "fms-process"
        assert d["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": project}}
        ]
        assert [s["schedule"]["timezone"] for s in d["schedules"]] == ["America/New_York"]
        # every value resolved when the run starts; a scheduled billing is a record, not a draft
        assert d["parameters"].pop("preliminary", False) is False
        assert all(v is None for v in d["parameters"].values())


def assert_one_run_of_each_job_at_a_time(url: str) -> None:
    """Each deployment has a concurrency limit of 1 that enqueues (a second run waits)."""
    deployments = api(url, "/deployments/filter", {})
    assert {d["name"] for d in deployments} == CONTRACT_DEPLOYMENTS
    for d in deployments:
        assert d["global_concurrency_limit"]["limit"] == 1, d["name"]
        assert d["concurrency_options"]["collision_strategy"] == "ENQUEUE", d["name"]


def test_each_job_runs_once_at_a_time_and_the_pool_one_run_at_a_time(server):
    assert_one_run_of_each_job_at_a_time(server["url"])
    assert api(server["url"], "/work_pools/fms-process")["concurrency_limit"] == 1


def test_a_deployment_run_completes_through_a_process_worker(server):
    tmp, env = server["tmp"] / "worker-run", server["env"]
    warehouse, out = tmp / "fms.duckdb", tmp / "out"
    flow_run_id = run_deployment(
        env,
        "nightly-refresh",
        landing=str(tiny_landing(tmp / "landing")),
        warehouse=str(warehouse),
        out=str(out),
        as_of="2026-11-01",
    )
    started = time.monotonic()
    worker = subprocess.Popen(
        [*PREFECT, "worker", "start", "--pool", "fms-process", "--run-once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = worker.communicate(timeout=60)
    finally:
        stop_process(worker)
    TIMINGS["worker run"] = time.monotonic() - started
    state = wait_for_final_state(server["url"], flow_run_id, timeout=10)
    assert state["type"] == "COMPLETED", output.decode(errors="replace")[-3000:]
    assert (out / "nightly" / "2026-11-01" / "quarantine_worklist.csv").exists()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM deliveries").fetchone() == (1,)


def test_the_server_schedules_the_next_runs_of_every_deployment(server):
    deadline, scheduled = time.monotonic() + 20, []
    while time.monotonic() < deadline:
        scheduled = api(
            server["url"],
            "/flow_runs/filter",
            {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "limit": 200},
        )
        if len({r["deployment_id"] for r in scheduled}) == len(CONTRACT_DEPLOYMENTS):
            break
        time.sleep(1)
    # If not, the server log says why (e.g. an SQLAlchemy the scheduler cannot work with).
    errors = [
        line
        for line in server["log"].read_text(errors="replace").splitlines()
        if re.match(r"^[\w.]+(Error|Exception): ", line)
    ]
    names = {d["id"]: d["name"] for d in api(server["url"], "/deployments/filter", {})}
    assert {names[r["deployment_id"]] for r in scheduled} == CONTRACT_DEPLOYMENTS, errors[-3:]
    now = datetime.now(UTC)
    assert all(datetime.fromisoformat(r["expected_start_time"]) > now for r in scheduled)


def propose(url: str, flow_run_id: str, state: str, *, force: bool = False) -> dict:
    """What the server answers a runner proposing `state` for a flow run."""
    body = {"state": {"type": state}, "force": force}
    return api(url, f"/flow_runs/{flow_run_id}/set_state", body)


def test_a_second_run_of_a_job_waits_for_the_first_instead_of_failing(server):
    """The server's own orchestration, as any runner meets it: a second run asking to start
    while the first runs is sent back to wait, and starts once the first has ended."""
    url = server["url"]
    deployment = api(url, "/deployments/name/quarterly-billing/quarterly-billing")
    first, second = (
        api(url, f"/deployments/{deployment['id']}/create_flow_run", {})["id"] for _ in range(2)
    )
    try:
        assert propose(url, first, "PENDING")["status"] == "ACCEPT"
        assert propose(url, first, "RUNNING")["status"] == "ACCEPT"
        waiting = propose(url, second, "PENDING")
        assert waiting["status"] == "REJECT"
        assert (waiting["state"]["type"], waiting["state"]["name"]) == (
            "SCHEDULED",
            "AwaitingConcurrencySlot",
        )
        assert propose(url, first, "COMPLETED")["status"] == "ACCEPT"
        assert propose(url, second, "PENDING")["status"] == "ACCEPT"
    finally:  # nothing left holding the deployment's slot or the pool's
        for run in (first, second):
            propose(url, run, "CANCELLED", force=True)


def test_fms_serve_starts_a_server_runs_a_deployment_and_stops_cleanly_on_sigterm(
    server, monkeypatch
):
    """As a user starts it: no PREFECT_API_URL, so `fms serve` starts its own server (logging
    where .gitignore ignores it), serves prefect.yaml's deployments with their concurrency
    limits, and on SIGTERM stops them and its server, exits 0 and warns of nothing."""
    tmp = server["tmp"] / "serve-run"
    data = tmp / "data"
    data.mkdir(parents=True)
    (data / "reference").symlink_to(settings.reference_dir())
    port = free_port()
    env = {k: v for k, v in server["env"].items() if k != "PREFECT_API_URL"} | {
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "PREFECT_UI_ENABLED": "false",  # starts faster
        "FMS_DATA_DIR": str(data),
    }
    log = (tmp / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env={**env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = time.monotonic()
        wait_until_served(tmp / "serve.log", serve, timeout=120)
        output = (tmp / "serve.log").read_text(errors="replace")
        server_log = Path(re.search(r"its log: (\S+)", output).group(1))
        assert server_log == data / "prefect-server.log" and server_log.stat().st_size > 0
        # Where a user's `fms serve` writes it (the project's data folder): ignored by git.
        monkeypatch.delenv("FMS_DATA_DIR", raising=False)
        in_project = server_log_path()
        assert in_project == settings.PROJECT_ROOT / "data" / server_log.relative_to(data)
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", str(in_project)], cwd=settings.PROJECT_ROOT
        )
        assert ignored.returncode == 0, f"{in_project} is not ignored by git"

        url = f"http://127.0.0.1:{port}/api"
        assert_one_run_of_each_job_at_a_time(url)  # served with prefect.yaml's limits
        flow_run_id = run_deployment(
            {**env, "PREFECT_API_URL": url},
            "weekly-closure-readiness",
            warehouse=str(tmp / "fms.duckdb"),
            out=str(tmp / "out"),
            as_of="2026-11-02",
        )
        state = wait_for_final_state(url, flow_run_id, timeout=60)
        TIMINGS["fms serve run"] = time.monotonic() - started
        assert state["type"] == "COMPLETED", (tmp / "serve.log").read_text()[-3000:]
        assert (tmp / "out" / "closure" / "2026-11-02").is_dir()

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        output = (tmp / "serve.log").read_text(errors="replace")
        assert "never awaited" not in output and "Traceback" not in output, output[-3000:]
        assert "stopped serving the deployments" in output
        assert listening_addresses(port) == set()  # its server stopped with it
    finally:
        stop_process(serve)
        log.close()
