"""`fms`: the command line. Each `fms run <command>` runs its job's Prefect flow; the commands
and their options are derived from the jobs' table (flows/jobs.py)."""

from __future__ import annotations

import atexit
import importlib
import inspect
import json
import logging
import os
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from app.console import console
from app.console import fail as _fail
from app.users_cli import users_app
from flows.jobs import JOBS, CaseId, Job, PurchaserCode, Runner
from fms import settings

# Before Prefect is imported: a first run creates Prefect's database, which can take longer
# than its 20 s default on a busy 2-core machine; and this network reaches no telemetry host.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# No Python process a command starts (the temporary Prefect server, Dask workers, the flow runs
# of `fms serve`) puts the working directory on its import path: a `concurrent.py` left there
# would otherwise run inside it. This process, a console script, never had it on its path.
os.environ["PYTHONSAFEPATH"] = "1"

app = typer.Typer(
    help="FMS finance data platform: ingest, billing, delivery reporting, case closure.",
    no_args_is_help=True,
    add_completion=False,
)
run_app = typer.Typer(help="Run a job (a Prefect flow) now.", no_args_is_help=True)
app.add_typer(run_app, name="run")
app.add_typer(users_app, name="users")

# Financial records: whatever a command creates (the warehouse and its write-ahead log, output
# folders and their parents, Data Docs, the lock file) is not readable by other users.
PRIVATE_UMASK = 0o027


@app.callback()
def _private_files() -> None:
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)  # keep any stricter umask


def _option(kind: Any, text: str, **kw: Any) -> Any:
    return Annotated[kind, typer.Option(help=text, **kw)]


_DATE = _option(
    datetime | None,
    "YYYY-MM-DD",
    formats=["%Y-%m-%d"],
    show_default="resolved when the run starts",
)
# Every option of `fms run` (each a parameter of its job's flow) and its type: Typer checks a
# value against it before anything runs (a purchaser or case against the flows' own pattern).
OPTIONS: dict[str, Any] = {
    # show_default, not "[default: ...]" in the help: Rich would read that as markup.
    "landing": _option(Path | None, "Folder of batch folders", show_default="$FMS_LANDING"),
    "as_of": _DATE,
    "period_end": _DATE,
    "warehouse": _option(
        Path | None, "DuckDB warehouse file", show_default="data/warehouse/fms.duckdb"
    ),
    "out": _option(Path | None, "Output root folder", show_default="data/out"),
    "purchaser": _option(
        PurchaserCode | None,
        "Ad hoc: one purchaser's country code (own output folder)",
        metavar="<str>",
    ),
    "case": _option(
        CaseId | None, "Ad hoc: one case CC-I-DDD (own output folder)", metavar="<str>"
    ),
    "runner": _option(
        Runner,
        "Build the marts in this process, or per purchaser on Dask (2-worker local cluster "
        "unless --dask-address)",
    ),
    "dask_address": _option(
        str | None, "With --runner dask: an existing Dask scheduler, e.g. tcp://host:8786"
    ),
    "preliminary": _option(
        bool,
        "A draft marked PRELIMINARY, of any quarter end (even one not over): written under "
        "preliminary/, never a published revision",
    ),
}


DEFAULTS = {"runner": "local", "preliminary": False}


def job_options(job: Job) -> list[str]:
    """The options of `fms run <job.command>`, each a parameter of the job's flow."""
    return [
        *(["landing"] if job.landing else []),
        job.date_option,
        "warehouse",
        "out",
        *(["purchaser", "case"] if job.selection else []),
        *(["preliminary"] if job.drafts else []),
        *(["runner", "dask_address"] if job.scale_out else []),
    ]


# How a run talks to the person who started it (not parameters of the flow).
OUTPUT_OPTIONS: dict[str, Any] = {
    "verbose": _option(bool, "Also print Prefect's log lines of every step"),
    "json": _option(bool, "Print the run's summary as JSON (for scripts), not the short text"),
}


