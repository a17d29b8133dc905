"""A real Prefect server on 127.0.0.1 for tests: `prefect server start` through the project's own
helper (app/serve.py), UI off so it starts faster. The session shares one per test worker
(tests/conftest.py): in-process flows and `fms run` subprocesses both use it, so only the tests
about the temporary server pay for starting one."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.serve import ServeError, local_prefect_server


@dataclass(frozen=True)
class PrefectApi:
    url: str
    home: Path

    def environment(self) -> dict[str, str]:
        """What a `fms` subprocess needs to run its flow on this server."""
        return {
            "PREFECT_API_URL": self.url,
            "PREFECT_HOME": str(self.home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def prefect_server(home: Path) -> Iterator[PrefectApi]:
    env = {
        "PREFECT_HOME": str(home),
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    with (home / "server.log").open("ab") as log, ExitStack() as stack:
        for attempt in range(3):  # a free port can be taken by another process before we bind
            try:
                server = local_prefect_server(
                    "127.0.0.1", free_port(), env=env, log=log, timeout=180
                )
                url = stack.enter_context(server)
                break
            except ServeError:
                if attempt == 2:
                    raise
        yield PrefectApi(url, home)


RETRYABLE = {429, 502, 503}


def api(url: str, path: str, body: dict | None = None, attempts: int = 6):
    """One API call, retried as Prefect's own client retries: the server answers 503 when its
    SQLite database is briefly locked by the scheduler or a worker, and means "try again"."""
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(attempts):
        request = urllib.request.Request(
            f"{url}{path}", data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code not in RETRYABLE or attempt == attempts - 1:
                raise
            time.sleep(0.5 * 2**attempt)
