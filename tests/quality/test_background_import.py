"""Great Expectations is imported in the background while a run loads; a run that ends before
its first gate waits for that import, so the process never ends mid-import."""

from __future__ import annotations

import subprocess
import sys

ENDS_BEFORE_ITS_FIRST_GATE = """
import sys
import duckdb
from fms.quality import gate

connection = duckdb.connect()
connection.sql("SELECT 1").fetchall()
gate.preload_great_expectations()
assert "great_expectations" not in sys.modules or gate._GX_IMPORT.is_alive()
gate.finish_background_import()
assert not gate._GX_IMPORT.is_alive()
import great_expectations
assert great_expectations.__file__
print("ended after the import")
"""


def test_a_run_ending_before_its_first_gate_waits_for_the_import_and_prints_no_leaks():
    done = subprocess.run(
        [sys.executable, "-c", ENDS_BEFORE_ITS_FIRST_GATE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ended after the import"
    assert "leaked" not in done.stderr, done.stderr[-3000:]
