"""The failpoint hook itself: it kills the process (SIGKILL, nothing runs after it) exactly at
the N-th arrival at the named point, and does nothing otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from fms.failpoints import _parse

PROGRAM = """
import atexit
from fms.failpoints import failpoint
atexit.register(print, "atexit ran")
for i in range(1, 4):
    failpoint("other.point")
    failpoint("demo.point")
    print("passed", i, flush=True)
"""


def _run(spec: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FMS_FAILPOINT"}
    if spec is not None:
        env["FMS_FAILPOINT"] = spec
    return subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("spec", "passed"),
    [("demo.point", 0), ("demo.point:1", 0), ("demo.point:2", 1), ("demo.point:3", 2)],
)
def test_the_process_dies_by_sigkill_at_the_nth_arrival_with_no_cleanup(spec, passed):
    done = _run(spec)
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.splitlines() == [f"passed {i}" for i in range(1, passed + 1)]
    assert "atexit ran" not in done.stdout


@pytest.mark.parametrize("spec", [None, "", "demo.point:4", "another.point"])
def test_a_failpoint_not_named_or_not_reached_changes_nothing(spec):
    done = _run(spec)
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["passed 1", "passed 2", "passed 3", "atexit ran"]


@pytest.mark.parametrize("spec", ["demo.point:0", "demo.point:x", "demo point", "a:1:2"])
def test_a_malformed_failpoint_is_refused_rather_than_silently_never_firing(spec):
    with pytest.raises(ValueError, match="FMS_FAILPOINT"):
        _parse(spec)
