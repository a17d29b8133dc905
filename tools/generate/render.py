"""Turn the generator's typed columns into contract text (CSV) and typed Arrow (Parquet).

Columns are held as numpy arrays: day numbers for dates (`NO_DATE` for NULL), integer cents for
money, micro-units for rates, small integers indexing a lookup (case ids, codes, texts; -1 for
NULL). Formatting is vectorised with pyarrow.compute; money never passes through a float.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fms.contract import Entity, Kind

from .catalog import NO_DATE

Table = dict[str, np.ndarray]

# Row ids: prefix + zero-padded sequence number.
ROW_ID_PREFIX = {
    "collection_id": ("COL-", 9),
    "expenditure_id": ("EXP-", 9),
    "delivery_id": ("DLV-", 9),
    "buy_back_id": ("BB-", 6),
}
# Columns holding an index into a named lookup (the rest follow their contract kind).
LOOKUP_COLUMN = {
    "case_id": "case_id",
    "country_code": "country_code",
    "implementing_agency": "ia",
    "case_designator": "designator",
    "generic_code": "generic_code",
    "description": "description",
    "name": "country_name",
    "recipient": "recipient",
    "legal_authority": "legal_authority",
}
_NEEDS_QUOTES = r'[,"\r\n]'


def csv_quoted(values: pa.Array) -> pa.Array:
    """CSV-quote the strings that contain a comma, quote or line break (RFC 4180)."""
    needs = pc.fill_null(pc.match_substring_regex(values, _NEEDS_QUOTES), False)
    doubled = pc.replace_substring(values, '"', '""')
    quoted = pc.binary_join_element_wise('"', doubled, '"', "")
    return pc.if_else(needs, quoted, values)


def quote_field(value: str | None) -> str:
    """One field as CSV text; None is the empty field."""
    if value is None:
        return ""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _pad(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values, pa.int64()).cast(pa.string()), width, "0")


def money_text(cents: np.ndarray) -> pa.Array:
    """Integer cents as text with exactly two decimals (`-1234.05`)."""
    cents = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(cents)
    text = pc.binary_join_element_wise(
        pa.array(magnitude // 100, pa.int64()).cast(pa.string()), _pad(magnitude % 100, 2), "."
    )
    return pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", text, ""), text)


def date_text(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    arr = pa.array(days.astype(np.int32), pa.int32(), mask=days == NO_DATE)
    return arr.cast(pa.date32()).cast(pa.string())


def rate_text(micro: np.ndarray) -> pa.Array:
    """Rate micro-units as a decimal fraction (35000 -> `0.035`); negative means NULL."""
    micro = np.asarray(micro, dtype=np.int64)
    safe = np.maximum(micro, 0)
    frac = pc.utf8_rtrim(_pad(safe % 1_000_000, 6), "0")
    frac = pc.if_else(pc.equal(pc.utf8_length(frac), 0), "0", frac)
    text = pc.binary_join_element_wise(
        pa.array(safe // 1_000_000, pa.int64()).cast(pa.string()), frac, "."
    )
    return pc.if_else(pa.array(micro < 0), pa.scalar(None, pa.string()), text)


def bool_text(values: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(values, dtype=bool)), "true", "false")


def lookup_text(indexes: np.ndarray, table: pa.Array) -> pa.Array:
    indexes = np.asarray(indexes, dtype=np.int64)
    return pc.take(table, pa.array(indexes, pa.int64(), mask=indexes < 0))


def column_text(
    entity: Entity, name: str, values: np.ndarray, lookups: Mapping[str, pa.Array]
) -> pa.Array:
    """One column of `entity` as contract text (NULL where the value is absent)."""
    col = entity.column(name)
    if name in ROW_ID_PREFIX:
        prefix, width = ROW_ID_PREFIX[name]
        return pc.binary_join_element_wise(prefix, _pad(values, width), "")
    if name in LOOKUP_COLUMN:
        return lookup_text(values, lookups[LOOKUP_COLUMN[name]])
    if col.kind is Kind.DATE:
        return date_text(values)
    if col.kind is Kind.MONEY:
        return money_text(values)
    if col.kind is Kind.INTEGER:
        return pa.array(np.asarray(values, dtype=np.int64), pa.int64()).cast(pa.string())
    if col.kind is Kind.BOOLEAN:
        return bool_text(values)
    if col.kind is Kind.CODE:
        return lookup_text(values, pa.array(col.allowed, pa.string()))
    if col.kind is Kind.RATE:
        return rate_text(values)
    raise ValueError(f"no text encoding for {entity.name}.{name}")


def text_columns(entity: Entity, table: Table, lookups: Mapping[str, pa.Array]) -> list[pa.Array]:
    return [column_text(entity, c, table[c], lookups) for c in entity.column_names]


def csv_records(entity: Entity, table: Table, lookups: Mapping[str, pa.Array]) -> pa.Array:
    """Each row as one CSV record ending in `\\n` (`lookups` must hold CSV-quoted texts)."""
    cols = text_columns(entity, table, lookups)
    joined = pc.binary_join_element_wise(*cols, ",", null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise(joined, "\n", "")


def python_rows(
    entity: Entity, table: Table, lookups: Mapping[str, pa.Array]
) -> list[dict[str, str | None]]:
    """Rows as dicts of unquoted text (None for NULL): the templates of injected bad rows."""
    cols = text_columns(entity, table, lookups)
    values = [c.to_pylist() for c in cols]
    names = entity.column_names
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def decimal_array(cents: np.ndarray) -> pa.Array:
    """Integer cents as an exact DECIMAL(18,2) Arrow array (no float on the way)."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)  # two's complement sign extension to 128 bits
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def typed_table(entity: Entity, table: Table, lookups: Mapping[str, pa.Array]) -> pa.Table:
    """The rows typed as the contract says (DATE, DECIMAL(18,2), BIGINT, VARCHAR, ...)."""
    arrays = []
    for col in entity.columns:
        values = table[col.name]
        if col.kind is Kind.DATE:
            days = np.asarray(values, dtype=np.int64)
            arr = pa.array(days.astype(np.int32), pa.int32(), mask=days == NO_DATE)
            arrays.append(arr.cast(pa.date32()))
        elif col.kind is Kind.MONEY:
            arrays.append(decimal_array(values))
        elif col.kind is Kind.INTEGER:
            arrays.append(pa.array(np.asarray(values, dtype=np.int64), pa.int64()))
        elif col.kind is Kind.BOOLEAN:
            arrays.append(pa.array(np.asarray(values, dtype=bool)))
        else:
            arrays.append(column_text(entity, col.name, values, lookups))
    return pa.Table.from_arrays(arrays, names=list(entity.column_names))
