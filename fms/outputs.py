"""Files people open: CSV and Excel written exactly, safely and atomically.

- Money stays exact: Decimal in, "1234.50" text in CSV, a numeric cell with a currency format in
  Excel (Excel stores doubles; every amount below 10^13 round-trips to the same cent; a larger
  one, which Excel cannot show to the cent, is written as its exact text).
- Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) is defused:
  CSV cells get a leading apostrophe, Excel cells are written as plain strings.
- A file appears whole or not at all: written beside its final name, then renamed over it.
- A publication of several files appears whole or not at all: `staged_folder`.
"""

from __future__ import annotations

import csv
import ctypes
import errno
import glob
import os
import shutil
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


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> Path:
    """An Excel workbook, one worksheet per Sheet, money as numeric currency cells."""
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
                ws = book.add_worksheet(sheet.name[:31])
                r = 0
                for line in sheet.title_lines:
                    ws.write_string(r, 0, line, bold)
                    r += 1
                if sheet.title_lines:
                    r += 1
                for c, name in enumerate(sheet.columns):
                    ws.write_string(r, c, name, header)
                    ws.set_column(c, c, sheet.widths.get(name, max(12, min(len(name) + 2, 40))))
                ws.freeze_panes(r + 1, 0)
                first_data = r + 1
                decimal_formats = [money if n in sheet.money else number for n in sheet.columns]
                for i, row in enumerate(sheet.rows):
                    for c, value in enumerate(row):
                        _write_cell(ws, first_data + i, c, value, decimal_formats[c], day)
                if sheet.rows:
                    ws.autofilter(r, 0, first_data + len(sheet.rows) - 1, len(sheet.columns) - 1)
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


class RunFolder:
    """A run's output folder, built beside its final place and swapped in whole.

    `work` is written during the run. `publish()` swaps it in as `final` (readers see the old
    folder or the new one, never a mix); `fail(label)` keeps it for people to read as
    `<final>.failed-<label>` and leaves the published `final` untouched.
    """

    def __init__(self, final: Path, label: str) -> None:
        self.final = final
        self.label = label
        self.work = final.parent / f".{final.name}.{label}.work"
        _restore_interrupted_publication(final)
        if self.work.exists():
            shutil.rmtree(self.work)
        ensure_private_dir(self.work)

    def publish(self) -> Path:
        if self.final.exists() and _exchange(self.work, self.final):
            # One step: readers had the previous folder until now and the new one from now on.
            failpoint("run_folder.publish.swapped")
            shutil.rmtree(self.work, ignore_errors=True)  # the previous folder, swapped out
            return self.final
        # Where the system cannot exchange two paths: two renames, with a moment between them
        # when `final` is missing (a crash there is repaired by the next RunFolder of `final`).
        previous = self.final.parent / f".{self.final.name}.{self.label}.previous"
        if self.final.exists():
            os.replace(self.final, previous)
        os.replace(self.work, self.final)
        shutil.rmtree(previous, ignore_errors=True)
        return self.final

    @property
    def failed(self) -> Path:
        return self.final.parent / f"{self.final.name}.failed-{self.label}"

    def fail(self) -> Path:
        failed = self.failed
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(self.work, failed)
        return failed


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (Linux renameat2 RENAME_EXCHANGE): at no moment is
    either name missing. False where the system or the file system cannot do it."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    fd, path, flags = ctypes.c_int, ctypes.c_char_p, ctypes.c_uint
    renameat2.argtypes = [fd, path, fd, path, flags]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _restore_interrupted_publication(final: Path) -> None:
    """A run killed between the two renames of the fallback left `final` missing and the
    published folder aside as `.<final>.<label>.previous`: put it back before anyone replaces
    `final` (the new folder of that run is discarded; its run is rerun)."""
    if final.exists():
        return
    for previous in sorted(final.parent.glob(f".{glob.escape(final.name)}.*.previous")):
        os.replace(previous, final)
        return


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Build a publication in a sibling temp folder, then swap it in as `final`.

    Readers see the old folder or the new one, never a half-written mix; on an error the
    temp folder is removed and `final` stays as it was.
    """
    folder = RunFolder(final, "staged")
    try:
        yield folder.work
    except BaseException:
        shutil.rmtree(folder.work, ignore_errors=True)
        raise
    folder.publish()
