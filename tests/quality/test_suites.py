"""Every suite fails, naming the right expectation, on a table crafted to break one rule, and
passes on a clean hand-built warehouse. Real GX runs on real DuckDB files."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas
import pytest

from fms.billing import (
    build_billing_statements,
    build_delivery_listing,
    build_purchaser_statements,
)
from fms.closure import BLOCKER_CODES
from fms.contract import ENTITY_BY_NAME, REASONS
from fms.marts import build_staged_marts
from fms.quality.gate import DataQualityError, Validator, audit_frame, frame_of, validate
from fms.quality.suites import Rule, load_suites
from fms.sqlfiles import read_sql
from fms.warehouse import create_published_tables
from tests.handbuilt import d, insert, open_warehouse

SUITES = {s.name: s for s in load_suites()}
AS_OF = date(2026, 11, 1)
QUARTER_END = date(2026, 9, 30)
PARAMS = {"since_seq": 0, "blocker_codes": list(BLOCKER_CODES), "purchaser": None, "case_id": None}


def params_for(suite_name: str) -> dict:
    billing = suite_name.endswith(
        (
            "billing_statements",
            "purchaser_statements",
            "delivery_listing",
            "payment_schedule_review",
        )
    )
    return PARAMS | {"as_of": QUARTER_END if billing else AS_OF}


@pytest.fixture(scope="module")
def validator():
    return Validator(docs_dir=None)


@pytest.fixture(scope="module")
def clean_template(tmp_path_factory) -> Path:
    """The clean warehouse, built once; each test gets its own copy of the file (`con`)."""
    folder = tmp_path_factory.mktemp("clean-warehouse")
    clean_warehouse(folder).close()
    return folder / "test.duckdb"


@pytest.fixture
def con(clean_template, tmp_path) -> duckdb.DuckDBPyConnection:
    copy = tmp_path / clean_template.name
    shutil.copyfile(clean_template, copy)
    with duckdb.connect(str(copy)) as con:
        yield con


def clean_warehouse(tmp_path):
    con = open_warehouse(tmp_path)
    con.execute(
        "INSERT INTO batches VALUES ('test', 1, '{}', TIMESTAMP '2026-11-01 00:00:00', "
        "DATE '2026-11-01')"
    )
    insert(con, "countries", {"country_code": "UK"})
    insert(
        con,
        "cases",
        {
            "case_id": "UK-D-AAA",
            "acceptance_date": d("2020-02-01"),
            "offer_expiration_date": d("2020-03-01"),
            "implementation_date": d("2020-03-15"),
        },
    )
    insert(
        con,
        "case_lines",
        {
            "case_id": "UK-D-AAA",
            "line_number": 1,
            "ordered_quantity": 2,
            "line_value": Decimal("2000.00"),
        },
    )
    insert(
        con,
        "deliveries",
        {
            "delivery_id": "D1",
            "case_id": "UK-D-AAA",
            "shipment_date": d("2026-01-01"),
            "reported_date": d("2026-01-05"),
            "quantity": 1,
            "delivered_value": Decimal("1000.00"),
        },
    )
    insert(
        con,
        "payment_schedules",
        {"case_id": "UK-D-AAA", "due_date": d("2026-03-15"), "amount": Decimal("500.00")},
    )
    insert(
        con,
        "collections",
        {
            "collection_id": "K1",
            "case_id": "UK-D-AAA",
            "received_date": d("2026-03-01"),
            "amount": Decimal("500.00"),
        },
    )
    insert(
        con,
        "expenditures",
        {
            "expenditure_id": "E1",
            "case_id": "UK-D-AAA",
            "expenditure_date": d("2026-02-01"),
            "amount": Decimal("-10.00"),
            "category": "LIQUIDATION",
        },
    )
    insert(
        con,
        "requirements_forecasts",
        {
            "case_id": "UK-D-AAA",
            "quarter_start": d("2027-01-01"),
            "forecast_amount": Decimal("100.00"),
        },
    )
    insert(
        con,
        "buy_backs",
        {
            "buy_back_id": "BB1",
            "case_id": "UK-D-AAA",
            "line_number": 1,
            "quantity": 1,
            "contract_executed_date": d("2026-05-01"),
            "reconciled": True,
        },
    )
    con.execute(
        "INSERT INTO load_log VALUES ('test', 'deliveries', 'deliveries.csv', 'x', 1, 1, 0, "
        "'delivered_value', 1000.00, 1000.00, 0, 0, TIMESTAMP '2026-11-01 00:00:00')"
    )
    build_staged_marts(con, AS_OF)
    build_billing_statements(con, QUARTER_END)
    build_purchaser_statements(con, QUARTER_END)
    create_published_tables(con)
    build_delivery_listing(con, QUARTER_END)
    build_staged_marts(con, QUARTER_END, ("payment_schedule_review",))
    return con


def failing_rules(con, suite_name, validator) -> list[str]:
    params = params_for(suite_name)
    report = validate(con, [SUITES[suite_name]], params, "test-run", "test", validator)
    return [o.rule for o in report.outcomes if not o.success]


def test_every_input_entity_and_published_table_has_a_suite():
    inputs = {f"input_{e}" for e in ENTITY_BY_NAME}
    marts = {
        "mart_delivery_status",
        "mart_c1_transactions",
        "mart_closure_readiness",
        "mart_buy_back_register",
        "mart_undelivered_report",
        "load_log",
        "quarantine",
        "mart_billing_statements",
        "mart_purchaser_statements",
        "reconcile_delivery_status",
        "reconcile_closure_readiness",
        "reconcile_billing_statements",
        "mart_delivery_listing",
        "mart_payment_schedule_review",
        "reconcile_payment_schedule_review",
    }
    assert inputs | marts <= set(SUITES)


def test_allowed_code_lists_in_the_suites_are_the_contracts():
    for entity in ENTITY_BY_NAME.values():
        suite = SUITES[f"input_{entity.name}"]
        for col in entity.columns:
            if col.allowed:
                sets = [
                    e["kwargs"]["value_set"]
                    for e in suite.expectations
                    if e["kwargs"].get("column") == col.name and "value_set" in e["kwargs"]
                ]
                assert sets == [list(col.allowed)], (suite.name, col.name)
    reasons = [
        e for e in SUITES["quarantine"].expectations if e["kwargs"].get("column") == "reason_code"
    ]
    assert reasons[0]["kwargs"]["value_set"] == list(REASONS)


def test_each_rule_is_said_once_in_its_suite_file(con):
    """A checked rule's column is computed from the suite file's check, never by the dataset, and
    no expectation asserts a boolean the dataset computed."""
    for suite in SUITES.values():
        sql = read_sql(suite.dataset)
        code = re.sub(r"--.*", "", sql)
        params = {k: v for k, v in params_for(suite.name).items() if f"${k}" in code}
        dataset_columns = set(con.sql(sql, params=params).columns)
        checked = {r.column for r in suite.rules if r.check}
        assert not checked & dataset_columns, suite.name
        asserted = [r.kwargs.get("value_set", [None])[0] for r in suite.rules if r.kwargs]
        assert not any(v is True for v in asserted), suite.name


def test_every_suite_passes_on_a_clean_warehouse(con, validator):
    for name in SUITES:
        assert failing_rules(con, name, validator) == [], name


FITS = (
    "every amount fits the published DECIMAL(18,2): under 10^16 dollars "
    "(amounts_too_large names the figures that do not)"
)

# (suite, SQL that breaks exactly one rule, the rule that must fail, its severity)
BREAKS = [
    (
        "input_countries",
        "UPDATE countries SET country_code = 'uk1'",
        "country_code has its required form",
    ),
    (
        "input_cases",
        "UPDATE cases SET case_designator = 'AAB'",
        "case_id agrees with country_code, implementing_agency and case_designator",
    ),
    ("input_cases", "UPDATE cases SET status = 'OPEN'", "status is an allowed code"),
    (
        "input_cases",
        "UPDATE cases SET implementation_date = DATE '2019-01-01'",
        "acceptance date on or before implementation date",
    ),
    (
        "input_cases",
        "UPDATE cases SET admin_surcharge_rate = 1.5",
        "a case's own surcharge rate is a fraction 0 <= r < 1",
    ),
    (
        "input_case_lines",
        "UPDATE deliveries SET quantity = 3",
        "delivered quantity not above ordered quantity (closure blocker OVER_DELIVERED)",
    ),
    ("input_case_lines", "UPDATE case_lines SET line_value = -1", "line_value is zero or more"),
    (
        "input_case_lines",
        "UPDATE case_lines SET source_of_supply = 'Q'",
        "source_of_supply is an allowed code",
    ),
    (
        "input_payment_schedules",
        "UPDATE payment_schedules SET due_date = DATE '2026-03-14'",
        "due on 15 Mar/Jun/Sep/Dec (C9.9.1.4) unless an initial deposit",
    ),
    (
        "input_payment_schedules",
        "UPDATE payment_schedules SET case_id = 'UK-D-ZZZ'",
        "the schedule's case exists",
    ),
    (
        "input_collections",
        "UPDATE collections SET country_code = 'AS'",
        "a collection to a case is from that case's purchaser",
    ),
    (
        "input_expenditures",
        "UPDATE expenditures SET line_number = 9",
        "the expenditure's case line exists",
    ),
    (
        "input_deliveries",
        "UPDATE deliveries SET shipment_date = DATE '2026-02-01'",
        "shipment date on or before the reported date",
    ),
    (
        "input_deliveries",
        "UPDATE deliveries SET delivered_value = -1",
        "delivered_value is zero or more",
    ),
    # Current tables have no primary-key index (one row per key holds by how they are
    # loaded), so the input gate is what catches a second row of a key.
    (
        "input_deliveries",
        "INSERT INTO deliveries SELECT * FROM deliveries",
        "key is unique across the current table",
    ),
    (
        "input_expenditures",
        "INSERT INTO expenditures SELECT * FROM expenditures",
        "key is unique across the current table",
    ),
    (
        "input_cases",
        "INSERT INTO cases SELECT * FROM cases",
        "key is unique across the current table",
    ),
    (
        "input_deliveries",
        "UPDATE deliveries SET delivery_id = NULL",
        "delivery_id is given",
    ),
    (
        "mart_delivery_status",
        "INSERT INTO staging.delivery_status SELECT * FROM staging.delivery_status",
        "one row per key",
    ),
    (
        "input_requirements_forecasts",
        "UPDATE requirements_forecasts SET quarter_start = DATE '2027-02-01'",
        "quarter_start is the first day of a calendar quarter",
    ),
    (
        "input_buy_backs",
        "UPDATE buy_backs SET recipient = 'Navy'",
        "recipient is DOD or a country code",
    ),
    (
        "input_buy_backs",
        "UPDATE buy_backs SET contract_executed_date = NULL",
        "a reconciled buy back has an executed contract",
    ),
    (
        "mart_delivery_status",
        "UPDATE staging.delivery_status SET undelivered_value = -5",
        "undelivered_value is zero or more",
    ),
    (
        "mart_delivery_status",
        "UPDATE staging.delivery_status SET estimated_over_90_days = true",
        "no estimated price older than 90 days (C9.13.2)",
    ),
    (
        "mart_c1_transactions",
        "UPDATE staging.c1_transactions SET record = record || ' '",
        "record is exactly 80 characters",
    ),
    (
        "mart_c1_transactions",
        "UPDATE staging.c1_transactions SET quantity_overflow = true, record = NULL, "
        "cumulative_quantity = 1000000",
        "cumulative quantity fits the record: at most 999,999",
    ),
    (
        "mart_closure_readiness",
        "UPDATE staging.closure_readiness SET blockers = [{'code': 'MYSTERY', 'detail': 'x', "
        "'amount': 1.00}], ready = false",
        "blocker codes are the known ones",
    ),
    (
        "mart_closure_readiness",
        "UPDATE staging.closure_readiness SET excess_funds = -1",
        "excess_funds is zero or more",
    ),
    (
        "mart_buy_back_register",
        "UPDATE staging.buy_back_register SET open = true",
        "open exactly when not executed by the as-of date or not reconciled",
    ),
    (
        "mart_undelivered_report",
        "UPDATE staging.undelivered_report SET undelivered_value = -1",
        "undelivered value is zero or more",
    ),
    # A figure of 10^16 dollars or more is NULL in the mart (published_amount): never published.
    ("mart_delivery_status", "UPDATE staging.delivery_status SET delivered_value = NULL", FITS),
    (
        "mart_undelivered_report",
        "UPDATE staging.undelivered_report SET undelivered_value = NULL",
        FITS,
    ),
    ("mart_closure_readiness", "UPDATE staging.closure_readiness SET final_value = NULL", FITS),
    (
        "mart_closure_readiness",
        "UPDATE staging.closure_readiness SET ready = false, blockers = "
        "[{'code': 'UNDERCOLLECTED', 'detail': 'x', 'amount': NULL}]",
        FITS,
    ),
    ("mart_billing_statements", "UPDATE staging.billing_statements SET interest = NULL", FITS),
    (
        "mart_purchaser_statements",
        "UPDATE staging.purchaser_statements SET holding_account_balance = NULL",
        FITS,
    ),
    # Judged as of the run's date: a contract executed after it leaves the buy back open.
    (
        "mart_buy_back_register",
        "UPDATE staging.buy_back_register SET contract_executed_date = DATE '2026-11-02'",
        "open exactly when not executed by the as-of date or not reconciled",
    ),
    (
        "mart_billing_statements",
        "UPDATE staging.billing_statements SET amount_due = -1",
        "amount due (column 14) is never negative",
    ),
    (
        "mart_billing_statements",
        "UPDATE staging.billing_statements SET statement_date = DATE '2026-10-14'",
        "statement dated the 15th after the quarter end (Table C9.T16)",
    ),
    (
        "mart_purchaser_statements",
        "UPDATE staging.purchaser_statements SET interest = interest + 0.01",
        "interest sums the case rows",
    ),
    (
        "reconcile_delivery_status",
        "UPDATE staging.delivery_status SET delivered_value = delivered_value + 0.01",
        "the mart equals what was loaded, to the cent",
    ),
    (
        "reconcile_closure_readiness",
        "UPDATE staging.closure_readiness SET collections = collections - 0.01",
        "the mart equals what was loaded, to the cent",
    ),
    (
        "reconcile_billing_statements",
        "UPDATE staging.billing_statements SET collections_cumulative = 0",
        "the mart equals what was loaded, to the cent",
    ),
    (
        "mart_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET variance = variance + 0.01",
        "variance = scheduled - requirement",
    ),
    (
        "mart_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET direction = 'SHORT'",
        "SHORT or AHEAD exactly when the variance passes the threshold, by its sign",
    ),
    (
        "mart_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET revised_quarterly = 0, "
        "revised_cumulative = collections_received",
        "a revised schedule exactly for the cases needing one",
    ),
    (
        "mart_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET revision_needed = true, revised_quarterly = "
        "0, revised_cumulative = collections_received - 0.01 WHERE payment_number = 1",
        "the revised cumulative is never below what was received",
    ),
    (
        "mart_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET revision_needed = true, "
        "revised_cumulative = CASE payment_number WHEN 1 THEN estimated_total_cost + 1 "
        "ELSE estimated_total_cost END, revised_quarterly = 0",
        "the revised cumulative never decreases, and each quarterly is its step",
    ),
    (
        "mart_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET revision_needed = true, "
        "revised_cumulative = collections_received, revised_quarterly = 0",
        "the last revised cumulative is the estimated total cost, or the revised cumulative "
        "before it where requirements already exceed that",
    ),
    (
        "mart_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET requirement_cumulative = "
        "estimated_total_cost + 1 WHERE payment_number = 1",
        "forecast requirements within the estimated total cost (above it the case needs an "
        "amendment)",
    ),
    (
        "reconcile_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET requirement_cumulative = "
        "requirement_cumulative + 0.01 WHERE payment_number = 1",
        "the review equals what was loaded and what the billing computed, to the cent",
    ),
    (
        "reconcile_payment_schedule_review",
        "UPDATE staging.payment_schedule_review SET collections_received = 0",
        "the review equals what was loaded and what the billing computed, to the cent",
    ),
    (
        "load_log",
        "UPDATE load_log SET amount_loaded = 999.99, amount_quarantined = 0.01",
        "dollars loaded = dollars history holds from the file",
    ),
    (
        "quarantine",
        "INSERT INTO quarantine VALUES ('test', 'cases', 'cases.csv', 9, '{}', 'WHATEVER', 'x', "
        "NULL, false)",
        "reason_code is an allowed code",
    ),
]


@pytest.mark.parametrize(
    ("suite", "sql", "rule"), BREAKS, ids=[f"{b[0]}:{b[2][:40]}" for b in BREAKS]
)
def test_a_suite_fails_on_a_crafted_bad_table_naming_the_expectation(
    con, validator, suite, sql, rule
):
    con.execute(sql)
    assert rule in failing_rules(con, suite, validator)


def test_a_critical_failure_message_names_suite_expectation_count_and_rows(con, validator):
    con.execute("UPDATE deliveries SET shipment_date = DATE '2026-02-01'")
    report = validate(con, [SUITES["input_deliveries"]], params_for("x"), "r", "input", validator)
    message = str(DataQualityError(report))
    assert "suite input_deliveries" in message
    assert "shipment date on or before the reported date" in message
    assert "1 of 1 rows fail" in message and "delivery_id=D1" in message


def test_results_are_recorded_in_dq_results(con, validator):
    validate(con, [SUITES["input_cases"]], params_for("x"), "run-1", "input", validator)
    rows = con.execute(
        "SELECT run_id, suite, severity, success FROM dq_results WHERE expectation = $e",
        {"e": "case_id agrees with country_code, implementing_agency and case_designator"},
    ).fetchall()
    assert rows == [("run-1", "input_cases", "critical", True)]


def test_a_key_repeated_by_an_earlier_batch_fails_the_audit_of_the_new_rows(con, validator):
    con.execute(
        "INSERT INTO batches VALUES ('later', 2, '{}', TIMESTAMP '2026-11-02 00:00:00', "
        "DATE '2026-11-02')"
    )
    con.execute(
        "INSERT INTO deliveries SELECT * REPLACE ('later' AS loaded_in_batch) FROM deliveries"
    )
    report = validate(con, [SUITES["input_deliveries"]], {"since_seq": 1}, "r", "input", validator)
    (failed,) = [o for o in report.outcomes if not o.success]
    assert failed.rule == "key is unique across the current table"
    assert (failed.unexpected_count, failed.element_count) == (1, 1)  # only the new row audited


def test_great_expectations_does_not_hash_whole_audit_frames(validator):
    """GX's pandas_data_fingerprint hashes every cell of a frame: off for the gate."""
    suite = SUITES["input_countries"]
    frame = pandas.DataFrame(
        {
            "country_code": ["UK"],
            "name": ["United Kingdom"],
            "has_special_billing_arrangement": [False],
            "key_count_in_batch": [1],
            "key_count": [1],
        }
    )
    result = validator._definition(suite).run(batch_parameters={"dataframe": frame})
    assert result.success
    assert "pandas_data_fingerprint" not in result.meta["batch_markers"]