def _run_command(job: Job) -> Callable[..., None]:
    def command(verbose: bool, json: bool, **options: Any) -> None:
        _run_job(job, verbose=verbose, as_json=json, **options)

    command.__doc__ = job.help
    keyword = inspect.Parameter.KEYWORD_ONLY
    command.__signature__ = inspect.Signature(
        [
            inspect.Parameter(name, keyword, annotation=OPTIONS[name], default=DEFAULTS.get(name))
            for name in job_options(job)
        ]
        + [
            inspect.Parameter(name, keyword, annotation=kind, default=False)
            for name, kind in OUTPUT_OPTIONS.items()
        ]
    )
    return command


def _known_errors() -> tuple[type[BaseException], ...]:
    """Failures the user gets as one `error:` line: bad input or settings, a failed gate, the
    warehouse held or its lock file refused, DuckDB refusing the data (an amount sum beyond
    DECIMAL(18,2), a file held elsewhere), and the machine refusing a file (a read-only or
    full disk, a file where a folder should be). A traceback is left for a fault of the code."""
    import duckdb

    from app.temporary_server import TemporaryServerError
    from fms.ingest.batch_files import BatchFileError
    from fms.locking import LockFileError, WarehouseBusyError
    from fms.quality.gate import DataQualityError

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


def _quiet_console(verbose: bool) -> None:
    """On the console (after Prefect configured its logging): Prefect's lines of every step
    only with --verbose, else its errors only (the run's summary says the rest, each warning
    once); never a traceback for a known error. Prefect's API still receives every line."""
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO if verbose else logging.ERROR)
        if not any(isinstance(f, _NoTracebackForKnownErrors) for f in handler.filters):
            handler.addFilter(_NoTracebackForKnownErrors())


def _absolute(path: Path | None) -> Path | None:
    # Resolved here: the data-quality docs site refuses a relative output folder.
    return path.resolve() if path is not None else None


