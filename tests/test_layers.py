"""Layers point one way: app (command line, server) -> flows -> tasks -> fms (rules and SQL).

None imports the dev tools (`tools/`). Every import statement counts, at the top of a module
or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fms import settings

FORBIDDEN = {
    "fms": {"prefect", "prefect_dask", "flows", "tasks", "app", "tools"},
    "tasks": {"flows", "app", "tools"},
    "flows": {"app", "tools"},
}


def imported_packages(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    offenders = {
        str(path.relative_to(settings.PROJECT_ROOT)): sorted(
            imported_packages(path) & FORBIDDEN[layer]
        )
        for path in sorted((settings.PROJECT_ROOT / layer).rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}
