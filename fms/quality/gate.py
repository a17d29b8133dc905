"""Run suites with Great Expectations and turn the results into a gate.

The frame each suite judges is its audit query (`Suite.audit_sql`): exact DECIMAL comparisons
and cross-table rules are computed there as boolean or count columns, so the float64 copies
pandas makes of DECIMAL columns never decide a money rule. GX runs through its pandas datasource:
its SQL datasource does not run on DuckDB (README.md, "Data-quality gates").
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import types
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from fms.quality.data_docs import make_offline, site_config
from fms.quality.suites import Suite

MAX_EXAMPLES = 5
DOCS_SITE = "fms_data_docs"


@dataclass
class ExpectationOutcome:
    suite: str
    rule: str
    expectation_type: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int
    element_count: int
    examples: list[dict] = field(default_factory=list)

    def facts(self) -> tuple:
        """Every field but the examples, in order: the middle of a dq_results row, in the
        warehouse and in a run's dq_results.csv."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "examples")

    def examples_text(self) -> str:
        return "; ".join(", ".join(f"{k}={v}" for k, v in ex.items()) for ex in self.examples)

    def describe(self) -> str:
        head = (
            f"suite {self.suite}, expectation '{self.rule}' ({self.expectation_type}"
            + (f" on {self.column}" if self.column else "")
            + f"): {self.unexpected_count} of {self.element_count} rows fail"
        )
        return head + f"; e.g. {self.examples_text()}" if self.examples else head


@dataclass
class QualityReport:
    run_id: str
    stage: str
    outcomes: list[ExpectationOutcome]
    seconds: float
    rows_validated: dict[str, int]
    docs_index: Path | None = None

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]


class DataQualityError(Exception):
    """A critical expectation failed: nothing of this run is published."""

    def __init__(self, report: QualityReport) -> None:
        super().__init__()
        self.report = report

    def __reduce__(self):
        return type(self), (self.report,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __str__(self) -> str:
        # Built when shown: a failed run moves its folder, and `docs_index` with it
        # (flows.job_run.GatedRun.keep_failed), after this error is raised.
        lines = [o.describe() for o in self.report.critical_failures]
        docs = f" Data Docs: {self.report.docs_index}" if self.report.docs_index else ""
        return (
            f"{len(lines)} critical data-quality failure(s) at the {self.report.stage} gate; "
            "nothing was published:\n  - " + "\n  - ".join(lines) + docs
        )


_GX_IMPORT: threading.Thread | None = None


def preload_great_expectations() -> None:
    """Start importing Great Expectations in a background thread (~5 s of a run that loads
    batches or builds marts first); the first Validator waits for it."""
    global _GX_IMPORT
    if _GX_IMPORT is None and "great_expectations" not in sys.modules:
        _prepare_gx_import()
        _GX_IMPORT = threading.Thread(
            target=importlib.import_module,
            args=("great_expectations",),
            name="import great_expectations",
            daemon=True,
        )
        _GX_IMPORT.start()


def finish_background_import() -> None:
    """Wait for the background import, for a run that ends before its first gate. A process
    that ends mid-import leaves the import's frames alive through Python's teardown, and
    DuckDB's bindings then print the objects they still reach as "leaked" on stderr."""
    if _GX_IMPORT is not None:
        _GX_IMPORT.join()


def _prepare_gx_import() -> None:
    """Quiet GX, and defer what it imports for nothing any suite uses."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "great_expectations.core"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for name in UNUSED_GX_IMPORTS:
        if name not in sys.modules and importlib.util.find_spec(name.split(".")[0]) is not None:
            sys.modules[name] = DeferredModule(name)


# GX imports these at import time for expectations no suite uses (the KL-divergence and KS-test
# ones) and their charts, and calls them only inside those expectations: 1.4 s of CPU and 0.3 s
# of teardown in every process that gates, 18% of an ad-hoc billing run
# (tools/benchmarks/README.md, "Deferred imports and heartbeats").
UNUSED_GX_IMPORTS = ("scipy.stats", "altair")


class DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is read, then imports it and passes
    every read on to it. (The standard library's LazyLoader does not serve here: a second
    `import` statement of a lazy module reads its `__spec__`, which loads it.)"""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__spec__ = importlib.machinery.ModuleSpec(name, None)

    def __getattr__(self, attr: str):
        name = self.__name__
        with _DEFERRED_IMPORT:
            if sys.modules.get(name) is self:
                del sys.modules[name]
            module = importlib.import_module(name)
        return getattr(module, attr)


_DEFERRED_IMPORT = threading.Lock()


class Validator:
    """One ephemeral GX context per run; Data Docs go to a folder of the run's output."""

    def __init__(self, docs_dir: Path | None) -> None:
        _prepare_gx_import()
        if _GX_IMPORT is not None:
            _GX_IMPORT.join()  # an import in progress elsewhere: wait rather than race it
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
        )
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every frame under HASH_THRESHOLD bytes by hashing all of it, for a
        # batch marker no expectation reads: 6 s of a 87-104 s nightly at `large`
        # (tools/benchmarks/README.md). The frame is reproducible from the warehouse.
        pandas_execution_engine.HASH_THRESHOLD = 0

        self._gx = gx
        # No default docs site: it would leave a temp folder behind on every run.
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.context.variables.progress_bars = {"globally": False}
        # GX's docs site needs an absolute folder.
        self.docs_dir = docs_dir = Path(docs_dir).resolve() if docs_dir is not None else None
        if docs_dir is not None:
            self.context.add_data_docs_site(site_name=DOCS_SITE, site_config=site_config(docs_dir))
        self.source = self.context.data_sources.add_pandas("fms_audit")
        self._definitions: dict[str, object] = {}

    def _definition(self, suite: Suite):
        """The GX validation definition of a suite, created once per context."""
        if suite.name not in self._definitions:
            gx = self._gx
            asset = self.source.add_dataframe_asset(suite.name)
            batch = asset.add_batch_definition_whole_dataframe(suite.name)
            gx_suite = self.context.suites.add(
                gx.ExpectationSuite(
                    name=suite.name, expectations=[dict(e) for e in suite.expectations]
                )
            )
            self._definitions[suite.name] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
            )
        return self._definitions[suite.name]

    def run_suite(self, suite: Suite, frame) -> list[ExpectationOutcome]:
        definition = self._definition(suite)
        # SUMMARY, not COMPLETE, and no unexpected_index_column_names: with those, GX looks up
        # the key of every failing row one cell at a time and deep-copies the lists when it
        # serializes the results (20 s for one warning on 137k of 287k lines). Without them it
        # returns the failing rows' positions, and the examples' keys are read here.
        result = definition.run(
            batch_parameters={"dataframe": frame.reset_index(drop=True)},
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": MAX_EXAMPLES,
            },
        )
        outcomes = []
        for spec, r in zip(suite.expectations, result.results, strict=True):
            outcomes.append(_outcome(suite, spec, r, frame, len(frame)))
        return outcomes

    def build_docs(self) -> Path | None:
        if self.docs_dir is None:
            return None
        self.context.build_data_docs(site_names=[DOCS_SITE])
        make_offline(self.docs_dir)
        return self.docs_dir / "index.html"


