"""Whether an address reaches beyond this machine: what decides if a server may listen on it
without TLS or authentication (`fms portal`, `fms serve`) and whether Dask workers elsewhere
can reach a Prefect API."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str | None) -> bool:
    """Only this machine can reach `host` (no host: the local default)."""
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
