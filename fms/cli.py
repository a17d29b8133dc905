"""`fms`: the command line. Each `fms run` job calls its Prefect flow."""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

# Before Prefect is imported: a first run creates Prefect's database, which can take longer
# than its 20 s default on a busy 2-core machine; and this network reaches no telemetry host.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

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
    """Failures the user gets as one `error:` line: bad input, a failed gate, a missing path,
    and DuckDB refusing the data (an amount sum beyond DECIMAL(18,2), a file held elsewhere)."""
    import duckdb

    from fms.ingest.batch_files import BatchFileError
    from fms.locking import WarehouseBusyError
    from fms.quality.gate import DataQualityError

    return (
        BatchFileError,
        DataQualityError,
        WarehouseBusyError,
        FileNotFoundError,
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

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task_id = bar.add_task("generating", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task_id, description=step, completed=done, total=total)

        manifest = run_generate(out, scale.value, seed, dirty_rate, progress=progress)
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
    from flows.nightly import nightly_refresh

    _checked_runner(runner, dask_address)
    _quiet_console_tracebacks()
    try:
        summary = nightly_refresh(
            landing=_absolute(landing),
            warehouse=_absolute(warehouse),
            out=_absolute(out),
            as_of=_date(as_of),
            runner=runner.value,
            dask_address=dask_address,
        )
    except _known_errors() as exc:
        _fail(_describe(exc))
    _print_summary(summary)


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
    from flows.quarterly_billing import quarterly_billing

    _checked_selection(purchaser, case)
    _checked_runner(runner, dask_address)
    _quiet_console_tracebacks()
    try:
        summary = quarterly_billing(
            period_end=_date(period_end),
            warehouse=_absolute(warehouse),
            out=_absolute(out),
            purchaser=purchaser,
            case_id=case,
            runner=runner.value,
            dask_address=dask_address,
        )
    except _known_errors() as exc:
        _fail(_describe(exc))
    _print_summary(summary)


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
    from flows.delivery_report import delivery_report

    _checked_selection(purchaser, case)
    _checked_runner(runner, dask_address)
    _quiet_console_tracebacks()
    try:
        summary = delivery_report(
            as_of=_date(as_of),
            warehouse=_absolute(warehouse),
            out=_absolute(out),
            purchaser=purchaser,
            case_id=case,
            runner=runner.value,
            dask_address=dask_address,
        )
    except _known_errors() as exc:
        _fail(_describe(exc))
    _print_summary(summary)


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
    from flows.closure import closure_readiness

    _checked_selection(purchaser, case)
    _checked_runner(runner, dask_address)
    _quiet_console_tracebacks()
    try:
        summary = closure_readiness(
            as_of=_date(as_of),
            warehouse=_absolute(warehouse),
            out=_absolute(out),
            purchaser=purchaser,
            case_id=case,
            runner=runner.value,
            dask_address=dask_address,
        )
    except _known_errors() as exc:
        _fail(_describe(exc))
    _print_summary(summary)


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
