"""A run killed (SIGKILL) anywhere leaves every batch whole or absent and every publication the
previous one or the new one; the next run finishes with the same results as a run never killed.

Each case starts `fms run` in a subprocess with FMS_FAILPOINT set (fms/failpoints.py): the
process kills itself at that point, with no cleanup of any kind. Then, on what it left:
- the process died of SIGKILL;
- every batch is fully loaded or not at all (load_log, history and quarantine agree per batch)
  and the input tables equal a reference state: before the run, after its first new batch, or
  after all of them;
- the published marts (with their publication record) and the published files each equal the
  previous publication or the new one, whole, and the same one (killed between the folder swap
  and COMMIT, once the next run's first step has settled the folder);
- the warehouse folder (with any write-ahead log the kill left) is private;
- the next run, not killed, leaves every table and file as an uninterrupted run did.

Two nightly runs started at once on one warehouse (last test): one runs, the other waits for it
or is refused with the lock's message (fms/locking.py); nothing is corrupted or loaded twice,
and a rerun afterwards changes nothing. Every test of the crash lab is in this file: the lab is
one session fixture that starts all their runs at once, and a test worker takes a whole file.
"""

from __future__ import annotations

import signal
from functools import partial

import pytest

from fms.publication import published_in
from fms.run_folder import settle
from tests.crash import runs, state
from tests.crash.lab import KillPoint, published_folder, snapshot
from tests.crash.runs import warehouse_of

NIGHTLY = "nightly"
BILLING = "billing"
OLD = (("batches", "before"), ("marts", "before"), ("files", "before"))
LOADED = (("batches", "after"), ("marts", "before"), ("files", "before"))

PUBLISHED = (("batches", "after"), ("marts", "after"), ("files", "after"))

KILLS = [
    # Loading: each batch is one transaction.
    KillPoint(
        NIGHTLY, "load_batch.entity_loaded:3", "inside the first new batch, 3 entities in", OLD
    ),
    KillPoint(
        NIGHTLY,
        "load_batch.before_commit:2",
        "second new batch complete, before its COMMIT (the first committed)",
        (("batches", "first new batch"), ("marts", "before"), ("files", "before")),
    ),
    KillPoint(
        NIGHTLY,
        "load_batch.committed:1",
        "between batches: the first new one committed, the next not begun",
        (("batches", "first new batch"), ("marts", "before"), ("files", "before")),
    ),
    # Marts built in staging and audited; every file written; then one commit of the marts,
    # their `publications` row and the run folder.
    KillPoint(NIGHTLY, "nightly.marts_staged", "marts rebuilt in staging, not audited", LOADED),
    KillPoint(
        NIGHTLY,
        "atomic_path.written:3",
        "writing files: the third one written, not renamed",
        LOADED,
    ),
    KillPoint(
        NIGHTLY,
        "run_folder.prepared",
        "every file written, the swap's links and intent made, the transaction not begun",
        LOADED,
    ),
    KillPoint(
        NIGHTLY, "publish_staged_marts.mart_replaced:2", "mid-swap: 2 of 5 marts replaced", LOADED
    ),
    KillPoint(
        NIGHTLY,
        "run_folder.swapped",
        "run folder swapped in, marts not committed (settled by the next run)",
        LOADED,
        settled=True,
    ),
    KillPoint(
        NIGHTLY,
        "publication.committed",
        "marts and folder committed, the previous folder not yet pruned",
        PUBLISHED,
    ),
    # Billing: new revisions, their `publications` row and the quarter's folder commit together.
    KillPoint(
        BILLING,
        "publish_statements.revisions_inserted",
        "new revisions inserted, not committed, their files not written",
        (("statements", "before"), ("files", "before")),
    ),
    KillPoint(
        BILLING,
        "run_folder.swapped:1",
        "statement folder swapped in, revisions not committed (settled by the next run)",
        (("statements", "before"), ("files", "before")),
        settled=True,
    ),
    KillPoint(
        BILLING,
        "publication.committed:1",
        "revisions and statement folder committed, the previous folder not yet pruned",
        (("statements", "after"), ("files", "after")),
    ),
    KillPoint(
        BILLING,
        "run_folder.swapped:2",
        "statements committed, the run's record folder swapped in",
        (("statements", "after"), ("files", "after")),
    ),
]


@pytest.mark.parametrize("kill", KILLS, ids=lambda k: f"{k.job}-{k.failpoint}")
def test_a_killed_run_leaves_whole_batches_and_publications_and_the_next_run_recovers(
    kill, crash_lab
):
    crash = crash_lab.crashed(kill)
    assert crash.run.returncode == -signal.SIGKILL, (
        f"the run was to die at {kill.failpoint} ({kill.moment}) but exited with "
        f"{crash.run.returncode}:\n{crash.run.output[-3000:]}"
    )
    warehouse = warehouse_of(crash.folder)

    assert state.batches_not_whole(warehouse) == []
    if kill.settled:
        # The folder was swapped (ahead of the rows) when the run died: settling puts it back.
        unsettled = snapshot(crash.folder, kill.job)
        assert crash_lab.which(kill.job, unsettled, "files") == ["after"]
        settle(published_folder(crash.folder, kill.job), partial(published_in, warehouse))
    left = snapshot(crash.folder, kill.job)
    for part, expected in kill.expect:
        matches = crash_lab.which(kill.job, left, part)
        assert expected in matches, (
            f"killed at {kill.failpoint} ({kill.moment}): the {part} should be as "
            f"'{expected}', they match {matches or 'no reference state (half of one)'}"
        )
    assert state.world_readable(warehouse.parent) == []

    recovered = crash_lab.recover(crash)
    after = crash_lab.references[kill.job]["after"]
    assert recovered.tables == after.tables
    assert recovered.publication == after.publication
    assert recovered.files == after.files
    assert state.batches_not_whole(warehouse) == []


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
