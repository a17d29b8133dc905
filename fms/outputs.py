"""Files people open: CSV and Excel written exactly, safely and atomically.

- Money stays exact: Decimal in, "1234.50" text in CSV, a numeric cell with a currency format in
  Excel (Excel stores doubles; every amount below 10^13 round-trips to the same cent; a larger
  one, which Excel cannot show to the cent, is written as its exact text).
- Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) is defused:
  CSV cells get a leading apostrophe, Excel cells are written as plain strings.
- A file appears whole or not at all: written beside its final name, then renamed over it.
- A publication of several files appears whole or not at all: `staged_folder`, a new version
  of the folder swapped in by one rename (fms.run_folder).
- A workbook opens ready and prints: each column as wide as the longest value it shows (an
  amount as the money format shows it) and its heading (wrapped), up to a cap; totals under the
  table, outside its autofilter (sorting never moves them); landscape, one page wide, the rows
  down to the header repeated on every page, "Page n of N" in the footer.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from fms.failpoints import failpoint
from fms.formatting import dollars

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = '"$"#,##0.00;[Red]-"$"#,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
PRIVATE_DIR_MODE = 0o750
PRIVATE_FILE_MODE = 0o640
# Excel keeps 15 significant digits: amounts from 10^13 on are written as exact text instead.
EXCEL_EXACT_LIMIT = Decimal(10) ** 13
EXCEL_MAX_ROWS = 1_048_576  # rows of a worksheet, title lines and header included
MAX_SHEET_NAME = 31
# Column widths in characters: a column fits what it shows, between these. A heading wraps
# at HEADING_WRAP characters (no column is widened for a long heading, only for its longest word).
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60
HEADING_WRAP = 20
COLUMN_PADDING = 2
LINE_HEIGHT = 15  # points: one line of the default 11-point font
PAGE_FOOTER = "&CPage &P of &N"


def file_name_part(text: str) -> str:
    """A case id or purchaser code as part of a file or folder name: anything but letters,
    digits and hyphens becomes `_` (an id is checked before a run, but names never trust it)."""
    return re.sub(r"[^A-Za-z0-9-]", "_", text)


def defuse_text(value: str) -> str:
    """A text value that no spreadsheet will evaluate as a formula."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are not written to finance outputs: use Decimal")
    return defuse_text(str(value))


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    return path


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it over `final` if the block succeeds."""
    ensure_private_dir(final.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        failpoint("atomic_path.written")
        os.chmod(tmp_path, PRIVATE_FILE_MODE)
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """UTF-8 CSV with a header; Excel opens it as is."""
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        # The csv module quotes a value holding "\n" (its line end) but not a bare "\r", which
        # spreadsheets also read as a line end: the rest of the value would start a new row,
        # and could start it with a live formula. Such rows are written fully quoted.
        quoted = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow([defuse_text(c) for c in columns])
        for row in rows:
            cells = [csv_cell(v) for v in row]
            (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
    return path


@dataclass(frozen=True)
class SheetPart:
    """One worksheet of a table: `take` rows from row `skip`, under `notes` (the line naming
    the rows it holds, when the table needs more than one sheet)."""

    name: str
    skip: int
    take: int
    notes: tuple[str, ...] = ()


def continued_name(name: str, part: int) -> str:
    """The name of part `part` (1, 2, ...) of a sheet: `name`, then `name_2`, `name_3`, ...,
    cut to Excel's 31 characters without losing the suffix."""
    suffix = "" if part == 1 else f"_{part}"
    return name[: MAX_SHEET_NAME - len(suffix)] + suffix


def rows_above_data(title_lines: int) -> int:
    """The title lines, a blank line under them, and the header."""
    return title_lines + (1 if title_lines else 0) + 1


