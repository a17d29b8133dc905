"""The input contract (README.md, "How data is loaded") as data.

One place names every entity, its key, its columns with their types and allowed values, what it
refers to, and which of its amounts may be negative. The ingest builds its typing and checking
SQL from this spec, the generator writes files that follow it, and the tests read it back.
Identifiers here are constants of the code, never taken from input files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Kind(StrEnum):
    """How a column is parsed from text (CSV) into its DuckDB type."""

    TEXT = "text"  # VARCHAR, any content up to MAX_TEXT_LENGTH
    CODE = "code"  # VARCHAR from a closed list of allowed values
    PATTERN = "pattern"  # VARCHAR matching a regular expression (ids)
    DATE = "date"  # DATE, ISO YYYY-MM-DD, a real calendar day
    MONEY = "money"  # DECIMAL(18,2), at most two decimals
    RATE = "rate"  # DECIMAL(9,6) fraction, 0 <= r < 1
    INTEGER = "integer"  # BIGINT
    BOOLEAN = "boolean"  # true/false, 1/0, Y/N, any case


SQL_TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.CODE: "VARCHAR",
    Kind.PATTERN: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.MONEY: "DECIMAL(18,2)",
    Kind.RATE: "DECIMAL(9,6)",
    Kind.INTEGER: "BIGINT",
    Kind.BOOLEAN: "BOOLEAN",
}

MAX_TEXT_LENGTH = 1000

# A batch folder is complete, and may load, once it holds this file (the Hadoop/Spark
# convention): written by the sender after every data file, empty or listing the files.
BATCH_COMPLETE_MARKER = "_SUCCESS"

COUNTRY_CODE_PATTERN = r"^[A-Z0-9]{2}$"
IA_PATTERN = r"^[A-Z]$"
DESIGNATOR_PATTERN = r"^[A-Z0-9]{3}$"
CASE_ID_PATTERN = r"^[A-Z0-9]{2}-[A-Z]-[A-Z0-9]{3}$"
GENERIC_CODE_PATTERN = r"^[A-Z0-9]{3}$"
ROW_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$"

CASE_STATUSES = (
    "DEVELOPMENT",
    "OFFERED",
    "IMPLEMENTED",
    "SUPPLY_SERVICE_COMPLETE",
    "CLOSED",
    "CANCELLED",
)
TERMS_OF_SALE = (
    "CASH_WITH_ACCEPTANCE",
    "CASH_PRIOR_TO_DELIVERY",
    "DEPENDABLE_UNDERTAKING",
    "PAYMENT_ON_DELIVERY",
    "FMS_CREDIT",
    "FMS_CREDIT_NONREPAYABLE",
    "MAP_MERGER",
    "EDA_GRANT",
)
SOURCES_OF_SUPPLY = ("S", "P", "X")
LINE_KINDS = ("MATERIEL", "SERVICES", "TRAINING", "SCML")
FUNDING_SOURCES = ("NATIONAL", "FMF", "MAP_MERGER", "OTHER")
EXPENDITURE_CATEGORIES = (
    "PROGRESS_PAYMENT",
    "HOLDBACK",
    "GFM",
    "NONRECURRING",
    "SERVICE",
    "LIQUIDATION",
    "OTHER",
)
PRICE_CODES = ("A", "E")
UNITS_OF_ISSUE = ("EA", "LO", "SE", "MO", "HR", "PG", "KT", "LT")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True
    allowed: tuple[str, ...] = ()
    pattern: str = ""
    # Money and quantities are zero or more unless the domain allows a negative
    # (README.md, "Rules").
    may_be_negative: bool = False
    # An event date that cannot lie after the day the batch is loaded.
    event_date: bool = False
    min_value: int | None = None
    max_value: int | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Reference:
    """A foreign key: `columns` of this entity must match `target_columns` of `target`."""

    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    reason_code: str


@dataclass(frozen=True)
class DateOrder:
    """`earlier` must not fall after `later` when both are given."""

    earlier: str
    later: str


@dataclass(frozen=True)
class Entity:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    date_orders: tuple[DateOrder, ...] = ()
    # The amount whose control totals `load_log` carries (None: not a money entity).
    control_amount: str | None = None
    extra_checks: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# Columns several entities share.
CASE_ID = Column("case_id", Kind.PATTERN, pattern=CASE_ID_PATTERN)
COUNTRY_CODE = Column("country_code", Kind.PATTERN, pattern=COUNTRY_CODE_PATTERN)
LINE_NUMBER = Column("line_number", Kind.INTEGER, min_value=1, max_value=999)

CASE_REF = Reference(("case_id",), "cases", ("case_id",), "UNKNOWN_CASE")
LINE_REF = Reference(
    ("case_id", "line_number"), "case_lines", ("case_id", "line_number"), "UNKNOWN_LINE"
)
COUNTRY_REF = Reference(("country_code",), "countries", ("country_code",), "UNKNOWN_COUNTRY")

COUNTRIES = Entity(
    "countries",
    key=("country_code",),
    columns=(
        COUNTRY_CODE,
        Column("name", Kind.TEXT),
        Column("has_special_billing_arrangement", Kind.BOOLEAN),
    ),
)

CASES = Entity(
    "cases",
    key=("case_id",),
    columns=(
        CASE_ID,
        COUNTRY_CODE,
        Column("implementing_agency", Kind.PATTERN, pattern=IA_PATTERN),
        Column("case_designator", Kind.PATTERN, pattern=DESIGNATOR_PATTERN),
        Column("status", Kind.CODE, allowed=CASE_STATUSES),
        Column("offer_expiration_date", Kind.DATE, required=False),
        Column("acceptance_date", Kind.DATE, required=False, event_date=True),
        Column("implementation_date", Kind.DATE, required=False, event_date=True),
        Column("terms_of_sale", Kind.CODE, allowed=TERMS_OF_SALE),
        Column("admin_surcharge_rate", Kind.RATE, required=False),
        Column("admin_surcharge_waived", Kind.BOOLEAN),
        Column("sblc_in_place", Kind.BOOLEAN),
        Column("supply_services_complete_date", Kind.DATE, required=False, event_date=True),
    ),
    references=(COUNTRY_REF,),
    date_orders=(
        DateOrder("acceptance_date", "implementation_date"),
        DateOrder("implementation_date", "supply_services_complete_date"),
    ),
    # The id must spell out its own country, IA and designator (CC-I-DDD).
    extra_checks=("case_id_agrees",),
)

CASE_LINES = Entity(
    "case_lines",
    key=("case_id", "line_number"),
    columns=(
        CASE_ID,
        LINE_NUMBER,
        Column("generic_code", Kind.PATTERN, pattern=GENERIC_CODE_PATTERN),
        Column("description", Kind.TEXT, required=False),
        Column("unit_of_issue", Kind.CODE, allowed=UNITS_OF_ISSUE),
        Column("source_of_supply", Kind.CODE, allowed=SOURCES_OF_SUPPLY),
        Column("line_kind", Kind.CODE, allowed=LINE_KINDS),
        Column("ordered_quantity", Kind.INTEGER, min_value=0),
        Column("line_value", Kind.MONEY),
    ),
    references=(CASE_REF,),
    control_amount="line_value",
)

PAYMENT_SCHEDULES = Entity(
    "payment_schedules",
    key=("case_id", "due_date"),
    columns=(
        CASE_ID,
        Column("due_date", Kind.DATE),
        Column("amount", Kind.MONEY),
        Column("is_initial_deposit", Kind.BOOLEAN),
    ),
    references=(CASE_REF,),
    control_amount="amount",
)

COLLECTIONS = Entity(
    "collections",
    key=("collection_id",),
    columns=(
        Column("collection_id", Kind.PATTERN, pattern=ROW_ID_PATTERN),
        COUNTRY_CODE,
        replace(CASE_ID, required=False),
        Column("received_date", Kind.DATE, event_date=True),
        Column("amount", Kind.MONEY, may_be_negative=True),
        Column("funding_source", Kind.CODE, allowed=FUNDING_SOURCES),
    ),
    references=(COUNTRY_REF, CASE_REF),
    control_amount="amount",
    # A collection recorded to a case belongs to that case's purchaser.
    extra_checks=("collection_country_agrees",),
)

EXPENDITURES = Entity(
    "expenditures",
    key=("expenditure_id",),
    columns=(
        Column("expenditure_id", Kind.PATTERN, pattern=ROW_ID_PATTERN),
        CASE_ID,
        LINE_NUMBER,
        Column("expenditure_date", Kind.DATE, event_date=True),
        Column("amount", Kind.MONEY, may_be_negative=True),
        Column("category", Kind.CODE, allowed=EXPENDITURE_CATEGORIES),
    ),
    references=(LINE_REF,),
    control_amount="amount",
)

DELIVERIES = Entity(
    "deliveries",
    key=("delivery_id",),
    columns=(
        Column("delivery_id", Kind.PATTERN, pattern=ROW_ID_PATTERN),
        CASE_ID,
        LINE_NUMBER,
        Column("shipment_date", Kind.DATE, event_date=True),
        Column("reported_date", Kind.DATE, event_date=True),
        Column("quantity", Kind.INTEGER, min_value=0),
        Column("delivered_value", Kind.MONEY),
        Column("price_code", Kind.CODE, allowed=PRICE_CODES),
    ),
    references=(LINE_REF,),
    date_orders=(DateOrder("shipment_date", "reported_date"),),
    control_amount="delivered_value",
)

REQUIREMENTS_FORECASTS = Entity(
    "requirements_forecasts",
    key=("case_id", "quarter_start"),
    columns=(
        CASE_ID,
        Column("quarter_start", Kind.DATE),
        Column("forecast_amount", Kind.MONEY),
        Column("termination_liability", Kind.MONEY),
    ),
    references=(CASE_REF,),
    control_amount="forecast_amount",
    extra_checks=("quarter_start_is_quarter",),
)

BUY_BACKS = Entity(
    "buy_backs",
    key=("buy_back_id",),
    columns=(
        Column("buy_back_id", Kind.PATTERN, pattern=ROW_ID_PATTERN),
        CASE_ID,
        LINE_NUMBER,
        Column("quantity", Kind.INTEGER, min_value=0),
        Column("recipient", Kind.TEXT),
        Column("legal_authority", Kind.TEXT),
        Column("contract_executed_date", Kind.DATE, required=False, event_date=True),
        Column("reconciled", Kind.BOOLEAN),
    ),
    references=(LINE_REF,),
    extra_checks=("recipient_is_dod_or_country",),
)

# Load order within a batch: every entity after the ones it refers to.
ENTITIES: tuple[Entity, ...] = (
    COUNTRIES,
    CASES,
    CASE_LINES,
    PAYMENT_SCHEDULES,
    COLLECTIONS,
    EXPENDITURES,
    DELIVERIES,
    REQUIREMENTS_FORECASTS,
    BUY_BACKS,
)
ENTITY_BY_NAME = {e.name: e for e in ENTITIES}

# Reason codes of quarantined rows. Reference reasons are retried when a later batch brings
# what the row refers to; every other reason is final until the sender corrects the row.
REASONS: dict[str, str] = {
    "MALFORMED_ROW": (
        "the CSV record could not be read (column count, encoding, quoting, a carriage return "
        "that ends no line, or longer than 1,000,000 bytes)"
    ),
    "MISSING_VALUE": "a required value is empty",
    "BAD_ID": "an identifier does not have its required form",
    "BAD_DATE": "not a real calendar date in YYYY-MM-DD form",
    "BAD_NUMBER": "not a whole number in the allowed range",
    "BAD_AMOUNT": "not a dollar amount with at most two decimals within DECIMAL(18,2)",
    "BAD_RATE": "not a rate fraction between 0 and 1",
    "BAD_BOOLEAN": "not true/false, 1/0 or Y/N",
    "BAD_CODE": "not one of the allowed codes",
    "TEXT_TOO_LONG": f"text longer than {MAX_TEXT_LENGTH} characters",
    "NEGATIVE_AMOUNT": "a negative amount or quantity where the domain forbids one",
    "FUTURE_DATE": "an event dated after the day the batch was loaded",
    "DATE_ORDER": "dates out of order",
    "ID_MISMATCH": "the row's identifiers disagree with each other",
    "DUPLICATE_KEY": "a later row with a key already seen in the same file",
    "UNKNOWN_COUNTRY": "refers to a country that does not exist (retried on later batches)",
    "UNKNOWN_CASE": "refers to a case that does not exist (retried on later batches)",
    "UNKNOWN_LINE": "refers to a case line that does not exist (retried on later batches)",
}
RETRYABLE_REASONS = frozenset({"UNKNOWN_COUNTRY", "UNKNOWN_CASE", "UNKNOWN_LINE"})
