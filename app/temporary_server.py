"""A temporary Prefect server for one command-line run, which never outlives the run.

Prefect's own temporary server is stopped by an atexit handler (a run killed with SIGKILL left
it listening for good) and started with `-m` (the working directory on its import path). This
one is a child of the run that:
- exits when a pipe only the run holds closes, which the kernel does when the run ends in any
  way, SIGKILL included;
- serves on a socket the run bound on 127.0.0.1 (port chosen by the kernel) and handed over;
- runs with `-P` (PYTHONSAFEPATH): nothing is imported from the working directory;
- writes its messages to an unnamed temporary file, quoted in the one error line if it fails to
  start (a Prefect database that cannot be opened, say).
The run points PREFECT_API_URL at it, so Prefect starts no server of its own, and Dask workers
report to it too.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO

# After its pipe closes the server stops accepting at once, gives open connections this long
# (a Dask worker of a killed run keeps one until it notices), then exits whatever remains.
SHUTDOWN_GRACE_SECONDS = 1.0
HOST = "127.0.0.1"
# "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) unable to open database file"
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception)\b.*:")


class TemporaryServerError(RuntimeError):
    """The temporary Prefect server did not start: why, in one line."""


class TemporaryServer:
    """A child process serving Prefect's API on 127.0.0.1 for as long as this process lives."""

    def __init__(self, process: subprocess.Popen, port: int, log: IO[bytes]) -> None:
        self.process, self.port, self.log = process, port, log

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/api"

    @classmethod
    def start(cls) -> TemporaryServer:
        """Start the server (it answers a few seconds later: `wait_until_ready`)."""
        listener = socket.create_server((HOST, 0))
        port = listener.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PYTHONSAFEPATH"] = "1"
        log = tempfile.TemporaryFile(prefix="fms-prefect-server-")  # no name: gone with both
        with listener:
            process = subprocess.Popen(
                [sys.executable, "-P", "-m", __name__, str(listener.fileno())],
                stdin=subprocess.PIPE,  # the pipe it watches; nothing is ever written to it
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
                env=env,
                start_new_session=True,  # a Ctrl-C reaches the run, which then stops it
            )
        # The listener is closed here: from now on only the server holds the port, so once
        # the server is gone a connection is refused, not queued.
        return cls(process, port, log)

    def wait_until_ready(self, timeout: float) -> None:
        from app.serve import is_healthy

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TemporaryServerError(
                    f"the temporary Prefect server exited with code {self.process.returncode} "
                    f"before it answered: {self._last_error()} (is PREFECT_HOME writable? Or set "
                    "PREFECT_API_URL to a running server)"
                )
            if is_healthy(self.api_url, timeout=1.0):
                return
            time.sleep(0.1)
        self.stop()
        raise TemporaryServerError(
            f"the temporary Prefect server did not answer at {self.api_url} within {timeout:g} "
            "s: the machine may be overloaded, or set PREFECT_API_URL to a running server"
        )

    def _last_error(self) -> str:
        """The server's own reason, as the last exception line of its messages."""
        self.log.seek(0)
        lines = [line.strip() for line in self.log.read().decode(errors="replace").splitlines()]
        errors = [line for line in lines if _EXCEPTION_LINE.match(line)]
        return (errors or [line for line in lines if line] or ["no message"])[-1]

    def stop(self) -> None:
        """Close its pipe and wait for it to exit (killed if it lingers)."""
        if self.process.poll() is not None:
            return
        logging.getLogger("prefect").info("Stopping temporary server on %s", self.api_url)
        self.process.stdin.close()
        try:
            self.process.wait(timeout=SHUTDOWN_GRACE_SECONDS + 3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _serve(listener_fd: int) -> None:
    """The child: Prefect's API (no UI, no background services, as Prefect's own temporary
    server) on the socket it was given, until its pipe closes."""
    listener = socket.socket(fileno=listener_fd)
    server = None

    def exit_when_the_run_is_gone() -> None:
        while os.read(sys.stdin.fileno(), 4096):  # the run never writes: b"" is its end
            pass
        if server is None:
            os._exit(0)
        server.should_exit = True
        time.sleep(SHUTDOWN_GRACE_SECONDS + 2)  # then its own shutdown has hung
        os._exit(0)

    threading.Thread(target=exit_when_the_run_is_gone, daemon=True).start()
    import uvicorn
    from prefect.server.api.server import create_app

    app = create_app(ephemeral=True, final=True)
    config = uvicorn.Config(
        app, log_level="error", lifespan="on", timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS
    )
    server = uvicorn.Server(config)
    server.run(sockets=[listener])
    # Served and shut down (its database closed): CPython's teardown of the server's modules
    # would keep the process, and the run waiting on it, ~3 s longer for nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
