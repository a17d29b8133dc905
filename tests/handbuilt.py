"""Hand-built warehouses for rule tests: a real DuckDB file holding a few typed rows.

Rows go straight into the current and history tables (bypassing the file ingest), so a test
states exactly the case it is about. Omitted contract columns get neutral defaults.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from fms.contract import ENTITY_BY_NAME
from fms.warehouse import create_schema, refresh_rules

DEFAULTS: dict[str, dict[str, object]] = {
    "countries": {"name": "Testland", "has_special_billing_arrangement": False},
    "cases": {
        "status": "IMPLEMENTED",
        "terms_of_sale": "CASH_PRIOR_TO_DELIVERY",
        "admin_surcharge_waived": False,
        "sblc_in_place": False,
    },
    "case_lines": {
        "generic_code": "A1A",
        "unit_of_issue": "EA",
        "source_of_supply": "S",
        "line_kind": "MATERIEL",
    },
    "payment_schedules": {"is_initial_deposit": False},
    "collections": {"funding_source": "NATIONAL"},
    "expenditures": {"line_number": 1, "category": "OTHER"},
    "deliveries": {"line_number": 1, "price_code": "A"},
    "requirements_forecasts": {"termination_liability": Decimal("0.00")},
    "buy_backs": {"recipient": "DOD", "legal_authority": "10 U.S.C. 2341", "reconciled": False},
}


def open_warehouse(tmp_path: Path, name: str = "test.duckdb") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / name))
    create_schema(con)
    refresh_rules(con)
    return con


def insert(con: duckdb.DuckDBPyConnection, entity_name: str, *rows: dict) -> None:
    """Insert rows (dicts of contract columns) as current rows with their history version."""
    entity = ENTITY_BY_NAME[entity_name]
    for i, given in enumerate(rows, start=1):
        row = dict(DEFAULTS.get(entity_name, {}))
        if entity_name == "cases":
            cc, ia, des = given["case_id"].split("-")
            row |= {"country_code": cc, "implementing_agency": ia, "case_designator": des}
        if entity_name == "collections" and "country_code" not in given and given.get("case_id"):
            row["country_code"] = given["case_id"][:2]
        row |= given
        values = [row.get(c) for c in entity.column_names]
        values += ["test", 1, f"{entity_name}.csv", i, "test"]
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO {entity_name}_history VALUES ({marks})", values)
        # The current tables have no key constraint (one row per key is the load's job).
        match = " AND ".join(f'"{k}" = ?' for k in entity.key)
        con.execute(f"DELETE FROM {entity_name} WHERE {match}", [row.get(k) for k in entity.key])
        con.execute(f"INSERT INTO {entity_name} VALUES ({marks})", values)


def d(text: str) -> date:
    return date.fromisoformat(text)
