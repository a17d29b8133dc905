"""Typing and row checks of one entity, as one set-based DuckDB query built from the contract.

The query reads the text table `raw_input` (every contract column as VARCHAR, plus the trace
columns `_batch`, `_batch_seq`, `_file`, `_row_number`, `_raw`) and returns every row with its
typed columns and `problems`: a list of STRUCT(code, detail), empty when the row is clean.

Generated, because its identifiers (the entity's columns, their checks) come from the code's
own contract spec; every value (patterns, allowed codes, the load date) is a bound parameter,
and the checks of several columns are macros (fms/sql/ingest/row_rules.sql). The checks that
need other tables (references, the collection's country) run afterwards, over the clean rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from fms.contract import MAX_TEXT_LENGTH, Column, Entity, Kind
from fms.ingest.parquet_types import RefusedColumn

# Years 0001-9999: DuckDB would read year 0000 as 1 BC, a date Python cannot hold.
DATE_SHAPE = r"^([1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])-\d{2}-\d{2}$"
# DECIMAL(18,2): at most 16 integer digits and 2 decimals, written plainly (no thousands commas).
MONEY_SHAPE = r"^-?\d{1,16}(\.\d{1,2})?$"
INTEGER_SHAPE = r"^-?\d{1,18}$"
RATE_SHAPE = r"^(0(\.\d{1,6})?|\.\d{1,6})$"
# Kinds typed only from text of their shape: (parameter name, shape, cast of the text `{}`).
SHAPED = {
    Kind.DATE: ("date_shape", DATE_SHAPE, "try_cast({} AS DATE)"),
    Kind.MONEY: ("money_shape", MONEY_SHAPE, "CAST({} AS DECIMAL(18,2))"),
    Kind.INTEGER: ("integer_shape", INTEGER_SHAPE, "try_cast({} AS BIGINT)"),
    Kind.RATE: ("rate_shape", RATE_SHAPE, "CAST({} AS DECIMAL(9,6))"),
}
TRUE_WORDS = ["true", "1", "y", "yes"]
FALSE_WORDS = ["false", "0", "n", "no"]
# The contract's checks of several columns of a row, as macros (fms/sql/ingest/row_rules.sql).
ROW_RULES = {
    "case_id_agrees": "case_id_mismatch(case_id, country_code, implementing_agency, "
    "case_designator)",
    "quarter_start_is_quarter": "quarter_start_not_a_quarter(quarter_start)",
    "recipient_is_dod_or_country": "recipient_not_dod_or_country(recipient)",
}


def _q(name: str) -> str:
    return f'"{name}"'


class _Builder:
    def __init__(
        self, entity: Entity, load_date: date, refused: Mapping[str, RefusedColumn]
    ) -> None:
        self.entity = entity
        self.load_date = load_date
        self.refused = refused
        self.params: dict[str, object] = {}
        self.problems: list[str] = []
        self.conditions: list[str] = []

    def param(self, name: str, value: object) -> str:
        self.params[name] = value
        return f"${name}"

    def problem(self, condition: str, code: str, detail_sql: str) -> None:
        self.conditions.append(condition)
        self.problems.append(
            f"CASE WHEN {condition} THEN {{'code': '{code}', 'detail': {detail_sql}}} END"
        )

    def typed(self, col: Column) -> str:
        v = _q(f"s_{col.name}")
        if col.name in self.refused:
            return f"NULL::{col.sql_type}"
        if col.kind in SHAPED:
            name, shape, cast = SHAPED[col.kind]
            ok = f"regexp_full_match({v}, {self.param(name, shape)})"
            return f"CASE WHEN {ok} THEN {cast.format(v)} END"
        if col.kind is Kind.BOOLEAN:
            t = self.param("true_words", TRUE_WORDS)
            f = self.param("false_words", FALSE_WORDS)
            return (
                f"CASE WHEN list_contains({t}, lower({v})) THEN true "
                f"WHEN list_contains({f}, lower({v})) THEN false END"
            )
        return v

    def column_problems(self, col: Column) -> None:
        name = col.name
        v = _q(f"s_{name}")
        t = _q(name)
        given = f"'{name} ' || coalesce('''' || left({v}, 40) || '''', '(empty)')"
        if name in self.refused:  # every row, whatever its value
            refused = self.refused[name]
            self.problem("true", refused.code, self.param(f"refused_{name}", refused.detail))
            return
        if col.required:
            self.problem(f"{v} IS NULL", "MISSING_VALUE", f"'{name} is empty'")
        present_bad = f"{v} IS NOT NULL AND {t} IS NULL"
        if col.kind is Kind.PATTERN:
            pat = self.param(f"pattern_{name}", col.pattern)
            self.problem(
                f"{v} IS NOT NULL AND NOT regexp_full_match({v}, {pat})",
                "BAD_ID",
                f"{given} || ' does not match {col.pattern}'",
            )
        elif col.kind is Kind.CODE:
            allowed = self.param(f"allowed_{name}", list(col.allowed))
            self.problem(
                f"{v} IS NOT NULL AND NOT list_contains({allowed}, {v})",
                "BAD_CODE",
                f"{given} || ' is not one of ' || array_to_string({allowed}, ', ')",
            )
        elif col.kind is Kind.DATE:
            self.problem(present_bad, "BAD_DATE", f"{given} || ' is not a date YYYY-MM-DD'")
            if col.event_date:
                load_date = self.param("load_date", self.load_date)
                self.problem(
                    f"{t} > {load_date}",
                    "FUTURE_DATE",
                    f"{given} || ' is after the load date ' || CAST({load_date} AS VARCHAR)",
                )
        elif col.kind is Kind.MONEY:
            self.problem(
                present_bad,
                "BAD_AMOUNT",
                f"{given} || ' is not an amount with at most 2 decimals within DECIMAL(18,2)'",
            )
            if not col.may_be_negative:
                self.problem(f"{t} < 0", "NEGATIVE_AMOUNT", f"{given} || ' is negative'")
        elif col.kind is Kind.INTEGER:
            self.problem(present_bad, "BAD_NUMBER", f"{given} || ' is not a whole number'")
            if col.min_value == 0:
                self.problem(f"{t} < 0", "NEGATIVE_AMOUNT", f"{given} || ' is negative'")
            elif col.min_value is not None or col.max_value is not None:
                lo, hi = col.min_value, col.max_value
                self.problem(
                    f"{t} < {self.param(f'min_{name}', lo)} "
                    f"OR {t} > {self.param(f'max_{name}', hi)}",
                    "BAD_NUMBER",
                    f"{given} || ' is outside {lo}-{hi}'",
                )
        elif col.kind is Kind.RATE:
            self.problem(present_bad, "BAD_RATE", f"{given} || ' is not a fraction 0 <= r < 1'")
        elif col.kind is Kind.BOOLEAN:
            self.problem(present_bad, "BAD_BOOLEAN", f"{given} || ' is not true/false, 1/0, Y/N'")
        elif col.kind is Kind.TEXT:
            limit = self.param("max_text", MAX_TEXT_LENGTH)
            self.problem(
                f"length({v}) > {limit}",
                "TEXT_TOO_LONG",
                f"'{name} has ' || length({v}) || ' characters'",
            )

    def extra_problems(self) -> None:
        e = self.entity
        for order in e.date_orders:
            a, b = _q(order.earlier), _q(order.later)
            self.problem(
                f"{a} > {b}",
                "DATE_ORDER",
                f"'{order.earlier} ' || CAST({a} AS VARCHAR) || ' is after {order.later} ' "
                f"|| CAST({b} AS VARCHAR)",
            )
        for check in e.extra_checks:
            if check in ROW_RULES:  # the others need other tables: reference_check_query
                self.conditions.append(f"{ROW_RULES[check]} IS NOT NULL")
                self.problems.append(ROW_RULES[check])


def row_check_query(
    entity: Entity, load_date: date, refused: Mapping[str, RefusedColumn] | None = None
) -> tuple[str, dict[str, object]]:
    """The typing-and-checking SELECT for `entity` over `raw_input`, and its parameters; the
    columns `refused` (fms.ingest.parquet_types) are not typed and fail every row."""
    b = _Builder(entity, load_date, refused or {})
    trimmed = ",\n        ".join(
        f"nullif(trim({_q(c.name)}), '') AS {_q('s_' + c.name)}" for c in entity.columns
    )
    typed = ",\n        ".join(f"{b.typed(c)} AS {_q(c.name)}" for c in entity.columns)
    for col in entity.columns:
        b.column_problems(col)
    b.extra_problems()
    problems = ",\n            ".join(b.problems)
    # Clean rows (nearly all) skip building and filtering a list of every possible problem:
    # DuckDB evaluates the THEN branch only for the rows where some check fails.
    any_problem = "\n        OR ".join(f"({c}) IS TRUE" for c in b.conditions)
    columns = ", ".join(_q(c.name) for c in entity.columns)
    sql = f"""
