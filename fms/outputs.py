"""Files people open: CSV and Excel written exactly, safely and atomically.

- Money stays exact: Decimal in, "1234.50" text in CSV, a numeric cell with a currency format in
  Excel (Excel stores doubles; every amount below 10^13 round-trips to the same cent; a larger
  one, which Excel cannot show to the cent, is written as its exact text).
- Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) is defused:
  CSV cells get a leading apostrophe, Excel cells are written as plain strings.
- A file appears whole or not at all: written beside its final name, then renamed over it.
- A publication of several files appears whole or not at all: `staged_folder`, a new version
  of the folder swapped in by one rename (fms.run_folder).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from fms.failpoints import failpoint

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = '"$"#,##0.00;[Red]-"$"#,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
PRIVATE_DIR_MODE = 0o750
PRIVATE_FILE_MODE = 0o640
# Excel keeps 15 significant digits: amounts from 10^13 on are written as exact text instead.
EXCEL_EXACT_LIMIT = Decimal(10) ** 13
EXCEL_MAX_ROWS = 1_048_576  # rows of a worksheet, title lines and header included
MAX_SHEET_NAME = 31


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


def column_width(widths: dict[str, int], name: str) -> int:
    """A column's width in characters: as given, else its name's, kept between 12 and 40."""
    return widths.get(name, max(12, min(len(name) + 2, 40)))


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


@dataclass
class Sheet:
    """One worksheet: a header row and data rows. Decimals in `money` columns get the
    currency format; other Decimals (rates) a plain number format."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    money: frozenset[str] = field(default_factory=frozenset)
    title_lines: Sequence[str] = ()  # printed above the table (a statement heading, say)
    widths: dict[str, int] = field(default_factory=dict)


def write_xlsx(path: Path, sheets: Sequence[Sheet], max_rows: int = EXCEL_MAX_ROWS) -> Path:
    """An Excel workbook, one worksheet per Sheet (or more for one beyond `max_rows` rows,
    `sheet_parts`), money as numeric currency cells."""
    import xlsxwriter  # imported here: only runs that publish workbooks need it

    with atomic_path(path) as tmp:
        # strings_to_formulas off: no text from the data can become a live formula.
        book = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False}
        )
        try:
            bold = book.add_format({"bold": True})
            header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
            money = book.add_format({"num_format": MONEY_FORMAT})
            number = book.add_format({"num_format": "0.00####"})
            day = book.add_format({"num_format": DATE_FORMAT})
            for sheet in sheets:
                decimal_formats = [money if n in sheet.money else number for n in sheet.columns]
                parts = sheet_parts(sheet.name, len(sheet.title_lines), len(sheet.rows), max_rows)
                for part in parts:
                    ws = book.add_worksheet(part.name)
                    titles = (*sheet.title_lines, *part.notes)
                    for r, line in enumerate(titles):
                        ws.write_string(r, 0, line, bold)
                    r = rows_above_data(len(titles)) - 1  # the header's row
                    for c, name in enumerate(sheet.columns):
                        ws.write_string(r, c, name, header)
                        ws.set_column(c, c, column_width(sheet.widths, name))
                    ws.freeze_panes(r + 1, 0)
                    rows = sheet.rows[part.skip : part.skip + part.take]
                    for i, row in enumerate(rows, start=r + 1):
                        for c, value in enumerate(row):
                            _write_cell(ws, i, c, value, decimal_formats[c], day)
                    if rows:
                        ws.autofilter(r, 0, r + len(rows), len(sheet.columns) - 1)
        finally:
            book.close()
    return path


def _write_cell(ws, r: int, c: int, value: object, decimal_fmt, date_fmt) -> None:
    if value is None:
        ws.write_blank(r, c, None)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, Decimal):
        if abs(value) >= EXCEL_EXACT_LIMIT:
            # Beyond Excel's 15 significant digits a number cell would show another amount.
            ws.write_string(r, c, format(value, "f"))
        else:
            # The one place money leaves Decimal: Excel cells are doubles, exact to the cent here.
            ws.write_number(r, c, float(value), decimal_fmt)
    elif isinstance(value, int):
        if abs(value) >= EXCEL_EXACT_LIMIT * 100:  # 15 digits, as for amounts
            ws.write_string(r, c, str(value))
        else:
            ws.write_number(r, c, value)
    elif isinstance(value, datetime):
        ws.write_datetime(r, c, value, date_fmt)
    elif isinstance(value, date):
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), date_fmt)
    elif isinstance(value, float):
        raise TypeError("floats are not written to finance outputs: use Decimal")
    else:
        ws.write_string(r, c, str(value))


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
