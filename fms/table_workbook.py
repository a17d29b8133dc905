"""Tables as an Excel workbook (a sheet per table) or a CSV file, rendered by DuckDB, set-based.

`fms.outputs.write_xlsx` hands every cell to xlsxwriter from Python: fine for a statement,
about 34 s for the delivery status of a large portfolio (6.5M cells). Here one query per sheet
renders every row of the worksheet XML, set-based, and Python only streams the text into the zip
(3-4 s). A table may carry columns it is only ordered by (`TableSheet.hidden`: a listing's
position, when its order is not a column it shows).
The workbook is the same to a reader: the title lines, a bold header (wrapped), frozen panes, an
autofilter, columns as wide as what they show (one more scan of the table: the longest text, the
largest and smallest amount), money as numeric cells with the currency format, dates as date
cells, and the same rules as `write_xlsx`: an amount from 10^13 on (an integer from 10^15 on) is
exact text, since Excel keeps 15 significant digits; text is always a string cell, never a
formula. Zip entries carry a fixed timestamp, so the same table gives the same bytes.
A worksheet holds at most 1,048,576 rows (Excel stops reading there): a table with more rows
than its sheet can hold continues on sheets `<name>_2`, `<name>_3`, ..., each with the title
lines, a line saying which rows it holds, and the header again.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import duckdb

from fms.outputs import (
    DATE_FORMAT,
    EXCEL_MAX_ROWS,
    FORMULA_TRIGGERS,
    LINE_HEIGHT,
    MONEY_FORMAT,
    atomic_path,
    heading_lines_needed,
    heading_width,
    padded_width,
    rows_above_data,
    sheet_parts,
    shown_width,
)

# Styles in styles.xml (cellXfs), by position.
BOLD, HEADER, MONEY, NUMBER, DAY = 1, 2, 3, 4, 5
EXACT_DECIMAL_LIMIT = "1e13"  # as fms.outputs.EXCEL_EXACT_LIMIT
EXACT_INTEGER_LIMIT = "1e15"
MAX_TEXT = 32767  # Excel's longest cell text
ROWS_PER_CHUNK = 20_000
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")
INTEGER_TYPES += ("UINTEGER", "UBIGINT")

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class TableSheet:
    """One worksheet showing `table` (read through `query_table($table)`: the name is bound,
    never formatted into SQL) in the order of `order_by` (column names of this code)."""

    name: str
    table: str
    order_by: Sequence[str]
    money: frozenset[str] = frozenset()
    title_lines: Sequence[str] = ()
    widths: dict[str, int] = field(default_factory=dict)
    # Columns the table carries only to be ordered by (a listing's position): not written.
    hidden: frozenset[str] = frozenset()


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_xml(expr: str) -> str:
    """SQL turning a text expression into XML element content, as xlsxwriter writes it: XML
    escapes, a literal `_xHHHH_` protected from Excel's unescaping, control characters (not
    allowed in XML) written as Excel's `_xHHHH_` escapes, cut to Excel's 32,767 characters."""
    text = f"left({expr}, {MAX_TEXT})"
    text = f"replace(replace(replace({text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    text = f"regexp_replace({text}, '(_x[0-9a-fA-F]{{4}}_)', '_x005F\\1', 'g')"
    # Each control character but tab and LF becomes _x00HH_ (CR too: XML readers would turn a
    # raw CR into LF).
    control = "'[\\x00-\\x08\\x0B-\\x1F]'"
    return (
        f"CASE WHEN regexp_matches({text}, {control}) THEN array_to_string(list_transform("
        f"string_split_regex({text}, ''), lambda ch: CASE WHEN regexp_matches(ch, {control}) "
        "THEN '_x' || lpad(upper(hex(ord(ch))), 4, '0') || '_' ELSE ch END), '') "
        f"ELSE {text} END"
    )


def _inline_string(ref: str, expr: str, plain: bool = False) -> str:
    """A text cell of `expr`; `plain`: its text is digits, signs, points and dashes (a number or
    a date written as text), which need no escaping (a sheet's query is then about half as long
    and compiles in less than half the time)."""
    return (
        f'\'<c r="\' || {ref} || \'" t="inlineStr"><is><t xml:space="preserve">\' || '
        f"{expr if plain else _text_xml(expr)} || '</t></is></c>'"
    )


def _number(ref: str, expr: str, style: int | None) -> str:
    s = f' s="{style}"' if style else ""
    return f"'<c r=\"' || {ref} || '\"{s}><v>' || CAST({expr} AS VARCHAR) || '</v></c>'"


def _cell_sql(column: str, t: str, letter: str, money: bool) -> str:
    """SQL rendering one cell of `column`, of upper-case type `t` (a NULL is no cell at all,
    as a blank)."""
    v = _quoted(column)
    ref = f"'{letter}' || __fms_row"
    if t.startswith("DECIMAL") or t in INTEGER_TYPES:
        decimal = t.startswith("DECIMAL")
        cell = (
            f"CASE WHEN abs({v}) >= {EXACT_DECIMAL_LIMIT if decimal else EXACT_INTEGER_LIMIT} "
            f"THEN {_inline_string(ref, f'CAST({v} AS VARCHAR)', plain=True)} "
            f"ELSE {_number(ref, v, (MONEY if money else NUMBER) if decimal else None)} END"
        )
    elif t == "BOOLEAN":
        cell = f"'<c r=\"' || {ref} || '\" t=\"b\"><v>' || CAST({v} AS INTEGER) || '</v></c>'"
    elif t == "DATE":
        # Excel's serial day (1900 date system) from 1900-03-01 on; before that its leap-year
        # bug shifts days, so earlier dates are written as text.
        iso = f"strftime({v}, '%Y-%m-%d')"
        cell = (
            f"CASE WHEN {v} >= DATE '1900-03-01' "
            f"THEN {_number(ref, f'({v} - DATE {chr(39)}1899-12-30{chr(39)})', DAY)} "
            f"ELSE {_inline_string(ref, iso, plain=True)} END"
        )
    else:
        cell = _inline_string(ref, f"CAST({v} AS VARCHAR)")
    return f"coalesce({cell}, '')"


def _describe(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(column, upper-case type) of `table`; a float column is refused before anything is
    written."""
    result = con.execute("SELECT * FROM query_table($table) LIMIT 0", {"table": table})
    columns = [(d[0], str(d[1]).upper()) for d in result.description]
    for name, type_name in columns:
        if type_name in ("FLOAT", "DOUBLE", "REAL") or type_name.startswith("FLOAT"):
            raise TypeError(f"{name} is {type_name}: floats are not written to finance outputs")
    return columns