def test_audit_frames_hold_only_the_columns_the_suite_reads(con):
    suite = SUITES["input_deliveries"]
    frame = audit_frame(con, suite, params_for("x"))
    assert set(frame.columns) == suite.columns_used()
    assert {"delivery_id", "shipped_before_reported"} <= set(frame.columns)
    assert "shipment_date" not in frame.columns  # computed into a check, not judged itself
    # A suite that judges the whole set of columns keeps every column.
    exact = Rule(
        "exact columns",
        "critical",
        "expect_table_columns_to_match_set",
        {"column_set": ["delivery_id"], "exact_match": True},
    )
    whole = replace(suite, rules=(exact,))
    assert whole.columns_used() is None
    assert "shipment_date" in audit_frame(con, whole, params_for("x")).columns


def test_audit_frames_are_the_frames_duckdb_df_gives():
    """Built through Arrow for speed, the frame GX judges is the one `.df()` gives: same
    dtypes, same values, NULLs included, for every column type an audit query returns."""
    con = duckdb.connect()
    con.execute(
        """
        CREATE TABLE a AS SELECT * FROM (VALUES
            ('X-1', 1, true, 12.50::DECIMAL(18,2), DATE '2026-01-02', 1.5::DOUBLE, 7),
            (NULL, NULL, NULL, NULL, NULL, NULL, 8),
            ('', -3, false, -0.01::DECIMAL(18,2), DATE '0001-01-01', NULL, 9)
        ) v(text, number, flag, amount, day, ratio, count_without_nulls)
        ORDER BY count_without_nulls
        """
    )
    pandas.testing.assert_frame_equal(
        frame_of(con.sql("SELECT * FROM a")), con.sql("SELECT * FROM a").df(), check_exact=True
    )
    # A type not handled here goes through .df() itself.
    lists = con.sql("SELECT [1, 2] AS l, 'x' AS t")
    pandas.testing.assert_frame_equal(frame_of(lists), lists.df())
    assert len(frame_of(con.sql("SELECT * FROM a WHERE false"))) == 0
