"""What every `fms` command prints on standard error: its one `error:` line and its notes."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

console = Console(stderr=True)


def fail(message: str) -> None:
    """One `error:` line, exit 2. Messages quote the input (file and column names, paths):
    they are printed as text, never as Rich markup, which would swallow "[x]" or fail on "[/x]"."""
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code=2)
