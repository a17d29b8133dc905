"""Formulas in the data never become live formulas in the files people open, and amounts stay
exact there: through the same steps a nightly run takes (load, marts in staging, the delivery,
closure and quarantine files), in process; test_cli_hostile_input does it through `fms`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from fms.closure import publish_closure_outputs
from fms.delivery import publish_delivery_outputs
from fms.ingest.worklist import write_quarantine_worklist
from fms.marts import build_staged_marts
from fms.outputs import Sheet, write_csv, write_xlsx
from fms.publication import STAGING
from fms.warehouse import connect, refresh_rules
from tests.hostile.batches import (
    BUY_BACK,
    FORMULA_AFTER_CR,
    FORMULA_TRIGGERS,
    FORMULAS,
    base_batch,
    delivery,
    load_landing,
)
from tests.hostile.published import assert_no_live_formulas, csv_cells, xlsx_text_cells
from tests.landing import COUNTRY, LINE, case

AS_OF = date(2026, 11, 1)
LARGEST = Decimal("9999999999999999.99")  # the largest DECIMAL(18,2) amount


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """The files of a run over a batch whose text fields carry formulas: loaded ones (line
    descriptions, buy-back legal authorities, a country name) and quarantined ones."""
    root = tmp_path_factory.mktemp("defused")
    landing = root / "landing"
    base_batch(
        landing,
        countries=[COUNTRY | {"name": FORMULAS[0]}],
        cases=[case(), case(case_id="UK-D-BIG")],
        case_lines=[
            *(LINE | {"line_number": str(i), "description": f} for i, f in enumerate(FORMULAS, 1)),
            LINE | {"case_id": "UK-D-BIG", "line_value": str(LARGEST)},
        ],
        buy_backs=[
            BUY_BACK | {"buy_back_id": f"BB{i}", "legal_authority": f}
            for i, f in enumerate((*FORMULAS, FORMULA_AFTER_CR), 1)
        ],
        deliveries=[delivery("D1"), *(delivery(f) for f in FORMULAS)],  # ids: BAD_ID
    )
    folder = root / "out"
    with connect(root / "w.duckdb") as con:
        load_landing(con, landing)
        refresh_rules(con)
        build_staged_marts(con, AS_OF)
        write_quarantine_worklist(con, folder)
        publish_delivery_outputs(
            con,
            f"{STAGING}.delivery_status",
            f"{STAGING}.c1_transactions",
            f"{STAGING}.undelivered_report",
            folder,
            AS_OF,
        )
        publish_closure_outputs(
            con, f"{STAGING}.closure_readiness", f"{STAGING}.buy_back_register", folder, AS_OF
        )
    return folder


def test_no_published_cell_is_a_live_formula(out):
    assert_no_live_formulas(out)


def test_loaded_formula_text_is_published_as_plain_text(out):
    register = "buy_back_register_20261101"
    texts = xlsx_text_cells(out / f"{register}.xlsx")
    cells = csv_cells(out / f"{register}.csv")
    for formula in FORMULAS:
        assert formula in texts  # Excel: the text itself, in a string cell
        assert "'" + formula in cells  # CSV: defused by a leading apostrophe
    # A CR inside a text stays inside its cell (quoted), so no row starts at the formula.
    assert FORMULA_AFTER_CR in texts and FORMULA_AFTER_CR in cells


def test_quarantined_formula_text_stays_text_in_the_worklist(out):
    texts = xlsx_text_cells(out / "quarantine_worklist.xlsx")
    bad_ids = [t for t in texts if t.startswith("BAD_ID: delivery_id")]
    assert len(bad_ids) == len(FORMULAS)
    assert any(FORMULAS[0] in t for t in bad_ids)
    assert len(csv_cells(out / "quarantine_worklist.csv")) > 0


def test_an_amount_beyond_excels_15_digits_is_published_as_exact_text(out):
    sheet = openpyxl.load_workbook(out / "delivery_status_20261101.xlsx").active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert str(LARGEST) in values  # a number cell would read 10,000,000,000,000,000.00
    assert str(LARGEST) in csv_cells(out / "delivery_status_20261101.csv")


TRIGGERS = [
    *FORMULAS,
    "=cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
    "@SUM(A1:A9)",
    "+1",
    FORMULA_AFTER_CR,
    "line one\n=1+1",
]


@pytest.mark.parametrize("text", TRIGGERS)
def test_write_csv_and_write_xlsx_keep_formula_text_inert(tmp_path, text):
    write_csv(tmp_path / "t.csv", ["text"], [[text]])
    write_xlsx(tmp_path / "t.xlsx", [Sheet("s", ["text"], [[text]])])
    defused = "'" + text if text.startswith(FORMULA_TRIGGERS) else text
    assert csv_cells(tmp_path / "t.csv") == ["text", defused]
    assert xlsx_text_cells(tmp_path / "t.xlsx") == ["text", text]


def test_write_xlsx_keeps_every_amount_exact(tmp_path):
    amounts = [Decimal("9999999999999.99"), Decimal("-9999999999999.99"), Decimal("0.01")]
    beyond = [LARGEST, -LARGEST, Decimal("10000000000000.00")]
    rows = [[a] for a in amounts + beyond] + [[10**15], [10**15 - 1]]
    write_xlsx(tmp_path / "m.xlsx", [Sheet("m", ["amount"], rows, money=frozenset({"amount"}))])
    sheet = openpyxl.load_workbook(tmp_path / "m.xlsx").active
    got = [c.value for (c,) in sheet.iter_rows(min_row=2)]
    # Below 10^13 a number cell holds the amount to the cent; from 10^13 on, exact text.
    assert [Decimal(str(v)) for v in got[:3]] == amounts
    assert got[3:6] == [format(a, "f") for a in beyond]
    assert got[6:] == [str(10**15), 10**15 - 1]
