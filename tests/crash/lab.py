"""The crash lab: reference states built by uninterrupted runs, and crashed runs started from
them in parallel subprocesses (each in its own copy of the warehouse and output folders).

Nightly runs start from "before": the first two generated batches loaded and published as of
AS_OF, and quarter 2026Q3 billed (revision 1). An uninterrupted nightly run over all four
batches gives "after"; loading only the third batch gives "first new batch" (tables only).
Billing runs start from that nightly "after" state, and an uninterrupted billing run gives their
"after" (revision 2 of every purchaser's statement, with its difference report).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fms.ingest.batch_files import list_batch_folders, read_batch
from fms.ingest.load_batch import load_batch
from fms.warehouse import connect
from tests.crash import runs, state
from tests.prefect_server import PrefectApi
from tools.generate import generate

SEED = 7
DIRTY_RATE = 0.02
FIRST_BATCHES = 2  # loaded and published before the run that crashes
PARTS = {
    # part -> (tables compared, plus the latest nightly publication for marts)
    "batches": state.INGEST_TABLES,
    "marts": state.MART_TABLES,
    "statements": state.STATEMENT_TABLES,
}


@dataclass(frozen=True)
class KillPoint:
    """Where a run is killed and which state ("before", "after", ...) each part must be in."""

    job: str  # "nightly" or "billing"
    failpoint: str  # FMS_FAILPOINT: <name> or <name>:<N>
    moment: str  # for people
    expect: tuple[tuple[str, str], ...]  # (part, state) for parts among PARTS and "files"
    # Killed between a folder swap and its COMMIT: the state is judged once the next run's
    # first step has settled the folder (fms.run_folder.settle).
    settled: bool = False

    def __str__(self) -> str:
        return self.failpoint


@dataclass
class Snapshot:
    """Everything a reader can see: table digests, the latest publication, the job's files."""

    tables: dict
    publication: tuple | None
    files: dict[str, str]

    def part(self, name: str) -> object:
        if name == "files":
            return self.files
        if name == "marts":
            return (state.part(self.tables, PARTS[name]), self.publication)
        return state.part(self.tables, PARTS[name])


def published_folder(folder: Path, job: str) -> Path:
    return runs.nightly_folder(folder) if job == "nightly" else runs.statements_folder(folder)


def snapshot(folder: Path, job: str) -> Snapshot:
    warehouse = runs.warehouse_of(folder)
    published = published_folder(folder, job)
    return Snapshot(
        state.table_digests(warehouse),
        state.last_publication(warehouse),
        state.folder_digest(published),
    )


@dataclass
class Crash:
    kill: KillPoint
    folder: Path
    run: runs.CliRun


@dataclass
class CrashLab:
    root: Path
    api: PrefectApi
    workers: int
    landing: Path = field(init=False)
    starts: dict[str, Path] = field(default_factory=dict)  # job -> state folder runs start from
    references: dict[str, dict[str, Snapshot]] = field(default_factory=dict)
    crashes: dict[KillPoint, Future] = field(default_factory=dict)
    two_at_once: Future | None = None  # two nightly runs started together on one warehouse
    timings: list[tuple[str, float]] = field(default_factory=list)  # for the session summary

    def __post_init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="crash")

    @contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.timings.append((what, time.monotonic() - started))

    # --- reference states -------------------------------------------------------------------

    def prepare(self, kills: list[KillPoint], two_at_once: bool = False) -> None:
        """Build the reference states, starting each job's crashed runs (and the two runs at
        once) as soon as their start state exists, so they run while the other references are
        built here."""
        generate(self.root / "generated", "small", SEED, dirty_rate=DIRTY_RATE)
        self.landing = self.root / "generated" / "landing"
        first = self.root / "landing-first"
        names = [f.name for f in list_batch_folders(self.landing)]
        assert len(names) > FIRST_BATCHES + 1, names  # at least two new batches for a run
        for name in names[:FIRST_BATCHES]:
            shutil.copytree(self.landing / name, first / name)

        before = self.root / "states" / "published"
        with self.timed("reference: nightly over the first batches, then billing"):
            runs.nightly_in_process(self.api, before, first)
            runs.billing_in_process(self.api, before)
        self.starts["nightly"] = before
        self._launch([k for k in kills if k.job == "nightly"])

        first_new = runs.copy_state(before, self.root / "states" / "first-new-batch")
        with connect(runs.warehouse_of(first_new)) as con:
            load_batch(con, read_batch(self.landing / names[FIRST_BATCHES]), runs.load_day())
        after = runs.copy_state(before, self.root / "states" / "nightly")
        with self.timed("reference: uninterrupted nightly"):
            runs.nightly_in_process(self.api, after, self.landing)
        billed = runs.copy_state(after, self.root / "states" / "billed")
        with self.timed("reference: uninterrupted billing"):
            runs.billing_in_process(self.api, billed)
        self.starts["billing"] = after
        self._launch([k for k in kills if k.job == "billing"])
        if two_at_once:
            self.two_at_once = self.pool.submit(self._two_at_once)

        self.references = {
            "nightly": {
                "before": snapshot(before, "nightly"),
                "first new batch": snapshot(first_new, "nightly"),
                "after": snapshot(after, "nightly"),
            },
            "billing": {"before": snapshot(after, "billing"), "after": snapshot(billed, "billing")},
        }

    def start_copy(self, job: str, name: str) -> Path:
        return runs.copy_state(self.starts[job], self.root / "scenarios" / name)

    # --- crashed runs -----------------------------------------------------------------------

    def _launch(self, kills: list[KillPoint]) -> None:
        for kill in kills:
            if kill not in self.crashes:
                self.crashes[kill] = self.pool.submit(self._crash, kill)

    def _crash(self, kill: KillPoint) -> Crash:
        folder = self.start_copy(kill.job, f"{kill.job}-{kill.failpoint.replace(':', '-')}")
        args = (
            runs.nightly_args(folder, self.landing)
            if kill.job == "nightly"
            else runs.billing_args(folder)
        )
        crash = Crash(kill, folder, runs.run_cli(self.api, args, failpoint=kill.failpoint))
        self.timings.append((f"killed {kill.job} run at {kill.failpoint}", crash.run.seconds))
        return crash

    def _two_at_once(self) -> tuple[Path, list[runs.CliRun]]:
        folder = self.start_copy("nightly", "two-at-once")
        args = runs.nightly_args(folder, self.landing)
        with ThreadPoolExecutor(max_workers=2) as both:
            done = list(both.map(lambda _: runs.run_cli(self.api, args), range(2)))
        self.timings.append(("two nightly runs at once", max(r.seconds for r in done)))
        return folder, done

    def crashed(self, kill: KillPoint) -> Crash:
        self._launch([kill])
        return self.crashes[kill].result()

    def recover(self, crash: Crash) -> Snapshot:
        """The next run, uninterrupted (in this process: no kill is needed)."""
        with self.timed(f"next {crash.kill.job} run after {crash.kill.failpoint}"):
            if crash.kill.job == "nightly":
                runs.nightly_in_process(self.api, crash.folder, self.landing)
            else:
                runs.billing_in_process(self.api, crash.folder)
        return snapshot(crash.folder, crash.kill.job)

    def which(self, job: str, seen: Snapshot, part: str) -> list[str]:
        """The reference states whose `part` the snapshot equals."""
        seen_part = seen.part(part)
        return [name for name, ref in self.references[job].items() if ref.part(part) == seen_part]

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
