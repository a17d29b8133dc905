"""Parquet columns whose type cannot carry the contract's value exactly.

Amounts are exact decimals (data contract, "Inputs: batches"): in Parquet an amount column is
DECIMAL with scale <= 2, an integer or text. A binary float holds most cents only nearly
(1234567.89 as FLOAT is 1234567.875) and DuckDB prints it rounded to the digits that read back
(1234567.9), so its text is no evidence of what the sender meant. Such a column is never loaded:
every row of its file is quarantined with the column's type as the reason, and the rest of the
batch loads. Quantities and rates given as binary floats are refused the same way (1.5 must not
become 2), and so is an amount column with more than 2 decimals, even when they are zeros, as a
CSV amount `12.340` is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from fms.contract import Entity, Kind

BINARY_FLOATS = frozenset({"FLOAT", "DOUBLE"})  # DuckDB's names; a Parquet FLOAT16 reads as FLOAT
DECIMAL_TYPE = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
MONEY_SCALE = 2
REFUSALS = {
    Kind.MONEY: ("BAD_AMOUNT", "send DECIMAL(18,2), an integer or text"),
    Kind.INTEGER: ("BAD_NUMBER", "send an integer or text"),
    Kind.RATE: ("BAD_RATE", "send a DECIMAL or text"),
}


class RefusedColumn(NamedTuple):
    """A column none of whose values loads: each row is quarantined `code` with `detail`."""

    code: str
    detail: str


def refused_columns(entity: Entity, column_types: Mapping[str, str]) -> dict[str, RefusedColumn]:
    """The columns of `entity` whose type (as DuckDB reads the file: `DOUBLE`,
    `DECIMAL(20,4)`) cannot carry their values exactly."""
    refused = {}
    for col in entity.columns:
        if col.kind not in REFUSALS or col.name not in column_types:
            continue
        given = column_types[col.name]
        decimal = DECIMAL_TYPE.match(given)
        if given in BINARY_FLOATS:
            why = "a binary float column, which cannot hold every decimal value exactly"
        elif col.kind is Kind.MONEY and decimal and int(decimal.group(2)) > MONEY_SCALE:
            why = f"a column of {decimal.group(2)} decimals, amounts have {MONEY_SCALE}"
        else:
            continue
        code, what_to_send = REFUSALS[col.kind]
        refused[col.name] = RefusedColumn(
            code,
            f"{col.name} is {given} in this Parquet file: {why}; nothing of the column is "
            f"loaded, {what_to_send}",
        )
    return refused
