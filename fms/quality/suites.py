"""The suites kept in `expectations/*.yaml`, one per input entity and per published table.

A suite names its scope (`input`: rows changed by new batches; `mart`: a table rebuilt in the
`staging` schema before it is published), its dataset (a SQL file in `fms/sql/audits/`: the
frame's columns, joins and counts), the key columns that identify a failing row, and its rules.

Each rule is said once, with its name for people (`meta.rule` of its expectation: what
`dq_results`, Data Docs and error lines show), its severity (`critical` blocks publishing,
`warning` is reported and published), its SAMM reference where there is one, and either
- `check`: a SQL boolean over the dataset's columns (`audited.<column>` inside a subquery),
  computed exactly on DECIMALs into the column the rule names and judged "true or NULL" (NULL:
  the rule does not apply to the row); or
- `expect` and `kwargs`: a Great Expectations expectation on a dataset column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from fms.settings import PROJECT_ROOT
from fms.sqlfiles import read_sql

SUITES_DIR = PROJECT_ROOT / "expectations"
SEVERITIES = ("critical", "warning")
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Rule:
    rule: str
    severity: str
    expect: str = "expect_column_values_to_be_in_set"
    kwargs: dict | None = None
    column: str | None = None
    check: str | None = None
    samm: str | None = None

    @property
    def expectation(self) -> dict:
        """The GX expectation configuration, with its severity and its name for people."""
        kwargs = {"column": self.column, "value_set": [True]} if self.check else self.kwargs
        meta = {"rule": self.rule, "samm": self.samm} if self.samm else {"rule": self.rule}
        return {"type": self.expect, "kwargs": kwargs, "severity": self.severity, "meta": meta}


@dataclass(frozen=True)
class Suite:
    name: str
    scope: str
    dataset: str
    key: tuple[str, ...]
    description: str
    rules: tuple[Rule, ...]

    @property
    def expectations(self) -> tuple[dict, ...]:
        return tuple(r.expectation for r in self.rules)

    def audit_sql(self) -> str:
        """The dataset with one boolean column per checked rule."""
        checks = "".join(f",\n    ({r.check}) AS {r.column}" for r in self.rules if r.check)
        return f"SELECT audited.*{checks}\nFROM (\n{read_sql(self.dataset)}\n) AS audited"

    def columns_used(self) -> frozenset[str] | None:
        """The audit columns the expectations and the examples read; None when an expectation
        judges the frame's whole set of columns."""
        used = set(self.key)
        for e in self.expectations:
            kwargs = e["kwargs"]
            if e["type"] == "expect_table_columns_to_match_set" and kwargs.get("exact_match"):
                return None
            for name in ("column", "column_A", "column_B"):
                if name in kwargs:
                    used.add(kwargs[name])
            used.update(kwargs.get("column_list", ()), kwargs.get("column_set", ()))
        return frozenset(used)

    @classmethod
    def from_file(cls, path: Path) -> Suite:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # libyaml
        rules = tuple(Rule(**r) for r in doc["rules"])
        for r in rules:
            checked = r.check is not None and _COLUMN.match(r.column or "")
            if r.severity not in SEVERITIES or not (checked or r.kwargs is not None):
                raise ValueError(
                    f"{path.name}: '{r.rule}' needs a severity in {SEVERITIES}, and a check "
                    "with the column it computes or an expectation's kwargs"
                )
        key = tuple(doc["key"])
        return cls(doc["name"], doc["scope"], doc["dataset"], key, doc["description"], rules)


def load_suites(scope: str | None = None) -> list[Suite]:
    """Every suite (of one scope), in name order."""
    suites = [Suite.from_file(p) for p in sorted(SUITES_DIR.glob("*.yaml"))]
    return [s for s in suites if scope is None or s.scope == scope]
