"""`fms`: the command line. Each `fms run` job calls its Prefect flow."""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from fms import settings

# Before Prefect is imported: a first run creates Prefect's database, which can take longer
# than its 20 s default on a busy 2-core machine; and this network reaches no telemetry host.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# No Python process a command starts (the temporary Prefect server, Dask workers, the flow runs
# of `fms serve`) puts the working directory on its import path: a `concurrent.py` left there
# would otherwise run inside it. This process, a console script, never had it on its path.
os.environ["PYTHONSAFEPATH"] = "1"

# The exit status of the console command, once it has one (see main).
_exit_status: int | None = None


def _exit_without_teardown() -> None:
    """The last thing a finished `fms` command does: end the process without CPython's
    teardown, which collected every object the run left behind (Great Expectations', pandas',
    matplotlib's, Prefect's) for ~1.5 s after the work was done (medium data; as long on
    large), and after a failed run printed DuckDB's objects still alive as "leaks" on stderr.

    Nothing waits on that teardown: the warehouse, the files and the lock are closed by their
    `with` blocks, Prefect's log and event workers are drained before atexit runs, and every
    other atexit handler (the temporary Prefect server's stop among them) was registered after
    this one, so has run. Logging's handler was registered before (an import above): it is run
    here. Only for the console command (`main`): a process that imports this module keeps
    Python's own exit."""
    if _exit_status is None:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)


atexit.register(_exit_without_teardown)

app = typer.Typer(
    help="FMS finance data platform: ingest, billing, delivery reporting, case closure.",
    no_args_is_help=True,
    add_completion=False,
)
run_app = typer.Typer(help="Run a job (a Prefect flow) now.", no_args_is_help=True)
app.add_typer(run_app, name="run")
console = Console(stderr=True)

# Financial records: whatever a command creates (the warehouse and its write-ahead log, output
# folders and their parents, Data Docs, the lock file) is not readable by other users.
PRIVATE_UMASK = 0o027


@app.callback()
def _private_files() -> None:
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)  # keep any stricter umask


class Scale(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


def _date(value: datetime | None) -> date | None:
    return value.date() if value else None


DateOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD (default: resolved when the run starts)"),
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option(help="DuckDB warehouse file [default: data/warehouse/fms.duckdb]"),
]
OutOption = Annotated[Path | None, typer.Option(help="Output root folder [default: data/out]")]
PurchaserOption = Annotated[
    str | None,
    typer.Option(help="Ad hoc: one purchaser's country code (own output folder)"),
]
CaseOption = Annotated[
    str | None, typer.Option("--case", help="Ad hoc: one case CC-I-DDD (own output folder)")
]


class Runner(StrEnum):
    local = "local"
    dask = "dask"


RunnerOption = Annotated[
    Runner,
    typer.Option(
        help="Build the marts in this process, or per purchaser on Dask (2-worker "
        "local cluster unless --dask-address)"
    ),
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(help="With --runner dask: an existing Dask scheduler, e.g. tcp://host:8786"),
]


def _checked_runner(runner: Runner, dask_address: str | None) -> None:
    if dask_address and runner != Runner.dask:
        _fail("--dask-address needs --runner dask")


def _checked_selection(purchaser: str | None, case_id: str | None) -> None:
    from fms.contract import CASE_ID_PATTERN, COUNTRY_CODE_PATTERN

    if purchaser is not None and not re.fullmatch(COUNTRY_CODE_PATTERN, purchaser):
        _fail(f"--purchaser must be a 2-character country code like UK, not {purchaser!r}")
    if case_id is not None and not re.fullmatch(CASE_ID_PATTERN, case_id):
        _fail(f"--case must be a case id CC-I-DDD like UK-D-AAA, not {case_id!r}")


def _selected(
    purchaser: str | None, case_id: str | None, runner: Runner, dask_address: str | None
) -> dict[str, object]:
    """The options of every job but the nightly, checked, as its flow's parameters."""
    _checked_selection(purchaser, case_id)
    _checked_runner(runner, dask_address)
    return {
        "purchaser": purchaser,
        "case_id": case_id,
        "runner": runner.value,
        "dask_address": dask_address,
    }


def _fail(message: str) -> None:
    # Messages quote the input (file and column names, paths): print them as text, never as
    # Rich markup, which would swallow "[x]" or fail on "[/x]".
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code=2)


def _describe(exc: BaseException) -> str:
    """One line: which step failed (when a step did) and why."""
    from tasks.failures import describe_failure

    return describe_failure(exc)


