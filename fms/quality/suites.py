"""The suites kept in `expectations/*.json`, one per input entity and per published table.

Each file names its audit dataset (a SQL file in `fms/sql/`), its scope (`input`: rows changed
by new batches; `mart`: a table rebuilt in the `staging` schema before it is published), the key
columns that identify a failing row, and its expectations, each with a severity: `critical`
blocks publishing, `warning` is reported and published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fms.settings import PROJECT_ROOT

SUITES_DIR = PROJECT_ROOT / "expectations"
SEVERITIES = ("critical", "warning")


@dataclass(frozen=True)
class Suite:
    name: str
    dataset: str
    scope: str
    key: tuple[str, ...]
    description: str
    expectations: tuple[dict, ...]

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
        doc = json.loads(path.read_text(encoding="utf-8"))
        suite = cls(
            name=doc["name"],
            dataset=doc["dataset"],
            scope=doc["scope"],
            key=tuple(doc["key"]),
            description=doc.get("description", ""),
            expectations=tuple(doc["expectations"]),
        )
        for e in suite.expectations:
            if e.get("severity") not in SEVERITIES:
                raise ValueError(f"{path.name}: {e['type']} needs a severity in {SEVERITIES}")
            if not e.get("meta", {}).get("rule"):
                raise ValueError(f"{path.name}: {e['type']} needs meta.rule, its name for people")
        return suite


def load_suites(scope: str | None = None, folder: Path = SUITES_DIR) -> list[Suite]:
    """Every suite (of one scope), in name order."""
    suites = [Suite.from_file(p) for p in sorted(folder.glob("*.json"))]
    return [s for s in suites if scope is None or s.scope == scope]
