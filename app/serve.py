"""`fms serve`: every deployment of prefect.yaml, on its schedule, from one process.

prefect.yaml is read by Prefect's own loader (as `prefect deploy` reads it) and its flows are
served with `prefect.serve`, so `fms serve` and `prefect deploy --all` + a worker run the same
schedules. Kept here, what Prefect lacks: schedules need a server with its scheduler, so `fms
serve` uses the server PREFECT_API_URL names, else one already answering on host:port, else
starts `prefect server start` there as its child for as long as it runs (`--background` would
leave the server running after a killed `fms serve`); a server it starts listens on the
loopback interface only, unless Prefect's server authentication is configured; and the flows
run from the project folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from flows.scaleout import is_loopback
from fms import settings

PREFECT_FILE = settings.PROJECT_ROOT / "prefect.yaml"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
SERVER_START_TIMEOUT_SECONDS = 90.0


class ServeError(RuntimeError):
    """`fms serve` cannot start: a clear reason, no traceback needed."""


def deployments(prefect_file: Path = PREFECT_FILE) -> list:
    """A RunnerDeployment per deployment of `prefect_file`, in file order: its flow, name,
    schedules, parameters, description and tags, as `prefect deploy` reads them."""
    from prefect.cli.deploy._config import _load_deploy_configs_and_actions
    from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.deployments.runner import EntrypointType
    from prefect.flows import load_flow_from_entrypoint
    from rich.console import Console

    configs, _ = _load_deploy_configs_and_actions(Path(prefect_file), console=Console(stderr=True))
    served = []
    for config in configs:
        path, function = config["entrypoint"].split(":")  # flows/nightly.py:nightly_refresh
        flow = load_flow_from_entrypoint(f"{path.removesuffix('.py').replace('/', '.')}.{function}")
        served.append(
            flow.to_deployment(
                name=config["name"],
                schedules=[
                    DeploymentScheduleCreate(**_schedule_config_to_deployment_schedule(s))
                    for s in config["schedules"]
                ],
                parameters=config.get("parameters", {}),
                description=config.get("description"),
                tags=config.get("tags", []),
                # A module path runs from any working directory with the project installed.
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return served


def check_server_host(host: str) -> None:
    """Refuse to expose the Prefect server beyond this machine without authentication.

    Anyone who reaches an unauthenticated Prefect server can run the flows (and read the
    financial figures in its logs and artifacts), so a server we start listens on a loopback
    address unless PREFECT_SERVER_API_AUTH_STRING is set.
    """
    if is_loopback(host):
        return
    from prefect.settings import get_current_settings

    if get_current_settings().server.api.auth_string is None:
        raise ServeError(
            f"refusing to start a Prefect server listening on {host!r}: without "
            "authentication anyone who can reach it can run the jobs. Use 127.0.0.1, or set "
            "PREFECT_SERVER_API_AUTH_STRING (and PREFECT_API_AUTH_STRING for clients) first."
        )


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
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)  # started with start_new_session: its process group
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)


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

    configured = PREFECT_API_URL.value()
    if configured:
        if not is_healthy(configured):
            raise ServeError(f"PREFECT_API_URL is {configured} but no Prefect API answers there")
        _serve(prefect_file, limit)
        return
    url = api_url(host, port)
    if is_healthy(url):  # a server the user started (`prefect server start`)
        print(f"using the Prefect server at {url}", file=sys.stderr)
        with temporary_settings({PREFECT_API_URL: url}):
            _serve(prefect_file, limit)
        return
    server_log = server_log or settings.data_dir() / "prefect-server.log"
    server_log.parent.mkdir(parents=True, exist_ok=True)
    with server_log.open("ab") as log, local_prefect_server(host, port, log=log) as started:
        print(
            f"started a Prefect server at {started} (UI http://{host}:{port}, log {server_log})",
            file=sys.stderr,
        )
        with temporary_settings({PREFECT_API_URL: started}):
            _serve(prefect_file, limit)


def _serve(prefect_file: Path, limit: int) -> None:
    """Serve from the project folder: Prefect puts the working directory first on the import
    path of each flow run (to import its entrypoint), so modules left in the folder `fms serve`
    was started from would run inside every run."""
    from prefect import serve

    served = deployments(prefect_file)
    data_dir = os.environ.get("FMS_DATA_DIR")
    if data_dir:  # a relative one keeps meaning what it meant where `fms serve` was started
        os.environ["FMS_DATA_DIR"] = str(Path(data_dir).resolve())
    with contextlib.chdir(settings.PROJECT_ROOT):
        serve(*served, limit=limit)