def _describe(exc: BaseException) -> str:
    """One line: which step failed (when a step did) and why."""
    from fms.failures import describe_failure

    return describe_failure(exc)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write (landing/ and manifest.json)")] = Path(
        "data/generated"
    ),
    scale: Annotated[
        Literal["small", "medium", "large"],
        typer.Option(help="small ~40 cases, medium ~2k, large ~20k"),
    ] = "small",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes")] = 0,
    dirty_rate: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Fraction of rows to corrupt (0 = clean)")
    ] = 0.0,
) -> None:
    """Write synthetic FMS batch folders that follow the data contract."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from app.preflight import PreflightError, check_writable_folder

    try:
        from tools.generate import generate as run_generate
    except ImportError as exc:  # a runtime install without the developer tools
        _fail(f"fms generate needs the developer tools (tools/, the dev extra): {exc}")
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
            manifest = run_generate(out, scale, seed, dirty_rate, progress=progress)
        except OSError as exc:  # a disk that fills, a folder made read-only meanwhile
            _fail(f"writing the generated data under {out} failed: {_describe(exc)}")
    batches = manifest.get("batches", [])
    injected = len(manifest.get("injected", []))
    print(f"wrote {len(batches)} batch(es) to {out / 'landing'} ({injected} bad rows injected)")
    print(f"manifest: {out / 'manifest.json'}")


for _job in JOBS:
    run_app.command(_job.command)(_run_command(_job))


def _run_job(
    job: Job,
    warehouse: Path | None,
    out: Path | None,
    landing: Path | None = None,
    verbose: bool = False,
    as_json: bool = False,
    **options,
) -> None:
    """Check what the run needs, point it at a Prefect API, run the job's flow and print its
    summary; any known failure is one `error:` line and exit 2."""
    from app.preflight import PreflightError, check_run
    from fms.locking import LockFileError

    warehouse = _absolute(warehouse or settings.default_warehouse())
    out = _absolute(out or settings.default_out())
    if job.landing:
        landing = landing or settings.configured_landing()
        if landing is None:
            _fail(settings.NO_LANDING)
        landing = options["landing"] = _absolute(landing)
    day = options[job.date_option]
    options[job.date_option] = day.date() if day else None
    try:
        check_run(  # before Prefect is imported
            job,
            warehouse,
            out,
            landing,
            options[job.date_option],
            options.get("purchaser"),
            options.get("case"),
            options.get("preliminary", False),
        )
    except (PreflightError, settings.SettingError, LockFileError) as exc:
        _fail(str(exc))
    if not as_json:
        more = "" if verbose else " (--verbose prints every step)"
        console.print(f"{job.command}: running{more}", highlight=False)
    try:
        api_ready = _use_prefect_api()
        module, name = job.flow.split(":")
        flow = getattr(importlib.import_module(module), name)  # while the server starts
        _quiet_console(verbose)
        api_ready()
        with without_heartbeats():
            summary = flow(warehouse=warehouse, out=out, **options)
    except _known_errors() as exc:
        _fail(_describe(_released(exc)))
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print("\n".join(summary_lines(job, summary)))


def _released(exc: BaseException) -> BaseException:
    """The failure, its frames' locals dropped along its whole chain: Prefect's threads keep
    the failed run's state until the process exits, and the DuckDB objects those frames held
    would then be reported as leaked."""
    cause: BaseException | None = exc
    while cause is not None:
        traceback.clear_frames(cause.__traceback__)
        cause = cause.__cause__ or cause.__context__
    return exc


def without_heartbeats():
    """Prefect settings for a flow run in this process: no flow-run heartbeats. They feed only a
    "zombie run" automation, which this project does not make (app/alerts.py watches deployment
    runs, whose runner or worker sees their process die); and the end of every run waits for
    Prefect's heartbeat thread, which sleeps in 1 s steps: 0.8 s of an ad-hoc run
    (tools/benchmarks/README.md, "Deferred imports and heartbeats"). Deployment runs keep
    Prefect's default."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _use_prefect_api() -> Callable[[], None]:
    """Point this run at a Prefect API; return what waits until it answers.

    The API of PREFECT_API_URL (environment or Prefect profile) if set; else the server `fms
    serve` keeps on this machine (127.0.0.1, port FMS_SERVE_PORT or 4200) if it answers: a run
    then starts in seconds; otherwise a temporary server started for this run, stopped when the
    run ends (an atexit handler) and gone with the run even if it is killed."""
    from prefect.context import refresh_global_settings_context
    from prefect.settings import get_current_settings

    from app.serve import is_healthy, local_api_url

    current = get_current_settings()
    if current.api.url:
        return lambda: None
    served = local_api_url()
    if is_healthy(served, timeout=1.0):
        os.environ["PREFECT_API_URL"] = served  # for this process and every one it starts
        refresh_global_settings_context()
        return lambda: logging.getLogger("prefect").info("Using the Prefect server at %s", served)

    from app.temporary_server import TemporaryServer

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
    port: Annotated[
        int,
        typer.Option(
            envvar="FMS_SERVE_PORT",
            help="Its port (the Prefect UI is at http://HOST:PORT); `fms run` looks for the "
            "server on 127.0.0.1 at this port",
        ),
    ] = 4200,
    limit: Annotated[
        int, typer.Option(min=1, help="Flow runs at a time (the jobs share one warehouse)")
    ] = 1,
    prefect_file: Annotated[
        Path | None, typer.Option(help="Deployments to serve (default: the project's prefect.yaml)")
    ] = None,
) -> None:
    """Serve every deployment of prefect.yaml on its schedule from this process.

    Ctrl-C or SIGTERM stops it (and a server it started, whose log is data/prefect-server.log).
    """
    # The server: PREFECT_API_URL's, else one answering at HOST:PORT, else one started there.
    from app.serve import PREFECT_FILE, ServeError, serve_deployments

    try:
        serve_deployments(prefect_file or PREFECT_FILE, host=host, port=port, limit=limit)
    except ServeError as exc:
        _fail(str(exc))


