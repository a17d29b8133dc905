"""Hand-built closure fixtures: one clean case that is ready to close, varied one rule at a time.

The clean case, as of 31 Mar 2026 (accepted 15 Jan 2020: surcharge rate 3.2%):
  line 1 MATERIEL  2 EA  $100,000.00, delivered 2 at actual price $100,000.00 (reported 15 Jun 2025)
  line 2 SERVICES  1     $ 20,000.00, performed by a $20,000.00 SERVICE expenditure (31 May 2025)
  SSC 30 Jun 2025, collections $130,000.00 (10 Jan 2025)
  case value  = 100,000.00 + 20,000.00            = 120,000.00
  performance = 100,000.00 + 20,000.00            = 120,000.00
  surcharge   = round(0.032 x 120,000.00)         =   3,840.00
  final value = 120,000.00 + 3,840.00 + 0 (SCML) = 123,840.00
  excess      = 130,000.00 - 123,840.00           =   6,160.00
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from fms.closure import build_closure_readiness
from fms.contract import ENTITIES
from tests.handbuilt import d, insert

AS_OF = d("2026-03-31")


def clean_case(case_id: str = "XX-D-AAA", **case_overrides) -> dict[str, list[dict]]:
    """Rows of the clean, ready case; edit them to break one rule."""
    return {
        "cases": [
            {
                "case_id": case_id,
                "status": "SUPPLY_SERVICE_COMPLETE",
                "acceptance_date": d("2020-01-15"),
                "implementation_date": d("2020-02-01"),
                "supply_services_complete_date": d("2025-06-30"),
            }
            | case_overrides
        ],
        "case_lines": [
            {
                "case_id": case_id,
                "line_number": 1,
                "description": "F-16C aircraft",
                "ordered_quantity": 2,
                "line_value": Decimal("100000.00"),
            },
            {
                "case_id": case_id,
                "line_number": 2,
                "generic_code": "R5A",
                "description": "Technical assistance",
                "unit_of_issue": "MO",
                "line_kind": "SERVICES",
                "ordered_quantity": 1,
                "line_value": Decimal("20000.00"),
            },
        ],
        "deliveries": [
            {
                "delivery_id": f"{case_id}-D1",
                "case_id": case_id,
                "line_number": 1,
                "shipment_date": d("2025-05-20"),
                "reported_date": d("2025-06-15"),
                "quantity": 2,
                "delivered_value": Decimal("100000.00"),
            }
        ],
        "expenditures": [
            {
                "expenditure_id": f"{case_id}-E1",
                "case_id": case_id,
                "line_number": 2,
                "expenditure_date": d("2025-05-31"),
                "amount": Decimal("20000.00"),
                "category": "SERVICE",
            }
        ],
        "collections": [
            {
                "collection_id": f"{case_id}-C1",
                "case_id": case_id,
                "received_date": d("2025-01-10"),
                "amount": Decimal("130000.00"),
            }
        ],
        "buy_backs": [],
    }


def scml_line(case_id: str, value: str, line_number: int = 3) -> dict:
    return {
        "case_id": case_id,
        "line_number": line_number,
        "generic_code": "R6C",
        "description": "Small case support expenses",
        "unit_of_issue": "LO",
        "line_kind": "SCML",
        "ordered_quantity": 1,
        "line_value": Decimal(value),
    }


def load(con: duckdb.DuckDBPyConnection, *bundles: dict[str, list[dict]]) -> None:
    for entity in ENTITIES:
        rows = [row for bundle in bundles for row in bundle.get(entity.name, [])]
        if rows:
            insert(con, entity.name, *rows)


def readiness(
    con: duckdb.DuckDBPyConnection, as_of=AS_OF, table: str = "main.closure_readiness", **filters
) -> dict[str, dict]:
    """Build closure_readiness and return its rows by case_id, as dicts."""
    build_closure_readiness(con, as_of, table=table, **filters)
    result = con.execute(f"SELECT * FROM {table} ORDER BY case_id")
    columns = [c[0] for c in result.description]
    return dict(_by_case(columns, r) for r in result.fetchall())


def _by_case(columns: list[str], row: tuple) -> tuple[str, dict]:
    record = dict(zip(columns, row, strict=True))
    return record["case_id"], record


def blockers(row: dict) -> list[tuple[str, str, Decimal | None]]:
    """A row's blockers as (code, detail, amount) tuples, in their listed order."""
    return [(b["code"], b["detail"], b["amount"]) for b in row["blockers"]]


def codes(row: dict) -> list[str]:
    return [b["code"] for b in row["blockers"]]
