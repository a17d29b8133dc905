"""The files a run wrote, as links that work from the report's own folder.

A job builds its files in a work folder that is swapped in whole as its final folder after the
gates pass (flows.job_run.gated_run), so links are relative to the final folder: the report opens
from there (or from anywhere the folder is copied to) without a server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPORT_NAME = "run_report.html"
QUALITY_CSV = "dq_results.csv"  # written by the gate when the run folder is published
DATA_DOCS = "data_docs/index.html"


@dataclass(frozen=True)
class RunFile:
    name: str  # what people see
    href: str  # relative to the final folder, with forward slashes

    def uri(self, final_dir: Path) -> str:
        """file:// URI of the file in the final folder (for Prefect artifacts)."""
        return Path(os.path.normpath(Path(final_dir).absolute() / self.href)).as_uri()


def _relative(path: Path, work_dir: Path, final_dir: Path) -> str:
    for base in (work_dir, final_dir):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return Path(os.path.relpath(path, final_dir)).as_posix()


def run_files(
    work_dir: Path,
    final_dir: Path,
    listed: list[str] | None = None,
    publishes_quality_csv: bool = False,
) -> list[RunFile]:
    """The run's files: those `listed` (paths in the work or final folder, or elsewhere, e.g.
    the statements of a billing run), then any other file already in `work_dir`, then the
    Data Docs index, then `dq_results.csv` when the gate will write it at publication."""
    work_dir, final_dir = Path(work_dir).absolute(), Path(final_dir).absolute()
    hrefs: list[str] = []
    for item in listed or []:
        path = Path(item)
        hrefs.append(
            _relative(path if path.is_absolute() else final_dir / path, work_dir, final_dir)
        )
    if work_dir.is_dir():
        for path in sorted(work_dir.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.name != REPORT_NAME:
                hrefs.append(path.name)
        if (work_dir / DATA_DOCS).is_file():
            hrefs.append(DATA_DOCS)
    if publishes_quality_csv:
        hrefs.append(QUALITY_CSV)
    unique = list(dict.fromkeys(h for h in hrefs if h != REPORT_NAME))
    return [RunFile(_name(h), h) for h in unique]


def _name(href: str) -> str:
    return "Data Docs (validation results)" if href == DATA_DOCS else href.rsplit("/", 1)[-1]