def sheet_parts(
    name: str, title_lines: int, rows: int, max_rows: int = EXCEL_MAX_ROWS
) -> list[SheetPart]:
    """The worksheets a table of `rows` rows needs at `max_rows` rows a worksheet: one, or
    several, each with one title line more naming the rows it holds (Excel shows no row past
    1,048,576, and xlsxwriter drops them without a word)."""
    if rows_above_data(title_lines) + rows <= max_rows:
        return [SheetPart(name[:MAX_SHEET_NAME], 0, rows)]
    per_sheet = max_rows - rows_above_data(title_lines + 1)
    if per_sheet < 1:
        raise ValueError(f"sheet {name!r}: {max_rows} rows a sheet leave none for data")
    count = -(-rows // per_sheet)
    parts = []
    for number in range(1, count + 1):
        skip = (number - 1) * per_sheet
        take = min(per_sheet, rows - skip)
        after = (
            f"continued on sheet {continued_name(name, number + 1)}."
            if number < count
            else "the last part."
        )
        note = (
            f"Part {number} of {count}: rows {skip + 1:,} to {skip + take:,} of {rows:,} "
            f"(a sheet holds {max_rows:,} rows); {after}"
        )
        parts.append(SheetPart(continued_name(name, number), skip, take, (note,)))
    return parts


@dataclass(frozen=True)
class Figure:
    """A labelled figure above a table: the label in column A, the value as a cell of its type
    in column B (a Decimal with the currency format when `money`)."""

    label: str
    value: object
    money: bool = False


@dataclass
class Sheet:
    """One worksheet: a header row and data rows. Decimals in `money` columns get the
    currency format; other Decimals (rates) a plain number format. The last `total_rows` rows
    are totals: bold, under a blank row, outside the autofilter."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    money: frozenset[str] = field(default_factory=frozenset)
    # Printed above the table (a statement heading, say): a text line, or a labelled Figure.
    title_lines: Sequence[str | Figure] = ()
    widths: dict[str, int] = field(default_factory=dict)  # as given, instead of fitted
    total_rows: int = 0


def shown_text(value: object, money: bool = False) -> str:
    """The text a cell written by `write_xlsx` shows (its width): an amount as MONEY_FORMAT
    shows it, which is how `fms.formatting.dollars` prints it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        if abs(value) >= EXCEL_EXACT_LIMIT:
            return format(value, "f")
        if money:
            return dollars(value)
        # "0.00####": two decimals at least, six at most.
        text = f"{value:.6f}".rstrip("0")
        whole, _, decimals = text.partition(".")
        return f"{whole}.{decimals.ljust(2, '0')}"
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)


def shown_width(value: object, money: bool = False) -> int:
    """Characters of the longest line a cell shows."""
    return max((len(line) for line in shown_text(value, money).split("\n")), default=0)


def heading_width(heading: str) -> int:
    """What a wrapped heading needs: its longest word, or the whole heading up to the wrap."""
    longest_word = max((len(w) for w in heading.split()), default=0)
    return max(longest_word, min(len(heading), HEADING_WRAP))


def fitted_widths(sheet: Sheet) -> list[int]:
    """Each column's width: the widest of its heading and every value it shows (the labels
    and values of the sheet's figures in columns A and B too), padded, kept between
    MIN_COLUMN_WIDTH and MAX_COLUMN_WIDTH; as given in `sheet.widths` when it is there."""
    figures = [line for line in sheet.title_lines if isinstance(line, Figure)]
    count = max(len(sheet.columns), 2 if figures else 0)
    shown = [heading_width(n) for n in sheet.columns] + [0] * (count - len(sheet.columns))
    money = [n in sheet.money for n in sheet.columns]
    for row in sheet.rows:
        for c, value in enumerate(row):
            shown[c] = max(shown[c], shown_width(value, money[c]))
    for figure in figures:
        shown[0] = max(shown[0], len(figure.label))
        shown[1] = max(shown[1], shown_width(figure.value, figure.money))
    widths = [padded_width(w) for w in shown]
    for c, name in enumerate(sheet.columns):
        if name in sheet.widths:
            widths[c] = sheet.widths[name]
    return widths


def padded_width(shown: int) -> int:
    """The width of a column whose widest heading or value needs `shown` characters."""
    return max(MIN_COLUMN_WIDTH, min(MAX_COLUMN_WIDTH, shown + COLUMN_PADDING))


def heading_lines_needed(columns: Sequence[str], widths: Sequence[int]) -> int:
    """Lines of the tallest heading, wrapped within its column's width less the padding (bold
    letters are wider than the width's unit)."""
    return max(
        (
            len(textwrap.wrap(n, max(1, w - COLUMN_PADDING)))
            for n, w in zip(columns, widths, strict=True)
        ),
        default=1,
    )


def write_xlsx(path: Path, sheets: Sequence[Sheet], max_rows: int = EXCEL_MAX_ROWS) -> Path:
    """An Excel workbook, one worksheet per Sheet (or more for one beyond `max_rows` rows,
    `sheet_parts`), money as numeric currency cells, ready to read and to print."""
    import xlsxwriter  # imported here: only runs that publish workbooks need it

    with atomic_path(path) as tmp:
        # strings_to_formulas off: no text from the data can become a live formula.
        book = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False}
        )
        try:
            styles = _Styles(book)
            for sheet in sheets:
                _write_sheet(book, sheet, styles, max_rows)
        finally:
            book.close()
    return path


