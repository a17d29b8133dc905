"""`fms serve`: every deployment of prefect.yaml, on its schedule, from one process.

The deployments (names, entrypoints, schedules, parameters) are written once, in prefect.yaml;
this module reads that file and serves them with `prefect.serve`, so `fms serve` and
`prefect deploy --all` + a worker run the same schedules.

Schedules need a Prefect server with its scheduler (a temporary server has none). `fms serve`
uses the server PREFECT_API_URL names, else one already answering on host:port, else starts
`prefect server start` on host:port for as long as it runs. A server we start listens on the
loopback interface only, unless Prefect's server authentication is configured.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from fms import settings

PREFECT_FILE = settings.PROJECT_ROOT / "prefect.yaml"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
SERVER_START_TIMEOUT_SECONDS = 90.0


class ServeError(RuntimeError):
    """`fms serve` cannot start: a clear reason, no traceback needed."""


@dataclass(frozen=True)
class ScheduleSpec:
    cron: str
    timezone: str
    slug: str | None = None
    active: bool = True
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of prefect.yaml, as `prefect deploy` would read it."""

    name: str
    entrypoint: str  # flows/nightly.py:nightly_refresh
    description: str
    tags: tuple[str, ...]
    parameters: dict[str, Any]
    schedules: tuple[ScheduleSpec, ...]

    @property
    def module(self) -> str:
        """flows/nightly.py:nightly_refresh -> flows.nightly"""
        path = self.entrypoint.rsplit(":", 1)[0]
        return path.removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.rsplit(":", 1)[1]


def read_deployments(prefect_file: Path = PREFECT_FILE) -> list[DeploymentSpec]:
    """The deployments of prefect.yaml (YAML aliases resolved), in file order."""
    config = yaml.safe_load(Path(prefect_file).read_text(encoding="utf-8"))
    specs = []
    for d in config.get("deployments") or []:
        schedules = tuple(
            ScheduleSpec(
                cron=s["cron"],
                timezone=s["timezone"],
                slug=s.get("slug"),
                active=s.get("active", True),
                parameters=dict(s.get("parameters") or {}),
            )
            for s in d.get("schedules") or []
        )
        specs.append(
            DeploymentSpec(
                name=d["name"],
                entrypoint=d["entrypoint"],
                description=" ".join((d.get("description") or "").split()),
                tags=tuple(d.get("tags") or ()),
                parameters=dict(d.get("parameters") or {}),
                schedules=schedules,
            )
        )
    return specs


def load_flow(spec: DeploymentSpec):
    """The Prefect flow a deployment's entrypoint names, imported as a module of the project."""
    from prefect import Flow

    flow = getattr(importlib.import_module(spec.module), spec.function)
    if not isinstance(flow, Flow):
        raise ServeError(f"{spec.entrypoint} is not a Prefect flow")
    return flow


