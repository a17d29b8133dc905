"""Whether the files of a loaded batch are unchanged, told without reading them.

Every nightly makes sure each batch already loaded still holds the files it was loaded from (a
changed one is refused: corrections come as new batches). Comparing checksums reads the whole
landing history every night, and that history only grows: 531 MiB at scale large, 0.4 s from
the page cache and up to 18 s from this machine's disk when the cache had dropped it.

So when a batch loads, each file's signature is recorded with its checksum: size, modification
and change times (nanoseconds), inode and device, taken from the open file that is hashed (not
followed through a link). A later check trusts a file whose `lstat` gives the same signature;
any difference (a rewrite, a copy, a `touch`, a restored mtime, which moves the change time, a
link or anything but a regular file in its place) falls back to the checksums. When those
match, the new signatures are recorded, so a `chmod` or a copy costs one night's read, not
every night's.

On a local POSIX file system content changes under an unchanged signature only by setting the
system clock back, writing the disk device directly, or writing through a shared memory map
whose times show the write only once it is flushed (within ~30 s). Network and FUSE mounts may
cache these times or not keep them (docs/scale-out.md).

A signature is not recorded (the file is checksummed at the next check) when:
- the file changed while its checksum was computed (its signature before and after differ, or
  its path names another file by the end);
- the file changed at most RACY_SECONDS before its signature was taken: a file system that keeps
  times in whole seconds (or two) could see a second write in that window, of the same size,
  under the same times.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

from fms.contract import BATCH_COMPLETE_MARKER
from fms.regular_files import open_regular

RACY_SECONDS = 3


@dataclass(frozen=True)
class FileSignature:
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int


def _signature(st: os.stat_result) -> FileSignature | None:
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileSignature(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def signature_of(path: Path) -> FileSignature | None:
    """The signature of the regular file at `path` itself (lstat: a link has none)."""
    return _signature(path.lstat())


def settled(signature: FileSignature, taken_ns: int) -> bool:
    """The file's last change is more than RACY_SECONDS older than the signature."""
    last_change = max(signature.mtime_ns, signature.ctime_ns)
    return taken_ns - last_change > RACY_SECONDS * 1_000_000_000


def checksum_with_signature(
    path: Path, checksum: Callable[[BinaryIO], str]
) -> tuple[str, FileSignature | None]:
    """`checksum` of the regular file at `path` (never through a link:
    fms.regular_files.NotARegularFile), and the file's signature when it can be trusted for
    that checksum."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        before, taken_ns = _signature(os.fstat(fd)), time.time_ns()
        digest = checksum(fh)
        after = _signature(os.fstat(fd))
    trusted = after == before and signature_of(path) == before and settled(before, taken_ns)
    return digest, before if trusted else None


def record_signatures(
    con: duckdb.DuckDBPyConnection, batch: str, files: list[tuple[str, str, FileSignature]]
) -> None:
    """Remember (file name, checksum, signature) of a batch's files, in the caller's
    transaction: the load of the batch, or a check that found its checksums unchanged."""
    con.execute("DELETE FROM batch_file_signatures WHERE batch = $b", {"b": batch})
    if files:
        con.executemany(
            "INSERT INTO batch_file_signatures VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(batch, name, sha, *astuple(sig)) for name, sha, sig in files],
        )


def unchanged_since_loaded(
    con: duckdb.DuckDBPyConnection, folder: Path, checksums: dict[str, str]
) -> bool:
    """True when `folder` holds exactly the files of `checksums` (the loaded batch's), each
    with the signature recorded with that checksum. False means: compare the checksums."""
    rows = con.execute(
        "SELECT file, sha256, size, mtime_ns, ctime_ns, inode, device "
        "FROM batch_file_signatures WHERE batch = $b",
        {"b": folder.name},
    ).fetchall()
    recorded = {name: (sha, FileSignature(*rest)) for name, sha, *rest in rows}
    if folder.is_symlink() or recorded.keys() != checksums.keys():
        return False
    try:
        # The batch's `_SUCCESS` is not one of its files.
        present = {p.name for p in folder.iterdir()} - {BATCH_COMPLETE_MARKER}
        return present == checksums.keys() and all(
            sha == checksums[name] and signature_of(folder / name) == signature
            for name, (sha, signature) in recorded.items()
        )
    except OSError:
        return False
