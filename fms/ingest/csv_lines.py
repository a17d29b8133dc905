"""The line scan of a CSV file before DuckDB reads it, vectorized with numpy over chunks.

Two things are needed from every line, and a Python loop over the lines of a large batch takes
seconds per pass: a line too wide for DuckDB to read is refused (MAX_COMMAS_PER_LINE), and the
blank lines between records are numbered as DuckDB numbers lines (a record whose quoted field
goes on past a line end is one line), so that rejected records can be given their ordinal.

The rules, per line of the file split at b"\\n" (the last line may lack it): a line holding more
than `max_commas` commas is refused; a line is counted (DuckDB's numbering) unless it starts
inside quotes; a counted line that is b"\\n" or b"\\r\\n" is blank; a line with an odd number
of quote characters flips the inside-quotes state (an escaped quote is two of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK_BYTES = 32 << 20
NEWLINE, COMMA, QUOTE, CR = 10, 44, 34, 13


class LineTooWide(Exception):
    def __init__(self, line_number: int) -> None:
        self.line_number = line_number
        super().__init__(f"line {line_number} is too wide")


@dataclass
class _Carry:
    """The unfinished line at the end of a chunk, and the state before it."""

    length: int = 0
    commas: int = 0
    quotes: int = 0
    last_byte: int = -1
    in_quotes: bool = False
    lines: int = 0  # lines of the file finished so far
    counted: int = 0  # of which DuckDB counts (not starting inside quotes)


def scan_blank_lines(path: Path, max_commas: int, chunk_bytes: int = CHUNK_BYTES) -> list[int]:
    """The blank lines in DuckDB's numbering; raises LineTooWide (1-based file line number)."""
    blank: list[int] = []
    carry = _Carry()
    with path.open("rb") as fh:
        while data := fh.read(chunk_bytes):
            carry = _scan_chunk(np.frombuffer(data, np.uint8), carry, max_commas, blank)
    if carry.length:  # a last line without a line end
        if carry.commas > max_commas:
            raise LineTooWide(carry.lines + 1)
    return blank


def _scan_chunk(chunk: np.ndarray, carry: _Carry, max_commas: int, blank: list[int]) -> _Carry:
    ends = np.flatnonzero(chunk == NEWLINE)
    commas = np.flatnonzero(chunk == COMMA)
    quotes = np.flatnonzero(chunk == QUOTE)
    n = len(ends)
    if n == 0:
        last = int(chunk[-1])
        return _Carry(
            carry.length + len(chunk),
            carry.commas + len(commas),
            carry.quotes + len(quotes),
            last,
            carry.in_quotes,
            carry.lines,
            carry.counted,
        )
    # Per finished line: commas, quotes and length (the first line continues the carry).
    line_commas = np.diff(np.searchsorted(commas, ends, "right"), prepend=0)
    line_quotes = np.diff(np.searchsorted(quotes, ends, "right"), prepend=0)
    line_commas[0] += carry.commas
    line_quotes[0] += carry.quotes
    lengths = np.diff(ends, prepend=-1)
    lengths[0] += carry.length
    too_wide = np.flatnonzero(line_commas > max_commas)
    if len(too_wide):
        raise LineTooWide(carry.lines + int(too_wide[0]) + 1)
    # Inside quotes at the start of each line: the start state flipped by every odd line before.
    flips = np.cumsum(line_quotes % 2)
    before = np.concatenate(([0], flips[:-1])) % 2
    inside = before.astype(bool) ^ carry.in_quotes
    counted = carry.counted + np.cumsum(~inside)
    # The byte before each line end, for b"\r\n" (from the carry when the end opens the chunk).
    before_end = np.where(ends > 0, chunk[np.maximum(ends - 1, 0)], carry.last_byte)
    is_blank = ~inside & ((lengths == 1) | ((lengths == 2) & (before_end == CR)))
    blank.extend(int(x) for x in counted[is_blank])
    tail = len(chunk) - int(ends[-1]) - 1
    return _Carry(
        tail,
        len(commas) - int(np.searchsorted(commas, ends[-1], "right")),
        len(quotes) - int(np.searchsorted(quotes, ends[-1], "right")),
        int(chunk[-1]) if tail else -1,
        bool(inside[-1] ^ (line_quotes[-1] % 2)),
        carry.lines + n,
        int(counted[-1]),
    )
