"""Hand-built warehouses for the delivery reporting tests (tests/handbuilt.py)."""

from __future__ import annotations

import pytest

from tests.delivery.builders import CASE
from tests.handbuilt import d, insert, open_warehouse


@pytest.fixture
def con(tmp_path):
    """A warehouse holding one purchaser (UK) and its implemented case UK-D-AAA."""
    con = open_warehouse(tmp_path)
    insert(con, "countries", {"country_code": "UK"})
    insert(con, "cases", {"case_id": CASE, "implementation_date": d("2025-01-15")})
    yield con
    con.close()
