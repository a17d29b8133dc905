"""Hostile input through the real command line: `fms run nightly` as the user runs it.

Each run is a subprocess on the session's Prefect server (the temporary server a user's run
starts is tested in tests/exposure/); they are started together when the module starts, and
each test then waits for its own. A refused run must exit 2 with one `error:` line
naming the problem and no traceback on stderr; a run over rows that are quarantined must
publish files in which no formula is live.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.hostile.batches import (
    BUY_BACK,
    FORMULA_AFTER_CR,
    FORMULAS,
    LOAD_DATE,
    assert_books_balance,
    assert_every_table_exists,
    assert_no_amount_rounded,
    delivery,
    header,
    record,
)
from tests.hostile.published import assert_no_live_formulas, csv_cells, xlsx_text_cells
from tests.landing import COUNTRY, LINE, case, mark_complete, write_batch

FMS = Path(sys.executable).with_name("fms")
AS_OF = "2026-11-01"
SQL_CASE_ID = "UK-D-A'; DROP TABLE cases;--"
TIMEOUT = 600


def hostile_rows(landing: Path, outside: Path) -> None:
    """Row-level hostile kinds in two batches: every one is quarantined or loads as text."""
    write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case(), case() | {"case_id": SQL_CASE_ID}],
            "case_lines": [
                LINE | {"line_number": str(i), "description": f}
                for i, f in enumerate(FORMULAS, start=1)
            ],
            "buy_backs": [
                BUY_BACK | {"buy_back_id": f"BB{i}", "legal_authority": f}
                for i, f in enumerate((*FORMULAS, FORMULA_AFTER_CR), start=1)
            ],
        },
    )
    records = [
        header("deliveries"),
        record("deliveries", delivery("D1")),
        record("deliveries", delivery("D1", quantity="2")),  # DUPLICATE_KEY
        record("deliveries", delivery(FORMULAS[0])),  # BAD_ID
        record("deliveries", delivery("D3", case_id=SQL_CASE_ID)),  # BAD_ID
        record("deliveries", delivery("D4", delivered_value="12.345")),  # BAD_AMOUNT
        record("deliveries", delivery("D5", shipment_date="2026-02-30")),  # BAD_DATE
        record("deliveries", delivery("D6", reported_date="2099-01-01")),  # FUTURE_DATE
        record("deliveries", delivery("D7", line_number="9")),  # UNKNOWN_LINE
        record("deliveries", delivery("D8", delivered_value="-5.00")),  # NEGATIVE_AMOUNT
        record("deliveries", delivery("D9", quantity="１２")),  # BAD_NUMBER
        record("deliveries", delivery("D" + "x" * 5_000_000)),  # MALFORMED_ROW: too long
        "",  # a blank line, not a record
        record("deliveries", delivery("D10")) + ",x" * 2_000,  # MALFORMED_ROW: too many
    ]
    folder = landing / "20261101-01-daily"
    folder.mkdir()
    data = b"\xef\xbb\xbf" + "\r\n".join(records).encode() + b"\r\n"
    data += record("deliveries", delivery("D11")).encode()[:-1] + b"\xff\r\n"  # not UTF-8
    (folder / "deliveries.csv").write_bytes(data)
    mark_complete(folder)


def header_with_markup(landing: Path, outside: Path) -> None:
    folder = write_batch(landing, "20261031-00-history", {"countries": [COUNTRY]})
    (folder / "deliveries.csv").write_text(
        f"{header('deliveries')},[/x]\n{record('deliveries', delivery('D1'))},1\n"
    )


def batch_folder_linked_outside(landing: Path, outside: Path) -> None:
    write_batch(landing, "20261031-00-history", {"countries": [COUNTRY]})
    target = write_batch(outside, "secret", {"countries": [COUNTRY | {"country_code": "ZZ"}]})
    (landing / "20261101-01-daily").symlink_to(target, target_is_directory=True)


def amounts_summing_beyond_decimal_18_2(landing: Path, outside: Path) -> None:
    largest = "9999999999999999.99"  # each is a valid DECIMAL(18,2), their sum is not
    write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE | {"line_value": largest, "ordered_quantity": "10"}],
            "deliveries": [
                delivery("D1", delivered_value=largest),
                delivery("D2", delivered_value=largest),
            ],
        },
    )


LANDINGS = {
    "hostile_rows": hostile_rows,
    "header_with_markup": header_with_markup,
    "batch_folder_linked_outside": batch_folder_linked_outside,
    "amounts_summing_beyond_decimal_18_2": amounts_summing_beyond_decimal_18_2,
}


@dataclass
class CliRun:
    folder: Path
    process: subprocess.Popen

    @property
    def warehouse(self) -> Path:
        return self.folder / "w.duckdb"

    @property
    def published(self) -> Path:
        return self.folder / "out" / "nightly" / AS_OF

    def wait(self) -> tuple[int, str, str]:
        code = self.process.wait(timeout=TIMEOUT)
        out = (self.folder / "stdout.txt").read_text(errors="replace")
        err = (self.folder / "stderr.txt").read_text(errors="replace")
        return code, out, err


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_api):
    started = {}
    try:
        for name, build in LANDINGS.items():
            folder = tmp_path_factory.mktemp(name)
            build(folder / "landing", folder / "outside")
            env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
            env |= prefect_api.environment()
            env["FMS_TODAY"] = LOAD_DATE.isoformat()  # the load day judged for future dates
            # Relative paths, as a user types them (run from the folder).
            command = [str(FMS), "run", "nightly", "--landing", "landing"]
            command += ["--warehouse", "w.duckdb", "--out", "out", "--as-of", AS_OF]
            with (folder / "stdout.txt").open("w") as out, (folder / "stderr.txt").open("w") as err:
                process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=err)
            started[name] = CliRun(folder, process)
        yield started
    finally:
        for run in started.values():
            if run.process.poll() is None:
                run.process.kill()
                run.process.wait()


def assert_refused_cleanly(err: str, code: int, *words: str) -> None:
    assert code == 2, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert "leaked" not in err, err[-3000:]  # nothing of the failed run left for the exit
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err[-3000:]
    for word in words:
        assert word in errors[0]


def test_cli_quarantines_hostile_rows_and_publishes_files_without_live_formulas(runs):
    run = runs["hostile_rows"]
    code, out, err = run.wait()
    assert code == 0, err[-3000:]
    assert "Traceback" not in err
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        assert_every_table_exists(con)
        assert_books_balance(con)
        assert_no_amount_rounded(con, run.folder / "landing")
        assert con.execute("SELECT case_id FROM cases").fetchall() == [("UK-D-AAA",)]
        reasons = con.execute(
            "SELECT entity, row_number, reason_code FROM quarantine ORDER BY entity, row_number"
        ).fetchall()
    assert reasons == [
        ("cases", 2, "BAD_ID"),
        ("deliveries", 2, "DUPLICATE_KEY"),
        ("deliveries", 3, "BAD_ID"),
        ("deliveries", 4, "BAD_ID"),
        ("deliveries", 5, "BAD_AMOUNT"),
        ("deliveries", 6, "BAD_DATE"),
        ("deliveries", 7, "FUTURE_DATE"),
        ("deliveries", 8, "UNKNOWN_LINE"),
        ("deliveries", 9, "NEGATIVE_AMOUNT"),
        ("deliveries", 10, "BAD_NUMBER"),
        ("deliveries", 11, "MALFORMED_ROW"),
        ("deliveries", 12, "MALFORMED_ROW"),
        ("deliveries", 13, "MALFORMED_ROW"),
    ]
    excel, plain = assert_no_live_formulas(run.published)
    for formula in FORMULAS:
        assert formula in excel and "'" + formula in plain
    assert FORMULA_AFTER_CR in excel and FORMULA_AFTER_CR in plain
    worklist = csv_cells(run.published / "quarantine_worklist.csv")
    assert any(SQL_CASE_ID in cell for cell in worklist)
    assert xlsx_text_cells(run.published / "quarantine_worklist.xlsx")


def test_cli_refuses_a_header_naming_the_file_and_prints_markup_as_text(runs):
    run = runs["header_with_markup"]
    code, out, err = run.wait()
    assert_refused_cleanly(
        err, code, "file 'deliveries.csv'", "unexpected columns: '[/x]'", "Nothing of batch"
    )
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM countries").fetchone() == (0,)
    assert not run.published.exists()


def test_cli_refuses_a_batch_folder_linked_outside_the_landing(runs):
    run = runs["batch_folder_linked_outside"]
    code, out, err = run.wait()
    assert_refused_cleanly(err, code, "batch '20261101-01-daily'", "the batch folder is a link")
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        assert con.execute("SELECT country_code FROM countries").fetchall() == []


def test_cli_fails_closed_when_amounts_sum_beyond_decimal_18_2(runs):
    # Each amount loads; their sum does not fit the marts' DECIMAL(18,2). Whether a mart
    # refuses it or carries it, the user gets no traceback and no half-published run.
    run = runs["amounts_summing_beyond_decimal_18_2"]
    code, out, err = run.wait()
    assert "Traceback" not in err, err[-3000:]
    if code != 0:
        assert_refused_cleanly(err, code)
        assert not run.published.exists()
