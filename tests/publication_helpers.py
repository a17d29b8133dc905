"""Test helpers for publication and the warehouse lock."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fms.locking import LockHolder, lock_path
from fms.regular_files import open_regular


def read_holder(warehouse: Path) -> LockHolder | None:
    """Who the lock file names (the last holder if nobody holds it now), or None."""
    try:
        fd = open_regular(lock_path(warehouse))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            return LockHolder(**json.loads(fh.read()))
        except (OSError, ValueError, TypeError):
            return None
