"""Great Expectations' import: in the background while a run loads (a run that ends before its
first gate waits for it, so the process never ends mid-import), and without scipy.stats and
altair, which GX loads only for expectations no suite uses (fms.quality.gate.UNUSED_GX_IMPORTS);
code that does use them still gets the real modules, imported at that first use. One process
for both: each costs a GX import."""

from __future__ import annotations

import subprocess
import sys

import pytest

GX_IMPORT_THEN_USE = """
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

gate.Validator(None)
print(sorted(n for n in ("scipy.stats._stats_py", "altair.vegalite") if n in sys.modules))
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(round(kl.stats.entropy([0.5, 0.5], [0.9, 0.1]), 6))
from scipy.stats import entropy
print(entropy is kl.stats.entropy, type(sys.modules["scipy.stats"]).__name__)
import altair
print(altair.Chart.__name__, type(kl.alt.Chart({"a": [1]})).__name__)
"""


@pytest.fixture(scope="module")
def gx_process() -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", GX_IMPORT_THEN_USE], capture_output=True, text=True, timeout=120
    )


def test_a_run_ending_before_its_first_gate_waits_for_the_import_and_prints_no_leaks(gx_process):
    assert gx_process.returncode == 0, gx_process.stderr[-3000:]
    assert gx_process.stdout.splitlines()[0] == "ended after the import"
    assert "leaked" not in gx_process.stderr, gx_process.stderr[-3000:]


def test_gx_is_imported_without_scipy_stats_and_altair_and_a_first_use_imports_them(gx_process):
    assert gx_process.returncode == 0, gx_process.stderr[-3000:]
    # ln(0.5/0.9)/2 + ln(0.5/0.1)/2, the KL divergence GX's expectation computes with it
    lines = gx_process.stdout.splitlines()[1:5]
    assert lines == ["[]", "0.510826", "True module", "Chart Chart"]
