"""`fms serve`: every deployment of prefect.yaml, on its schedule, from one process.

prefect.yaml is read by Prefect's own loader (as `prefect deploy` reads it) and its flows are
served by Prefect's Runner (app/serve_runner.py: one that SIGTERM stops cleanly), so `fms serve`
and `prefect deploy --all` + a worker run the same schedules and concurrency limits. Kept
here, what Prefect lacks: schedules need a server with its scheduler, so `fms serve` uses the
server PREFECT_API_URL names, else one already answering on host:port, else starts `prefect
server start` there as its child for as long as it runs (`--background` would leave the server
running after a killed `fms serve`), logging to data/prefect-server.log (ignored by git); a
server it starts listens on the loopback interface only, unless Prefect's server
authentication is configured; and the flows run from the project folder.
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

from fms import settings
from fms.addresses import is_loopback

PREFECT_FILE = settings.PROJECT_ROOT / "prefect.yaml"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
PORT_VARIABLE = "FMS_SERVE_PORT"
SERVER_START_TIMEOUT_SECONDS = 90.0


class ServeError(RuntimeError):
    """`fms serve` cannot start: a clear reason, no traceback needed."""


def deployments(prefect_file: Path = PREFECT_FILE) -> list:
    """A RunnerDeployment per deployment of `prefect_file`, in file order: its flow, name,
    schedules, parameters, description, tags and concurrency limit, as `prefect deploy` reads
    them."""
    from prefect.cli.deploy._config import _load_deploy_configs_and_actions
    from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.deployments.runner import EntrypointType
    from prefect.flows import load_flow_from_entrypoint
    from rich.console import Console

    configs, _ = _load_deploy_configs_and_actions(Path(prefect_file), console=Console(stderr=True))
    served = []
    for config in configs:
        limit = config.get("concurrency_limit")
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
                concurrency_limit=(
                    ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit
                ),
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


def local_port() -> int:
    """The port of this machine's server: `fms serve` starts or uses it there, and `fms run`
    looks for it there before starting a temporary one (FMS_SERVE_PORT, else 4200)."""
    value = os.environ.get(PORT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{PORT_VARIABLE} must be a port number (1-65535), not {value!r}")
    return int(value)


def local_api_url() -> str:
    return api_url(DEFAULT_HOST, local_port())


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


def server_log_path() -> Path:
    """The log of a server `fms serve` starts: in the data folder, and ignored by git (.gitignore
    names /data/prefect-server.log)."""
    return settings.data_dir() / "prefect-server.log"


def serve_deployments(
    prefect_file: Path = PREFECT_FILE,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    limit: int = 1,
    server_log: Path | None = None,
) -> None:
    """Serve every deployment of `prefect_file` until interrupted (Ctrl-C or SIGTERM).

    `limit` flow runs at a time (1: the jobs share one warehouse; a run due while another runs
    waits its turn here rather than failing on the warehouse lock).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Until the runner takes SIGTERM over: leave through every `finally`, as Ctrl-C does, so a
    # server started here (in its own process group) is stopped, not left running.
    signal.signal(signal.SIGTERM, _exit)
    configured = PREFECT_API_URL.value()
    if configured:
        if not is_healthy(configured):
            raise ServeError(f"PREFECT_API_URL is {configured} but no Prefect API answers there")
        _serve(prefect_file, limit)
        return
    url = api_url(host, port)
    ui = url.removesuffix("/api")
    if is_healthy(url):  # a server the user started (`prefect server start`)
        print(f"using the Prefect server at {url} (UI {ui})", file=sys.stderr)
        with temporary_settings({PREFECT_API_URL: url}):
            _serve(prefect_file, limit)
        return
    server_log = server_log or server_log_path()
    server_log.parent.mkdir(parents=True, exist_ok=True)
    print(f"starting a Prefect server at {url}; its log: {server_log}", file=sys.stderr)
    with server_log.open("ab") as log, local_prefect_server(host, port, log=log) as started:
        print(f"started the Prefect server (UI {ui})", file=sys.stderr)
        with temporary_settings({PREFECT_API_URL: started}):
            _serve(prefect_file, limit)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _serve(prefect_file: Path, limit: int) -> None:
    """Serve from the project folder: Prefect puts the working directory first on the import
    path of each flow run (to import its entrypoint), so modules left in the folder `fms serve`
    was started from would run inside every run."""
    import asyncio

    from app.serve_runner import ServeRunner

    prefect_file = Path(prefect_file).resolve()
    with contextlib.chdir(settings.PROJECT_ROOT):
        # Prefect imports each flow with the working directory on the import path: from the
        # project folder, so a planted `duckdb.py` where `fms serve` started is never imported.
        served = deployments(prefect_file)
    data_dir = os.environ.get("FMS_DATA_DIR")
    if data_dir:  # a relative one keeps meaning what it meant where `fms serve` was started
        os.environ["FMS_DATA_DIR"] = str(Path(data_dir).resolve())

    def announce() -> None:
        print(
            f"{', '.join(d.name for d in served)} are being served, at most {limit} flow run(s) "
            "at a time (Ctrl-C or SIGTERM stops them)",
            file=sys.stderr,
            flush=True,
        )

    with contextlib.chdir(settings.PROJECT_ROOT):
        # Ctrl-C: asyncio cancels the runner, which cleans up as after SIGTERM.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(ServeRunner(limit=limit).serve(served, announce))
    print("stopped serving the deployments", file=sys.stderr)
