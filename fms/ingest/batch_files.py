"""Batch folders and their files: discovery and the file-level rules of the contract.

A file-level problem (unknown or unreadable file, wrong header, a CSV and a Parquet for one
entity, a loaded batch name with changed content, files that disagree with the listing of the
batch's `_SUCCESS`) stops the whole batch with a `BatchFileError` that names the batch, the
file and the problem. Row-level problems are not judged here.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import pyarrow.parquet as pq

from fms.contract import ENTITIES, ENTITY_BY_NAME, Entity
from fms.ingest.csv_lines import CsvLines, LineTooWide, scan_lines
from fms.ingest.file_signatures import FileSignature, checksum_with_signature
from fms.ingest.success_marker import MARKER, MarkerError, check_listing, read_listing
from fms.regular_files import NotARegularFile

BATCH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SUFFIXES = (".csv", ".parquet")
MAX_HEADER_BYTES = 64 * 1024
# No record of the contract holds this many commas (at most 12 separators and two texts of at
# most 1,000 characters). DuckDB's reader keeps one reject per surplus field of a record, at a
# cost that grows with the square of the line (100,000 fields: about a minute, 500,000 would
# take hours), so a line this wide is refused before DuckDB reads the file; at this width a bad
# record costs DuckDB about a tenth of a second.
MAX_COMMAS_PER_LINE = 2_500
# A record longer than this (its line end not counted) is quarantined MALFORMED_ROW by the line
# scan, never given to DuckDB: a record longer than DuckDB's read buffer (32 MB) it drops
# without a word.
MAX_LINE_BYTES = 1_000_000
# Large reads: hashing runs beside Great Expectations' import (a background thread at the start
# of a run), and each read waits for the GIL between chunks: with 1 MiB chunks, checking the
# loaded batches of scale large took 1.6 s instead of 1.0 s.
HASH_CHUNK_BYTES = 16 << 20
NOT_REGULAR = "not a regular file (folders and links are refused)"


class BatchFileError(Exception):
    """A batch that cannot load at all. Nothing of it is loaded."""

    def __init__(self, batch: str, file: str | None, problem: str) -> None:
        self.batch, self.file, self.problem = batch, file, problem
        where = f"batch {batch!r}" + (f", file {file!r}" if file else "")
        super().__init__(f"{where}: {problem}. Nothing of batch {batch!r} was loaded.")


@dataclass(frozen=True)
class BatchFile:
    entity: Entity
    path: Path
    format: str  # "csv" or "parquet"
    sha256: str
    header: tuple[str, ...]  # column names in file order
    # CSV: what the line scan found (fms.ingest.csv_lines): the count of records, the blank
    # lines (DuckDB skips them as records but counts them as lines; the load takes them out of
    # record numbers), the records DuckDB must not read, whether a copy must be read instead.
    lines: CsvLines = CsvLines()
    # Taken with the checksum, when it can vouch for it (fms.ingest.file_signatures).
    signature: FileSignature | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Batch:
    name: str
    path: Path
    files: tuple[BatchFile, ...]  # in entity load order
    # The data records of each file as its `_SUCCESS` lists them (read_new_batch); the load
    # refuses a file that holds another count.
    listed_rows: Mapping[str, int] = field(default_factory=dict)

    @property
    def checksums(self) -> dict[str, str]:
        return {f.name: f.sha256 for f in self.files}

    @property
    def signatures(self) -> list[tuple[str, str, FileSignature]]:
        """(file name, checksum, signature) of the files that have a trusted signature."""
        return [(f.name, f.sha256, f.signature) for f in self.files if f.signature]


def list_batch_folders(landing: Path) -> list[Path]:
    """Batch folders under `landing`, in name order (the load order). A hidden folder (a name
    starting with ".": a batch still being written elsewhere, a file system's snapshots) is
    no batch: it sorts before every batch name and would hold them all back."""
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder not found: {landing}")
    return sorted(
        (p for p in landing.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return sha256_of_file(fh)


def sha256_of_file(fh: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(HASH_CHUNK_BYTES), b""):
        digest.update(chunk)
    return digest.hexdigest()


def read_new_batch(folder: Path, scan_lines: bool = True, checksums: bool = True) -> Batch:
    """read_batch of a batch about to load (its `_SUCCESS` present): its files checked against
    the listing `_SUCCESS` carries (names; checksums when computed), the listed counts of
    records kept for the load to compare."""
    batch = read_batch(folder, scan_lines, checksums)
    try:
        listing = read_listing(folder)
        check_listing(listing, batch.checksums)
    except MarkerError as exc:
        raise BatchFileError(batch.name, exc.file, exc.problem) from None
    return replace(batch, listed_rows={name: listed.rows for name, listed in listing.items()})


def read_batch(folder: Path, scan_lines: bool = True, checksums: bool = True) -> Batch:
    """Inspect a batch folder: which entity each file holds and its header, and what loading
    it needs: every line of its CSV files scanned (`scan_lines`) and its checksums (`checksums`;
    without them `sha256` is empty). `_SUCCESS` is not one of its files (read_new_batch)."""
    batch = folder.name
    if not BATCH_NAME.match(batch):
        raise BatchFileError(batch, None, "batch folder name must be letters, digits, . _ -")
    if folder.is_symlink():
        # Like a link inside a batch: it could bring in files from anywhere on the machine.
        raise BatchFileError(batch, None, "the batch folder is a link (links are refused)")
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name == MARKER:
            continue
        if path.is_symlink() or not path.is_file():
            raise BatchFileError(batch, path.name, NOT_REGULAR)
        entity_name, suffix = path.stem, path.suffix
        if suffix not in SUFFIXES or entity_name not in ENTITY_BY_NAME:
            known = ", ".join(e.name for e in ENTITIES)
            raise BatchFileError(
                batch,
                path.name,
                f"unknown file: expected <entity>.csv or .parquet, entity one of {known}",
            )
        found.setdefault(entity_name, []).append(path)
    files = []
    for entity in ENTITIES:
        paths = found.get(entity.name, [])
        if len(paths) > 1:
            raise BatchFileError(
                batch,
                " and ".join(p.name for p in paths),
                "both a CSV and a Parquet file for one entity",
            )
        if paths:
            files.append(_inspect(batch, entity, paths[0], scan_lines, checksums))
    return Batch(batch, folder, tuple(files))


def _inspect(
    batch: str, entity: Entity, path: Path, scan_lines: bool, checksums: bool
) -> BatchFile:
    fmt = path.suffix.lstrip(".")
    header = _csv_header(batch, path) if fmt == "csv" else _parquet_header(batch, path)
    _check_header(batch, entity, path.name, header)
    lines = _scan_csv_lines(batch, path) if fmt == "csv" and scan_lines else CsvLines()
    sha256, signature = "", None
    if checksums:
        try:
            sha256, signature = checksum_with_signature(path, sha256_of_file)
        except NotARegularFile:
            # Put in place after the folder's files were listed as regular ones.
            raise BatchFileError(batch, path.name, NOT_REGULAR) from None
    return BatchFile(entity, path, fmt, sha256, header, lines, signature)


def _scan_csv_lines(batch: str, path: Path) -> CsvLines:
    """Refuse a line too wide to read; return what loading the file needs (BatchFile.lines)."""
    try:
        return scan_lines(path, MAX_COMMAS_PER_LINE, MAX_LINE_BYTES)
    except LineTooWide as exc:
        raise BatchFileError(
            batch,
            path.name,
            f"line {exc.line_number} holds more than {MAX_COMMAS_PER_LINE:,} commas, "
            "far more than any record of the contract",
        ) from None


def _csv_header(batch: str, path: Path) -> tuple[str, ...]:
    # Only the first line is judged here: bad bytes further down are row problems.
    with path.open("rb") as fh:
        line = fh.readline(MAX_HEADER_BYTES + 1)
    cr = line.find(b"\r")
    if cr != -1 and line[cr : cr + 2] != b"\r\n":
        raise BatchFileError(
            batch,
            path.name,
            "the header row holds a carriage return (CR) that does not end it: lines end in LF "
            "or CR LF (CR alone, as in old Mac files, ends no line)",
        )
    if len(line) > MAX_HEADER_BYTES:
        # Judging a cut header would report made-up column names.
        raise BatchFileError(
            batch, path.name, f"the header row is longer than {MAX_HEADER_BYTES // 1024} KiB"
        )
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchFileError(batch, path.name, "the header row is not UTF-8 text") from None
    try:
        first = next(csv.reader([text.rstrip("\r\n")]), None) if text else None
    except csv.Error as exc:
        raise BatchFileError(batch, path.name, f"the header row is not valid CSV ({exc})") from None
    if first is None:
        raise BatchFileError(batch, path.name, "empty file: no header row")
    return tuple(name.strip() for name in first)


def _parquet_header(batch: str, path: Path) -> tuple[str, ...]:
    try:
        return tuple(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise BatchFileError(
            batch, path.name, f"not a readable Parquet file ({type(exc).__name__})"
        ) from None


def _check_header(batch: str, entity: Entity, file: str, header: tuple[str, ...]) -> None:
    expected = entity.column_names
    first_line = ",".join(header).lower()
    if any(header) and not any(name in first_line for name in expected):
        # Most likely the header row is missing and this is a data record: quoting it would put
        # amounts and case ids into messages and logs.
        raise BatchFileError(
            batch,
            file,
            "no header row: the first line holds none of the expected column names "
            f"({', '.join(expected)})",
        )
    repeated = sorted(name for name, n in Counter(header).items() if n > 1)
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    problems = []
    if repeated:
        problems.append("repeated columns: " + _listing(repeated))
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if extra:
        problems.append("unexpected columns: " + _listing(extra))
    if problems:
        raise BatchFileError(
            batch,
            file,
            "wrong header (" + "; ".join(problems) + f"); expected {', '.join(expected)}",
        )


def _listing(names: list[str], shown: int = 10) -> str:
    """Names from the file, quoted and cut, at most `shown` of them: a message stays readable."""
    listed = ", ".join(repr(n[:40]) for n in names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")