def _outcome(suite: Suite, spec: dict, r, frame, rows: int) -> ExpectationOutcome:
    res = r.result or {}
    column = spec["kwargs"].get("column")
    named = (suite.name, spec["meta"]["rule"], spec["type"], column, spec["severity"])
    if r.exception_info and r.exception_info.get("raised_exception"):
        # An expectation that could not run is a failure, never a silent pass.
        message = r.exception_info.get("exception_message", "error")
        return ExpectationOutcome(*named, False, rows, rows, [{"error": message[:200]}])
    unexpected = int(res.get("unexpected_count") or 0)
    if not r.success and "unexpected_count" not in res:
        unexpected = rows  # a table-level expectation: the whole table is what failed
    shown = [c for c in (column, *suite.key) if c is not None and c in frame.columns]
    examples = [
        {c: _plain(frame[c].iloc[position]) for c in dict.fromkeys(shown)}
        for position in (res.get("partial_unexpected_index_list") or [])[:MAX_EXAMPLES]
        if isinstance(position, int)
    ]
    if not examples:
        examples = [{"value": _plain(v)} for v in (res.get("partial_unexpected_list") or [])[:3]]
    element_count = int(res.get("element_count") or rows)
    return ExpectationOutcome(*named, bool(r.success), unexpected, element_count, examples)


def _plain(value):
    if value is None:
        return None
    if isinstance(value, datetime) and not any((value.hour, value.minute, value.second)):
        # pandas turns SQL DATEs into midnight timestamps: show them as the dates they are
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN from pandas for a SQL NULL
        return None
    return value if isinstance(value, bool | int | str) else str(value)


def audit_frame(con: duckdb.DuckDBPyConnection, suite: Suite, params: dict):
    """The suite's audit dataset as a pandas frame (exact checks already computed in SQL), with
    only the columns its expectations and examples read: DuckDB then skips computing the rest,
    and pandas converting them (a third of a large input gate)."""
    sql = suite.audit_sql()
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    audit = con.sql(sql, params=used)
    wanted = suite.columns_used()
    if wanted is not None:
        audit = audit.select(*(duckdb.ColumnExpression(c) for c in audit.columns if c in wanted))
    return frame_of(audit)


