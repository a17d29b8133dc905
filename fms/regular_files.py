"""Opening a file that must be a regular file: never through a link (a link put in a file's
place could bring in any file of the machine, or make us write one), and never waiting on a
FIFO (opening one for reading blocks until a writer comes)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class NotARegularFile(OSError):
    """The path is a link, a folder, a FIFO, a socket or a device."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(errno.EINVAL, what, str(path))
        self.what = what


def open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = 0o640) -> int:
    """A descriptor on the regular file at `path` (created with `mode` if `flags` say so), or
    NotARegularFile. Judged on what was opened, not on the path, which may change meanwhile."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotARegularFile(path, "is a link") from None
        raise
    kind = os.fstat(fd).st_mode
    if not stat.S_ISREG(kind):
        os.close(fd)
        what = "is a folder" if stat.S_ISDIR(kind) else "is a FIFO, socket or device"
        raise NotARegularFile(path, what)
    return fd
