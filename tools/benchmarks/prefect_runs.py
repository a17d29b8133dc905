"""The nightly as people run it: `fms run nightly` under Prefect, with a temporary server (the
CLI's default) or against a running one (`fms serve`'s way), and what Prefect itself costs.

Phases of a CLI run come from Prefect's own log timestamps (`HH:MM:SS.mmm | LEVEL | ...`):
process start -> "Starting temporary server" -> "Beginning flow run" -> the flow run's
"Finished in state" -> process exit. Time in task bodies comes from the Prefect API: each task
run's `total_run_time` (time in the RUNNING state) against the flow run's.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
import urllib.request
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

from tools.benchmarks.measure import child_env, run_child

LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \| (\w+)\s*\| (.*)$")
RUN_ID = re.compile(r'"run_id": "([0-9a-f-]{36})"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrefectServer:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME, started the
    way `fms serve` starts one (app.serve.local_prefect_server); stopped on close."""

    def __init__(self, home: Path, log: Path) -> None:
        self.home, self.log = home, log
        self.url: str | None = None
        self.start_seconds: float | None = None
        self._stack = ExitStack()

    def __enter__(self) -> PrefectServer:
        from app.serve import local_prefect_server

        self.home.mkdir(parents=True, exist_ok=True)
        log = self._stack.enter_context(self.log.open("ab"))
        started = time.perf_counter()
        self.url = self._stack.enter_context(
            local_prefect_server(
                "127.0.0.1",
                free_port(),
                env=child_env({"PREFECT_HOME": str(self.home)}),
                log=log,
                timeout=300,
            )
        )
        self.start_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()


def run_cli_nightly(
    work: Path,
    name: str,
    *,
    landing: Path,
    warehouse: Path,
    out: Path,
    as_of: date,
    prefect_home: Path,
    api_url: str | None,
) -> dict:
    """`fms run nightly` in a child process; its wall time, peak RSS and phases."""
    fms = Path(sys.executable).parent / "fms"
    logs = work / "cli"
    logs.mkdir(parents=True, exist_ok=True)
    env = {"PREFECT_HOME": str(prefect_home), "PYTHONUNBUFFERED": "1"}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    spec = {
        "stage": "command",
        "argv": [
            str(fms),
            "run",
            "nightly",
            "--verbose",  # the log lines its phases are read from
            "--json",  # the summary its run id is read from
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
            "--out",
            str(out),
            "--as-of",
            as_of.isoformat(),
        ],
        "env": env,  # on top of the benchmark's child environment
        "unset_env": [] if api_url else ["PREFECT_API_URL"],
        "stdout": str(logs / f"{name}.stdout"),
        "stderr": str(logs / f"{name}.stderr"),
    }
    result = run_child(spec, work)
    stdout = Path(spec["stdout"]).read_text(errors="replace")
    stderr = Path(spec["stderr"]).read_text(errors="replace")
    if result["returncode"] != 0:
        raise RuntimeError(f"fms run nightly failed ({name}): {stderr[-3000:]}")
    found = RUN_ID.search(stdout)
    result["run_id"] = found.group(1) if found else None
    result["phases"] = cli_phases(stderr, result["started_epoch"], result["ended_epoch"])
    result["mode"] = "running server" if api_url else "temporary server"
    return result


def _epoch(match: re.Match, started_epoch: float) -> float:
    h, m, s, ms = (int(match.group(i)) for i in range(1, 5))
    day = datetime.fromtimestamp(started_epoch).date()
    t = datetime(day.year, day.month, day.day, h, m, s, ms * 1000)
    if t.timestamp() < started_epoch - 3600:  # the run crossed midnight
        t += timedelta(days=1)
    return t.timestamp()


def cli_phases(stderr: str, started: float, ended: float) -> dict:
    """Seconds from process start to the temporary server, to the flow run's start, in the
    flow run, and from its end to the process's exit."""
    marks: dict[str, float] = {}
    for line in stderr.splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        text = m.group(6)
        if "Starting temporary server" in text and "server" not in marks:
            marks["server"] = _epoch(m, started)
        elif "Beginning flow run" in text and "flow_begin" not in marks:
            marks["flow_begin"] = _epoch(m, started)
        elif text.startswith("Flow run") and "Finished in state" in text:
            marks["flow_end"] = _epoch(m, started)
    phases = {}
    begin = marks.get("flow_begin")
    if "server" in marks and begin:
        phases["startup (imports, CLI)"] = marks["server"] - started
        phases["temporary server start + flow run created"] = begin - marks["server"]
    elif begin:
        phases["startup (imports, CLI) + flow run created"] = begin - started
    if begin and "flow_end" in marks:
        phases["flow run"] = marks["flow_end"] - begin
        phases["after the flow (server stop, exit)"] = ended - marks["flow_end"]
    return {k: round(v, 3) for k, v in phases.items()}


def _api(url: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{url}{path}",
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def flow_run_timing(api_url: str, run_id: str) -> dict:
    """Task time vs flow-run time from the Prefect API: Prefect's own overhead is the flow
    run's time outside its task runs (orchestration: task-run creation, state changes, result
    handling, logging)."""
    flow = _api(api_url, f"/flow_runs/{run_id}")
    tasks = _api(
        api_url,
        "/task_runs/filter",
        {"flow_runs": {"id": {"any_": [run_id]}}, "sort": "EXPECTED_START_TIME_ASC", "limit": 200},
    )
    task_rows = sorted(
        (
            {
                "name": t["name"],
                "run_seconds": round(t.get("total_run_time") or 0.0, 3),
                "start": _ts(t.get("start_time")),
                "end": _ts(t.get("end_time")),
            }
            for t in tasks
        ),
        key=lambda t: t["start"] or 0.0,
    )
    flow_seconds = flow.get("total_run_time") or 0.0
    task_seconds = sum(t["run_seconds"] for t in task_rows)
    # Between tasks: from one task's end to the next one's start, as the flow body runs.
    gaps = [
        b["start"] - a["end"]
        for a, b in zip(task_rows, task_rows[1:], strict=False)
        if a["end"] and b["start"]
    ]
    return {
        "flow_run_seconds": round(flow_seconds, 3),
        "task_run_seconds": round(task_seconds, 3),
        "outside_tasks_seconds": round(flow_seconds - task_seconds, 3),
        "outside_tasks_share": round((flow_seconds - task_seconds) / flow_seconds, 4)
        if flow_seconds
        else None,
        "between_tasks_seconds": round(sum(gaps), 3),
        "task_runs": len(task_rows),
        "tasks": [{"name": t["name"], "run_seconds": t["run_seconds"]} for t in task_rows],
    }