def money_columns(con: duckdb.DuckDBPyConnection, table: str) -> frozenset[str]:
    """The DECIMAL columns of `table`: amounts, shown with the currency format."""
    return frozenset(name for name, t in _describe(con, table) if t.startswith("DECIMAL"))


def _shown(columns: list[tuple[str, str]], hidden: frozenset[str]) -> list[tuple[str, str]]:
    missing = hidden - {name for name, _ in columns}
    if missing:
        raise ValueError(f"hidden columns not in the table: {', '.join(sorted(missing))}")
    return [(name, t) for name, t in columns if name not in hidden]


def _rows_query(columns: list[tuple[str, str]], sheet: TableSheet) -> str:
    """The <row> elements of the table's rows $skip + 1 to $skip + $take in order, numbered from
    worksheet row $first; identifiers from code and the table's own column names (quoted),
    every value bound."""
    cells = " || ".join(
        _cell_sql(name, type_name, column_letter(i), name in sheet.money)
        for i, (name, type_name) in enumerate(columns)
    )
    order = ", ".join(_quoted(c) for c in sheet.order_by)
    return f"""
        WITH numbered AS (
            SELECT *, row_number() OVER (ORDER BY {order}) AS __fms_n
            FROM query_table($table)
        ),
        part AS (
            SELECT *, __fms_n - $skip + $first - 1 AS __fms_row
            FROM numbered
            WHERE __fms_n > $skip AND __fms_n <= $skip + $take
        )
        SELECT '<row r="' || __fms_row || '">' || {cells} || '</row>' AS xml
        FROM part ORDER BY __fms_row
    """


def _static_row(row: int, cells: list[tuple[str, str, int]], lines: int = 1) -> str:
    """A row of text cells (letter, text, style) written from Python (titles, header), `lines`
    lines of text tall."""
    parts = [
        f'<c r="{letter}{row}" t="inlineStr"'
        + (f' s="{style}"' if style else "")
        + f'><is><t xml:space="preserve">{escape(text)}</t></is></c>'
        for letter, text, style in cells
    ]
    height = f' ht="{LINE_HEIGHT * lines}" customHeight="1"' if lines > 1 else ""
    return f'<row r="{row}"{height}>' + "".join(parts) + "</row>"