@dataclass(frozen=True)
class _RowFormats:
    text: object  # None: the default format
    money: object
    number: object
    day: object


class _Styles:
    """The workbook's cell formats: data rows plain, total rows bold."""

    def __init__(self, book) -> None:
        self.title = book.add_format({"bold": True})
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True}
        )
        self.plain = self._row(book, {})
        self.total = self._row(book, {"bold": True})

    @staticmethod
    def _row(book, extra: dict) -> _RowFormats:
        return _RowFormats(
            text=book.add_format(extra) if extra else None,
            money=book.add_format({"num_format": MONEY_FORMAT, **extra}),
            number=book.add_format({"num_format": "0.00####", **extra}),
            day=book.add_format({"num_format": DATE_FORMAT, **extra}),
        )


def _write_sheet(book, sheet: Sheet, styles: _Styles, max_rows: int) -> None:
    widths = fitted_widths(sheet)
    money = [n in sheet.money for n in sheet.columns]
    data_count = len(sheet.rows) - sheet.total_rows
    # Totals sit under a blank row: Excel widens a filter over rows that touch it.
    body: list[Sequence[object] | None] = list(sheet.rows[:data_count])
    if sheet.total_rows:
        body += [None, *sheet.rows[data_count:]]
    plain = styles.plain
    for part in sheet_parts(sheet.name, len(sheet.title_lines), len(body), max_rows):
        ws = book.add_worksheet(part.name)
        titles = (*sheet.title_lines, *part.notes)
        for r, line in enumerate(titles):
            if isinstance(line, Figure):
                ws.write_string(r, 0, line.label, styles.title)
                fmt = plain.money if line.money else plain.number
                _write_cell(ws, r, 1, line.value, fmt, plain.day)
            else:
                ws.write_string(r, 0, line, styles.title)
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        r = rows_above_data(len(titles)) - 1  # the header's row
        for c, name in enumerate(sheet.columns):
            ws.write_string(r, c, name, styles.header)
        lines = heading_lines_needed(sheet.columns, widths)
        if lines > 1:
            ws.set_row(r, LINE_HEIGHT * lines)
        ws.freeze_panes(r + 1, 0)
        for n in range(part.skip, part.skip + part.take):
            row = body[n]
            if row is None:
                continue
            style = styles.total if n >= data_count else plain
            i = r + 1 + n - part.skip
            for c, value in enumerate(row):
                fmt = style.money if money[c] else style.number
                _write_cell(ws, i, c, value, fmt, style.day, style.text)
        filtered = min(part.skip + part.take, data_count) - part.skip
        if filtered > 0:
            ws.autofilter(r, 0, r + filtered, len(sheet.columns) - 1)
        _print_setup(ws, r)


def _print_setup(ws, header_row: int) -> None:
    """Landscape, one page wide and as many tall as it takes, the rows down to the header
    repeated on every page, page numbers in the footer."""
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, header_row)
    ws.set_footer(PAGE_FOOTER)


def _write_cell(ws, r: int, c: int, value: object, decimal_fmt, date_fmt, text_fmt=None) -> None:
    if value is None:
        ws.write_blank(r, c, None)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, text_fmt)
    elif isinstance(value, Decimal):
        if abs(value) >= EXCEL_EXACT_LIMIT:
            # Beyond Excel's 15 significant digits a number cell would show another amount.
            ws.write_string(r, c, format(value, "f"), text_fmt)
        else:
            # The one place money leaves Decimal: Excel cells are doubles, exact to the cent here.
            ws.write_number(r, c, float(value), decimal_fmt)
    elif isinstance(value, int):
        if abs(value) >= EXCEL_EXACT_LIMIT * 100:  # 15 digits, as for amounts
            ws.write_string(r, c, str(value), text_fmt)
        else:
            ws.write_number(r, c, value, text_fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(r, c, value, date_fmt)
    elif isinstance(value, date):
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), date_fmt)
    elif isinstance(value, float):
        raise TypeError("floats are not written to finance outputs: use Decimal")
    else:
        ws.write_string(r, c, str(value), text_fmt)


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Build a publication in a new version of `final`, then swap it in (fms.run_folder).

    Readers see the old folder or the new one, never a half-written mix; on an error the new
    version is removed and `final` stays as it was.
    """
    from fms.run_folder import RunFolder  # here: fms.run_folder imports this module

    folder = RunFolder(final, "staged")
    try:
        yield folder.work
    except BaseException:
        folder.discard()
        raise
    folder.publish()