def _known_errors() -> tuple[type[BaseException], ...]:
    """Failures the user gets as one `error:` line: bad input or settings, a failed gate, the
    warehouse held or its lock file refused, DuckDB refusing the data (an amount sum beyond
    DECIMAL(18,2), a file held elsewhere), and the machine refusing a file (a read-only or
    full disk, a file where a folder should be). A traceback is left for a fault of the code."""
    import duckdb

    from fms.ingest.batch_files import BatchFileError
    from fms.locking import LockFileError, WarehouseBusyError
    from fms.quality.gate import DataQualityError
    from fms.temporary_server import TemporaryServerError

    return (
        BatchFileError,
        DataQualityError,
        WarehouseBusyError,
        LockFileError,
        TemporaryServerError,
        OSError,
        ValueError,
        duckdb.Error,
    )


class _NoTracebackForKnownErrors(logging.Filter):
    """Prefect logs a failed run's exception with its traceback on the console. For a known
    error the user reads the `error:` line instead; Prefect's API keeps the full traceback
    (its handler runs before the console's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], _known_errors()):
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_console_tracebacks() -> None:
    """Install the filter on the console handlers (after Prefect configured its logging)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _NoTracebackForKnownErrors) for f in handler.filters):
            handler.addFilter(_NoTracebackForKnownErrors())