def runner_deployments(specs: list[DeploymentSpec]) -> list:
    """A RunnerDeployment per spec: same name, schedules, parameters and tags as prefect.yaml."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    deployments = []
    for spec in specs:
        schedules = [
            Cron(
                s.cron,
                timezone=s.timezone,
                slug=s.slug,
                active=s.active,
                parameters=s.parameters,
            )
            for s in spec.schedules
        ]
        deployments.append(
            load_flow(spec).to_deployment(
                name=spec.name,
                schedules=schedules,
                parameters=spec.parameters,
                description=spec.description,
                tags=list(spec.tags),
                # A module path runs from any working directory with the project installed.
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments


def check_server_host(host: str) -> None:
    """Refuse to expose the Prefect server beyond this machine without authentication.

    Anyone who reaches an unauthenticated Prefect server can run the flows (and read the
    financial figures in its logs and artifacts), so a server we start listens on a loopback
    address unless PREFECT_SERVER_API_AUTH_STRING is set.
    """
    if _is_loopback(host):
        return
    from prefect.settings import get_current_settings

    if get_current_settings().server.api.auth_string is None:
        raise ServeError(
            f"refusing to start a Prefect server listening on {host!r}: without "
            "authentication anyone who can reach it can run the jobs. Use 127.0.0.1, or set "
            "PREFECT_SERVER_API_AUTH_STRING (and PREFECT_API_AUTH_STRING for clients) first."
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/api"


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    """True if a Prefect API answers its health check at `url` (…/api)."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextmanager
def local_prefect_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    env: dict[str, str] | None = None,
    log: IO[bytes] | None = None,
    timeout: float = SERVER_START_TIMEOUT_SECONDS,
) -> Iterator[str]:
    """Run `prefect server start` (API, UI and scheduler) on host:port; yield its API URL.

    The server is stopped when the block ends, whatever happened inside it.
    """
    check_server_host(host)
    command = [
        sys.executable,
        "-P",  # `-m` would put the working directory first on the server's import path
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        host,
        "--port",
        str(port),
        "--analytics-off",
    ]
    server_env = {**os.environ, **(env or {})}
    server_env.pop("PREFECT_API_URL", None)  # the server itself is not a client of another one
    process = subprocess.Popen(
        command,
        env=server_env,
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with everything it started
    )
    url = api_url(host, port)
    try:
        wait_until_healthy(url, process, timeout)
        yield url
    finally:
        stop_process(process)


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServeError(
                f"the Prefect server exited with code {process.returncode} before answering at "
                f"{url} (is the port already in use?)"
            )
        if is_healthy(url, timeout=1.0):
            return
        time.sleep(0.25)
    raise ServeError(f"the Prefect server did not answer at {url} within {timeout:g} s")


def stop_process(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate a process we started (with everything it started), kill it if it lingers."""
    if process.poll() is not None:
        return
    _signal(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal(process, signal.SIGKILL)
        process.wait()


def _signal(process: subprocess.Popen, sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)  # started with start_new_session: its own process group
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)


def serve_deployments(
    prefect_file: Path = PREFECT_FILE,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    limit: int = 1,
    server_log: Path | None = None,
) -> None:
    """Serve every deployment of `prefect_file` until interrupted.

    `limit` flow runs at a time (1: the jobs share one warehouse; a run due while another runs
    waits its turn here rather than failing on the warehouse lock).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    specs = read_deployments(prefect_file)
    configured = PREFECT_API_URL.value()
    if configured:
        if not is_healthy(configured):
            raise ServeError(f"PREFECT_API_URL is {configured} but no Prefect API answers there")
        _serve(specs, limit)
        return
    url = api_url(host, port)
    if is_healthy(url):  # a server the user started (`prefect server start`)
        print(f"using the Prefect server at {url}", file=sys.stderr)
        with temporary_settings({PREFECT_API_URL: url}):
            _serve(specs, limit)
        return
    server_log = server_log or settings.data_dir() / "prefect-server.log"
    server_log.parent.mkdir(parents=True, exist_ok=True)
    with server_log.open("ab") as log, local_prefect_server(host, port, log=log) as started:
        print(
            f"started a Prefect server at {started} (UI http://{host}:{port}, log {server_log})",
            file=sys.stderr,
        )
        with temporary_settings({PREFECT_API_URL: started}):
            _serve(specs, limit)


def _serve(specs: list[DeploymentSpec], limit: int) -> None:
    """Serve from the project folder: Prefect puts the working directory first on the import
    path of each flow run (to import its entrypoint), so modules left in the folder `fms serve`
    was started from would run inside every run."""
    from prefect import serve

    deployments = runner_deployments(specs)
    data_dir = os.environ.get("FMS_DATA_DIR")
    if data_dir:  # a relative one keeps meaning what it meant where `fms serve` was started
        os.environ["FMS_DATA_DIR"] = str(Path(data_dir).resolve())
    with contextlib.chdir(settings.PROJECT_ROOT):
        serve(*deployments, limit=limit)
