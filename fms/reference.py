"""Reference tables kept as configuration in `data/reference/*.csv`, loaded with fixed types.

Each run reloads them, so a rate change is a reviewed edit to a CSV, not a code change.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from fms import settings

# table name -> column types; the CSV header must list exactly these columns.
REFERENCE_TABLES: dict[str, dict[str, str]] = {
    # FMS Administrative Surcharge rate by LOA acceptance date (SAMM C9.4.7, C9.6.1).
    "admin_surcharge_rates": {
        "effective_from": "DATE",
        "rate": "DECIMAL(9,6)",
        "source": "VARCHAR",
    },
    # Annual simple interest rate on arrearages by day (C9.11.8, AECA 22(a)).
    "interest_rates": {
        "effective_from": "DATE",
        "annual_rate": "DECIMAL(9,6)",
        "source": "VARCHAR",
    },
    # When a payment schedule review calls for a revision (SAMM C9.9.3; README.md, "Rules"):
    # some variance above the greater of `minimum` and `case_value_share` of the case value.
    # One row.
    "schedule_review_threshold": {
        "minimum": "DECIMAL(18,2)",
        "case_value_share": "DECIMAL(9,6)",
        "source": "VARCHAR",
    },
    # SAMM Table C9.T17: generic-code patterns reported on the C1 file ('_' = any character).
    "c1_generic_codes": {
        "pattern": "VARCHAR",
        "included": "BOOLEAN",
        "family": "VARCHAR",
        "note": "VARCHAR",
    },
}


def reference_path(name: str, folder: Path | None = None) -> Path:
    return (folder or settings.reference_dir()) / f"{name}.csv"


def load_reference_tables(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> None:
    """(Re)create `ref_<name>` for every reference CSV, typed, in one statement each."""
    for name, columns in REFERENCE_TABLES.items():
        path = reference_path(name, folder)
        if not path.exists():
            raise FileNotFoundError(f"reference table missing: {path}")
        con.execute(
            f"CREATE OR REPLACE TABLE ref_{name} AS "
            "SELECT * FROM read_csv($path, header = true, columns = $columns, quote = '\"')",
            {"path": str(path), "columns": columns},
        )
