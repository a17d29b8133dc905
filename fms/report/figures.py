"""The figures of a run report, read from the warehouse with the set-based `report_*.sql` files.

Each section reads one mart through a table name the caller chooses (`ReportTables`): a job
reports the marts it staged in `staging` (this run's), and the others as published in `main` by
an earlier run (a billing run as of 30 Sep reads the delivery status the 1 Dec nightly
published). Each section therefore carries its `Source`: the date its figures are as of and,
when they are another run's, which run published them. A section whose table does not exist
yet says so instead of failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from fms import settings
from fms.closure import BLOCKER_CODES
from fms.formatting import count, dollars
from fms.publication import STAGING
from fms.sqlfiles import read_sql, temporary_tables

TOP_CASES = 10  # cases listed: closable, and schedules to revise (report tables, artifacts)
TREND_QUARTERS = 8  # quarters in the billing trend, ending with the one holding the as-of date
ZERO = Decimal("0.00")
NOT_BILLED = {"statements": 0, "amount_due": None, "arrearage": None, "interest": None}

# Marts reach main only through the nightly refresh (fms.publication.publish_staged_marts);
# billing publishes statement records, dated by their quarter ends.
MART_PUBLISHER = "nightly"
STATEMENT_PUBLISHER = "quarterly-billing"
# The payment schedule review (SAMM C9.9.3) is its own job's: its section shows in its report.
REVIEW_JOB = "payment-schedule-review"
# Its cases needing a revision, ranked (reports/schedule_review_listing.sql): a temporary table
# while the section's totals are read.
REVIEW_LISTING = "report_schedule_review_cases"

JOB_TITLES = {
    "nightly": "Nightly refresh",
    "quarterly-billing": "Quarterly billing",
    "delivery-report": "Monthly delivery report",
    "closure": "Closure readiness",
    REVIEW_JOB: "Payment schedule review",
}


@dataclass(frozen=True)
class ReportTables:
    """The tables the report reads (`schema.name`), bound as parameters, never formatted in."""

    delivery_status: str = "main.delivery_status"
    closure_readiness: str = "main.closure_readiness"
    purchaser_statements: str = "main.purchaser_statements"
    billing_statements: str = "main.billing_statements"
    payment_schedule_review: str = "main.payment_schedule_review"
    delivery_listing: str = "main.delivery_listing"


@dataclass(frozen=True)
class Source:
    """What a card's figures are as of, and whose they are: this run's, or another run's
    (`job`; `run_id` and `published_at` when `publications` records the run, else `table`
    names what was read)."""

    as_of: date | None  # None: an empty table with no publication to date it
    this_run: bool = True
    job: str | None = None
    run_id: str | None = None
    published_at: datetime | None = None  # UTC
    table: str | None = None

    @property
    def job_title(self) -> str | None:
        return JOB_TITLES.get(self.job, self.job) if self.job else None


@dataclass(frozen=True)
class Warehouse:
    """The warehouse card: the file the figures were read from and what has been loaded."""

    path: str | None  # None: an in-memory database
    batches: int
    latest_batch: str | None
    latest_loaded_at: datetime | None  # UTC


@dataclass
class StageQuality:
    """What a gate run measured that dq_results does not keep (from QualityReport objects)."""

    rows_validated: int
    seconds: float  # gate time, not money


@dataclass
class RunFigures:
    """Everything the HTML report and the Prefect artifacts show. Money is Decimal throughout;
    a list of dicts per section holds the rows of its SQL file (column name -> value).
    A section's value is None when its table does not exist in the warehouse."""

    job: str
    run_id: str
    as_of: date
    period: str
    warehouse: Warehouse
    purchaser: str | None
    case_id: str | None
    tables: ReportTables
    details: list[tuple[str, str]]
    purchasers: list[dict]
    quarters: list[dict]
    delivery: list[dict] | None
    funnel: dict | None
    blockers: list[dict]
    closure_by_purchaser: list[dict]
    closable_cases: list[dict]
    dq_stages: list[dict]
    dq_failures: list[dict]
    quarantine: list[dict]
    delivery_source: Source
    closure_source: Source
    stage_quality: dict[str, StageQuality] = field(default_factory=dict)
    # The payment schedule review's run only (`shows_schedule_review`): its totals
    # (reports/schedule_review_totals.sql; None while its table does not exist), the top cases
    # needing a revision by largest |variance|, and the date and run they are of.
    schedule_review: dict | None = None
    schedule_review_cases: list[dict] = field(default_factory=list)
    schedule_review_source: Source | None = None
    # A billing run only: its quarter's delivery listing per purchaser
    # (reports/report_delivery_listing_by_purchaser.sql); None on another job's report or
    # while the table does not exist.
    delivery_listing: list[dict] | None = None

    @property
    def title(self) -> str:
        return JOB_TITLES.get(self.job, self.job.replace("-", " ").capitalize())

    @property
    def selection(self) -> str | None:
        """The ad-hoc selection this run was limited to, for people."""
        if self.case_id:
            return f"case {self.case_id}"
        if self.purchaser:
            return f"purchaser {self.purchaser}"
        return None

    @property
    def shows_schedule_review(self) -> bool:
        return self.job == REVIEW_JOB

    @property
    def billing_published(self) -> bool:
        return any(q["statements"] for q in self.quarters)

    def total(self, section: str, column: str) -> Decimal:
        """Exact sum of a money column over a section's rows."""
        return sum((r[column] or ZERO for r in getattr(self, section) or []), ZERO)

    def total_if_any(self, section: str, column: str) -> Decimal | None:
        """The exact sum, or None when no row has the figure (no statement published, say)."""
        rows = getattr(self, section) or []
        return self.total(section, column) if any(r[column] is not None for r in rows) else None

    @property
    def latest_statement_period(self) -> date | None:
        ends = [p["statement_period_end"] for p in self.purchasers if p["statement_period_end"]]
        return max(ends, default=None)

    @property
    def run_source(self) -> Source:
        """Figures this run computed as of its own date (collections, billing trend, gates)."""
        return Source(self.as_of)

    @property
    def statement_source(self) -> Source:
        """The amount due: the latest statements' quarter end; this run's when it is the
        billing run that published them."""
        latest = self.latest_statement_period
        if latest is None:
            return self.run_source
        this_run = self.job == STATEMENT_PUBLISHER and latest == self.as_of
        return Source(
            latest,
            this_run=this_run,
            job=None if this_run else STATEMENT_PUBLISHER,
            table=None if this_run else self.tables.purchaser_statements,
        )

    @property
    def other_sources(self) -> list[tuple[str, Source]]:
        """(section, source) of the sections another run's date or run stands behind, for
        the notice under the heading."""
        named = [("Delivery progress", self.delivery_source), ("Closure", self.closure_source)]
        if self.schedule_review_source is not None:
            named.append(("Payment schedule review", self.schedule_review_source))
        return [
            (name, s)
            for name, s in named
            if not s.this_run and (s.as_of != self.as_of or s.run_id is not None)
        ]

    @property
    def dq_warnings(self) -> int:
        return sum(s["warnings"] for s in self.dq_stages)

    @property
    def dq_critical(self) -> int:
        return sum(s["critical_failures"] for s in self.dq_stages)


