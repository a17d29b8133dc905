"""The vectorized line scan gives exactly what the plain per-line rule gives, whatever the bytes
and wherever the chunks are cut."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fms.ingest.csv_lines import LineTooWide, scan_blank_lines


def reference_scan(data: bytes, max_commas: int) -> list[int]:
    """The rule, one line at a time (as the module docstring states it)."""
    blank, in_quotes, counted = [], False, 0
    for number, line in enumerate(_lines(data), start=1):
        if line.count(b",") > max_commas:
            raise LineTooWide(number)
        if not in_quotes:
            counted += 1
            if line in (b"\n", b"\r\n"):
                blank.append(counted)
        if line.count(b'"') % 2:
            in_quotes = not in_quotes
    return blank


def _lines(data: bytes) -> list[bytes]:
    """Split at b"\\n" only, keeping it (as iterating a binary file does)."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    return lines + ([parts[-1]] if parts[-1] else [])


def _outcome(fn, *args):
    try:
        return fn(*args)
    except LineTooWide as exc:
        return ("too wide", exc.line_number)


@settings(max_examples=400, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"a", b",", b'"', b"\n", b"\r", b"\r\n", b"xy,"]), max_size=80
    ).map(b"".join),
    chunk=st.integers(min_value=1, max_value=9),
    max_commas=st.integers(min_value=1, max_value=6),
)
def test_matches_the_per_line_rule(tmp_path_factory, data, chunk, max_commas):
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    expected = _outcome(reference_scan, data, max_commas)
    assert _outcome(scan_blank_lines, path, max_commas, chunk) == expected


@pytest.mark.parametrize(
    "data, blank",
    [
        (b"h\n1\n\n2\n", [3]),
        (b"h\r\n1\r\n\r\n2\r\n", [3]),
        (b'h\n"a\n\nb"\n\n3\n', [3]),  # the blank line inside quotes is part of a record
        (b"h\n1", []),
        (b"", []),
    ],
)
def test_known_files(tmp_path, data, blank):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert scan_blank_lines(path, 10) == blank


def test_a_too_wide_line_is_named(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"h\n1,2\n" + b"," * 11 + b"\n")
    with pytest.raises(LineTooWide) as exc:
        scan_blank_lines(path, 10)
    assert exc.value.line_number == 3
