"""Failpoints: a test hook that crashes the process at a named point of a run.

The crash-safety tests (tests/crash/) prove that a run killed anywhere leaves every batch
loaded whole or not at all and every publication the previous one or the new one. They start
a real run in a subprocess with

    FMS_FAILPOINT=<name>      # die the first time `failpoint("<name>")` is reached
    FMS_FAILPOINT=<name>:<N>  # die the N-th time (N >= 1)

and the process kills itself with SIGKILL at that point: a real crash, as from the OOM killer
or a power cut. No `finally`, no atexit, no buffered write, no ROLLBACK runs.

Not a configuration: production runs never set FMS_FAILPOINT. The variable is read once, at
import; with it unset `failpoint()` is one string comparison.
"""

from __future__ import annotations

import os
import re
import signal
import threading

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


def failpoint(name: str) -> None:
    """Crash here (SIGKILL to this process) if FMS_FAILPOINT names this point and this is the
    N-th time it is reached; otherwise do nothing."""
    if name != _TARGET:
        return
    global _reached
    with _lock:  # Prefect may run steps in threads: count each arrival once
        _reached += 1
        if _reached == _NTH:
            os.kill(os.getpid(), signal.SIGKILL)