def records(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """The rows of `fms/sql/reports/<name>.sql` as dicts (values as DuckDB returns them:
    Decimal money)."""
    result = con.execute(read_sql(f"reports/{name}"), params)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r["qualified_name"] for r in records(con, "report_existing_tables", {})}


def read_warehouse(con: duckdb.DuckDBPyConnection, have: set[str]) -> Warehouse:
    """The file the connection reads (never the caller's word for it) and its batches."""
    path = records(con, "report_warehouse_file", {})[0]["path"]
    loaded = {"batches": 0, "latest_batch": None, "latest_loaded_at": None}
    if "main.batches" in have:
        loaded = records(con, "report_warehouse_batches", {})[0]
    return Warehouse(path=str(Path(path).absolute()) if path else None, **loaded)


def mart_source(
    con: duckdb.DuckDBPyConnection,
    table: str,
    have: set[str],
    run_as_of: date,
    publisher: str = MART_PUBLISHER,
) -> Source:
    """A mart's date and run: this run's when it staged it; else the date its rows hold and the
    publication of the `publisher` job that put them in main (when `publications` records
    one)."""
    if table.split(".", 1)[0] == STAGING or table not in have:
        # A missing table is explained by its card; the run's date is the one it lacks.
        return Source(run_as_of)
    as_of = records(con, "report_mart_as_of", {"table": table})[0]["as_of"]
    published: dict = {}
    if as_of is not None and "main.publications" in have:
        params = {"job": publisher, "as_of": as_of}
        published = next(iter(records(con, "report_latest_publication", params)), {})
    return Source(
        as_of,
        this_run=False,
        job=publisher,
        run_id=published.get("run_id"),
        published_at=published.get("published_at"),
        table=table,
    )


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def run_as_of(run_summary: dict) -> date:
    """The date a run's figures are as of: its as-of date, or the quarter end it billed.

    A summary naming neither (a report written outside a job) reports as of today, resolved
    now."""
    return (
        _as_date(run_summary.get("as_of"))
        or _as_date(run_summary.get("period_end"))
        or settings.today()
    )


