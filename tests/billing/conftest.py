"""Billing rule tests run on a real, empty DuckDB warehouse file per test (`con`); a module
that needs one already holding cases defines its own `con`."""

from __future__ import annotations

import pytest

from tests.handbuilt import open_warehouse


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    yield con
    con.close()