def _fitted_widths(
    con: duckdb.DuckDBPyConnection, sheet: TableSheet, columns: list[tuple[str, str]]
) -> list[int]:
    """Each column's width as `fms.outputs.fitted_widths` gives it, from one scan of the
    table: the longest line of text (or digits), an amount's largest and smallest as the
    currency format shows them; booleans and dates have one width. As given in
    `sheet.widths` when it is there."""
    selects: list[str] = []
    for name, t in columns:
        v = _quoted(name)
        if t.startswith("DECIMAL") and name in sheet.money:
            selects += [f"max({v})", f"min({v})"]
        elif t not in ("BOOLEAN", "DATE"):
            lines = f"string_split(CAST({v} AS VARCHAR), chr(10))"
            selects.append(f"max(list_max(list_transform({lines}, lambda x: length(x))))")
    found = iter(
        con.execute(
            f"SELECT {', '.join(selects)} FROM query_table($table)", {"table": sheet.table}
        ).fetchall()[0]
        if selects
        else ()
    )
    widths = []
    for name, t in columns:
        if t.startswith("DECIMAL") and name in sheet.money:
            shown = max(shown_width(next(found), money=True), shown_width(next(found), money=True))
        elif t == "BOOLEAN":
            shown = len("FALSE")
        elif t == "DATE":
            shown = len("yyyy-mm-dd")
        else:
            shown = next(found) or 0
        width = padded_width(max(heading_width(name), shown))
        widths.append(sheet.widths.get(name, width))
    return widths


def _width(chars: int) -> float:
    """xlsxwriter's conversion of a width in characters (Calibri 11: 7 px a digit, 5 px pad)."""
    return (int(chars * 7 + 0.5) + 5) / 7


@dataclass(frozen=True)
class _SheetPart:
    name: str
    head: str
    query: str
    params: dict
    tail: str
    filter_ref: str | None


def _sheet_parts(
    con: duckdb.DuckDBPyConnection, sheet: TableSheet, first: bool, max_rows: int
) -> list[_SheetPart]:
    """The worksheets showing `sheet` (one, or as many as its rows need at `max_rows` rows a
    worksheet, each with the title lines, a line naming the rows it holds, and the header):
    the XML around each one's rows and the query rendering them."""
    columns = _shown(_describe(con, sheet.table), sheet.hidden)
    names = [name for name, _ in columns]
    last_col = column_letter(len(columns) - 1)
    widths = _fitted_widths(con, sheet, columns)
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{_width(w):.7g}" customWidth="1"/>'
        for i, w in enumerate(widths)
    )
    header_lines = heading_lines_needed(names, widths)
    query = _rows_query(columns, sheet)
    (rows,) = con.execute(
        "SELECT count(*) FROM query_table($table)", {"table": sheet.table}
    ).fetchall()[0]
    parts = []
    for i, part in enumerate(sheet_parts(sheet.name, len(sheet.title_lines), rows, max_rows)):
        title_lines = (*sheet.title_lines, *part.notes)
        header_row = rows_above_data(len(title_lines))
        last_row = header_row + part.take
        selected = ' tabSelected="1"' if first and i == 0 else ""
        head = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            f'<dimension ref="A1:{last_col}{last_row}"/>'
            f'<sheetViews><sheetView{selected} workbookViewId="0">'
            f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
            f'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
            "<sheetData>"
        )
        head += "".join(
            _static_row(r + 1, [("A", line, BOLD)]) for r, line in enumerate(title_lines)
        )
        head += _static_row(
            header_row,
            [(column_letter(c), n, HEADER) for c, n in enumerate(names)],
            header_lines,
        )
        tail = "</sheetData>"
        if part.take:
            tail += f'<autoFilter ref="A{header_row}:{last_col}{last_row}"/>'
        tail += (
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/></worksheet>'
        )
        params = {"table": sheet.table, "first": header_row + 1}
        parts.append(
            _SheetPart(
                name=part.name,
                head=head,
                query=query,
                params=params | {"skip": part.skip, "take": part.take},
                tail=tail,
                filter_ref=f"$A${header_row}:${last_col}${last_row}" if part.take else None,
            )
        )
    return parts


