"""Any Prefect server the project starts listens on the loopback interface only, and the
project refuses to start one listening elsewhere unless Prefect's server authentication is
configured (fms/serve.py check_server_host)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.settings import PREFECT_SERVER_API_AUTH_STRING, temporary_settings

from app.serve import ServeError, check_server_host, local_prefect_server
from tests.exposure.sockets import listening
from tests.prefect_server import free_port

FMS = Path(sys.executable).with_name("fms")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.53"])
def test_a_loopback_address_is_accepted_without_authentication(host):
    check_server_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "fms.example.org"])
def test_any_other_address_is_refused_without_authentication(host):
    with temporary_settings({PREFECT_SERVER_API_AUTH_STRING: None}):
        with pytest.raises(ServeError) as refused:
            check_server_host(host)
    message = str(refused.value)
    assert f"refusing to start a Prefect server listening on {host!r}" in message
    assert "PREFECT_SERVER_API_AUTH_STRING" in message


def test_another_address_is_allowed_once_prefect_server_authentication_is_set():
    with temporary_settings({PREFECT_SERVER_API_AUTH_STRING: "admin:a-long-secret"}):
        check_server_host("0.0.0.0")


def test_the_server_helper_refuses_before_starting_anything():
    port = free_port()
    with temporary_settings({PREFECT_SERVER_API_AUTH_STRING: None}):
        with pytest.raises(ServeError, match="refusing"):
            with local_prefect_server("0.0.0.0", port, timeout=5):
                pytest.fail("a server was started on 0.0.0.0")
    assert not any(p == port for _, p in listening_on_any())


def listening_on_any() -> set[tuple[str, int]]:
    """Every listening TCP socket of this machine's network namespace."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(table):
            for line in Path(table).read_text().splitlines()[1:]:
                inodes.add(line.split()[9])
    return listening(inodes)


def test_fms_serve_on_all_interfaces_without_authentication_fails_with_one_clear_line(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PREFECT_API_URL", "PREFECT_SERVER_API_AUTH_STRING", "PREFECT_API_AUTH_STRING")
    }
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "FMS_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [str(FMS), "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: refusing to start a Prefect server listening on '0.0.0.0'" in done.stderr
    assert "PREFECT_SERVER_API_AUTH_STRING" in done.stderr
    assert "Traceback" not in done.stderr
    assert not any(p == port for _, p in listening_on_any())
