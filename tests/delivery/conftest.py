"""Hand-built warehouses for the delivery reporting tests (tests/handbuilt.py)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.delivery.builders import CASE
from tests.handbuilt import d, insert, open_warehouse


@pytest.fixture(scope="session")
def one_case_warehouse(tmp_path_factory):
    """A warehouse file holding one purchaser (UK) and its implemented case UK-D-AAA."""
    folder = tmp_path_factory.mktemp("one_case")
    con = open_warehouse(folder)
    insert(con, "countries", {"country_code": "UK"})
    insert(con, "cases", {"case_id": CASE, "implementation_date": d("2025-01-15")})
    con.close()
    return folder / "test.duckdb"


@pytest.fixture
def con(one_case_warehouse, tmp_path):
    """A private copy of the one-case warehouse (copying is faster than building it again)."""
    path = tmp_path / "test.duckdb"
    shutil.copyfile(one_case_warehouse, path)
    con = duckdb.connect(str(path))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")  # a throwaway copy: skip the checkpoint
    yield con
    con.close()