WITH v AS (
    SELECT _batch, _batch_seq, _file, _row_number, _raw,
        {trimmed}
    FROM raw_input
),
t AS (
    SELECT *,
        {typed}
    FROM v
)
SELECT _batch, _batch_seq, _file, _row_number, _raw, {columns},
    CASE WHEN {any_problem}
    THEN list_filter([
            {problems}
        ], lambda p: p IS NOT NULL)
    ELSE []::STRUCT(code VARCHAR, detail VARCHAR)[] END AS problems
FROM t
"""
    return sql, b.params


def reference_check_query(entity: Entity, source: str) -> str:
    """Add the problems that need other tables to `source`'s `problems`: references that do
    not resolve in the current tables, and a collection's country disagreeing with its case's.

    A reference is judged only when all its columns are given (a nullable case_id on a
    collection means the holding account, not a missing case).
    """
    joins, extra = [], []
    for i, ref in enumerate(entity.references):
        alias = f"ref{i}"
        on = " AND ".join(
            f"{alias}.{_q(tc)} = s.{_q(c)}"
            for c, tc in zip(ref.columns, ref.target_columns, strict=True)
        )
        joins.append(
            f"LEFT JOIN (SELECT {', '.join(_q(c) for c in ref.target_columns)}, true AS found "
            f"FROM {ref.target}) AS {alias} ON {on}"
        )
        given = " AND ".join(f"s.{_q(c)} IS NOT NULL" for c in ref.columns)
        shown = " || '/' || ".join(f"CAST(s.{_q(c)} AS VARCHAR)" for c in ref.columns)
        extra.append(
            f"CASE WHEN {given} AND {alias}.found IS NULL THEN "
            f"{{'code': '{ref.reason_code}', 'detail': "
            f"'{'/'.join(ref.columns)} ' || {shown} || ' not found in {ref.target}'}} END"
        )
    if "collection_country_agrees" in entity.extra_checks:
        joins.append("LEFT JOIN cases AS own_case ON own_case.case_id = s.case_id")
        extra.append(
            "CASE WHEN own_case.country_code <> s.country_code THEN "
            "{'code': 'ID_MISMATCH', 'detail': 'country_code ' || s.country_code "
            "|| ' differs from the country ' || own_case.country_code || ' of case ' "
            "|| s.case_id} END"
        )
    if not extra:
        return f"SELECT * FROM {source}"
    return f"""
SELECT s.* REPLACE (
    list_concat(s.problems, list_filter([{", ".join(extra)}], lambda p: p IS NOT NULL)) AS problems
)
FROM {source} AS s
{chr(10).join(joins)}
"""
