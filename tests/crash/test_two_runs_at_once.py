"""Two nightly runs started at once on one warehouse: one runs, the other waits for it or is
refused with the lock's message (fms/locking.py); nothing is corrupted or loaded twice, and a
rerun afterwards changes nothing."""

from __future__ import annotations

from tests.crash import runs, state
from tests.crash.lab import snapshot

# The summary `fms run nightly` prints (JSON, indented).
LOADED_SOME = '"batches_loaded": [\n    "'
LOADED_NONE = '"batches_loaded": []'


def test_two_nightly_runs_at_once_one_runs_the_other_waits_or_is_refused_and_nothing_doubles(
    crash_lab,
):
    folder, both = crash_lab.two_at_once.result()  # started with the crashed runs
    warehouse = runs.warehouse_of(folder)

    loaders = [r for r in both if r.returncode == 0 and LOADED_SOME in r.output]
    assert len(loaders) == 1, "\n\n".join(r.output[-2000:] for r in both)
    other = both[1] if loaders[0] is both[0] else both[0]
    if other.returncode == 0:  # it waited for the lock, then found every batch loaded
        assert LOADED_NONE in other.output, other.output[-3000:]
    else:  # refused at once, saying which run holds the warehouse
        assert other.returncode == 2, other.output[-3000:]
        assert f"error: warehouse {warehouse.resolve()} is in use by run " in other.output
        assert "Traceback" not in other.output

    assert state.batches_not_whole(warehouse) == []
    assert state.duplicate_keys(warehouse) == []
    after = crash_lab.references["nightly"]["after"]
    seen = snapshot(folder, "nightly")
    assert seen.tables == after.tables
    assert seen.publication == after.publication
    assert seen.files == after.files

    runs.nightly_in_process(crash_lab.api, folder, crash_lab.landing)
    rerun = snapshot(folder, "nightly")
    assert (rerun.tables, rerun.publication, rerun.files) == (
        seen.tables,
        seen.publication,
        seen.files,
    )
