"""The record scan of a CSV file before DuckDB reads it, vectorized with numpy over chunks.

DuckDB cannot be trusted with every byte. It refuses a whole file, naming no record, for a CR
that ends no line or for LF and CRLF line ends mixed in one file; it drops without a word a
record longer than its read buffer (32 MB); it takes minutes on a very wide line. One pass
over the bytes (a Python loop over the lines of a large batch takes seconds per pass) finds
those records and lines, the count of records, and the blank lines DuckDB counts as lines
when it numbers the records it rejects. A file with mixed line ends or with records DuckDB
must not see is read through a copy with LF line ends and without them (readable_path).

The rules (tests/ingest/test_csv_lines.py states them again as a loop over the bytes):
- Quotes, as DuckDB reads them: a run of quote characters at the start of a field (after a
  comma, LF or CR or at the start of the file, and one space after those) of odd length flips
  the inside-quotes state; an odd run anywhere else ends a quoted field (inside an unquoted
  one it is text); an even run changes nothing (an escaped quote is two of them).
- A line is what ends at an LF outside quotes, its line end being that LF or CR LF; DuckDB
  numbers these lines (the header is line 1). An empty line is blank, not a record; every
  other line after the header is the next data record (numbered from 1).
- A record is unreadable when it holds a CR outside quotes not followed by LF (a stray CR) or
  is longer than `max_record_bytes` without its line end (then `UNCLOSED_QUOTE` too when it
  runs to the end of the file inside quotes).
- Split at every LF, a line holding more than `max_commas` commas refuses the file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHUNK_BYTES = 32 << 20
NEWLINE, COMMA, QUOTE, CR, SPACE = 10, 44, 34, 13, 32
FIELD_STARTS = np.array([COMMA, NEWLINE, CR], np.uint8)
# Problems of an unreadable record (bit flags).
STRAY_CR, TOO_LONG, UNCLOSED_QUOTE = 1, 2, 4
_NO_RECORDS = np.zeros(
    0, [("number", "i8"), ("start", "i8"), ("end", "i8"), ("length", "i8"), ("problems", "i1")]
)


class LineTooWide(Exception):
    def __init__(self, line_number: int) -> None:
        self.line_number = line_number
        super().__init__(f"line {line_number} is too wide")


@dataclass(frozen=True, eq=False)
class CsvLines:
    """What the scan found in one file."""

    records: int = 0  # data records (the header and blank lines not counted)
    blank_lines: tuple[int, ...] = ()  # in DuckDB's numbering of lines
    # One row per unreadable record, by number: its first byte (`start`), where its bytes end
    # (`end`: its LF, or the end of the file), its `length` without the line end, `problems`.
    unreadable: np.ndarray = field(default_factory=lambda: _NO_RECORDS)
    mixed_line_ends: bool = False  # some lines end in LF, others in CR LF


def scan_lines(
    path: Path, max_commas: int, max_record_bytes: int, chunk_bytes: int = CHUNK_BYTES
) -> CsvLines:
    """The file's records as the rules above read them; raises LineTooWide (1-based line
    number, every LF counted)."""
    scan = _Scan(max_commas, max_record_bytes)
    for chunk in _chunks(path, chunk_bytes):
        scan.feed(chunk)
    return scan.finish()


@contextmanager
def readable_path(path: Path, lines: CsvLines) -> Iterator[Path]:
    """The file itself when DuckDB can read it as it is, else a temporary readable copy."""
    if not len(lines.unreadable) and not lines.mixed_line_ends:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="fms-csv-") as folder:
        copy = Path(folder) / path.name
        write_readable_copy(path, lines, copy)
        yield copy


def write_readable_copy(
    path: Path, lines: CsvLines, out: Path, chunk_bytes: int = CHUNK_BYTES
) -> None:
    """Write `path` to `out` as DuckDB can read it, record for record: every line ends in LF
    (a CR before it is dropped), and each unreadable record is left a blank line (its LF
    kept, so DuckDB numbers the lines after it as in the file)."""
    rows = lines.unreadable
    scan = _Scan(max_commas=-1, max_record_bytes=-1)
    held_cr = False  # a CR outside quotes ended the last chunk: kept back until an LF or not
    with out.open("wb") as fh:
        for chunk in _chunks(path, chunk_bytes):
            base = scan.offset
            crs = scan.feed(chunk) - base
            if held_cr and chunk[0] != NEWLINE:
                fh.write(b"\r")
            # Bytes dropped: each unreadable record's [start, end), clipped to the chunk.
            first = int(np.searchsorted(rows["end"], base, "right"))
            last = int(np.searchsorted(rows["start"], base + len(chunk), "left"))
            if first >= last and not len(crs) and not scan.cr_pending:
                fh.write(chunk.tobytes())
                held_cr = False
                continue
            keep = np.ones(len(chunk), bool)
            keep[crs[crs >= 0]] = False
            for start, end in zip(rows["start"][first:last], rows["end"][first:last], strict=True):
                keep[max(int(start) - base, 0) : max(int(end) - base, 0)] = False
            held_cr = scan.cr_pending and bool(keep[-1])
            keep[-1] &= not held_cr
            fh.write(chunk[keep].tobytes())
        if held_cr:
            fh.write(b"\r")
        scan.finish()


def _chunks(path: Path, chunk_bytes: int) -> Iterator[np.ndarray]:
    with path.open("rb") as fh:
        while data := fh.read(chunk_bytes):
            yield np.frombuffer(data, np.uint8)


class _Scan:
    """The rules over consecutive chunks; what a chunk leaves unfinished is carried over."""

    def __init__(self, max_commas: int, max_record_bytes: int) -> None:
        self.max_commas, self.max_record_bytes = max_commas, max_record_bytes
        self.offset = 0  # of the next chunk in the file
        # The last two bytes before the chunk (the file's start is a field's start).
        self.last_byte = self.last_byte2 = NEWLINE
        # Split at every LF (the comma limit): lines finished, commas of the unfinished one.
        self.lf_lines = 0
        self.commas = 0
        # Quotes: the state before a run of quotes that reaches the chunk's end (pending).
        self.inside = False
        self.run = 0
        self.run_at_field_start = False
        self.cr_pending = False  # the chunk ended in a CR outside quotes
        # The line being read: its number, start and whether it holds a stray CR.
        self.line = 1
        self.line_start = 0
        self.line_stray_cr = False
        self.records = 0  # data records finished
        self.lf_ends = self.crlf_ends = 0
        self.blank: list[np.ndarray] = []
        self.unreadable: list[np.ndarray] = []

    def feed(self, chunk: np.ndarray) -> np.ndarray:
        """Scan the next chunk; return the file offsets of the CRs of its CR LF line ends."""
        base, n = self.offset, len(chunk)
        lfs = np.flatnonzero(chunk == NEWLINE)
        self._check_commas(chunk, lfs)
        inside_at, quote_state = self._quotes(chunk)
        ends = lfs[~inside_at(lfs)]
        # Line ends: the CR before an LF (from the previous chunk when the LF opens this one).
        before = np.where(ends > 0, chunk[np.maximum(ends - 1, 0)], self.last_byte)
        crlf = before == CR
        # Stray CRs: outside quotes and not followed by LF (the last byte waits for the next).
        crs = np.flatnonzero(chunk == CR)
        crs = crs[~inside_at(crs)]
        follows = chunk[np.minimum(crs + 1, n - 1)]
        stray = crs[(crs < n - 1) & (follows != NEWLINE)] + base
        if self.cr_pending and chunk[0] != NEWLINE:
            stray = np.concatenate(([base - 1], stray))
        self.cr_pending = bool(len(crs)) and int(crs[-1]) == n - 1
        # Lines finished in this chunk: the carried one, then one after each LF but the last.
        starts = np.concatenate(([self.line_start], ends + 1 + base))
        lengths = np.diff(starts) - 1 - crlf
        blank = np.flatnonzero(lengths == 0)
        if self.line == 1:
            blank = blank[blank > 0]  # the header is no blank line
        self.blank.append(blank + self.line)
        has_stray = np.zeros(len(starts), bool)
        if len(stray) or self.line_stray_cr:
            has_stray[np.searchsorted(starts, stray, "right") - 1] = True
            has_stray[0] |= self.line_stray_cr
        finished = len(ends) - (self.line == 1 and len(ends) > 0) - len(blank)
        too_long = lengths > self.max_record_bytes
        if self.max_record_bytes >= 0 and (has_stray[:-1].any() or too_long.any()):
            is_record = np.ones(len(ends), bool)
            is_record[blank] = False
            is_record[: 1 if self.line == 1 else 0] = False
            problems = np.where(has_stray[:-1], STRAY_CR, 0) | np.where(too_long, TOO_LONG, 0)
            bad = (problems > 0) & is_record
            self._add_unreadable(
                (self.records + np.cumsum(is_record))[bad],
                starts[:-1][bad],
                ends[bad] + base,
                lengths[bad],
                problems[bad],
            )
        self.records += finished
        self.crlf_ends += int(crlf.sum())
        self.lf_ends += len(ends) - int(crlf.sum())
        self.line += len(ends)
        self.line_start = int(starts[-1])
        self.line_stray_cr = bool(has_stray[-1])
        self.inside = quote_state
        self.last_byte2 = int(chunk[-2]) if n > 1 else self.last_byte
        self.last_byte = int(chunk[-1])
        self.offset = base + n
        return ends[crlf] - 1 + base

    def finish(self) -> CsvLines:
        if self.run:
            self.inside = _after_run(self.inside, self.run, self.run_at_field_start)
        if self.max_commas >= 0 and self.commas > self.max_commas:
            raise LineTooWide(self.lf_lines + 1)
        if self.cr_pending:  # a CR at the very end of the file
            self.line_stray_cr = True
        length = self.offset - self.line_start
        if length and self.line > 1:  # a last record without a line end
            self.records += 1
            problems = (STRAY_CR if self.line_stray_cr else 0) | (
                TOO_LONG | (UNCLOSED_QUOTE if self.inside else 0)
                if length > self.max_record_bytes
                else 0
            )
            if self.max_record_bytes >= 0 and problems:
                row = (self.records, self.line_start, self.offset, length, problems)
                self._add_unreadable(*([x] for x in row))
        blank = np.concatenate(self.blank) if self.blank else np.zeros(0, np.int64)
        return CsvLines(
            self.records,
            tuple(int(b) for b in blank),
            np.concatenate(self.unreadable) if self.unreadable else _NO_RECORDS,
            self.lf_ends > 0 and self.crlf_ends > 0,
        )

    def _add_unreadable(self, numbers, starts, ends, lengths, problems) -> None:
        rows = np.zeros(len(numbers), _NO_RECORDS.dtype)
        rows["number"], rows["start"], rows["end"] = numbers, starts, ends
        rows["length"], rows["problems"] = lengths, problems
        self.unreadable.append(rows)

    def _check_commas(self, chunk: np.ndarray, lfs: np.ndarray) -> None:
        """Refuse a line (split at every LF) holding more than max_commas commas."""
        if self.max_commas < 0:
            return
        commas = np.flatnonzero(chunk == COMMA)
        per_line = np.diff(np.searchsorted(commas, lfs, "right"), prepend=0)
        if len(per_line):
            per_line[0] += self.commas
            too_wide = np.flatnonzero(per_line > self.max_commas)
            if len(too_wide):
                raise LineTooWide(self.lf_lines + int(too_wide[0]) + 1)
            self.commas = len(commas) - int(np.searchsorted(commas, lfs[-1], "right"))
        else:
            self.commas += len(commas)
        self.lf_lines += len(lfs)

    def _quotes(self, chunk: np.ndarray):
        """The inside-quotes state at any offset of the chunk that is not a quote (a function
        of an array of offsets), and the state at the chunk's end before a pending run."""
        n = len(chunk)
        q = np.flatnonzero(chunk == QUOTE)
        s0 = self.inside
        continues = bool(self.run) and len(q) > 0 and int(q[0]) == 0
        if self.run and not continues:
            s0 = _after_run(s0, self.run, self.run_at_field_start)
        if not len(q):
            self.run = 0
            return (lambda at: np.full(len(at), s0)), s0
        first = np.flatnonzero(np.diff(q, prepend=-2) != 1)  # index in q of each run's start
        length = np.diff(first, append=len(q))
        start = q[first]
        last = q[first + length - 1]
        before = np.where(start > 0, chunk[np.maximum(start - 1, 0)], self.last_byte)
        before2 = np.where(
            start > 1,
            chunk[np.maximum(start - 2, 0)],
            np.where(start == 1, self.last_byte, self.last_byte2),
        )
        at_field_start = np.isin(before, FIELD_STARTS) | (
            (before == SPACE) & np.isin(before2, FIELD_STARTS)
        )
        if continues:
            length[0] += self.run
            at_field_start[0] = self.run_at_field_start
        self.run = 0
        if int(last[-1]) == n - 1:  # the run may go on in the next chunk
            self.run, self.run_at_field_start = int(length[-1]), bool(at_field_start[-1])
            length, at_field_start, last = length[:-1], at_field_start[:-1], last[:-1]
        odd = length % 2 == 1
        flips = np.cumsum(odd & at_field_start)
        closes = odd & ~at_field_start  # ends a quoted field; text outside one
        last_close = np.maximum.accumulate(np.where(closes, np.arange(len(odd)), -1))
        after = np.where(
            last_close >= 0,
            (flips - flips[np.maximum(last_close, 0)]) % 2 == 1,
            (flips + s0) % 2 == 1,
        )
        states = np.concatenate(([s0], after))
        return (lambda at: states[np.searchsorted(last, at)]), bool(states[-1])


def _after_run(inside: bool, length: int, at_field_start: bool) -> bool:
    if length % 2 == 0:
        return inside
    return not inside if at_field_start else False
