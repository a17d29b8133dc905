"""A run killed with SIGKILL leaves no process behind and nothing listening.

A real `fms run nightly`, as a user starts it (no PREFECT_API_URL: it starts its own temporary
Prefect server), is killed while its flow runs: once it holds the warehouse (its server has
answered and the flow began) with the local runner, once its Dask workers are up with
`--runner dask`. Within a few seconds every process it started is gone and every port it
listened on refuses connections: nothing of the run stays to serve its data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.exposure.sockets import listening_in_tree, process_tree
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch
from tests.publication_helpers import read_holder

FMS = Path(sys.executable).with_name("fms")
TODAY = "2026-11-05"
GONE_WITHIN_SECONDS = 10.0


def alive(pid: int) -> bool:
    """Running (a zombie, dead and waiting for its parent to be told, does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def dask_workers(pids: set[int]) -> int:
    count = 0
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        count += b"spawn_main" in command
    return count


@pytest.mark.parametrize("runner", ["local", "dask"])
def test_a_run_killed_while_its_flow_runs_leaves_no_process_and_no_listening_port(tmp_path, runner):
    landing = tmp_path / "landing"
    write_batch(
        landing,
        "20261031-00-history",
        {"countries": [COUNTRY], "cases": [case()], "case_lines": [LINE], "deliveries": [DELIVERY]},
    )
    warehouse = tmp_path / "warehouse" / "fms.duckdb"
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "FMS_FAILPOINT")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "FMS_TODAY": TODAY}
    command = [str(FMS), "run", "nightly", "--landing", str(landing), "--as-of", TODAY]
    command += ["--warehouse", str(warehouse), "--out", str(tmp_path / "out"), "--runner", runner]
    log = (tmp_path / "run.log").open("w+")
    run = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            assert run.poll() is None, "the run ended before it could be killed"
            tree = process_tree(run.pid)
            flow_runs = read_holder(warehouse) is not None
            if flow_runs and (runner == "local" or dask_workers(tree) >= 2):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the run's flow never got under way")
        tree, listening = process_tree(run.pid), listening_in_tree(run.pid)
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        log.seek(0)
        output = log.read()
    assert listening, f"no listening socket: the run started no Prefect server?\n{output[-3000:]}"
    assert len(tree) >= 2, "the run had no child process to leave behind"

    killed = time.monotonic()
    while any(alive(pid) for pid in tree) and time.monotonic() - killed < GONE_WITHIN_SECONDS:
        time.sleep(0.1)
    assert not [pid for pid in tree if alive(pid)], output[-3000:]
    for address, port in listening:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=2).close()
