"""`fms`: the command line. Each `fms run` job calls its Prefect flow."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="FMS finance data platform: ingest, billing, delivery reporting, case closure.",
    no_args_is_help=True,
    add_completion=False,
)
run_app = typer.Typer(help="Run a job (a Prefect flow) now.", no_args_is_help=True)
app.add_typer(run_app, name="run")
console = Console(stderr=True)


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


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


def _known_errors() -> tuple[type[BaseException], ...]:
    from fms.ingest.batch_files import BatchFileError

    return (BatchFileError, FileNotFoundError, ValueError)


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
) -> None:
    """Load every new batch, then refresh the marts as of a date (default: today)."""
    from flows.nightly import nightly_refresh

    try:
        summary = nightly_refresh(landing=landing, warehouse=warehouse, out=out, as_of=_date(as_of))
    except _known_errors() as exc:
        _fail(str(exc))
    _print_summary(summary)


def _print_summary(summary: dict) -> None:
    print(json.dumps(summary, indent=2, default=str))
    print(f"warehouse: {summary['warehouse']}")
    print(f"outputs:   {summary['out_dir']}")


def main() -> None:  # pragma: no cover - console entry for `python -m fms.cli`
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
