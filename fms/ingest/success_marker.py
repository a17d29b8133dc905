"""`_SUCCESS`: the sender's word that a batch folder is complete, and the listing it may carry.

A sender writes every data file first and `_SUCCESS` last. Until the marker is there the batch
is waiting (not an error): a file still being written is never loaded half. The marker may be
empty, or list the sender's files so that what loads is what was sent: a file cut short,
replaced, added or lost after the marker was written refuses the batch.

The listing: UTF-8 text, one `file,sha256,rows` line per data file; lines end in LF or CRLF;
blank lines are ignored; a first line `file,sha256,rows` is a header and may be left out;
fields are trimmed; the checksum is 64 hexadecimal digits in either case; `rows` counts the
file's data records (a CSV without its header and blank lines; a Parquet file's rows). A marker
that is a link, a folder, not readable, larger than MAX_MARKER_BYTES or not such a listing
refuses the batch. The marker is not a data file of the batch and not in its checksums.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from fms.contract import BATCH_COMPLETE_MARKER
from fms.regular_files import NotARegularFile, open_regular

MARKER = BATCH_COMPLETE_MARKER
# A listing of every entity's file takes under 1 KiB.
MAX_MARKER_BYTES = 64 * 1024
HEADER = ("file", "sha256", "rows")
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
ROWS = re.compile(r"^\d{1,18}$")
NAME_MAX = 255  # bytes of a file name on the file systems we run on


class MarkerError(Exception):
    """The marker, or a file it lists, disagrees with the batch: the batch cannot load."""

    def __init__(self, problem: str, file: str = MARKER) -> None:
        self.file, self.problem = file, problem
        super().__init__(f"{file}: {problem}")


@dataclass(frozen=True)
class Listed:
    sha256: str  # lower case
    rows: int


def marker_present(folder: Path) -> bool:
    """The folder holds a `_SUCCESS` of any kind (one that is not a file is refused later)."""
    return os.path.lexists(folder / MARKER)


def read_listing(folder: Path) -> dict[str, Listed]:
    """The files the folder's `_SUCCESS` lists, by name (empty: it lists none)."""
    try:
        with os.fdopen(open_regular(folder / MARKER), "rb") as fh:
            data = fh.read(MAX_MARKER_BYTES + 1)
    except NotARegularFile:
        raise MarkerError("not a regular file (folders and links are refused)") from None
    except OSError as exc:
        raise MarkerError(f"could not be read ({exc.strerror})") from None
    if len(data) > MAX_MARKER_BYTES:
        raise MarkerError(
            f"larger than {MAX_MARKER_BYTES // 1024} KiB: not a listing of a batch's files"
        )
    return parse_listing(data)


def parse_listing(data: bytes) -> dict[str, Listed]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MarkerError("not UTF-8 text: expected `file,sha256,rows` lines") from None
    listing: dict[str, Listed] = {}
    first = True
    for number, line in enumerate(text.split("\n"), start=1):
        fields = tuple(f.strip() for f in line.removesuffix("\r").split(","))
        if fields == ("",):
            continue
        if first and tuple(f.lower() for f in fields) == HEADER:
            first = False
            continue
        first = False
        if len(fields) != 3 or not SHA256.match(fields[1]) or not ROWS.match(fields[2]):
            raise MarkerError(
                f"line {number} is not `file,sha256,rows` (a file name, its 64-digit SHA-256 "
                "and its count of data records)"
            )
        name = fields[0]
        if name in ("", ".", "..", MARKER) or "/" in name or len(name.encode()) > NAME_MAX:
            raise MarkerError(f"line {number} does not name a file of the batch")
        if name in listing:
            raise MarkerError(f"line {number} lists {name!r} a second time")
        listing[name] = Listed(fields[1].lower(), int(fields[2]))
    return listing


def listing_text(listing: dict[str, Listed]) -> str:
    """The marker's text for `listing`: the header line, then one line per file."""
    lines = [",".join(HEADER)]
    lines += [f"{name},{f.sha256},{f.rows}" for name, f in sorted(listing.items())]
    return "\n".join(lines) + "\n"


def check_listing(listing: dict[str, Listed], checksums: dict[str, str]) -> None:
    """The batch's data files (name -> checksum; "" when not computed yet) are those the
    listing names, with the checksums it gives. An empty listing checks nothing."""
    if not listing:
        return
    for name in sorted(listing.keys() | checksums.keys()):
        if name not in checksums:
            raise MarkerError(
                f"listed in {MARKER} but not in the batch folder: send the file, or a "
                f"{MARKER} that does not list it",
                name,
            )
        if name not in listing:
            raise MarkerError(
                f"in the batch folder but not listed in {MARKER}: remove the file, or list it",
                name,
            )
        if checksums[name] and checksums[name] != listing[name].sha256:
            raise MarkerError(
                f"its SHA-256 is not the one {MARKER} lists: the file changed after {MARKER} "
                "was written, or was not written whole; send it again, then its listing",
                name,
            )
