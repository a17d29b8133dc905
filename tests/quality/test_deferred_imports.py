"""Great Expectations is imported without scipy.stats and altair, which it loads only for
expectations no suite uses (fms.quality.gate.UNUSED_GX_IMPORTS); any code that does use them
still gets the real modules, imported at that first use."""

from __future__ import annotations

import subprocess
import sys

GATE_THEN_USE = """
import sys
from fms.quality import gate

gate.preload_great_expectations()
gate.finish_background_import()
gate.Validator(None)
print(sorted(n for n in ("scipy.stats._stats_py", "altair.vegalite") if n in sys.modules))

from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(round(kl.stats.entropy([0.5, 0.5], [0.9, 0.1]), 6))
from scipy.stats import entropy
print(entropy is kl.stats.entropy, type(sys.modules["scipy.stats"]).__name__)
import altair
print(altair.Chart.__name__, type(kl.alt.Chart({"a": [1]})).__name__)
"""


def test_a_gating_process_defers_scipy_stats_and_altair_and_a_first_use_imports_them():
    done = subprocess.run(
        [sys.executable, "-c", GATE_THEN_USE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # ln(0.5/0.9)/2 + ln(0.5/0.1)/2, the KL divergence GX's expectation computes with it
    assert done.stdout.split("\n")[:4] == ["[]", "0.510826", "True module", "Chart Chart"]
