"""Error and warning messages (which go to the console and to Prefect's logs) say where the
problem is, by file, row number and key, and never carry the amounts or other case data of the
rows: those stay in the warehouse (quarantine, dq_results) and the Data Docs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fms.closure import BLOCKER_CODES
from fms.contract import ENTITIES, Kind
from fms.ingest.batch_files import BatchFileError, read_batch
from fms.ingest.load_batch import batch_already_loaded, load_batch
from fms.marts import build_staged_marts
from fms.quality.gate import DataQualityError, Validator, validate
from fms.quality.suites import load_suites
from fms.warehouse import connect
from tests.handbuilt import insert, open_warehouse
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch

AS_OF = date(2026, 11, 5)
PARAMS = {
    "since_seq": 0,
    "as_of": AS_OF,
    "blocker_codes": list(BLOCKER_CODES),
    "purchaser": None,
    "case_id": None,
    "period_end": date(2026, 9, 30),
}
MONEY_COLUMNS = {c.name for e in ENTITIES for c in e.columns if c.kind == Kind.MONEY}
# Reconciliations compare whole-table totals: a failing one shows its measure and the
# difference in dollars (an aggregate, no case in it), which is what the analyst must find.
RECONCILIATION_SHOWN = {"measure", "difference", "reconciles"}


def _shown_columns(con, suite) -> dict[str, str]:
    """The columns a failing row of the suite is described by (its key and the column judged),
    with their SQL types, from the suite's real audit query."""
    sql = suite.audit_sql()
    result = con.execute(sql, {k: v for k, v in PARAMS.items() if f"${k}" in sql})
    types = {d[0]: str(d[1]) for d in result.description}
    judged = {e["kwargs"].get("column") for e in suite.expectations} - {None}
    return {c: types[c] for c in [*suite.key, *sorted(judged)] if c in types}


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """An empty warehouse with every audited table built (marts and statements in staging)."""
    from fms.billing import (
        build_billing_statements,
        build_delivery_listing,
        build_purchaser_statements,
    )
    from fms.warehouse import create_published_tables

    con = open_warehouse(tmp_path_factory.mktemp("staged"))
    build_staged_marts(con, AS_OF)
    build_billing_statements(con, PARAMS["period_end"])
    build_purchaser_statements(con, PARAMS["period_end"])
    create_published_tables(con)
    build_delivery_listing(con, PARAMS["period_end"])
    build_staged_marts(con, PARAMS["period_end"], ("payment_schedule_review",))
    yield con
    con.close()


@pytest.mark.parametrize("suite", load_suites(), ids=lambda s: s.name)
def test_a_failing_row_is_described_by_its_key_and_the_rule_never_by_an_amount(suite, staged):
    shown = _shown_columns(staged, suite)
    if suite.name.startswith("reconcile_"):
        assert set(shown) <= RECONCILIATION_SHOWN
        return
    assert {c for c, t in shown.items() if t.startswith("DECIMAL")} == set()
    assert set(shown) & MONEY_COLUMNS == set()


@pytest.fixture(scope="module")
def validator():
    return Validator(docs_dir=None)


def test_a_critical_input_failure_names_the_case_and_line_not_the_amount(tmp_path, validator):
    con = open_warehouse(tmp_path)
    # The hand-built rows' batch ("test"), so the input audit sees them as new.
    con.execute("INSERT INTO batches VALUES ('test', 1, '{}', now(), $d)", {"d": AS_OF})
    insert(con, "countries", {"country_code": "UK"})
    insert(con, "cases", {"case_id": "UK-D-AAA"})
    insert(
        con,
        "case_lines",
        {
            "case_id": "UK-D-AAA",
            "line_number": 7,
            "ordered_quantity": 1,
            "line_value": Decimal("-4321.99"),
        },
    )
    suites = [s for s in load_suites("input") if s.name == "input_case_lines"]
    report = validate(con, suites, PARAMS, "run-1", "input", validator)
    message = str(DataQualityError(report))
    assert "suite input_case_lines" in message
    assert "case_id=UK-D-AAA" in message and "line_number=7" in message
    assert "4321" not in message


def test_a_critical_mart_failure_names_the_case_and_line_not_the_amount(tmp_path, validator):
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK"})
    insert(
        con,
        "cases",
        {
            "case_id": "UK-D-AAA",
            "acceptance_date": date(2020, 2, 1),
            "implementation_date": date(2020, 3, 15),
        },
    )
    insert(
        con,
        "case_lines",
        {
            "case_id": "UK-D-AAA",
            "line_number": 3,
            "ordered_quantity": 4,
            "line_value": Decimal("4000000.00"),
        },
    )
    insert(
        con,
        "deliveries",
        {
            "delivery_id": "D1",
            "case_id": "UK-D-AAA",
            "line_number": 3,
            "shipment_date": date(2026, 1, 10),
            "reported_date": date(2026, 1, 20),
            "quantity": 1,
            "delivered_value": Decimal("-7777.77"),
        },
    )
    build_staged_marts(con, AS_OF)
    suites = [s for s in load_suites("mart") if s.name == "mart_delivery_status"]
    report = validate(con, suites, PARAMS, "run-2", "mart", validator)
    message = str(DataQualityError(report))
    assert "case_id=UK-D-AAA" in message and "line_number=3" in message
    assert "7777" not in message and "4000000" not in message
    for warning in report.warnings:  # warnings are logged line by line
        assert "7777" not in warning.describe()


def test_a_batch_changed_after_loading_names_the_batch_and_file_not_their_content(tmp_path):
    landing = tmp_path / "landing"
    folder = write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE],
            "deliveries": [DELIVERY],
        },
    )
    with connect(tmp_path / "w.duckdb") as con:
        load_batch(con, read_batch(folder), AS_OF)
        write_batch(
            landing,
            "20261031-00-history",
            {"deliveries": [DELIVERY | {"delivered_value": "5555.55"}]},
        )
        with pytest.raises(BatchFileError) as changed:
            batch_already_loaded(con, read_batch(folder))
    message = str(changed.value)
    assert "20261031-00-history" in message and "deliveries.csv (content changed)" in message
    assert "5555.55" not in message and "UK-D-AAA" not in message


def test_a_file_without_its_header_row_is_refused_without_quoting_its_first_record(tmp_path):
    folder = write_batch(tmp_path / "landing", "20261031-00-history", {"deliveries": [DELIVERY]})
    path = folder / "deliveries.csv"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))  # data only
    with pytest.raises(BatchFileError) as refused:
        read_batch(folder)
    message = str(refused.value)
    assert "deliveries.csv" in message
    assert "1000000.00" not in message and "UK-D-AAA" not in message
