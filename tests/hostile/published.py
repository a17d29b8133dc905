"""Read the files a run published the way a spreadsheet would, and check none can run a formula.

- Excel: no cell is a formula (openpyxl data_type 'f', or an <f> element in the sheet XML), and
  every text cell that starts like a formula is stored as a string.
- CSV: no cell starts with = + - @ TAB or CR, unless it is a plain number ("-12.50"); text that
  did is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import re
import sys
import zipfile
from pathlib import Path

import openpyxl

from tests.hostile.batches import FORMULA_TRIGGERS

NUMBER = re.compile(r"-?\d+(\.\d+)?")
# OOXML writes control characters as _xHHHH_ (a CR is _x000D_); Excel shows the character.
OOXML_ESCAPE = re.compile(r"_x([0-9A-F]{4})_")


def _as_excel_shows(text: str) -> str:
    return OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def xlsx_text_cells(path: Path) -> list[str]:
    """Every text cell of the workbook, after checking that no cell is a live formula."""
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = book.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, f"{path.name}: formula in {name}"
    texts = []
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", f"{path.name}!{cell.coordinate}"
                    texts.append(_as_excel_shows(cell.value))
    return texts


def csv_cells(path: Path) -> list[str]:
    """Every cell of the CSV file, after checking that none starts like a formula."""
    limit = csv.field_size_limit(sys.maxsize)  # a quarantined record may be megabytes long
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            cells = [cell for row in csv.reader(fh) for cell in row]
    finally:
        csv.field_size_limit(limit)
    for cell in cells:
        if cell.startswith(FORMULA_TRIGGERS):
            assert NUMBER.fullmatch(cell), f"{path.name}: live formula {cell[:40]!r}"
    return cells


def assert_no_live_formulas(folder: Path) -> tuple[list[str], list[str]]:
    """Check every .xlsx and .csv under `folder`; return (Excel text cells, CSV cells)."""
    books = sorted(folder.rglob("*.xlsx"))
    sheets = sorted(folder.rglob("*.csv"))
    assert books and sheets, f"no published files under {folder}"
    excel = [text for book in books for text in xlsx_text_cells(book)]
    plain = [cell for sheet in sheets for cell in csv_cells(sheet)]
    return excel, plain
