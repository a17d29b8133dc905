"""`fms run <job> --help` shows every option's default, as the analyst would otherwise have to
guess it (a "[default: ...]" inside a help text is Rich markup and vanishes)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import app, job_options
from flows.jobs import JOBS

SHOWN = {
    "landing": "$FMS_LANDING",
    "warehouse": "data/warehouse/fms.duckdb",
    "out": "data/out",
    "as_of": "resolved when the run starts",
    "period_end": "resolved when the run starts",
    "runner": "local",
}


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.command)
def test_help_shows_the_default_of_every_option(job):
    result = CliRunner().invoke(app, ["run", job.command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    options = [o for o in job_options(job) if o in SHOWN]
    assert {"warehouse", "out", job.date_option} <= set(options)
    for option in options:
        flag = "--" + option.replace("_", "-")
        (line,) = [line for line in lines if line.lstrip("│ ").startswith(f"{flag} ")]
        default = SHOWN[option]
        assert f"[default: {default}]" in line or f"[default: ({default})]" in line, line
