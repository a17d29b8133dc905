"""Failpoints: a test hook that crashes the process at a named point of a run.

The crash-safety tests (tests/crash/) prove that a run killed anywhere leaves every batch
loaded whole or not at all and every publication the previous one or the new one. They start
a real run in a subprocess with

    FMS_FAILPOINT=<name>      # die the first time `failpoint("<name>")` is reached
    FMS_FAILPOINT=<name>:<N>  # die the N-th time (N >= 1)

and the process kills itself with SIGKILL at that point: a real crash, as from the OOM killer
or a power cut. No `finally`, no atexit, no buffered write, no ROLLBACK runs.

In-process tests raise an error (a full disk, say) at a point instead with `fault`, and list
the points a run passed with `arrivals`.

Not a configuration: production runs never set FMS_FAILPOINT. The variable is read once, at
import; with it unset and no fault armed `failpoint()` is two comparisons.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "FMS_FAILPOINT"
_SPEC = re.compile(r"(?P<name>[A-Za-z0-9_.-]+)(?::(?P<nth>[1-9][0-9]*))?")


def _parse(spec: str) -> tuple[str | None, int]:
    if not spec:
        return None, 0
    match = _SPEC.fullmatch(spec.strip())
    if match is None:
        # A test that sets a malformed failpoint must not run on silently without its crash.
        raise ValueError(f"{ENV}={spec!r}: expected <name> or <name>:<N> with N >= 1")
    return match["name"], int(match["nth"] or 1)


_TARGET, _NTH = _parse(os.environ.get(ENV, ""))
_reached = 0
_lock = threading.Lock()
_faults: dict[str, list] = {}  # name -> [arrivals left before it raises, error]
_listeners: list[list[str]] = []


def failpoint(name: str) -> None:
    """Crash here (SIGKILL to this process) if FMS_FAILPOINT names this point and this is the
    N-th time it is reached; raise an armed fault's error; otherwise do nothing."""
    if _faults or _listeners:
        _injected(name)
    if name != _TARGET:
        return
    global _reached
    with _lock:  # Prefect may run steps in threads: count each arrival once
        _reached += 1
        if _reached == _NTH:
            os.kill(os.getpid(), signal.SIGKILL)


def _injected(name: str) -> None:
    with _lock:
        for seen in _listeners:
            seen.append(name)
        armed = _faults.get(name)
        if armed is None:
            return
        armed[0] -= 1
        if armed[0] != 0:
            return
        del _faults[name]
    raise armed[1]


@contextmanager
def fault(name: str, error: BaseException, nth: int = 1) -> Iterator[None]:
    """Tests: the `nth` arrival at `name` inside the block raises `error`."""
    if nth < 1:
        raise ValueError("nth counts arrivals from 1")
    with _lock:
        _faults[name] = [nth, error]
    try:
        yield
    finally:
        with _lock:
            _faults.pop(name, None)


@contextmanager
def arrivals() -> Iterator[list[str]]:
    """Tests: the names of the failpoints reached inside the block, in order."""
    seen: list[str] = []
    with _lock:
        _listeners.append(seen)
    try:
        yield seen
    finally:
        with _lock:
            _listeners.remove(seen)
