"""The vectorized record scan gives exactly what the plain byte-by-byte rule gives, whatever
the bytes and wherever the chunks are cut; so does the copy DuckDB reads instead of a file
it cannot read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fms.ingest.csv_lines import (
    STRAY_CR,
    TOO_LONG,
    UNCLOSED_QUOTE,
    LineTooWide,
    scan_lines,
    write_readable_copy,
)

NEWLINE, CR, QUOTE, SPACE = 10, 13, 34, 32


def reference_lines(data: bytes) -> tuple[list[tuple[int, int | None, bool]], bool]:
    """The lines as the module docstring defines them, one byte at a time: (start, offset of
    the LF ending it or None for a last line without one, holds a stray CR), and whether the
    file ends inside quotes."""
    lines, inside, start, stray, i = [], False, 0, False, 0
    while i < len(data):
        if data[i] == QUOTE:
            j = i
            while j < len(data) and data[j] == QUOTE:
                j += 1
            if (j - i) % 2:
                at_field_start = i == 0 or data[i - 1] in b",\n\r"
                if i > 0 and data[i - 1] == SPACE:  # one space may open a field
                    at_field_start = i == 1 or data[i - 2] in b",\n\r"
                inside = not inside if at_field_start else False
            i = j
            continue
        if not inside and data[i] == CR and data[i + 1 : i + 2] != b"\n":
            stray = True
        if not inside and data[i] == NEWLINE:
            lines.append((start, i, stray))
            start, stray = i + 1, False
        i += 1
    if start < len(data):
        lines.append((start, None, stray))
    return lines, inside


def reference_scan(data: bytes, max_commas: int, max_record_bytes: int):
    """The rule, as (records, blank lines, unreadable records, mixed line ends)."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.count(b",") > max_commas:
            raise LineTooWide(number)
    lines, inside_at_end = reference_lines(data)
    records, blank, unreadable, line_ends = 0, [], [], set()
    for number, (start, lf, stray) in enumerate(lines, start=1):
        end = len(data) if lf is None else lf
        crlf = lf is not None and lf > start and data[lf - 1] == CR
        if lf is not None:
            line_ends.add(crlf)
        length = end - start - crlf
        if number == 1:
            continue
        if lf is not None and length == 0:
            blank.append(number)
            continue
        records += 1
        problems = STRAY_CR if stray else 0
        if length > max_record_bytes:
            problems |= TOO_LONG | (UNCLOSED_QUOTE if lf is None and inside_at_end else 0)
        if problems:
            unreadable.append((records, start, end, length, problems))
    return records, blank, unreadable, len(line_ends) == 2


def reference_copy(data: bytes, max_record_bytes: int) -> bytes:
    """Each line without the CR of a CR LF end; an unreadable record left a blank line."""
    lines, _ = reference_lines(data)
    unreadable = {u[1] for u in reference_scan(data, len(data), max_record_bytes)[2]}
    out = []
    for start, lf, _stray in lines:
        end = len(data) if lf is None else lf
        text = data[start:end]
        if lf is not None and text.endswith(b"\r"):
            text = text[:-1]
        out.append((b"" if start in unreadable else text) + (b"\n" if lf is not None else b""))
    return b"".join(out)


def _scanned(path, max_commas, max_record_bytes, chunk):
    try:
        lines = scan_lines(path, max_commas, max_record_bytes, chunk)
    except LineTooWide as exc:
        return ("too wide", exc.line_number)
    return (
        lines.records,
        list(lines.blank_lines),
        [tuple(int(x) for x in row) for row in lines.unreadable],
        lines.mixed_line_ends,
    )


def _reference(data, max_commas, max_record_bytes):
    try:
        return reference_scan(data, max_commas, max_record_bytes)
    except LineTooWide as exc:
        return ("too wide", exc.line_number)


BYTES = st.lists(
    st.sampled_from([b"a", b",", b'"', b'""', b"\n", b"\r", b"\r\n", b"xy,", b" ", b' "']),
    max_size=80,
).map(b"".join)


@settings(max_examples=600, deadline=None)
@given(
    data=BYTES,
    chunk=st.integers(min_value=1, max_value=9),
    max_commas=st.integers(min_value=1, max_value=6),
    max_record_bytes=st.integers(min_value=0, max_value=12),
)
def test_matches_the_byte_by_byte_rule(tmp_path_factory, data, chunk, max_commas, max_record_bytes):
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    expected = _reference(data, max_commas, max_record_bytes)
    assert _scanned(path, max_commas, max_record_bytes, chunk) == expected


@settings(max_examples=400, deadline=None)
@given(
    data=BYTES,
    chunk=st.integers(min_value=1, max_value=9),
    max_record_bytes=st.integers(min_value=0, max_value=12),
)
def test_the_readable_copy_matches_the_rule(tmp_path_factory, data, chunk, max_record_bytes):
    folder = tmp_path_factory.mktemp("copy")
    (folder / "f.csv").write_bytes(data)
    lines = scan_lines(folder / "f.csv", len(data), max_record_bytes, chunk)
    write_readable_copy(folder / "f.csv", lines, folder / "copy.csv", chunk)
    assert (folder / "copy.csv").read_bytes() == reference_copy(data, max_record_bytes)


@pytest.mark.parametrize(
    "data, records, blank",
    [
        (b"h\n1\n\n2\n", 2, [3]),
        (b"h\r\n1\r\n\r\n2\r\n", 2, [3]),
        (b'h\n"a\n\nb"\n\n3\n', 2, [3]),  # the blank line inside quotes is part of a record
        (b'h\n5" gun\n\n3\n', 2, [3]),  # a quote inside an unquoted field is text
        (b"h\n1", 1, []),
        (b"", 0, []),
    ],
)
def test_known_files(tmp_path, data, records, blank):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    lines = scan_lines(path, 10, 100)
    assert (lines.records, list(lines.blank_lines)) == (records, blank)


def test_a_too_wide_line_is_named(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"h\n1,2\n" + b"," * 11 + b"\n")
    with pytest.raises(LineTooWide) as exc:
        scan_lines(path, 10, 100)
    assert exc.value.line_number == 3


@pytest.mark.parametrize(
    "data, unreadable",
    [
        (b"h\n1\n2\r3\n4\n", [(2, 4, 7, 3, STRAY_CR)]),
        (b'h\n1\n"2\r3"\n4\n', []),  # a CR inside quotes is data
        (b"h\n1\n2\r", [(2, 4, 6, 2, STRAY_CR)]),  # a CR ending the file ends no line
        (b"h\n1\n" + b"x" * 101 + b"\r\n4\n", [(2, 4, 106, 101, TOO_LONG)]),
        (b'h\n1\n"' + b"x" * 100, [(2, 4, 105, 101, TOO_LONG | UNCLOSED_QUOTE)]),
    ],
)
def test_unreadable_records(tmp_path, data, unreadable):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    got = [tuple(int(x) for x in row) for row in scan_lines(path, 10, 100).unreadable]
    assert got == unreadable


@pytest.mark.parametrize(
    "data, mixed",
    [
        (b"h\n1\n2\n", False),
        (b"h\r\n1\r\n2\r\n", False),
        (b"h\r\n1\n2\n", True),  # a CRLF header
        (b"h\n1\n2\r\n", True),  # a CRLF last line
        (b'h\n"1\r\n"\n2\n', False),  # a CR LF inside quotes is data, not a line end
    ],
)
def test_mixed_line_ends_are_found(tmp_path, data, mixed):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert scan_lines(path, 10, 100).mixed_line_ends is mixed