# Summary entries shown elsewhere in the report (header, files) rather than in "Run details".
_SHOWN_ELSEWHERE = {
    "run_id",
    "as_of",
    "period_end",
    "quarter",
    "warehouse",
    "out_dir",
    "files",
    "data_docs",
    "run_reports",
    "purchaser",
    "case_id",
}


def _detail_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return count(value)
    if isinstance(value, Decimal):
        return dollars(value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_detail_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(_detail_value(v) for v in value) or "none"
    return str(value)


def run_details(run_summary: dict) -> list[tuple[str, str]]:
    """The run summary's own entries (batches loaded, rows quarantined, marts built, ...)."""
    return [
        (key.replace("_", " ").capitalize(), _detail_value(value))
        for key, value in run_summary.items()
        if key not in _SHOWN_ELSEWHERE
    ]


def _stage_quality(quality: list | None) -> dict[str, StageQuality]:
    stages: dict[str, StageQuality] = {}
    for report in quality or []:
        seen = stages.setdefault(report.stage, StageQuality(0, 0.0))
        seen.rows_validated += sum(report.rows_validated.values())
        seen.seconds += report.seconds
    return stages


def _examples(text: str | None, column: str | None) -> str:
    """The keys of a few failing rows, for people: "case_id=JA-D-MMY, line_number=8; ..."."""
    if not text:
        return ""
    try:
        examples = json.loads(text)
    except ValueError:
        return text
    shown = []
    for example in examples:
        # The checked column's own value (delivered_within_ordered=False) says nothing new.
        keys = {k: v for k, v in example.items() if k != column} or example
        # GX hands dates back as midnight timestamps: a date reads better.
        shown.append(", ".join(f"{k}={str(v).removesuffix('T00:00:00')}" for k, v in keys.items()))
    return "; ".join(shown)


def _statement_tables(tables: ReportTables, have: set[str]) -> dict | None:
    """The statement tables as the report queries bind them, or None while they do not exist."""
    named = {
        "purchaser_statements_table": tables.purchaser_statements,
        "case_statements_table": tables.billing_statements,
    }
    return named if set(named.values()) <= have else None


def _purchaser_totals(
    con: duckdb.DuckDBPyConnection,
    filters: dict,
    statements: dict | None,
    closure_by_purchaser: list[dict],
) -> list[dict]:
    """Totals by purchaser: portfolio, latest amount due, funds locked, merged by country."""
    rows = {r["country_code"]: r for r in records(con, "report_purchaser_portfolio", filters)}
    for r in rows.values():
        r |= dict.fromkeys(
            ("amount_due", "statement_period_end", "funds_locked_in_ready_cases", "ready_cases")
        )
    if statements:
        for bill in records(con, "report_amount_due_by_purchaser", filters | statements):
            row = rows.get(bill["country_code"])
            if row is not None:
                row["amount_due"] = bill["amount_due"]
                row["statement_period_end"] = bill["period_end"]
    for c in closure_by_purchaser:
        row = rows.get(c["country_code"])
        if row is not None:
            row["funds_locked_in_ready_cases"] = c["funds_locked_in_ready_cases"]
            row["ready_cases"] = c["ready_cases"]
    return list(rows.values())


def _quarters(con: duckdb.DuckDBPyConnection, filters: dict, statements: dict | None) -> list[dict]:
    """Collections per quarter of the window, with what the statements of that quarter billed."""
    quarters = records(con, "report_collections_by_quarter", filters | {"quarters": TREND_QUARTERS})
    billed = records(con, "report_billing_by_quarter", filters | statements) if statements else []
    by_end = {b["period_end"]: b for b in billed}
    for q in quarters:
        b = by_end.get(q["quarter_end"], NOT_BILLED)
        q |= {k: b[k] for k in NOT_BILLED}
    return quarters


def _schedule_review(
    con: duckdb.DuckDBPyConnection, table: str, have: set[str], selection: dict
) -> tuple[dict | None, list[dict]]:
    """The review's totals and its top cases needing a revision; (None, []) while `table`
    does not exist. The ranking is the published summary's (schedule_review_listing.sql)."""
    if table not in have:
        return None, []
    on_review = selection | {"table": table}
    listing = {REVIEW_LISTING: ("reports/schedule_review_listing", on_review | {"limit": None})}
    with temporary_tables(con, listing):
        (totals,) = records(
            con, "schedule_review_totals", on_review | {"listing_table": REVIEW_LISTING}
        )
    top = records(con, "schedule_review_listing", on_review | {"limit": TOP_CASES})
    return totals, top


def read_run_figures(
    con: duckdb.DuckDBPyConnection,
    *,
    job: str,
    run_summary: dict,
    quality: list | None = None,
    tables: ReportTables | None = None,
    purchaser: str | None = None,
    case_id: str | None = None,
) -> RunFigures:
    """Read every section of the run report.

    Args:
        con: the warehouse (read-only is enough).
        job: the job name (nightly, quarterly-billing, delivery-report, closure,
            payment-schedule-review: its report adds the review's section).
        run_summary: what the flow returns (run_id, as_of or period_end, files, counts...);
            its as_of (or period_end) dates the figures. The warehouse card reads `con`.
        quality: the run's fms.quality.gate.QualityReport objects, for rows validated per stage.
        tables: the marts to read (default: the published ones in main).
        purchaser, case_id: an ad-hoc run's selection (default: the summary's, if any).
    """
    tables = tables or ReportTables()
    as_of = run_as_of(run_summary)
    purchaser = purchaser or run_summary.get("purchaser")
    case_id = case_id or run_summary.get("case_id")
    run_id = str(run_summary.get("run_id", ""))
    selection = {"purchaser": purchaser, "case_id": case_id}
    filters = {"as_of": as_of} | selection
    have = existing_tables(con)

    statements = _statement_tables(tables, have)
    delivery = None
    if tables.delivery_status in have:
        on_status = selection | {"delivery_status_table": tables.delivery_status}
        delivery = records(con, "report_delivery_progress", on_status)
    funnel, blockers, closure_by_purchaser, closable = None, [], [], []
    if tables.closure_readiness in have:
        on_readiness = selection | {"readiness_table": tables.closure_readiness}
        funnel = records(con, "report_closure_funnel", on_readiness)[0]
        blockers = records(
            con, "report_closure_blockers", on_readiness | {"blocker_codes": list(BLOCKER_CODES)}
        )
        closure_by_purchaser = records(con, "report_closure_by_purchaser", on_readiness)
        closable = records(con, "report_closable_cases", on_readiness | {"limit": TOP_CASES})

    dq_failures = records(con, "report_data_quality_failures", {"run_id": run_id})
    for f in dq_failures:
        f["examples"] = _examples(f["examples"], f["column"])
    batches = [str(b) for b in run_summary.get("batches_loaded") or []]
    quarantine = (
        records(con, "report_quarantine_by_reason", {"batches": batches}) if batches else []
    )
    review, review_cases, review_source = None, [], None
    if job == REVIEW_JOB:
        table = tables.payment_schedule_review
        review, review_cases = _schedule_review(con, table, have, selection)
        review_source = mart_source(con, table, have, as_of, publisher=REVIEW_JOB)
    listing = None
    if job == STATEMENT_PUBLISHER and tables.delivery_listing in have:
        on_listing = filters | {"listing_table": tables.delivery_listing}
        listing = records(con, "report_delivery_listing_by_purchaser", on_listing)
    period = str(run_summary.get("quarter") or as_of.isoformat())
    return RunFigures(
        job=job,
        run_id=run_id,
        as_of=as_of,
        period=period,
        warehouse=read_warehouse(con, have),
        purchaser=purchaser,
        case_id=case_id,
        tables=tables,
        details=run_details(run_summary),
        purchasers=_purchaser_totals(con, filters, statements, closure_by_purchaser),
        quarters=_quarters(con, filters, statements),
        delivery=delivery,
        funnel=funnel,
        blockers=blockers,
        closure_by_purchaser=closure_by_purchaser,
        closable_cases=closable,
        dq_stages=records(con, "report_data_quality_by_stage", {"run_id": run_id}),
        dq_failures=dq_failures,
        quarantine=quarantine,
        delivery_source=mart_source(con, tables.delivery_status, have, as_of),
        closure_source=mart_source(con, tables.closure_readiness, have, as_of),
        stage_quality=_stage_quality(quality),
        schedule_review=review,
        schedule_review_cases=review_cases,
        schedule_review_source=review_source,
        delivery_listing=listing,
    )
