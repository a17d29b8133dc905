"""Starting the portal: which snapshot it reads, where it listens, and the refusals that keep it
safe: an address other than the loopback only with TLS (a certificate and its key), so that a
password or a session cookie never crosses a network in clear."""

from __future__ import annotations

import gc
from pathlib import Path

from app.portal.sessions import load_or_create_secret
from app.portal.web import PortalSettings, create_app
from fms.addresses import is_loopback
from fms.snapshots import snapshot_path

SECRET_FILE_NAME = "session_secret"


class PortalError(ValueError):
    """The portal cannot start as asked: one line saying what to do instead."""


def check_listening(host: str, tls_cert: Path | None, tls_key: Path | None) -> bool:
    """Whether the portal serves TLS; refuses a non-loopback address without it."""
    if (tls_cert is None) != (tls_key is None):
        raise PortalError("TLS needs both --tls-cert and --tls-key")
    for given in (tls_cert, tls_key):
        if given is not None and not given.is_file():
            raise PortalError(f"no such file: {given}")
    tls = tls_cert is not None
    # An empty host is every interface to uvicorn (asyncio), not the local default.
    if not tls and not (host and is_loopback(host)):
        raise PortalError(
            f"refusing to listen on {host or 'every interface'} without TLS: passwords and "
            "session cookies would cross the network in clear. Give --tls-cert and --tls-key, or "
            "listen on 127.0.0.1 behind a TLS proxy"
        )
    return tls


def check_snapshot(warehouse: Path) -> None:
    """A mistyped --warehouse is refused, not served as an empty portal."""
    if not snapshot_path(warehouse).exists():
        raise PortalError(
            f"no readers' snapshot of {warehouse} at {snapshot_path(warehouse)}: give the "
            "warehouse a job publishes to (--warehouse), or publish one first (fms run nightly)"
        )


def portal_settings(warehouse: Path, users: Path, tls: bool) -> PortalSettings:
    return PortalSettings(
        snapshot=snapshot_path(warehouse),
        users=users,
        secret=load_or_create_secret(users.parent / SECRET_FILE_NAME),
        tls=tls,
    )


def run_portal(
    warehouse: Path,
    users: Path,
    host: str,
    port: int,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> None:
    import uvicorn

    tls = check_listening(host, tls_cert, tls_key)
    check_snapshot(warehouse)
    app = create_app(portal_settings(warehouse, users, tls))
    # What is loaded by now lives as long as the server: kept out of the collector's full
    # passes, which otherwise add ~60 ms to every fifth page (tools/benchmarks/README.md).
    gc.freeze()
    scheme = "https" if tls else "http"
    print(f"portal: {scheme}://{host}:{port}/ over {snapshot_path(warehouse)}", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        log_level="warning",
        access_log=False,
    )