# DuckDB type ids frame_of converts through Arrow exactly as .df() would.
ARROW_FRAME_TYPES = frozenset(
    {"varchar", "boolean", "decimal", "date", "float", "double"}
    | {"tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger"}
    | {"ubigint"}
)


def frame_of(relation: duckdb.DuckDBPyRelation):
    """The relation as the pandas frame DuckDB's `.df()` gives (same dtypes: floats for
    DECIMALs, microsecond timestamps for dates, nullable Int64/boolean where there are NULLs),
    built through Arrow: `.df()` spends seconds turning millions of texts into pandas
    strings, Arrow hands them over. Other column types go through `.df()` itself."""
    import pandas as pd
    import pyarrow as pa

    # Decided from the relation's types, before it runs: a relation runs again per fetch.
    if any(t.id not in ARROW_FRAME_TYPES for t in relation.types):
        return relation.df()
    table = relation.to_arrow_table()
    columns = {}
    for f, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_decimal(f.type):
            columns[f.name] = column.cast(pa.float64()).to_pandas()
        elif pa.types.is_date(f.type):
            columns[f.name] = column.cast(pa.timestamp("us")).to_pandas()
        elif column.null_count and pa.types.is_integer(f.type):
            unsigned = "U" if pa.types.is_unsigned_integer(f.type) else ""
            dtype = f"{unsigned}Int{f.type.bit_width}"  # Int32 for an INTEGER, as .df() does
            columns[f.name] = pd.Series(pd.array(column.to_pylist(), dtype=dtype))
        elif column.null_count and pa.types.is_boolean(f.type):
            columns[f.name] = pd.Series(pd.array(column.to_pylist(), dtype=pd.BooleanDtype()))
        else:
            columns[f.name] = column.to_pandas()
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def validate(
    con: duckdb.DuckDBPyConnection,
    suites: list[Suite],
    params: dict,
    run_id: str,
    stage: str,
    validator: Validator,
) -> QualityReport:
    """Run every suite on its audit frame; record the outcomes in dq_results."""
    started = time.perf_counter()
    outcomes: list[ExpectationOutcome] = []
    rows: dict[str, int] = {}
    for suite in suites:
        frame = audit_frame(con, suite, params)
        rows[suite.name] = len(frame)
        outcomes.extend(validator.run_suite(suite, frame))
    report = QualityReport(run_id, stage, outcomes, time.perf_counter() - started, rows)
    record_results(con, report)
    return report


def record_results(con: duckdb.DuckDBPyConnection, report: QualityReport) -> None:
    """The report's outcomes into dq_results, in one INSERT: `executemany` runs one statement
    an outcome (2 ms each; a gate has 100-250)."""
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (report.run_id, *o.facts(), json.dumps(o.examples, default=str), report.stage, checked_at)
        for o in report.outcomes
    ]
    if rows:
        one_row = "(" + ", ".join("?" * len(rows[0])) + ")"
        con.execute(
            f"INSERT INTO dq_results VALUES {', '.join([one_row] * len(rows))}",
            [value for row in rows for value in row],
        )


_VALIDATORS: dict[str, Validator] = {}


def validator_for_run(run_id: str, docs_dir: Path | None) -> Validator:
    """The run's one GX context, shared by its input and mart gates so that a single Data Docs
    site lists every suite the run validated (tasks of a run share its process)."""
    if run_id not in _VALIDATORS:
        _VALIDATORS[run_id] = Validator(docs_dir)
    return _VALIDATORS[run_id]


def release_validator(run_id: str) -> None:
    _VALIDATORS.pop(run_id, None)


def quality_summary_markdown(reports: list[QualityReport], docs_index: Path | None) -> str:
    """A short markdown summary for the Prefect artifact and the run report."""
    lines = ["# Data quality", ""]
    if docs_index:
        lines += [f"Data Docs: [{docs_index}]({docs_index.as_uri()})", ""]
    lines += [
        "| stage | suites | rows validated | expectations | critical failures | warnings "
        "| seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        lines.append(
            f"| {r.stage} | {len(r.rows_validated)} | {sum(r.rows_validated.values()):,} | "
            f"{len(r.outcomes)} | {len(r.critical_failures)} | {len(r.warnings)} | "
            f"{r.seconds:.2f} |"
        )
    failing = [o for r in reports for o in r.outcomes if not o.success]
    if failing:
        lines += [
            "",
            "| severity | suite | expectation | failing rows | examples |",
            "|---|---|---|---|---|",
        ]
        for o in failing:
            lines.append(
                f"| {o.severity} | {o.suite} | {o.rule} | {o.unexpected_count:,} | "
                f"{o.examples_text().replace('|', '/')} |"
            )
    return "\n".join(lines) + "\n"
