"""SAMM Table C9.T17: which case lines the C1 report carries (C9.13.1.2).

One warehouse holds a line for every code below (each with one item delivered); the C1 table is
built once and every parameter checks its own line.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pytest

from fms.delivery import build_c1_transactions
from fms.reference import reference_path
from tests.delivery.builders import CASE, delivery, fetch_dicts, line
from tests.handbuilt import d, insert, open_warehouse

AS_OF = d("2026-02-28")

# (generic code, unit of issue, line kind, C1 family or None when not reported)
REPORTED = [
    ("A1A", "EA", "MATERIEL", "aircraft"),
    ("A2C", "EA", "MATERIEL", "aircraft"),
    ("A3Z", "EA", "MATERIEL", "aircraft"),
    ("A4B", "EA", "MATERIEL", "aircraft"),
    ("A5F", "EA", "MATERIEL", "aircraft"),
    ("A9B", "EA", "MATERIEL", "aircraft"),
    ("B1A", "EA", "MATERIEL", "missiles"),
    ("B2K", "EA", "MATERIEL", "missiles"),
    ("B3C", "EA", "MATERIEL", "missiles"),
    ("B4D", "EA", "MATERIEL", "missiles"),
    ("C1A", "EA", "MATERIEL", "ships"),
    ("CZ9", "EA", "MATERIEL", "ships"),
    ("D2B", "EA", "MATERIEL", "combat vehicles"),
    ("D9Z", "EA", "MATERIEL", "combat vehicles"),
    ("E3A", "EA", "MATERIEL", "tactical and support vehicles"),
    ("F2A", "EA", "MATERIEL", "weapons"),
    ("F3B", "EA", "MATERIEL", "weapons"),
    ("F4C", "EA", "MATERIEL", "weapons"),
    ("G2A", "EA", "MATERIEL", "ammunition"),
    ("G4B", "EA", "MATERIEL", "ammunition"),
    ("G5A", "EA", "MATERIEL", "ammunition"),
    ("G5N", "EA", "MATERIEL", "ammunition"),
    ("G6A", "EA", "MATERIEL", "ammunition"),
    ("H4A", "EA", "MATERIEL", "communications equipment"),
    # Only missiles need a complete (MATERIEL) line; other families go by code and EA alone.
    ("A1A", "EA", "SERVICES", "aircraft"),
]
NOT_REPORTED = [
    ("G5M", "EA", "MATERIEL"),  # G5_ less M
    ("G5Y", "EA", "MATERIEL"),  # G5_ less Y
    ("B1A", "EA", "SERVICES"),  # not a complete missile line
    ("B2A", "EA", "TRAINING"),
    ("B4Z", "EA", "SCML"),
    ("A1A", "LO", "MATERIEL"),  # unit of issue not EA
    ("D2B", "SE", "MATERIEL"),
    ("H4A", "KT", "MATERIEL"),
    ("A9C", "EA", "MATERIEL"),  # outside the table
    ("A6A", "EA", "MATERIEL"),
    ("A0A", "EA", "MATERIEL"),
    ("B5A", "EA", "MATERIEL"),
    ("E2A", "EA", "MATERIEL"),
    ("E4A", "EA", "MATERIEL"),
    ("F1A", "EA", "MATERIEL"),
    ("F5A", "EA", "MATERIEL"),
    ("G1A", "EA", "MATERIEL"),
    ("G3A", "EA", "MATERIEL"),
    ("G6B", "EA", "MATERIEL"),
    ("H3A", "EA", "MATERIEL"),
    ("H5A", "EA", "MATERIEL"),
    ("R6C", "EA", "SCML"),
    ("S2A", "EA", "SERVICES"),
]
ALL_LINES = [(code, unit, kind) for code, unit, kind, _ in REPORTED] + NOT_REPORTED


def line_number_of(code: str, unit: str, kind: str) -> int:
    return ALL_LINES.index((code, unit, kind)) + 1


@pytest.fixture(scope="module")
def c1(tmp_path_factory) -> dict[int, dict]:
    """The C1 table of one case holding every line above, keyed by line number."""
    con = open_warehouse(tmp_path_factory.mktemp("c1_codes"))
    insert(con, "countries", {"country_code": "UK"})
    insert(con, "cases", {"case_id": CASE, "implementation_date": d("2025-01-15")})
    for n, (code, unit, kind) in enumerate(ALL_LINES, start=1):
        insert(con, "case_lines", line(n, generic_code=code, unit_of_issue=unit, line_kind=kind))
        insert(con, "deliveries", delivery(f"D{n}", n))
    build_c1_transactions(con, AS_OF)
    rows = fetch_dicts(con, "SELECT * FROM c1_transactions")
    con.close()
    return {r["line_number"]: r for r in rows}


@pytest.mark.parametrize(("code", "unit", "kind", "family"), REPORTED)
def test_table_c9_t17_families_are_reported_on_c1(c1, code, unit, kind, family):
    row = c1[line_number_of(code, unit, kind)]
    assert row["generic_code"] == code
    assert row["c1_family"] == family
    assert row["cumulative_quantity"] == 1


@pytest.mark.parametrize(("code", "unit", "kind"), NOT_REPORTED)
def test_codes_outside_table_c9_t17_are_not_reported_on_c1(c1, code, unit, kind):
    assert line_number_of(code, unit, kind) not in c1


def test_g5m_and_g5y_ammunition_is_not_reported_on_c1(c1):
    reported_codes = {r["generic_code"] for r in c1.values()}
    assert {"G5M", "G5Y"}.isdisjoint(reported_codes)
    assert {"G5A", "G5N"} <= reported_codes


def test_c1_reports_exactly_the_qualifying_lines(c1):
    assert set(c1) == {line_number_of(c, u, k) for c, u, k, _ in REPORTED}


def read_generic_codes() -> tuple[list[str], list[dict]]:
    with reference_path("c1_generic_codes").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_c1_generic_code_table_holds_table_c9_t17():
    header, rows = read_generic_codes()
    assert header == ["pattern", "included", "family", "note"]
    included = {r["pattern"] for r in rows if r["included"] == "true"}
    excluded = {r["pattern"] for r in rows if r["included"] == "false"}
    assert included == {
        "A1_", "A2_", "A3_", "A4_", "A5_", "A9B",
        "B1_", "B2_", "B3_", "B4_",
        "C__", "D__", "E3_", "F2_", "F3_", "F4_",
        "G2_", "G4_", "G5_", "G6A", "H4_",
    }  # fmt: skip
    assert excluded == {"G5M", "G5Y"}
    assert len(rows) == len(included) + len(excluded)


def test_c1_generic_code_patterns_use_only_codes_and_one_character_wildcards():
    # '%' or an escape character would change what LIKE matches.
    _, rows = read_generic_codes()
    assert all(re.fullmatch(r"[A-Z0-9_]{3}", r["pattern"]) for r in rows)


def test_complete_missile_line_rule_applies_to_exactly_b1_to_b4():
    # build_c1_transactions.sql asks for line_kind MATERIEL on the 'missiles' family.
    _, rows = read_generic_codes()
    assert {r["pattern"] for r in rows if r["family"] == "missiles"} == {"B1_", "B2_", "B3_", "B4_"}


def test_a_line_delivered_nothing_is_not_reported(tmp_path):
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK"})
    insert(con, "cases", {"case_id": CASE})
    insert(con, "case_lines", line(1, line_value=Decimal("5.00")))
    assert build_c1_transactions(con, AS_OF) == 0