@app.command()
def portal(
    warehouse: Annotated[
        Path | None,
        typer.Option(help="The warehouse whose readers' snapshot it serves", show_default=False),
    ] = None,
    users: Annotated[
        Path | None,
        typer.Option(help="The accounts' file (fms users)", show_default=False),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on: loopback only, unless TLS is given")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8500,
    tls_cert: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM)", show_default=False)
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="Its private key (PEM)", show_default=False)
    ] = None,
) -> None:
    """The web portal over the warehouse's current readers' snapshot (never the warehouse).

    Defaults: the warehouse under data/warehouse, the accounts in data/portal/users.sqlite.
    """
    from app.portal.accounts import default_users_file
    from app.portal.server import PortalError, run_portal

    try:
        run_portal(
            warehouse or settings.default_warehouse(),
            users or default_users_file(),
            host,
            port,
            tls_cert,
            tls_key,
        )
    except PortalError as exc:
        _fail(str(exc))


@app.command()
def alerts(
    webhook: Annotated[
        str | None,
        typer.Option(
            help="Webhook URL to POST alerts to (JSON text/subject/body; saved as the Custom "
            "Webhook block fms-alerts; default: $FMS_ALERT_WEBHOOK)",
            show_default=False,
        ),
    ] = None,
    block: Annotated[
        str | None,
        typer.Option(
            help="Instead: a notification block made in the Prefect UI, TYPE/NAME "
            "(e.g. slack-webhook/fms-alerts)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Tell operators when a deployment run fails or crashes, and when nightly-refresh has not
    completed by 06:00: create or update the Prefect automations (app/alerts.py) on the server
    PREFECT_API_URL names, else the one `fms serve` keeps on 127.0.0.1."""
    from app.alerts import AlertsError, apply_alerts, configured_destination

    try:
        destination = configured_destination(webhook, block)
    except AlertsError as exc:
        _fail(str(exc))
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from app.serve import is_healthy, local_api_url

    try:
        url = PREFECT_API_URL.value() or local_api_url()
    except ValueError as exc:  # FMS_SERVE_PORT that is not a port
        _fail(str(exc))
    if not is_healthy(url):  # never a temporary server: the automations would die with it
        _fail(f"no Prefect server answers at {url}: start it (`fms serve`) or set PREFECT_API_URL")
    try:
        with temporary_settings({PREFECT_API_URL: url}):
            applied = apply_alerts(destination)
    except AlertsError as exc:
        _fail(str(exc))
    for automation in applied:
        print(f"automation {automation.name!r}: set on {url}")


def summary_lines(job: Job, summary: dict) -> list[str]:
    """The run's summary for people: what was loaded and built, the gates, where it wrote."""
    day = summary.get("as_of") or summary.get("quarter")
    head = f"{job.command} {day}: done"
    if summary.get("adhoc"):
        head += " (ad hoc)"
    if summary.get("preliminary"):
        head += " (PRELIMINARY draft, not published)"
    lines = [head]
    if "batches_loaded" in summary:
        loaded, waiting = summary["batches_loaded"], summary["batches_waiting"]
        lines.append(
            f"  batches loaded: {len(loaded)}"
            + (f" ({', '.join(loaded)})" if loaded else "")
            + (f"; waiting for _SUCCESS: {', '.join(waiting)}" if waiting else "")
        )
        lines.append(
            f"  rows: {summary['rows_loaded']:,} loaded, {summary['rows_quarantined']:,} "
            f"quarantined, {summary['rows_resolved']:,} resolved from quarantine"
        )
    for key in ("marts", "statements"):
        if summary.get(key):
            counts = ", ".join(f"{name} {n:,}" for name, n in summary[key].items())
            lines.append(f"  {key} built: {counts}")
    if "published" in summary:
        revisions = ", ".join(f"{cc} r{rev}" for cc, rev in sorted(summary["published"].items()))
        lines.append(f"  statements published: {revisions or 'none (no figure changed)'}")
    warnings = summary.get("warnings", [])
    lines.append(
        "  data quality: every critical check passed"
        + (f"; {len(warnings)} warning(s):" if warnings else "; no warnings")
    )
    lines += [f"    - {w}" for w in warnings]
    lines.append(f"  files written: {len(summary.get('files', []))}")
    lines.append(f"warehouse: {summary['warehouse']}")
    lines.append(f"outputs:   {summary['out_dir']}")
    lines.append(f"run report: {summary['run_report']}")
    return lines


def main() -> None:
    """The console command `fms`."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