def write_tables_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheets: Sequence[TableSheet],
    max_rows: int | None = None,
) -> Path:
    """Write a workbook at `path` (atomically), the worksheets of each TableSheet in order (one,
    or more for a table beyond `max_rows` rows a sheet, default EXCEL_MAX_ROWS); return the
    path. Every sheet is described (floats refused) before anything is written."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    max_rows = max_rows or EXCEL_MAX_ROWS
    parts = [
        part
        for i, sheet in enumerate(sheets)
        for part in _sheet_parts(con, sheet, i == 0, max_rows)
    ]
    names = [part.name for part in parts]
    if len(set(names)) != len(names):
        raise ValueError(f"sheet names repeat: {', '.join(names)}")
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in _package_parts([(p.name, p.filter_ref) for p in parts]):
            book.writestr(zipfile.ZipInfo(name, ZIP_TIME), text, zipfile.ZIP_DEFLATED, 6)
        for number, part in enumerate(parts, start=1):
            info = zipfile.ZipInfo(f"xl/worksheets/sheet{number}.xml", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            # fast: the sheets are most of the time; 3.13 names it compress_level
            info._compresslevel = 1
            with book.open(info, "w", force_zip64=True) as xml:
                xml.write(part.head.encode("utf-8"))
                for batch in con.sql(part.query, params=part.params).to_arrow_reader(
                    ROWS_PER_CHUNK
                ):
                    xml.write("".join(batch.column(0).to_pylist()).encode("utf-8"))
                xml.write(part.tail.encode("utf-8"))
    return path


def _package_parts(sheets: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """The workbook's fixed parts for sheets given as (name, autofilter range or None)."""
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    defined = "".join(
        '<definedName name="_xlnm._FilterDatabase" '
        f'localSheetId="{index}" hidden="1">'
        + escape("'" + name.replace("'", "''") + "'!" + filter_ref)
        + "</definedName>"
        for index, (name, filter_ref) in enumerate(sheets)
        if filter_ref
    )
    if defined:
        defined = f"<definedNames>{defined}</definedNames>"
    numbers = range(1, len(sheets) + 1)
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in numbers
    )
    sheet_list = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>'
        for n, (name, _) in zip(numbers, sheets, strict=True)
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in numbers
    )
    return [
        (
            "[Content_Types].xml",
            xml + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheet_types}"
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        ),
        (
            "_rels/.rels",
            xml + f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        ),
        (
            "xl/workbook.xml",
            xml + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            f"<bookViews><workbookView/></bookViews><sheets>{sheet_list}</sheets>"
            f"{defined}</workbook>",
        ),
        (
            "xl/_rels/workbook.xml.rels",
            xml + f'<Relationships xmlns="{PKG_REL_NS}">{sheet_rels}'
            f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL_NS}/styles" '
            'Target="styles.xml"/></Relationships>',
        ),
        ("xl/styles.xml", xml + _styles()),
    ]


def _styles() -> str:
    formats = {164: MONEY_FORMAT, 165: "0.00####", 166: DATE_FORMAT}
    num_fmts = "".join(
        f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>"
        for i, code in formats.items()
    )
    font = '<sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/>'
    xfs = [
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>',
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" '
        'applyFill="1" applyBorder="1" applyAlignment="1"><alignment wrapText="1"/></xf>',
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
        '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
    ]
    thin = '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/>'
    thin += '</right><top style="thin"><color auto="1"/></top><bottom style="thin">'
    thin += '<color auto="1"/></bottom><diagonal/>'
    return (
        f'<styleSheet xmlns="{MAIN_NS}">'
        f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>'
        f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE4EE"/>'
        '<bgColor indexed="64"/></patternFill></fill></fills>'
        '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        f"<border>{thin}</border></borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def write_table_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    order_by: Sequence[str],
    hidden: frozenset[str] = frozenset(),
) -> Path:
    """`table` as CSV at `path` (atomically), written by DuckDB: as fms.outputs.write_csv writes
    it (header; NULL empty; exact decimals; ISO dates; true/false; text a spreadsheet would run
    defused with a leading apostrophe), but for quoting: a field is quoted when it holds a comma,
    a quote, a line break, or is the empty text (to tell it from a NULL)."""
    selects = []
    for name, type_name in _shown(_describe(con, table), hidden):
        v = _quoted(name)
        if type_name == "VARCHAR":
            v = (
                f"CASE WHEN list_contains($triggers, left({v}, 1)) "
                f"THEN chr(39) || {v} ELSE {v} END AS {v}"
            )
        selects.append(v)
    order = ", ".join(_quoted(c) for c in order_by)
    with atomic_path(path) as tmp:
        con.execute(
            f"COPY (SELECT {', '.join(selects)} FROM query_table($table) ORDER BY {order}) "
            "TO $path (FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', NULLSTR '')",
            {"table": table, "path": str(tmp), "triggers": list(FORMULA_TRIGGERS)},
        )
    return path