def _absolute(path: Path | None) -> Path | None:
    # Resolved here: the data-quality docs site refuses a relative output folder.
    return path.resolve() if path is not None else None


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write (landing/ and manifest.json)")] = Path(
        "data/generated"
    ),
    scale: Annotated[Scale, typer.Option(help="small ~40 cases, medium ~2k, large ~20k")] = (
        Scale.small
    ),
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes")] = 0,
    dirty_rate: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Fraction of rows to corrupt (0 = clean)")
    ] = 0.0,
) -> None:
    """Write synthetic FMS batch folders that follow the data contract."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from fms.generate import generate as run_generate
    from fms.preflight import PreflightError, check_writable_folder

    try:
        check_writable_folder(out, "--out")
    except PreflightError as exc:
        _fail(str(exc))
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task_id = bar.add_task("generating", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task_id, description=step, completed=done, total=total)

        try:
            manifest = run_generate(out, scale.value, seed, dirty_rate, progress=progress)
        except OSError as exc:  # a disk that fills, a folder made read-only meanwhile
            _fail(f"writing the generated data under {out} failed: {_describe(exc)}")
    batches = manifest.get("batches", [])
    injected = len(manifest.get("injected", []))
    print(f"wrote {len(batches)} batch(es) to {out / 'landing'} ({injected} bad rows injected)")
    print(f"manifest: {out / 'manifest.json'}")


@run_app.command("nightly")
def run_nightly(
    landing: Annotated[
        Path | None, typer.Option(help="Folder of batch folders [default: the bundled sample]")
    ] = None,
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    as_of: DateOption = None,
    runner: RunnerOption = Runner.local,
    dask_address: DaskAddressOption = None,
) -> None:
    """Load every new batch, then refresh the marts as of a date (default: today)."""
    _checked_runner(runner, dask_address)
    _run_job(
        "nightly",
        "flows.nightly:nightly_refresh",
        warehouse,
        out,
        landing=_absolute(landing or settings.default_landing()),
        as_of=_date(as_of),
        runner=runner.value,
        dask_address=dask_address,
    )


@run_app.command("quarterly-billing")
def run_quarterly_billing(
    period_end: DateOption = None,
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    purchaser: PurchaserOption = None,
    case: CaseOption = None,
    runner: RunnerOption = Runner.local,
    dask_address: DaskAddressOption = None,
) -> None:
    """Bill every purchaser for a quarter ended (default: the last one before today)."""
    options = _selected(purchaser, case, runner, dask_address)
    _run_job(
        "quarterly-billing",
        "flows.quarterly_billing:quarterly_billing",
        warehouse,
        out,
        period_end=_date(period_end),
        **options,
    )


@run_app.command("delivery-report")
def run_delivery_report(
    as_of: DateOption = None,
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    purchaser: PurchaserOption = None,
    case: CaseOption = None,
    runner: RunnerOption = Runner.local,
    dask_address: DaskAddressOption = None,
) -> None:
    """The C1 file, delivery status and undelivered report (default: end of last month)."""
    options = _selected(purchaser, case, runner, dask_address)
    _run_job(
        "delivery-report",
        "flows.delivery_report:delivery_report",
        warehouse,
        out,
        as_of=_date(as_of),
        **options,
    )


@run_app.command("closure")
def run_closure(
    as_of: DateOption = None,
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    purchaser: PurchaserOption = None,
    case: CaseOption = None,
    runner: RunnerOption = Runner.local,
    dask_address: DaskAddressOption = None,
) -> None:
    """The closure worklist: ready cases, blockers, funds released (default: today)."""
    options = _selected(purchaser, case, runner, dask_address)
    _run_job(
        "closure", "flows.closure:closure_readiness", warehouse, out, as_of=_date(as_of), **options
    )


def _run_job(
    job: str,
    entrypoint: str,
    warehouse: Path | None,
    out: Path | None,
    landing: Path | None = None,
    **parameters: object,
) -> None:
    """Check what the run needs, point it at a Prefect API, run the job's flow (`module:flow`)
    and print its summary; any known failure is one `error:` line and exit 2."""
    import importlib

    from fms.locking import LockFileError
    from fms.preflight import PreflightError, check_run

    warehouse = _absolute(warehouse or settings.default_warehouse())
    out = _absolute(out or settings.default_out())
    try:
        check_run(job, warehouse, out, landing)  # before Prefect is imported: within a second
    except (PreflightError, settings.SettingError, LockFileError) as exc:
        _fail(str(exc))
    if landing is not None:
        parameters["landing"] = landing
    try:
        api_ready = _use_prefect_api()
        module, name = entrypoint.split(":")
        flow = getattr(importlib.import_module(module), name)  # while the server starts
        _quiet_console_tracebacks()
        api_ready()
        summary = flow(warehouse=warehouse, out=out, **parameters)
    except _known_errors() as exc:
        _fail(_describe(exc))
    _print_summary(summary)


def _use_prefect_api() -> Callable[[], None]:
    """Point this run at a Prefect API; return what waits until it answers.

    The API of PREFECT_API_URL (environment or Prefect profile) if set; otherwise a temporary
    server started for this run, stopped when the run ends (an atexit handler registered after
    `_exit_without_teardown`, so run before it) and gone with the run even if it is killed."""
    from prefect.settings import get_current_settings

    current = get_current_settings()
    if current.api.url:
        return lambda: None
    # (Next: a server already answering on the local default address, before starting one.)
    from prefect.context import refresh_global_settings_context

    from fms.temporary_server import TemporaryServer

    server = TemporaryServer.start()
    atexit.register(server.stop)
    os.environ["PREFECT_API_URL"] = server.api_url  # for this process and every one it starts
    refresh_global_settings_context()

    def ready() -> None:  # Prefect's logging is set up by now (the flow was imported)
        logging.getLogger("prefect").info("Starting temporary server on %s", server.api_url)
        server.wait_until_ready(current.server.ephemeral.startup_timeout_seconds)

    return ready


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            help="Address of the Prefect server to use or start: loopback only, unless "
            "PREFECT_SERVER_API_AUTH_STRING is set (ignored if PREFECT_API_URL is set)"
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Its port (the Prefect UI is at http://HOST:PORT)")] = (
        4200
    ),
    limit: Annotated[
        int, typer.Option(min=1, help="Flow runs at a time (the jobs share one warehouse)")
    ] = 1,
    prefect_file: Annotated[
        Path | None, typer.Option(help="Deployments to serve (default: the project's prefect.yaml)")
    ] = None,
) -> None:
    """Serve every deployment of prefect.yaml on its schedule from this process (Ctrl-C stops)."""
    # The server: PREFECT_API_URL's, else one answering at HOST:PORT, else one started there.
    from fms.serve import PREFECT_FILE, ServeError, serve_deployments

    try:
        serve_deployments(prefect_file or PREFECT_FILE, host=host, port=port, limit=limit)
    except ServeError as exc:
        _fail(str(exc))


def _print_summary(summary: dict) -> None:
    print(json.dumps(summary, indent=2, default=str))
    print(f"warehouse: {summary['warehouse']}")
    print(f"outputs:   {summary['out_dir']}")
    print(f"run report: {summary['run_report']}")


def main() -> None:
    """The console command `fms` (and `python -m fms.cli`)."""
    global _exit_status
    try:
        app()  # typer ends every command with SystemExit
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            _exit_status = exc.code or 0
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
